//! The book's generated pages: the table of contents, one index per area
//! and one page per topic, all made from the topic registry.
//!
//! A topic's page *is* its lesson — the `//!` doc `mastery explain` prints —
//! so the book can never disagree with the code it describes. Code is never
//! copied into a page: after "Rust answer" the page includes the topic's
//! `core` anchor from the compiled crate, so `cargo test` has compiled every
//! sample a reader sees.

use std::fmt::Write as _;
use std::path::PathBuf;

use mastery_kit::report::{Document, TopicResult};
use mastery_kit::{Area, Topic};

use crate::cheatsheet::{SHEETS, sheet_of};

/// A generated file, relative to the book's `src/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Where it goes under `showcase/book/src/`.
    pub path: PathBuf,
    /// Its Markdown.
    pub text: String,
}

/// A diagram source in `showcase/diagrams/`, and the topic whose page
/// shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagram {
    /// Its path below `showcase/diagrams/` (`lru-slab-layout.dot`).
    pub file: String,
    /// The topic id its first comment line starts with.
    pub topic: String,
    /// What it shows: the rest of that line.
    pub caption: String,
}

impl Diagram {
    /// Reads the topic and caption from a source's opening comment, which
    /// names them as `%% area/topic: caption` (Mermaid) or `// area/topic:
    /// caption` (Graphviz); the caption runs on to the comment line that
    /// ends with a full stop. `None` when the first line names no topic.
    pub fn from_source(file: &str, text: &str) -> Option<Diagram> {
        let mut comments = text.lines().map_while(|l| {
            l.strip_prefix("%%")
                .or_else(|| l.strip_prefix("//"))
                .map(str::trim)
        });
        let comment = comments.next()?;
        let topic: String = comment
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'))
            .collect();
        if !topic.contains('/') {
            return None;
        }
        let mut caption = comment[topic.len()..]
            .trim_start_matches([':', ' '])
            .to_owned();
        for line in comments.take(3) {
            if caption.ends_with('.') || line.is_empty() || line.starts_with("Drawn from") {
                break;
            }
            caption.push(' ');
            caption.push_str(line);
        }
        Some(Diagram {
            file: file.to_owned(),
            topic,
            caption,
        })
    }

    /// Whether mdBook draws it in the browser (Mermaid) or the build turns
    /// it into an SVG first (Graphviz).
    pub fn is_mermaid(&self) -> bool {
        self.file.ends_with(".mmd")
    }

    /// The SVG the build renders a Graphviz source to, below the book's
    /// `src/`.
    pub fn svg(&self) -> String {
        format!(
            "diagrams/{}.svg",
            self.file.trim_end_matches(".dot").replace('/', "-")
        )
    }
}

/// The areas that have topics, in roadmap order, each with its topics.
fn areas<'a>(topics: &[&'a Topic]) -> Vec<(Area, Vec<&'a Topic>)> {
    Area::ALL
        .iter()
        .map(|&area| {
            let mine: Vec<&Topic> = topics.iter().copied().filter(|t| t.area == area).collect();
            (area, mine)
        })
        .filter(|(_, mine)| !mine.is_empty())
        .collect()
}

/// The topic's file name: its id after the area's slash.
fn slug(topic: &Topic) -> &str {
    topic.id.split_once('/').map_or(topic.id, |(_, s)| s)
}

/// Every generated page, `SUMMARY.md` first; each topic page shows the
/// `diagrams` drawn for it and its rows of the cheat sheets.
pub fn pages(topics: &[&Topic], diagrams: &[Diagram], results: Option<&Results>) -> Vec<Page> {
    let areas = areas(topics);
    let mut pages = vec![Page {
        path: "SUMMARY.md".into(),
        text: summary(&areas, results.is_some()),
    }];
    for (name, _) in SHEETS {
        pages.push(Page {
            path: PathBuf::from("cheatsheets").join(format!("{name}.md")),
            text: format!(
                "{GENERATED}\n{{{{#include ../../../cheatsheets/{name}.md}}}}\n\n{}\n",
                sheet_note()
            ),
        });
    }
    for (area, mine) in &areas {
        pages.push(Page {
            path: PathBuf::from(area.name()).join("index.md"),
            text: area_index(*area, mine),
        });
        for t in mine {
            pages.push(Page {
                path: PathBuf::from(area.name()).join(format!("{}.md", slug(t))),
                text: topic_page(t, diagrams, results),
            });
        }
    }
    if let Some(r) = results {
        pages.extend(results_pages(&areas, r));
    }
    pages
}

