//! The reader's own files: which files `--input` names and in which order
//! ([`InputList`]), and which part of them each timely process reads
//! ([`InputList::share`]).
//!
//! The rules, in one place:
//! - A path on the command line is read as given — a file, a directory,
//!   or `-` for stdin (at most once). Symlinks named on the command line
//!   are followed, and hidden names are read: you asked for them.
//! - A directory is walked recursively, depth first, each directory's
//!   entries sorted by name (byte order): the files come in the order of
//!   their paths sorted component by component, the same on every run and
//!   every host.
//! - While walking, hidden entries (names starting with `.`: `.git`,
//!   `.cache`) are skipped, and so are symlinks (never followed: no cycles,
//!   no file counted twice through a link) and anything that is not a
//!   regular file or a directory (sockets, FIFOs, devices). What was skipped
//!   is counted ([`Skipped`]) and reported, like ripgrep's defaults without
//!   `--hidden` and `-L`.
//! - A path given twice is read twice, as `cat a a | wc -w` would.
//! - A path that cannot be examined, a file that cannot be opened, or a
//!   directory that cannot be listed is an [`InputError`] naming the path
//!   and the OS error, found while listing, before anything is counted;
//!   nothing is skipped silently.
//! - No files at all (an empty directory), or only empty ones, is no
//!   error: every count is zero, and the command warns that it is.
//! - Across timely processes, every process is given the same paths and
//!   lists them by these rules, so all see the same list; each then reads
//!   the words that start in its byte range of the list
//!   ([`InputList::share`]). The hosts must therefore see the same files at
//!   the same paths (a shared or copied tree); per-host paths are not
//!   supported, and stdin, whose size is not known in advance, works with
//!   one process only. Processes print a fingerprint of their listing, so
//!   that a difference shows.

use std::fmt;
use std::fs;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::counts::stable_hash;

/// Where one input comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputSource {
    /// Standard input, `-` on the command line.
    Stdin,
    /// A file, by the path it was named or found at.
    File(PathBuf),
}

impl fmt::Display for InputSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputSource::Stdin => f.write_str("<stdin>"),
            InputSource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// One input of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Where it is.
    pub source: InputSource,
    /// Its size when listed, for a regular file; `None` for stdin, pipes
    /// and devices, whose size is known only once they are read.
    pub size: Option<u64>,
}

/// What the walk of the directories left out, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Entries whose name starts with `.` (a hidden directory counts once,
    /// whatever it holds).
    pub hidden: usize,
    /// Symbolic links, which the walk does not follow.
    pub symlinks: usize,
    /// Sockets, FIFOs, devices: entries that are neither regular files nor
    /// directories.
    pub special: usize,
}

impl Skipped {
    /// Entries skipped, of every kind.
    pub fn total(&self) -> usize {
        self.hidden + self.symlinks + self.special
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural =
            |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        write!(
            f,
            "{} hidden {}, {} {}, {} other {}",
            self.hidden,
            plural(self.hidden, "entry", "entries"),
            self.symlinks,
            plural(self.symlinks, "symlink", "symlinks"),
            self.special,
            plural(self.special, "entry", "entries"),
        )
    }
}

/// A part of one input that one reader reads: the whole input, or the
/// words that *start* in a byte range of a file (see [`InputList::share`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPiece {
    /// The input.
    pub source: InputSource,
    /// `None`: all of it, to its end. `Some(start..end)`: the words whose
    /// first byte is at an offset in `start..end`, read to their ends.
    pub range: Option<Range<u64>>,
}

