//! Checks every `{{#include …}}` of the book the way mdBook resolves it.
//!
//! mdBook never fails on a broken include: a missing file leaves the raw
//! directive in the page, a missing anchor includes nothing, and a start
//! marker without its end runs to the end of the file — all with exit code
//! 0. A sample that silently vanished is worse than a build error, so the
//! kit resolves every include itself, with mdBook's own matching rules:
//! `ANCHOR: name` and `ANCHOR_END: name` found anywhere in a line (any
//! comment style), names made of word characters and `-`, and marker lines
//! of other anchors dropped from the included text.

use std::path::{Path, PathBuf};

/// One include that mdBook would get wrong, with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The Markdown file holding the directive.
    pub page: PathBuf,
    /// 1-based line of the directive.
    pub line: usize,
    /// What is wrong, naming the included path and anchor.
    pub problem: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.page.display(), self.line, self.problem)
    }
}

/// Every `{{#include PATH}}` / `{{#include PATH:SELECTION}}` in `markdown`
/// (escaped `\{{#` skipped), as (line, path, selection).
pub fn directives(markdown: &str) -> Vec<(usize, String, Option<String>)> {
    let mut found = Vec::new();
    for (index, line) in markdown.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("{{#") {
            let escaped = rest[..at].ends_with('\\');
            let after = &rest[at + 3..];
            let Some(end) = after.find("}}") else { break };
            let body = after[..end].trim();
            rest = &after[end + 2..];
            if escaped {
                continue;
            }
            let Some(target) = body
                .strip_prefix("include ")
                .or_else(|| body.strip_prefix("rustdoc_include "))
            else {
                continue;
            };
            let target = target.trim();
            let (path, selection) = match target.split_once(':') {
                Some((p, s)) => (p.to_owned(), Some(s.to_owned())),
                None => (target.to_owned(), None),
            };
            found.push((index + 1, path, selection));
        }
    }
    found
}

/// What mdBook would include of `text` for `anchor`, or why it cannot.
///
/// # Errors
/// A message when the start or end marker is missing or the anchored text
/// is blank.
pub fn anchored(text: &str, anchor: &str) -> Result<String, String> {
    let mut lines = text.lines();
    if !lines.any(|l| marker(l, "ANCHOR:").as_deref() == Some(anchor)) {
        return Err(format!("no `ANCHOR: {anchor}`"));
    }
    let mut out = String::new();
    for line in lines {
        if marker(line, "ANCHOR_END:").as_deref() == Some(anchor) {
            if out.trim().is_empty() {
                return Err(format!("anchor `{anchor}` holds nothing"));
            }
            return Ok(out);
        }
        if marker(line, "ANCHOR:").is_none() && marker(line, "ANCHOR_END:").is_none() {
            out.push_str(line);
            out.push('\n');
        }
    }
    Err(format!(
        "`ANCHOR: {anchor}` has no `ANCHOR_END: {anchor}` (mdBook would include the rest of the file)"
    ))
}

/// The name of every `ANCHOR:` start in `text`, in order (a name started
/// twice appears twice).
pub fn anchor_names(text: &str) -> Vec<String> {
    text.lines().filter_map(|l| marker(l, "ANCHOR:")).collect()
}

/// The anchor name after `keyword` in `line` (mdBook's
/// `KEYWORD\s*[\w_-]+`), if the line has one.
fn marker(line: &str, keyword: &str) -> Option<String> {
    let at = line.find(keyword)?;
    let name: String = line[at + keyword.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Checks one page's includes, resolving paths from the page's folder.
pub fn check_page(page: &Path, markdown: &str) -> Vec<Broken> {
    let dir = page.parent().unwrap_or(Path::new("."));
    let mut broken = Vec::new();
    for (line, path, selection) in directives(markdown) {
        let mut fail = |problem: String| {
            broken.push(Broken {
                page: page.to_owned(),
                line,
                problem,
            });
        };
        let file = dir.join(&path);
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                fail(format!("cannot read `{path}` ({}): {e}", file.display()));
                continue;
            }
        };
        match selection {
            // Line ranges (`:10`, `:2:8`, `:5:`) select by number.
            Some(s) if s.chars().all(|c| c.is_ascii_digit() || c == ':') => {}
            Some(anchor) => {
                if let Err(problem) = anchored(&text, &anchor) {
                    fail(format!("`{path}`: {problem}"));
                }
            }
            None if text.trim().is_empty() => fail(format!("`{path}` is empty")),
            None => {}
        }
    }
    broken
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "\
fn before() {}
// ANCHOR: core
fn inside() {}
    // ANCHOR: inner
fn nested() {}
    // ANCHOR_END: inner
// ANCHOR_END: core
/* ANCHOR: open */
fn never_closed() {}
";

    #[test]
    fn anchors_follow_mdbooks_rules() {
        assert_eq!(
            anchored(SOURCE, "core").as_deref(),
            Ok("fn inside() {}\nfn nested() {}\n"),
            "other anchors' marker lines are dropped"
        );
        assert_eq!(anchored(SOURCE, "inner").as_deref(), Ok("fn nested() {}\n"));
        let fails_with = |text: &str, anchor: &str, why: &str| {
            anchored(text, anchor).is_err_and(|e| e.contains(why))
        };
        assert!(fails_with(SOURCE, "missing", "no `ANCHOR: missing`"));
        assert!(fails_with(SOURCE, "open", "rest of the file"));
        assert!(fails_with(
            "// ANCHOR: e\n\n// ANCHOR_END: e\n",
            "e",
            "holds nothing"
        ));
        assert_eq!(anchor_names(SOURCE), ["core", "inner", "open"]);
        assert!(
            anchored(SOURCE, "cor").is_err(),
            "names are compared whole, not as prefixes"
        );
    }

    #[test]
    fn directives_are_found_and_escapes_skipped() {
        let md = "a {{#include ../x.rs:core}} b\n\\{{#include nope.rs}}\n{{#include y.md}} {{#title T}}\n";
        assert_eq!(
            directives(md),
            vec![
                (1, "../x.rs".to_owned(), Some("core".to_owned())),
                (3, "y.md".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_page_with_a_missing_file_or_anchor_is_reported() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("lib.rs"), SOURCE)?;
        let page = dir.path().join("page.md");
        let md = "{{#include lib.rs:core}}\n{{#include lib.rs:gone}}\n{{#include lib.rs:3:4}}\n{{#include nothing.rs}}\n";
        let broken = check_page(&page, md);
        let lines: Vec<usize> = broken.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 4], "{broken:?}");
        assert!(
            broken[0]
                .to_string()
                .contains("page.md:2: `lib.rs`: no `ANCHOR: gone`")
        );
        assert!(broken[1].problem.contains("cannot read `nothing.rs`"));
        Ok(())
    }
}
