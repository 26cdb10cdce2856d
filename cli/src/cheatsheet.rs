//! `mastery cheatsheet [NAME]`: a cheat sheet of `showcase/cheatsheets/` in
//! the terminal, and what the book and its tests need to know about them.
//!
//! The sheets are compiled into the binary, so the command works anywhere
//! the binary does. Each row's third cell names the compiled code that
//! shows it (`path:anchor`); [`broken_cells`] resolves every one of them
//! with mdBook's anchor rules, so a row cannot outlive its code.

use std::io::Write;
use std::path::Path;

use crate::book::includes;
use crate::error::AppError;

/// Every sheet, by name, in the order `mastery cheatsheet` lists them: the
/// four the roadmap names, then one per remaining part of each area.
pub const SHEETS: [(&str, &str); 10] = [
    (
        "decorators",
        include_str!("../../showcase/cheatsheets/decorators.md"),
    ),
    ("async", include_str!("../../showcase/cheatsheets/async.md")),
    (
        "memory",
        include_str!("../../showcase/cheatsheets/memory.md"),
    ),
    (
        "testing",
        include_str!("../../showcase/cheatsheets/testing.md"),
    ),
    ("core", include_str!("../../showcase/cheatsheets/core.md")),
    ("perf", include_str!("../../showcase/cheatsheets/perf.md")),
    (
        "concurrency",
        include_str!("../../showcase/cheatsheets/concurrency.md"),
    ),
    (
        "patterns",
        include_str!("../../showcase/cheatsheets/patterns.md"),
    ),
    (
        "tooling",
        include_str!("../../showcase/cheatsheets/tooling.md"),
    ),
    (
        "interview",
        include_str!("../../showcase/cheatsheets/interview.md"),
    ),
];

/// The sheets folder, from the root of the checkout.
pub const SHEETS_DIR: &str = "showcase/cheatsheets";

/// Prints one sheet, or the list of sheets when `name` is `None`.
///
/// # Errors
/// [`AppError::Usage`] for an unknown name (with the closest one), or a
/// failure to write.
pub fn cheatsheet(out: &mut impl Write, name: Option<&str>) -> Result<u8, AppError> {
    let Some(name) = name else {
        writeln!(out, "Cheat sheets (mastery cheatsheet NAME):")?;
        for (name, text) in SHEETS {
            let summary = text
                .lines()
                .skip(1)
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            writeln!(out, "  {name:<12} {summary}")?;
        }
        return Ok(0);
    };
    let Some((_, text)) = SHEETS.iter().find(|(n, _)| *n == name) else {
        let names: Vec<&str> = SHEETS.iter().map(|(n, _)| *n).collect();
        let closest = mastery_kit::select::closest(name, names.iter().copied())
            .map(|n| format!(" (did you mean `{n}`?)"))
            .unwrap_or_default();
        return Err(AppError::usage(format!(
            "no cheat sheet `{name}`{closest}; there are: {}",
            names.join(", ")
        )));
    };
    out.write_all(render(text).as_bytes())?;
    Ok(0)
}

/// A sheet for the terminal: anchor comments dropped, headings underlined,
/// each table's columns padded to line up.
pub fn render(markdown: &str) -> String {
    let mut out = String::new();
    let mut table: Vec<Vec<String>> = Vec::new();
    for line in markdown.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            if !line.starts_with("|---") {
                table.push(
                    cells(line)
                        .into_iter()
                        .map(|c| c.replace('`', ""))
                        .collect(),
                );
            }
            continue;
        }
        if !table.is_empty() {
            out.push_str(&pad(&table));
            table.clear();
        }
        if line.starts_with("<!--") {
            continue;
        }
        if let Some(title) = line
            .strip_prefix("# ")
            .or_else(|| line.strip_prefix("### "))
        {
            out.push_str(title);
            out.push('\n');
            let rule = if line.starts_with("# ") { '=' } else { '-' };
            out.extend(std::iter::repeat_n(rule, title.chars().count()));
            out.push('\n');
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.trim_end().to_owned() + "\n"
}

/// The cells of a Markdown table row (escaped pipes kept as `|`).
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().expect("one cell at least").push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().expect("one cell at least").push(c),
        }
    }
    cells.into_iter().map(|c| c.trim().to_owned()).collect()
}

fn pad(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (index, row) in rows.iter().enumerate() {
        let line: Vec<String> = (0..columns)
            .map(|i| {
                let cell = row.get(i).map_or("", String::as_str);
                format!("{cell:<width$}", width = widths[i])
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}

/// Every third cell (`path:anchor`, from the root) of every sheet that does
/// not resolve, as `sheet:line: problem`.
pub fn broken_cells(root: &Path) -> Vec<String> {
    let mut broken = Vec::new();
    for (name, text) in SHEETS {
        for (index, line) in text.lines().enumerate() {
            if !line.starts_with('|') || line.starts_with("|---") {
                continue;
            }
            let row = cells(line);
            let Some(cell) = row.get(2) else { continue };
            let cell = cell.trim_matches('`');
            if cell == "Compiled in" {
                continue;
            }
            let place = format!("{SHEETS_DIR}/{name}.md:{}", index + 1);
            let Some((path, anchor)) = cell.rsplit_once(':') else {
                broken.push(format!("{place}: `{cell}` is not path:anchor"));
                continue;
            };
            match std::fs::read_to_string(root.join(path)) {
                Err(e) => broken.push(format!("{place}: cannot read {path}: {e}")),
                Ok(source) => {
                    if let Err(problem) = includes::anchored(&source, anchor) {
                        broken.push(format!("{place}: {path}: {problem}"));
                    }
                }
            }
        }
    }
    broken
}

/// Which sheet holds the rows of the topic with this slug (the id after the
/// slash), if one does.
pub fn sheet_of(slug: &str) -> Option<&'static str> {
    SHEETS
        .iter()
        .find(|(_, text)| includes::anchor_names(text).iter().any(|a| a == slug))
        .map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sheet_renders_as_aligned_columns_without_markers() {
        let md = "# Cheat sheet: x\n\nAbout.\n\n<!-- ANCHOR: t -->\n### Topic\n\n| Python | Rust | Compiled in |\n|---|---|---|\n| `a` | `bb \\| c` | `p.rs:core` |\n<!-- ANCHOR_END: t -->\n";
        let text = render(md);
        assert_eq!(
            text,
            "Cheat sheet: x\n==============\n\nAbout.\n\nTopic\n-----\n\nPython  Rust    Compiled in\n------  ------  -----------\na       bb | c  p.rs:core\n"
        );
    }

    #[test]
    fn every_registered_sheet_has_a_title_and_rows() {
        for (name, text) in SHEETS {
            assert!(text.starts_with("# Cheat sheet: "), "{name}");
            assert!(text.contains("| Python | Rust | Compiled in |"), "{name}");
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let err = cheatsheet(&mut Vec::new(), Some("asyn")).expect_err("no such sheet");
        assert!(err.to_string().contains("did you mean `async`?"), "{err}");
        let mut out = Vec::new();
        cheatsheet(&mut out, None).expect("the list");
        assert!(String::from_utf8_lossy(&out).contains("decorators"));
    }
}
