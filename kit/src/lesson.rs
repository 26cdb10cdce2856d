//! A topic's lesson is its module's `//!` doc: one source of truth for rustdoc,
//! `mastery explain`, and the completeness test.

/// The sections every lesson has, in order: every topic reads the same way,
/// so a reader knows where to look.
pub const SECTIONS: [&str; 5] = [
    "Python idiom",
    "Rust answer",
    "When to use which",
    "What it costs",
    "Run it",
];

/// Extracts the leading `//!` block of a Rust source file, without the markers.
pub fn module_doc(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        let Some(rest) = trimmed.strip_prefix("//!") else {
            if trimmed.is_empty() || trimmed.starts_with("#![") {
                continue;
            }
            break;
        };
        out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        out.push('\n');
    }
    out
}

/// The `# ` / `## ` headings of a Markdown lesson, in order.
pub fn headings(markdown: &str) -> Vec<&str> {
    markdown
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("# ")))
        .map(str::trim)
        .collect()
}

/// Which of [`SECTIONS`] a lesson lacks (an empty list means complete).
pub fn missing_sections(markdown: &str) -> Vec<&'static str> {
    let found = headings(markdown);
    SECTIONS
        .iter()
        .copied()
        .filter(|want| !found.iter().any(|h| h.eq_ignore_ascii_case(want)))
        .collect()
}

/// Phrases in a lesson's prose that look like figures measured on some
/// machine: a time below a second (`58 ms`, `3.2 µs`), a decimal number of
/// seconds (`0.88 s`), a throughput (`3.2 MB/s`, `120 ops/s`), a decimal
/// ratio (`1.08×`, `2.4x`), or the words "on this machine". Each is returned
/// with its line number (1-based).
///
/// `mastery explain` prints lessons, so a figure in one is a number printed
/// but not measured in that run. Code (fenced blocks and `inline` spans) is
/// skipped: a value written as code is a parameter (`Duration::from_millis(5)`,
/// `max_wait = 5 ms`), not a result.
pub fn machine_figures(markdown: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut in_fence = false;
    for (index, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let prose = without_inline_code(line);
        let lower = prose.to_lowercase();
        for phrase in ["on this machine", "on my machine"] {
            if lower.contains(phrase) {
                found.push((index + 1, phrase.to_owned()));
            }
        }
        found.extend(figures_in(&prose).into_iter().map(|f| (index + 1, f)));
    }
    found
}

/// `line` with every `inline code` span blanked out.
fn without_inline_code(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else {
            out.push(' ');
        }
    }
    out
}

/// The measured-looking figures in one line of prose.
fn figures_in(prose: &str) -> Vec<String> {
    const SUBSECOND: [&str; 5] = ["ns", "µs", "μs", "us", "ms"];
    const RATES: [&str; 9] = [
        "B/s", "kB/s", "KB/s", "MB/s", "GB/s", "KiB/s", "MiB/s", "GiB/s", "ops/s",
    ];
    let chars: Vec<char> = prose.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_number = chars[i].is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '_') {
            i += 1;
        }
        let mut decimal = false;
        if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
            decimal = true;
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        let number: String = chars[start..i].iter().collect();
        // One space (plain, no-break or thin) may separate number and unit.
        let mut j = i;
        if j < chars.len() && matches!(chars[j], ' ' | '\u{a0}' | '\u{2009}' | '\u{202f}') {
            j += 1;
        }
        let unit: String = chars[j..]
            .iter()
            .take_while(|c| c.is_alphanumeric() || matches!(**c, 'µ' | 'μ' | '/' | '×'))
            .collect();
        let unit = unit.trim_end_matches('/');
        let is_figure = SUBSECOND.contains(&unit)
            || RATES.contains(&unit)
            || (decimal && matches!(unit, "s" | "×" | "x"));
        if is_figure {
            found.push(format!("{number} {unit}"));
        }
    }
    found
}

/// The body of the `## name` section of a lesson (up to the next `#` or
/// `##` heading), or `None` when the lesson has no such section.
pub fn section<'a>(markdown: &'a str, name: &str) -> Option<&'a str> {
    let mut start = None;
    let mut offset = 0;
    for line in markdown.split_inclusive('\n') {
        let heading = line
            .strip_prefix("## ")
            .or_else(|| line.strip_prefix("# "))
            .map(str::trim);
        match (start, heading) {
            (None, Some(h)) if h.eq_ignore_ascii_case(name) => start = Some(offset + line.len()),
            (Some(from), Some(_)) => return Some(&markdown[from..offset]),
            _ => {}
        }
        offset += line.len();
    }
    start.map(|from| &markdown[from..])
}

/// Renders Markdown for a terminal: headings underlined, rustdoc code fences
/// shown as indented blocks, hidden doctest lines (`# `) dropped.
pub fn render_for_terminal(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            if line.trim_start().starts_with("# ") || line.trim() == "#" {
                continue;
            }
            out.push_str("    ");
            out.push_str(line);
        } else if let Some(h) = line.strip_prefix("# ") {
            out.push_str(&format!("{h}\n{}", "=".repeat(h.chars().count())));
        } else if let Some(h) = line.strip_prefix("## ") {
            out.push_str(&format!("{h}\n{}", "-".repeat(h.chars().count())));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "#![forbid(unsafe_code)]\n//! # Title\n//!\n//! ## Python idiom\n//! x\n//! ## Rust answer\n//!```\n//! # hidden\n//! shown();\n//! ```\n\nuse std::fmt;\n//! not part of the lesson\n";

    #[test]
    fn a_section_runs_to_the_next_heading() {
        let md = "# T\n## Run it\nrun\n## Follow-ups\n- **Q?** A.\n- **R?** B.\n";
        assert_eq!(section(md, "run it"), Some("run\n"));
        assert_eq!(
            section(md, "Follow-ups"),
            Some("- **Q?** A.\n- **R?** B.\n")
        );
        assert_eq!(section(md, "Python idiom"), None);
    }

    #[test]
    fn extracts_only_the_leading_block() {
        let doc = module_doc(SOURCE);
        assert!(doc.starts_with("# Title\n\n## Python idiom\n"));
        assert!(!doc.contains("not part"));
    }

    #[test]
    fn reports_missing_sections() {
        let doc = module_doc(SOURCE);
        assert_eq!(
            missing_sections(&doc),
            vec!["When to use which", "What it costs", "Run it"]
        );
    }

    #[test]
    fn measured_looking_figures_are_found_and_code_is_not() {
        let lesson = "\
A hit costs 12 ns and a miss 3.5 µs; the scan runs at 1.2 GB/s.
Ours is 1.08× the peer, 2.4x on small inputs, 0.88 s in all.
On this machine it took long.
Allowed: 30 s timeouts, 2× the memory, O(1), 64 KiB chunks, 16 bytes.
Allowed in code: `max_wait = 5 ms`, `Duration::from_millis(100)`.
```
let expected = \"250 ms\";
```
Not a number: x86_64 and h2o ms, v1.5x";
        let found: Vec<String> = machine_figures(lesson)
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        assert_eq!(
            found,
            [
                "12 ns",
                "3.5 µs",
                "1.2 GB/s",
                "1.08 ×",
                "2.4 x",
                "0.88 s",
                "on this machine"
            ]
        );
        assert_eq!(machine_figures(lesson)[0].0, 1);
    }

    #[test]
    fn terminal_rendering_hides_doctest_scaffolding() {
        let text = render_for_terminal(&module_doc(SOURCE));
        assert!(text.contains("Title\n=====\n"));
        assert!(text.contains("    shown();"));
        assert!(!text.contains("hidden"));
    }
}
