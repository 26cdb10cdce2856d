//! The demo of `core/metaclasses`: the registry listed from what
//! `inventory` collected, a duplicate name caught, lookup and walking
//! timed against the hand-written peers, and the kit's own topic registry.

use std::collections::HashMap;
use std::hint::black_box;

use mastery_kit::{Area, Comparison, Narrator, Topic, Unit, Verdict};

use super::hand_written::{Constructor, HAND_WRITTEN, hand_written_match};
use super::{Circle, Describe, Origin, Rectangle, Registered, Registration, Registry, Shape};
use super::{Square, registrations};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/metaclasses",
        area: Area::Core,
        rank: 2,
        title: "Auto-registering \"subclasses\" (metaclasses, __init_subclass__)",
        python: "class Shape: def __init_subclass__(cls, name=None): Shape.registry[name] = cls",
        rust: "#[derive(Register)] (syn/quote) generates describe() and an inventory::submit!; Registry::global() maps names to constructors and reports duplicates",
        path: "core/src/metaclasses/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let registry = Registry::global()?;
    show_registry(n, &registry);
    show_duplicate(n)?;
    lookup_costs(n, &registry)?;
    walk_costs(n, &registry);
    kit_registry(n);
    Ok(())
}

fn show_registry(n: &mut Narrator, registry: &Registry) {
    n.section("The registry: every shape registered itself by being defined");
    n.say(
        "The shapes of this module derive Register, except Triangle, which uses the \
         macro_rules! alternative. No line of this demo names them: it reads what \
         inventory collected.",
    );
    for entry in registry.entries() {
        n.show(format!(
            "{:<10} {:<42} {}",
            entry.name,
            entry.signature(),
            entry.origin
        ));
    }
    n.record_count("shapes registered in this binary", registry.len());
    n.say("describe(), generated from each definition, on a shape built by name:");
    for entry in registry.entries() {
        let shape = entry.new_shape();
        n.show(format!("{:<10} → {}", entry.name, shape.describe()));
    }
    let square = Square::new(3.0);
    let area = square.area();
    n.say(&format!(
        "A field marked #[register(skip)] stays out: Square::new(3.0) memoizes its area \
         ({area}) in such a field, and still describes itself as `{}`.",
        square.describe()
    ));
}

/// `Circle`'s entry as a static, to stand beside [`IMPOSTOR`].
pub(super) static CIRCLE: Registration = Circle::REGISTRATION;

/// An impostor: what a second crate deriving `#[register(name = "circle")]`
/// would submit. Built by hand and never submitted, so this binary's
/// registry stays valid; the demo and the tests hand it to
/// `Registry::from_entries` instead.
pub(super) static IMPOSTOR: Registration = Registration {
    type_name: "Disc",
    origin: Origin {
        module: "other_crate::shapes",
        file: "other_crate/src/shapes.rs",
        line: 12,
    },
    ..Circle::REGISTRATION
};

fn show_duplicate(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A name claimed twice is reported when the registry is built");
    let entries = [&CIRCLE, &IMPOSTOR, &Rectangle::REGISTRATION];
    let Err(error) = Registry::from_entries(entries) else {
        anyhow::bail!("a registry with `circle` twice was accepted");
    };
    n.show_block(&error);
    n.say(
        "The compiler cannot catch this: the two crates are compiled apart, and only \
         the linker puts their entries side by side. Python's __init_subclass__ finds \
         it at import time, for the same reason.",
    );
    Ok(())
}

fn lookup_costs(n: &mut Narrator, registry: &Registry) -> anyhow::Result<()> {
    n.section("Lookup by name: the registry against hand-written lists");
    // Both sides look up the names both know. A shape registered by another
    // crate (or a test module) is in the registry and in no hand-written list.
    let (names, elsewhere): (Vec<&'static str>, Vec<&'static str>) = registry
        .names()
        .into_iter()
        .partition(|name| hand_written_match(name).is_some());
    if !elsewhere.is_empty() {
        n.say(&format!(
            "Registered outside this module, so missing from the hand-written lists: {}. \
             The registry found them without anyone editing a list.",
            elsewhere.join(", ")
        ));
    }
    if names.len() != HAND_WRITTEN.len() {
        anyhow::bail!(
            "the hand-written lists name {} shapes, the registry knows {} of them",
            HAND_WRITTEN.len(),
            names.len()
        );
    }
    // A lookup is nanoseconds: a few thousand rounds make a sample far
    // longer than the clock reads around it, and more rounds do not change
    // the time per lookup.
    let rounds = n.mode().pick_deep(200, 2_000, 20_000);
    let lookups = (names.len() * rounds) as u64;
    let hand_map: HashMap<&str, Constructor> = HAND_WRITTEN.into_iter().collect();
    // One lookup, shared by every comparison below (it borrows the registry,
    // so it is `Copy` and can be handed to each of them).
    let by_registry = |name: &str| registry.get(name).map(|e| e.constructor);

    let same_map = n.compare_timed(
        "name → constructor: registry vs hand-written HashMap",
        lookups,
        || count_found(&names, rounds, by_registry),
        "hand-written HashMap",
        || count_found(&names, rounds, |name| hand_map.get(name).copied()),
    );
    let lookup_match = n.compare_timed(
        "name → constructor: registry vs hand-written match",
        lookups,
        || count_found(&names, rounds, by_registry),
        "hand-written match",
        || count_found(&names, rounds, hand_written_match),
    );
    let scan = n.compare_timed(
        "name → constructor: HashMap vs scanning inventory's list",
        lookups,
        || count_found(&names, rounds, by_registry),
        "linear scan of registrations()",
        || {
            count_found(&names, rounds, |name| {
                registrations()
                    .find(|e| e.name == name)
                    .map(|e| e.constructor)
            })
        },
    );
    let build_match = n.compare_timed(
        "name → new shape → area(): registry vs hand-written match",
        lookups,
        || build_all(&names, rounds, by_registry),
        "hand-written match",
        || build_all(&names, rounds, hand_written_match),
    );
    n.say(&format!(
        "Registry against the hand-written HashMap: {}. Both hash the name with SipHash; \
         the registry's value points at the entry, which holds the constructor.",
        same_map.in_words("the registry is faster", "the hand-written map is faster")
    ));
    n.say(&format!(
        "Against the match: {}; against scanning inventory's list: {}. A match on a handful \
         of names skips hashing, and so does a linear scan, until the list grows.",
        lookup_match.in_words("the registry is faster", "the match is faster"),
        scan.in_words("the registry is faster", "the scan is faster"),
    ));
    let narrows = if gap_narrows(&lookup_match, &build_match) {
        "; the same allocation on both sides narrows the gap"
    } else {
        ""
    };
    n.say(&format!(
        "Constructing the shape (a heap allocation) costs the same on both sides: with it, \
         registry against match: {}{narrows}.",
        build_match.in_words("the registry is faster", "the match is faster"),
    ));
    Ok(())
}