/// An input that cannot be used, or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// `-` named twice: there is one stdin.
    #[error("`-` (stdin) is named twice in --input; stdin can be read only once")]
    StdinTwice,
    /// A path that does not exist or cannot be examined or opened.
    #[error("cannot open {source_name}: {error}")]
    Open {
        /// The input.
        source_name: InputSource,
        /// The OS error.
        error: io::Error,
    },
    /// A directory that cannot be listed.
    #[error("cannot list directory {}: {error}", path.display())]
    List {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// Reading failed part-way.
    #[error("reading {source_name} failed at byte {offset}: {error}")]
    Read {
        /// The input.
        source_name: InputSource,
        /// Bytes of it read before the failure.
        offset: u64,
        /// The OS error.
        error: io::Error,
    },
    /// A run of bytes without whitespace longer than the limit: not text,
    /// or a stream with no end (`/dev/zero`). The limit keeps the memory of
    /// the reader bounded whatever it is given.
    #[error(
        "{source_name}: the word at byte {offset} is longer than {limit} bytes; words are runs of bytes between ASCII whitespace, so this is probably not text (leave it out of --input)"
    )]
    WordTooLong {
        /// The input.
        source_name: InputSource,
        /// Where the word starts (for a share that starts inside the word:
        /// where the share starts).
        offset: u64,
        /// The limit ([`MAX_WORD_BYTES`](super::MAX_WORD_BYTES) unless set otherwise).
        limit: usize,
    },
    /// Stdin, a pipe or a device in a run split across processes, which
    /// cuts inputs by their sizes.
    #[error(
        "{source_name} is not a regular file: a timely run across processes splits the inputs by byte ranges, so every input must be a regular file whose size is known in advance (count it with one process, or save it to a file first)"
    )]
    NotSplittable {
        /// The input.
        source_name: InputSource,
    },
    /// The reader thread panicked (a bug, reported rather than re-raised).
    #[error("the reader thread failed: {0}")]
    Reader(String),
}

impl InputError {
    /// Whether the inputs as named cannot be used — fix the command (exit
    /// 2) — rather than reading them failing part-way (exit 1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, InputError::Read { .. } | InputError::Reader(_))
    }
}

/// The inputs `--input` names, expanded to the files to read, in reading
/// order (the rules are in this module's docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputList {
    /// Every input, in reading order.
    pub files: Vec<InputFile>,
    /// What the walk of the directories skipped.
    pub skipped: Skipped,
}

impl InputList {
    /// Expands `paths` — files, directories, `-` for stdin — into the list
    /// of inputs to read.
    ///
    /// # Errors
    /// [`InputError::StdinTwice`]; [`InputError::Open`] for a path that does
    /// not exist or cannot be examined; [`InputError::List`] for a directory
    /// that cannot be listed. Each names the path and the OS error.
    pub fn expand(paths: &[PathBuf]) -> Result<Self, InputError> {
        let mut list = InputList::default();
        let mut stdin_named = false;
        for path in paths {
            if path.as_os_str() == "-" {
                if std::mem::replace(&mut stdin_named, true) {
                    return Err(InputError::StdinTwice);
                }
                list.files.push(InputFile {
                    source: InputSource::Stdin,
                    size: None,
                });
                continue;
            }
            // `metadata` follows symlinks: a link named on the command line
            // is read as what it points to.
            let meta = fs::metadata(path).map_err(|error| open_error(path, error))?;
            if meta.is_dir() {
                list.walk(path)?;
            } else {
                if meta.is_file() {
                    check_readable(path)?;
                }
                list.files.push(InputFile {
                    source: InputSource::File(path.clone()),
                    size: meta.is_file().then_some(meta.len()),
                });
            }
        }
        Ok(list)
    }