/// A results file of `mastery tour --json`, committed under
/// `showcase/benchmarks/`, and what it holds.
#[derive(Debug, Clone)]
pub struct Results {
    /// Its path from the root of the checkout.
    pub file: String,
    /// The run it records.
    pub doc: Document,
}

impl Results {
    /// The day of the run (`2026-12-03`).
    pub fn date(&self) -> &str {
        self.doc
            .measured_at
            .get(..10)
            .unwrap_or(&self.doc.measured_at)
    }
}

/// The results chapter: the run and its machine, then one page per area
/// with each topic's tables and chart (the build draws the charts).
fn results_pages(areas: &[(Area, Vec<&Topic>)], r: &Results) -> Vec<Page> {
    let doc = &r.doc;
    let mut index = format!(
        "{GENERATED}\n# Measured results\n\nEvery figure in this chapter comes from `{}`: one run \
         of `cargo run --release -- tour --json` in {} mode, started at {}, on the machine below. \
         Yours will measure different figures: `cargo run --release -- tour --report results` \
         writes the same tables and charts for your machine.\n\n{}\n",
        r.file,
        format!("{:?}", doc.machine.mode).to_lowercase(),
        doc.measured_at,
        doc.machine.table()
    );
    index.push_str(
        "\nEach chart row is a comparison: the dot is the ratio of ours to the peer (right of \
         1 is ours better, log scale), the whisker the interval its verdict comes from, the \
         colour the verdict.\n\n![every comparison of the run](charts/overview.svg)\n\n",
    );
    let mut pages = Vec::new();
    for (area, mine) in areas {
        let _ = writeln!(index, "- [{}]({}.md)", area.heading(), area.name());
        let mut md = format!(
            "{GENERATED}\n# Results: {}\n\nFrom `{}`, measured at {} on {} ([the run and its machine](index.md)).\n",
            area.heading(),
            r.file,
            doc.measured_at,
            doc.machine.cpu
        );
        for t in mine {
            let _ = write!(md, "\n## {} {{#{}}}\n\n", t.title, slug(t));
            let Some(m) = doc.topics.iter().find(|m| m.id == t.id) else {
                let _ = writeln!(md, "`{}` is not in this results file.", t.id);
                continue;
            };
            let status = if m.ok { "ran" } else { "**failed**" };
            let _ = writeln!(
                md,
                "`{}` {status} in {:.2} s. [The lesson](../{}/{}.md).",
                t.id,
                m.seconds,
                area.name(),
                slug(t)
            );
            md.push_str(&mastery_kit::report::topic_tables(m));
            if chart_drawn(m) {
                let _ = writeln!(
                    md,
                    "\n![{} compared](charts/{}.svg)",
                    t.id,
                    mastery_kit::report::chart_name(t.id)
                );
            }
        }
        pages.push(Page {
            path: PathBuf::from("results").join(format!("{}.md", area.name())),
            text: md,
        });
    }
    pages.insert(
        0,
        Page {
            path: "results/index.md".into(),
            text: index,
        },
    );
    pages
}

/// Whether the build draws a chart for this topic (one comparison at least
/// with a ratio a log axis can show).
pub fn chart_drawn(m: &TopicResult) -> bool {
    m.comparisons
        .iter()
        .any(|c| c.speedup.is_finite() && c.speedup > 0.0)
}

/// What every sheet page says under its table: where it comes from and how
/// to print it.
fn sheet_note() -> &'static str {
    "The third column names the compiled code that shows each row (`path:anchor` from the \
     repository root). Print this page from the browser (one or two A4 pages), or read it \
     in a terminal with `cargo run -- cheatsheet NAME`."
}

const GENERATED: &str = "<!-- Generated by `cargo run -- book`: edit the source instead (a topic's mod.rs, showcase/cheatsheets/, showcase/diagrams/, showcase/benchmarks/). -->\n";

fn summary(areas: &[(Area, Vec<&Topic>)], with_results: bool) -> String {
    let mut md = format!("{GENERATED}\n# Summary\n\n[Introduction](intro.md)\n\n");
    for (area, mine) in areas {
        let _ = writeln!(md, "- [{}]({}/index.md)", area.heading(), area.name());
        for t in mine {
            let _ = writeln!(md, "  - [{}]({}/{}.md)", t.title, area.name(), slug(t));
        }
    }
    if with_results {
        md.push_str("\n# Results\n\n- [Measured results](results/index.md)\n");
        for (area, _) in areas {
            let _ = writeln!(md, "  - [{}](results/{}.md)", area.heading(), area.name());
        }
    }
    md.push_str("\n# Cheat sheets\n\n");
    for (name, _) in SHEETS {
        let _ = writeln!(md, "- [{name}](cheatsheets/{name}.md)");
    }
    md
}

