//! The book in `showcase/book/` stays true to the code: every committed
//! topic page is what `mastery book` makes from the lessons today, every
//! topic has one, and every `{{#include}}` names a file and an anchor that
//! exist — mdBook itself would build a page with the sample silently gone.

use std::path::Path;

use mastery_cli::book::{self, includes};
use mastery_kit::registry;

// Link every area crate so their registrations are present.
use mastery_concurrency as _;
use mastery_core as _;
use mastery_interview as _;
use mastery_patterns as _;
use mastery_perf as _;
use mastery_testing as _;
use mastery_tooling as _;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn src() -> std::path::PathBuf {
    Path::new(ROOT).join(book::BOOK_DIR).join("src")
}

#[test]
fn committed_pages_match_the_lessons() -> Result<(), mastery_cli::AppError> {
    let stale = book::stale_pages(Path::new(ROOT), &registry())?;
    assert!(
        stale.is_empty(),
        "the book is stale; run `cargo run -- book --no-build` and commit:\n{}",
        stale.join("\n")
    );
    Ok(())
}

#[test]
fn every_topic_has_a_page_in_the_summary() -> std::io::Result<()> {
    let summary = std::fs::read_to_string(src().join("SUMMARY.md"))?;
    for t in registry() {
        let (area, slug) = t.id.split_once('/').expect("ids are area/slug");
        assert!(
            summary.contains(&format!("]({area}/{slug}.md)")),
            "{} has no page in SUMMARY.md",
            t.id
        );
    }
    Ok(())
}

#[test]
fn every_include_resolves() -> std::io::Result<()> {
    let broken = book::check_includes(&src())?;
    assert!(
        broken.is_empty(),
        "{}",
        broken
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

#[test]
fn a_renamed_anchor_is_caught() -> std::io::Result<()> {
    // The check must fail on the very mistake it exists for: a topic page
    // whose `core` anchor was renamed in the source.
    let page = src().join("interview/lru-cache.md");
    let text = std::fs::read_to_string(&page)?.replace("mod.rs:core}}", "mod.rs:core_gone}}");
    let broken = includes::check_page(&page, &text);
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert!(
        broken[0].problem.contains("no `ANCHOR: core_gone`"),
        "{}",
        broken[0]
    );
    Ok(())
}

#[test]
fn every_anchor_in_an_included_file_is_closed_once() -> std::io::Result<()> {
    // mdBook takes an unclosed anchor to the end of the file and the first
    // of two equal starts: both are bugs waiting for the next page that
    // includes another anchor of the same file.
    let mut files = std::collections::BTreeSet::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path)?;
                for (_, included, _) in includes::directives(&text) {
                    let dir = path.parent().expect("a page has a folder");
                    files.insert(std::fs::canonicalize(dir.join(included))?);
                }
            }
        }
    }
    assert!(
        files.len() >= registry().len(),
        "every topic page includes its core"
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file)?;
        let names = includes::anchor_names(&text);
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                problems.push(format!("{}: `ANCHOR: {name}` twice", file.display()));
            } else if let Err(e) = includes::anchored(&text, name) {
                problems.push(format!("{}: {e}", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    Ok(())
}

#[test]
fn every_cheat_sheet_row_names_code_that_exists() {
    let broken = mastery_cli::cheatsheet::broken_cells(Path::new(ROOT));
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_topic_is_on_exactly_one_cheat_sheet() {
    for t in registry() {
        let (_, slug) = t.id.split_once('/').expect("ids are area/slug");
        let holders: Vec<&str> = mastery_cli::cheatsheet::SHEETS
            .iter()
            .filter(|(_, text)| includes::anchor_names(text).iter().any(|a| a == slug))
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(holders.len(), 1, "{} is on the sheets {holders:?}", t.id);
    }
}
