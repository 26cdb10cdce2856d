//! The topic contract and the registry.

use crate::narrator::Narrator;

/// The roadmap's areas, in the roadmap's order. The kit knows the roadmap's
/// shape (its folders) but no topic in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    /// Core Python mastery: descriptors, metaclasses, context managers, typing.
    Core,
    /// Performance and internals.
    Perf,
    /// Concurrency and async patterns.
    Concurrency,
    /// Software engineering patterns.
    Patterns,
    /// Testing and debugging.
    Testing,
    /// Packaging and tooling.
    Tooling,
    /// Interview-oriented components.
    Interview,
    /// Showcase and extras.
    Showcase,
}

impl Area {
    /// Every area, in roadmap order.
    pub const ALL: [Area; 8] = [
        Area::Core,
        Area::Perf,
        Area::Concurrency,
        Area::Patterns,
        Area::Testing,
        Area::Tooling,
        Area::Interview,
        Area::Showcase,
    ];

    /// The folder name, which is also the prefix of every topic id in the area.
    pub fn name(self) -> &'static str {
        match self {
            Area::Core => "core",
            Area::Perf => "perf",
            Area::Concurrency => "concurrency",
            Area::Patterns => "patterns",
            Area::Testing => "testing",
            Area::Tooling => "tooling",
            Area::Interview => "interview",
            Area::Showcase => "showcase",
        }
    }

    /// The roadmap's heading for the area.
    pub fn heading(self) -> &'static str {
        match self {
            Area::Core => "Core Python mastery",
            Area::Perf => "Performance & internals",
            Area::Concurrency => "Concurrency & async patterns",
            Area::Patterns => "Software engineering patterns",
            Area::Testing => "Testing & debugging",
            Area::Tooling => "Packaging & tooling",
            Area::Interview => "Interview-oriented algorithms",
            Area::Showcase => "Showcase & extras",
        }
    }
}

/// What a topic's demo returns: `Err` marks the topic as failed in a tour.
pub type RunResult = anyhow::Result<()>;

/// One roadmap item answered in Rust. Area crates submit these with
/// [`inventory::submit!`]; see any topic module for the shape.
#[derive(Debug)]
pub struct Topic {
    /// Stable id, `area/name` in kebab case, e.g. `interview/lru-cache`.
    pub id: &'static str,
    /// The area the topic belongs to; must match the id's prefix.
    pub area: Area,
    /// Position within the area, following the roadmap's bullet order.
    pub rank: u16,
    /// A short human title.
    pub title: &'static str,
    /// The Python idiom, one line (`functools.lru_cache`, ...).
    pub python: &'static str,
    /// The Rust answer, one line.
    pub rust: &'static str,
    /// Path of the module from the repository root, e.g. `interview/src/lru_cache.rs`.
    pub path: &'static str,
    /// The module's source; its leading `//!` block is the lesson.
    pub source: &'static str,
    /// The demo: tells the story and measures through the narrator.
    pub run: fn(&mut Narrator) -> RunResult,
}

impl Topic {
    /// The lesson: the module's `//!` doc, as Markdown.
    pub fn lesson(&self) -> String {
        crate::lesson::module_doc(self.source)
    }

    fn sort_key(&self) -> (Area, u16, &'static str) {
        (self.area, self.rank, self.id)
    }
}

inventory::collect!(Topic);

/// Every registered topic in roadmap order (area, then rank within the area).
pub fn registry() -> Vec<&'static Topic> {
    let mut topics: Vec<&'static Topic> = inventory::iter::<Topic>.into_iter().collect();
    topics.sort_by_key(|t| t.sort_key());
    topics
}