fn area_index(area: Area, topics: &[&Topic]) -> String {
    let mut md = format!("{GENERATED}\n# {}\n\n", area.heading());
    let _ = writeln!(
        md,
        "Run every topic of this part with `cargo run --release -- run {}`.\n",
        area.name()
    );
    md.push_str("| Topic | Python | Rust |\n|---|---|---|\n");
    for t in topics {
        let _ = writeln!(
            md,
            "| [{}]({}.md) | {} | {} |",
            t.title,
            slug(t),
            cell(t.python),
            cell(t.rust)
        );
    }
    md
}

fn cell(text: &str) -> String {
    prose(text).replace('|', "\\|")
}

/// `text` with `<` escaped outside `code` spans: a lesson's `Vec<T>` in
/// prose is a type, not an HTML tag.
fn prose(text: &str) -> String {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                part.replace('<', "&lt;")
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// A topic's page: the lesson, with the compiled core included after
/// "Rust answer".
fn topic_page(t: &Topic, diagrams: &[Diagram], results: Option<&Results>) -> String {
    let mut md = format!(
        "{GENERATED}\n# {}\n\n`{}` · Python: {} · Rust: {}\n",
        t.title,
        t.id,
        prose(&t.python.replace('\n', " ")),
        prose(&t.rust.replace('\n', " "))
    );
    let lesson = lesson_markdown(&t.lesson());
    let include = format!(
        "\n### The core idea, compiled\n\nFrom `{path}`, the part marked `ANCHOR: core` \
         (`cargo test` compiles it):\n\n```rust,ignore\n{{{{#include ../../../../{path}:core}}}}\n```\n",
        path = t.path
    );
    let measured = results
        .filter(|r| r.doc.topics.iter().any(|m| m.id == t.id))
        .map(|r| {
            format!(
                "\nFigures from one run, dated and naming its machine: [{} on {}](../results/{}.md#{}). \
                 Your own: `cargo run --release -- run {}`.\n",
                r.date(),
                r.doc.machine.cpu,
                t.area.name(),
                slug(t),
                t.id
            )
        });
    // What a section gets at its end: the compiled core after the answer,
    // the dated figures after the costs.
    let extra = |section: &str| -> Option<String> {
        if section.eq_ignore_ascii_case("Rust answer") {
            Some(include.clone())
        } else if section.eq_ignore_ascii_case("What it costs") {
            measured.clone()
        } else {
            None
        }
    };
    let mut section = String::new();
    let mut placed = Vec::new();
    for line in lesson.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            if let Some(text) = extra(&section) {
                md.push_str(&text);
                md.push('\n');
                placed.push(section.clone());
            }
            section = heading.trim().to_owned();
        }
        md.push_str(line);
        md.push('\n');
    }
    if let Some(text) = extra(&section) {
        md.push_str(&text);
        placed.push(section);
    }
    if !placed.iter().any(|s| s.eq_ignore_ascii_case("Rust answer")) {
        md.push_str(&include);
    }
    if let Some(sheet) = sheet_of(slug(t)) {
        let _ = write!(
            md,
            "\n## Cheat sheet\n\nFrom [the {sheet} sheet](../cheatsheets/{sheet}.md):\n\n{{{{#include ../../../cheatsheets/{sheet}.md:{}}}}}\n",
            slug(t)
        );
    }
    for d in diagrams.iter().filter(|d| d.topic == t.id) {
        let _ = write!(md, "\n## Diagram\n\n{}\n\n", prose(&d.caption));
        if d.is_mermaid() {
            let _ = writeln!(
                md,
                "```mermaid\n{{{{#include ../../../diagrams/{}}}}}\n```",
                d.file
            );
        } else {
            let _ = writeln!(md, "![{}](../{})", prose(&d.caption), d.svg());
        }
        let _ = writeln!(md, "\nSource: `showcase/diagrams/{}`.", d.file);
    }
    md
}

/// A rustdoc lesson as plain Markdown for mdBook: the title line dropped
/// (the page has its own), intra-doc links reduced to their text, code
/// fences given a language mdBook understands, and `{{#` escaped so prose
/// is never taken for a directive.
pub fn lesson_markdown(lesson: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    let mut lines = lesson.lines().peekable();
    if lines.peek().is_some_and(|l| l.starts_with("# ")) {
        lines.next();
    }
    for line in lines {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            let indent = &line[..line.len() - trimmed.len()];
            if in_fence {
                out.push_str(line);
            } else {
                let _ = write!(out, "{indent}```{}", fence_language(info));
            }
            in_fence = !in_fence;
            out.push('\n');
            continue;
        }
        if in_fence {
            out.push_str(&line.replace("{{#", "\\{{#"));
        } else if is_link_definition(trimmed) {
            continue;
        } else {
            out.push_str(&prose(&plain_links(line)).replace("{{#", "\\{{#"));
        }
        out.push('\n');
    }
    out
}

