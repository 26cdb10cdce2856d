//! A topic's lesson is its module's `//!` doc: one source of truth for rustdoc,
//! `mastery explain`, and the completeness test.

/// The sections every lesson has, in order: every topic reads the same way,
/// so a reader knows where to look.
pub const SECTIONS: [&str; 4] = ["Python idiom", "Rust answer", "When to use which", "Run it"];

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
    fn extracts_only_the_leading_block() {
        let doc = module_doc(SOURCE);
        assert!(doc.starts_with("# Title\n\n## Python idiom\n"));
        assert!(!doc.contains("not part"));
    }

    #[test]
    fn reports_missing_sections() {
        let doc = module_doc(SOURCE);
        assert_eq!(missing_sections(&doc), vec!["When to use which", "Run it"]);
    }

    #[test]
    fn terminal_rendering_hides_doctest_scaffolding() {
        let text = render_for_terminal(&module_doc(SOURCE));
        assert!(text.contains("Title\n=====\n"));
        assert!(text.contains("    shown();"));
        assert!(!text.contains("hidden"));
    }
}