/// Whether `after` is surely closer to a tie than `before`, both losses:
/// the whole interval of `after` lies above the whole interval of `before`.
fn gap_narrows(before: &Comparison, after: &Comparison) -> bool {
    match (before.verdict, before.interval, after.interval) {
        (Verdict::Worse, Some(before), Some(after)) => after.low > before.high,
        _ => false,
    }
}

/// Looks every name up `rounds` times; how many were found.
fn count_found(names: &[&str], rounds: usize, find: impl Fn(&str) -> Option<Constructor>) -> usize {
    sum_over_lookups(names, rounds, find, |_| 1)
}

/// Builds every shape by name `rounds` times; the total area.
fn build_all(names: &[&str], rounds: usize, find: impl Fn(&str) -> Option<Constructor>) -> f64 {
    sum_over_lookups(names, rounds, find, |constructor| constructor().area())
}

/// The loop both timings share: every name, `rounds` times, looked up with
/// `find` (through `black_box`, so no lookup is hoisted out of the loop),
/// and `value` of each constructor found, summed.
fn sum_over_lookups<T: std::iter::Sum<T>>(
    names: &[&str],
    rounds: usize,
    find: impl Fn(&str) -> Option<Constructor>,
    value: impl Fn(Constructor) -> T,
) -> T {
    (0..rounds)
        .flat_map(|_| names.iter())
        .filter_map(|name| find(black_box(name)))
        .map(value)
        .sum()
}

fn walk_costs(n: &mut Narrator, registry: &Registry) {
    n.section("Walking every entry, and building the registry");
    let rounds = n.mode().pick_deep(200, 2_000, 20_000);
    let visits = (registry.len() * rounds) as u64;
    let walk = n.compare_timed(
        "visit every entry: inventory's linked list vs a static array",
        visits,
        || {
            (0..rounds)
                .map(|_| {
                    registrations()
                        .map(|e| black_box(e.name).len())
                        .sum::<usize>()
                })
                .sum::<usize>()
        },
        "hand-written static array",
        || {
            (0..rounds)
                .map(|_| {
                    HAND_WRITTEN
                        .iter()
                        .map(|(name, _)| black_box(*name).len())
                        .sum::<usize>()
                })
                .sum::<usize>()
        },
    );
    let builds = n.mode().pick_deep(20, 200, 2_000);
    let timing = n.measure(
        "Registry::global(): walk, dedupe, build the map",
        builds,
        || {
            (0..builds)
                .map(|_| Registry::global().map_or(0, |r| r.len()))
                .sum::<usize>()
        },
    );
    n.record(
        "Registry::global() per registered shape",
        timing.ns_per_op / registry.len().max(1) as f64,
        Unit::NsPerOp,
    );
    n.say(&format!(
        "inventory's list against the array: {}. The list is a chain of statics, one \
         pointer hop per entry; the array is contiguous. Either is nanoseconds per entry: \
         build the registry once, at start-up, and keep it.",
        walk.in_words("the list is faster", "the array is faster"),
    ));
}

fn kit_registry(n: &mut Narrator) {
    n.section("The live example: the kit's own topic registry");
    let topics = mastery_kit::registry();
    n.say(
        "Every topic of this kit is an inventory::submit! of a mastery_kit::Topic in \
         its own module; mastery_kit::registry() collects and sorts them. The kit \
         crate names no topic. In this binary:",
    );
    for area in Area::ALL {
        let ids: Vec<&str> = topics
            .iter()
            .filter(|t| t.area == area)
            .map(|t| t.id)
            .collect();
        if !ids.is_empty() {
            n.show(format!(
                "{:<12} {:>2}  {}",
                area.name(),
                ids.len(),
                ids.join(", ")
            ));
        }
    }
    n.record_count("topics registered in this binary", topics.len());
    if let Some(me) = topics.iter().find(|t| t.id == "core/metaclasses") {
        n.say(&format!(
            "This topic is among them: `{}`, rank {} in {}, from {}.",
            me.id,
            me.rank,
            me.area.name(),
            me.path
        ));
    }
    let calls = n.mode().pick_deep(20, 200, 2_000);
    n.measure("mastery_kit::registry(): collect and sort", calls, || {
        (0..calls)
            .map(|_| mastery_kit::registry().len())
            .sum::<usize>()
    });
}