    /// Adds the files under `dir`, depth first, each directory's entries
    /// sorted by name.
    fn walk(&mut self, dir: &Path) -> Result<(), InputError> {
        let list_error = |error| InputError::List {
            path: dir.to_owned(),
            error,
        };
        let mut entries = fs::read_dir(dir)
            .map_err(list_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(list_error)?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                self.skipped.hidden += 1;
                continue;
            }
            // `file_type` and `metadata` of a `DirEntry` do not follow
            // symlinks, so a link is seen as a link.
            let kind = entry
                .file_type()
                .map_err(|error| open_error(&path, error))?;
            if kind.is_symlink() {
                self.skipped.symlinks += 1;
            } else if kind.is_dir() {
                self.walk(&path)?;
            } else if kind.is_file() {
                let size = entry
                    .metadata()
                    .map_err(|error| open_error(&path, error))?
                    .len();
                check_readable(&path)?;
                self.files.push(InputFile {
                    source: InputSource::File(path),
                    size: Some(size),
                });
            } else {
                self.skipped.special += 1;
            }
        }
        Ok(())
    }

    /// The total size of the inputs, when every size is known in advance
    /// (no stdin, pipes or devices).
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }

    /// A fingerprint of the listing — every path and size, in order — that
    /// is the same in every process given the same files: processes of one
    /// timely run print it, so that a mismatch is visible.
    pub fn fingerprint(&self) -> u64 {
        self.files.iter().fold(0xCBF2_9CE4_8422_2325, |acc, file| {
            let name = file.source.to_string();
            let size = file.size.map_or(u64::MAX, |s| s);
            (acc ^ stable_hash(&name))
                .rotate_left(5)
                .wrapping_add(size)
                .wrapping_mul(0x0000_0100_0000_01B3)
        })
    }

    /// Every input, whole: what a single process reads.
    pub fn pieces(&self) -> Vec<InputPiece> {
        self.files
            .iter()
            .map(|file| InputPiece {
                source: file.source.clone(),
                range: None,
            })
            .collect()
    }

    /// The share of process `part` of `parts`: the inputs, seen as one
    /// concatenation of their bytes, are cut into `parts` byte ranges of
    /// (nearly) equal size, and process `part` reads the words that *start*
    /// in its range — Hadoop's rule for input splits. A reader whose range
    /// starts inside a word skips to the word's end (the word belongs to
    /// the range it starts in); a reader whose range ends inside a word
    /// reads on to the word's end. So every word is counted by exactly one
    /// process, and no process reads more than its range plus one word at
    /// each end. Files end words, so the cuts are made file by file.
    ///
    /// One process gets every input whole.
    ///
    /// # Errors
    /// [`InputError::NotSplittable`] when there are several parts and an
    /// input's size is not known in advance (stdin, a pipe, a device).
    pub fn share(&self, part: usize, parts: usize) -> Result<Vec<InputPiece>, InputError> {
        if parts <= 1 {
            return Ok(self.pieces());
        }
        if let Some(file) = self.files.iter().find(|f| f.size.is_none()) {
            return Err(InputError::NotSplittable {
                source_name: file.source.clone(),
            });
        }
        let total = self.total_bytes().unwrap_or(0);
        let cut = |i: usize| -> u64 {
            let at = u128::from(total) * i.min(parts) as u128 / parts as u128;
            u64::try_from(at).expect("a cut lies within the total, which is a u64")
        };
        let (lo, hi) = (cut(part), cut(part + 1));
        let mut pieces = Vec::new();
        let mut file_start = 0u64;
        for file in &self.files {
            let size = file.size.unwrap_or(0);
            let file_end = file_start + size;
            let (start, end) = (lo.max(file_start), hi.min(file_end));
            if start < end {
                pieces.push(InputPiece {
                    source: file.source.clone(),
                    range: Some(start - file_start..end - file_start),
                });
            }
            file_start = file_end;
        }
        Ok(pieces)
    }
}

/// Opens a regular file and closes it again: a file that cannot be
/// opened is an error of the listing, before anything is counted — and, in
/// a run across processes, on every process, not only on the one whose
/// share holds it. (Not for FIFOs and devices: opening a FIFO waits for a
/// writer, and closing it again would cut the writer off.)
fn check_readable(path: &Path) -> Result<(), InputError> {
    fs::File::open(path)
        .map(drop)
        .map_err(|error| open_error(path, error))
}

fn open_error(path: &Path, error: io::Error) -> InputError {
    InputError::Open {
        source_name: InputSource::File(path.to_owned()),
        error,
    }
}