/// rustdoc's fence attributes (` ```no_run`, ` ```compile_fail,E0499`) are
/// Rust; any other named language stays.
fn fence_language(info: &str) -> String {
    let info = info.trim();
    let first = info.split(',').next().unwrap_or("").trim();
    match first {
        "" | "rust" | "no_run" | "ignore" | "compile_fail" | "should_panic" | "edition2021"
        | "edition2024" => "rust,ignore".to_owned(),
        other => other.to_owned(),
    }
}

/// `[name]: target` lines define rustdoc link targets; mdBook has no use
/// for them.
fn is_link_definition(line: &str) -> bool {
    line.starts_with('[') && line.contains("]: ")
}

/// Reduces rustdoc links to their text: `` [`Foo`] `` and
/// `[text](crate::path)` become `` `Foo` `` and `text`; web links stay.
fn plain_links(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut in_code = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
        }
        if c != '[' || in_code {
            out.push(c);
            i += 1;
            continue;
        }
        let Some(close) = matching(&chars, i, '[', ']') else {
            out.push(c);
            i += 1;
            continue;
        };
        let text: String = chars[i + 1..close].iter().collect();
        let after = close + 1;
        match chars.get(after) {
            Some('(') => {
                let end = matching(&chars, after, '(', ')').unwrap_or(chars.len() - 1);
                let target: String = chars[after + 1..end].iter().collect();
                if target.starts_with("http://") || target.starts_with("https://") {
                    out.extend(&chars[i..=end]);
                } else {
                    out.push_str(&text);
                }
                i = end + 1;
            }
            Some('[') => {
                let end = matching(&chars, after, '[', ']').unwrap_or(chars.len() - 1);
                out.push_str(&text);
                i = end + 1;
            }
            _ => {
                out.push_str(&text);
                i = after;
            }
        }
    }
    out
}

/// The index of the bracket closing the one at `open`, if the line has it.
fn matching(chars: &[char], open: usize, left: char, right: char) -> Option<usize> {
    let mut depth = 0;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        if c == left {
            depth += 1;
        } else if c == right {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustdoc_links_become_text_and_web_links_stay() {
        assert_eq!(
            plain_links("see [`LruCache`] and [the list](crate::list)"),
            "see `LruCache` and the list"
        );
        assert_eq!(
            plain_links("[`get`][LruCache::get] is O(1)"),
            "`get` is O(1)"
        );
        assert_eq!(
            plain_links("[mini-redis](https://github.com/tokio-rs/mini-redis)"),
            "[mini-redis](https://github.com/tokio-rs/mini-redis)"
        );
        assert_eq!(
            plain_links("`v[0]` and a [ lone bracket"),
            "`v[0]` and a [ lone bracket"
        );
    }

    #[test]
    fn a_diagram_names_its_topic_in_its_first_line() {
        let d = Diagram::from_source(
            "x.mmd",
            "%% interview/lru-cache: the slab,\n%% drawn.\n%% More.\nflowchart TB\n",
        )
        .expect("a topic");
        assert_eq!(
            (d.topic.as_str(), d.caption.as_str()),
            ("interview/lru-cache", "the slab, drawn.")
        );
        assert!(d.is_mermaid());
        let dot = Diagram::from_source(
            "sub/y.dot",
            "// core/descriptors (niches) and more:\ndigraph {}",
        )
        .expect("a topic");
        assert_eq!(dot.topic, "core/descriptors");
        assert_eq!(dot.svg(), "diagrams/sub-y.svg");
        assert_eq!(Diagram::from_source("z.mmd", "flowchart TB\n"), None);
    }

    #[test]
    fn angle_brackets_in_prose_are_not_html() {
        assert_eq!(prose("Vec<T> and `Vec<T>`"), "Vec&lt;T> and `Vec<T>`");
    }

    #[test]
    fn lessons_lose_their_title_and_get_fences_mdbook_reads() {
        let md = lesson_markdown(
            "# Title\n\n## Rust answer\nUse [`Foo`].\n\n```\nlet x = 1;\n```\n```text\n{{#x}}\n```\n[Foo]: crate::Foo\n",
        );
        assert_eq!(
            md,
            "\n## Rust answer\nUse `Foo`.\n\n```rust,ignore\nlet x = 1;\n```\n```text\n\\{{#x}}\n```\n"
        );
    }
}
