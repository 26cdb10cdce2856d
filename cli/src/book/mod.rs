//! `mastery book [--check] [--no-build]`: the kit as an mdBook, in
//! `showcase/book/`.
//!
//! The topic pages are generated from the registry and committed, so a
//! reader can browse them on any forge and `mdbook serve showcase/book`
//! works with no preprocessor; `--check` (and the test that runs it) fails
//! when a committed page no longer matches its topic. Every include of code
//! is resolved by [`includes`] first, because mdBook itself accepts a
//! missing file or anchor without a word. Then, unless `--no-build`,
//! `mdbook build` writes the site to `target/showcase/book/`.
//!
//! Exit codes: 0 pages current and built, 1 a page was stale (with
//! `--check`), an include is broken or the build failed, 2 usage error (not
//! in the kit's checkout, mdbook missing).

pub mod includes;
pub mod pages;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use mastery_kit::Topic;
use mastery_tooling::cli_tools::BookArgs;

use crate::error::{AppError, EXIT_FAILURE};

/// The book's folder, from the root of the kit's checkout.
pub const BOOK_DIR: &str = "showcase/book";
/// The mdBook release the book is written for (its `book.toml` keys and
/// anchor rules).
pub const MDBOOK_INSTALL: &str = "cargo install --locked mdbook@0.5.4";

/// Carries out `mastery book`; `Ok` holds the exit code.
///
/// # Errors
/// [`AppError::Usage`] outside the kit's checkout or without mdbook;
/// [`AppError::Failure`] when a page cannot be written.
pub fn book(out: &mut impl Write, topics: &[&Topic], args: &BookArgs) -> Result<u8, AppError> {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let book = root.join(BOOK_DIR);
    if !book.join("book.toml").is_file() {
        return Err(AppError::usage(format!(
            "no {BOOK_DIR}/book.toml under {}: run `mastery book` from the kit's checkout, or pass --root",
            root.display()
        )));
    }
    let src = book.join("src");
    let mut failed = false;
    if args.check {
        let stale = stale_pages(&src, topics)?;
        for problem in &stale {
            writeln!(out, "stale: {problem}")?;
        }
        if !stale.is_empty() {
            writeln!(out, "regenerate with `cargo run -- book --no-build`")?;
            failed = true;
        }
    } else {
        let (written, removed) = write_pages(&src, topics)?;
        writeln!(
            out,
            "pages: {written} written, {removed} removed, {} current",
            pages::pages(topics).len() - written
        )?;
    }
    let broken = check_includes(&src)?;
    for b in &broken {
        writeln!(out, "broken include: {b}")?;
    }
    failed |= !broken.is_empty();
    if failed {
        return Ok(EXIT_FAILURE);
    }
    writeln!(out, "includes: every file and anchor resolves")?;
    if args.check || args.no_build {
        return Ok(0);
    }
    build(out, &book)
}

/// Runs `mdbook build` on the book folder.
fn build(out: &mut impl Write, book: &Path) -> Result<u8, AppError> {
    let status = Command::new("mdbook").arg("build").arg(book).status();
    match status {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::usage(format!(
            "mdbook is not installed: `{MDBOOK_INSTALL}`, or pass --no-build to only write the pages"
        ))),
        Err(e) => Err(AppError::failure(e)),
        Ok(s) if s.success() => {
            writeln!(
                out,
                "book built in target/showcase/book/ — serve it with `mdbook serve {BOOK_DIR} --open`"
            )?;
            Ok(0)
        }
        Ok(s) => {
            writeln!(out, "mdbook build failed ({s})")?;
            Ok(EXIT_FAILURE)
        }
    }
}

/// Generated files under `src` that differ from what the registry makes,
/// are missing, or are left over from a topic that is gone.
///
/// # Errors
/// When a folder cannot be listed.
pub fn stale_pages(src: &Path, topics: &[&Topic]) -> std::io::Result<Vec<String>> {
    let mut stale = Vec::new();
    let pages = pages::pages(topics);
    for page in &pages {
        let path = src.join(&page.path);
        match std::fs::read_to_string(&path) {
            Ok(text) if text == page.text => {}
            Ok(_) => stale.push(format!("{} differs from its topic", path.display())),
            Err(_) => stale.push(format!("{} is missing", path.display())),
        }
    }
    for leftover in leftovers(src, &pages)? {
        stale.push(format!("{} belongs to no topic", leftover.display()));
    }
    Ok(stale)
}

/// Writes the pages that changed and removes generated pages of topics
/// that are gone; returns how many of each.
fn write_pages(src: &Path, topics: &[&Topic]) -> Result<(usize, usize), AppError> {
    let pages = pages::pages(topics);
    let mut written = 0;
    for page in &pages {
        let path = src.join(&page.path);
        if std::fs::read_to_string(&path).is_ok_and(|t| t == page.text) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                AppError::failure(anyhow::anyhow!("creating {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(&path, &page.text)
            .map_err(|e| AppError::failure(anyhow::anyhow!("writing {}: {e}", path.display())))?;
        written += 1;
    }
    let leftovers = leftovers(src, &pages)?;
    for path in &leftovers {
        std::fs::remove_file(path)?;
    }
    Ok((written, leftovers.len()))
}

/// Generated Markdown files (they start with the generator's comment) in
/// the area folders that no topic makes any more. Hand-written pages are
/// never touched.
fn leftovers(src: &Path, pages: &[pages::Page]) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for area in mastery_kit::Area::ALL {
        let dir = src.join(area.name());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let relative = path.strip_prefix(src).unwrap_or(&path);
            let generated = std::fs::read_to_string(&path)
                .is_ok_and(|t| t.starts_with("<!-- Generated by `cargo run -- book`"));
            if generated && !pages.iter().any(|p| p.path == relative) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Every broken include in the book's Markdown (pages, hand-written or
/// generated).
///
/// # Errors
/// When a folder or page cannot be read.
pub fn check_includes(src: &Path) -> std::io::Result<Vec<includes::Broken>> {
    let mut broken = Vec::new();
    let mut stack = vec![src.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path)?;
                broken.extend(includes::check_page(&path, &text));
            }
        }
    }
    Ok(broken)
}
