//! What can be wrong with a pipeline file, said with the place it is wrong.
//!
//! Validation never stops at the first problem: the parser, the key checks
//! and the graph checks each add [`Problem`]s to one list, and the file is
//! refused with all of them ([`Problems`]), sorted by line — the way a
//! compiler reports every error of a file, not only the first.

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column in a pipeline file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The line and column of byte `offset` in `text` (clamped to its end).
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location { line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One thing wrong with a pipeline file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file.
    pub at: Location,
    /// What is wrong and, where the fix is known, what to do.
    pub message: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: Location, message: impl Into<String>) -> Problem {
        Problem {
            at,
            message: message.into(),
        }
    }
}

/// Every problem found in one file, sorted by place; the error validation
/// returns. Its `Display` prints one `file:line:col: message` per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems {
    /// The pipeline file.
    pub file: PathBuf,
    /// The problems, by line then column.
    pub list: Vec<Problem>,
}

impl Problems {
    /// Sorts `list` by place (stable, so problems at one place keep the
    /// order they were found in).
    pub fn new(file: &Path, mut list: Vec<Problem>) -> Problems {
        list.sort_by_key(|p| p.at);
        Problems {
            file: file.to_path_buf(),
            list,
        }
    }

    /// Whether any problem's message contains `text` (for tests and callers
    /// that look for one kind).
    pub fn mentions(&self, text: &str) -> bool {
        self.list.iter().any(|p| p.message.contains(text))
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.list.len();
        writeln!(
            f,
            "{} is not a valid pipeline: {count} problem{}",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for (i, p) in self.list.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}: {}", self.file.display(), p.at, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Why a pipeline could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum DagError {
    /// The file could not be read.
    #[error("cannot read the pipeline file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file was read and is wrong: every problem, with its place.
    #[error("{0}")]
    Invalid(Problems),
    /// The state directory (cache records, logs) could not be used.
    #[error("cannot use the state directory {path}: {source}")]
    State {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

// ANCHOR: did_you_mean
/// The closest of `candidates` to `word`, when one is close enough to be
/// the intended spelling (edit distance at most a third of the length, and
/// at least one edit allowed).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let allowed = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|&(d, _)| d <= allowed)
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}
// ANCHOR_END: did_you_mean

/// `" (did you mean `x`?)"` or nothing.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}
