//! Callgrind, run and read: `valgrind --tool=callgrind` executes a program
//! on a simulated CPU and counts every instruction it executes (the `Ir`
//! event), per function, per source line and per call. Counts, not
//! samples: the same run gives the same figures on any machine of the same
//! architecture, which is why they can show a fix's gain exactly.
//!
//! [`CallgrindProfile::parse`] reads the `callgrind.out` file itself (the
//! format is documented in valgrind's manual, "Callgrind Format
//! Specification"): name compression (`fn=(3) name` once, `fn=(3)` after),
//! position compression (`+2`, `-1`, `*`), inlined files (`fi=`/`fe=`) and
//! calls (`calls=` followed by the line that carries the call's inclusive
//! cost, which is *not* the caller's own). It keeps the first event
//! (callgrind's default, `Ir`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Why a profile could not be read or taken.
#[derive(Debug, thiserror::Error)]
pub enum CallgrindError {
    /// A line of the profile breaks the format.
    #[error("callgrind output line {line}: {problem}")]
    Malformed {
        /// 1-based line number in the file.
        line: usize,
        /// What was wrong.
        problem: String,
    },
    /// No `events:` line: not a callgrind profile (or an empty file).
    #[error("not a callgrind profile: no `events:` line (is this a callgrind.out file?)")]
    NoEvents,
    /// `valgrind` could not be started.
    #[error("cannot start valgrind ({source}); install it: sudo apt-get install valgrind")]
    Missing {
        /// The spawn error.
        source: std::io::Error,
    },
    /// valgrind or the program under it failed.
    #[error("`{command}` exited with {status}: {stderr}")]
    Failed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The end of its stderr.
        stderr: String,
    },
    /// The profile file could not be read.
    #[error("cannot read the callgrind profile {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Where a line of source is, inside which function.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineKey {
    /// The function the instructions belong to (after inlining: the
    /// out-of-line function).
    pub function: String,
    /// The source file the line table names (an inlined callee's file).
    pub file: String,
    /// 1-based line; 0 when callgrind had no line.
    pub line: u64,
}

/// A parsed callgrind profile, in the first event's unit (`Ir`: executed
/// instructions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallgrindProfile {
    /// The event names of the `events:` line (`["Ir"]` by default).
    pub events: Vec<String>,
    /// The `totals:` or `summary:` figure, when the file has one.
    pub stated_total: Option<u64>,
    self_cost: HashMap<String, u64>,
    calls: HashMap<(String, String), u64>,
    lines: HashMap<LineKey, u64>,
}

/// The parser's running state: the compressed names seen, the current
/// function and file, the last position, a pending call.
#[derive(Default)]
struct Reader {
    files: HashMap<String, String>,
    functions: HashMap<String, String>,
    objects: HashMap<String, String>,
    file: String,
    inline_file: Option<String>,
    function: Option<String>,
    callee: Option<String>,
    pending_call: Option<String>,
    positions: usize,
    last: Vec<u64>,
}

impl CallgrindProfile {
    /// Reads a callgrind profile from its text.
    ///
    /// # Errors
    /// [`CallgrindError::Malformed`] naming the first bad line,
    /// [`CallgrindError::NoEvents`] when there is no `events:` line.
    pub fn parse(text: &str) -> Result<CallgrindProfile, CallgrindError> {
        let mut profile = CallgrindProfile::default();
        let mut r = Reader {
            positions: 1,
            last: vec![0],
            ..Reader::default()
        };
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim_end();
            let bad = |problem: String| CallgrindError::Malformed {
                line: index + 1,
                problem,
            };
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '*')) {
                profile.cost_line(&mut r, line).map_err(bad)?;
            } else if let Some((key, value)) = line
                .split_once('=')
                .filter(|(key, _)| key.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                // `fn=…`; a header's value may hold a `=` of its own
                // (`desc: Trigger: --dump-after=f`), its key never.
                profile.spec_line(&mut r, key, value).map_err(bad)?;
            } else if let Some((key, value)) = line.split_once(':') {
                profile
                    .header_line(&mut r, key, value.trim())
                    .map_err(bad)?;
            } else {
                return Err(bad(format!(
                    "`{}` is neither a header (`key: value`), a spec (`fn=`, `calls=`, …) nor a cost line",
                    clip(line)
                )));
            }
        }
        if r.pending_call.is_some() {
            return Err(CallgrindError::Malformed {
                line: text.lines().count(),
                problem: "the file ends after a `calls=` line, without the call's cost line".into(),
            });
        }
        if profile.events.is_empty() {
            return Err(CallgrindError::NoEvents);
        }
        Ok(profile)
    }

    fn header_line(&mut self, r: &mut Reader, key: &str, value: &str) -> Result<(), String> {
        match key {
            "events" => {
                self.events = value.split_whitespace().map(str::to_owned).collect();
                if self.events.is_empty() {
                    return Err("`events:` names no event".into());
                }
            }
            "positions" => {
                let names: Vec<&str> = value.split_whitespace().collect();
                if names.is_empty() || names.iter().any(|p| !matches!(*p, "line" | "instr")) {
                    return Err(format!(
                        "`positions: {value}`: expected `line`, `instr` or `instr line`"
                    ));
                }
                r.positions = names.len();
                r.last = vec![0; names.len()];
            }
            "summary" | "totals" => {
                let first = value.split_whitespace().next().unwrap_or("");
                self.stated_total = Some(
                    first
                        .parse()
                        .map_err(|_| format!("`{key}: {value}`: not a count"))?,
                );
            }
            // version, creator, pid, cmd, part, desc, thread, event:
            // informative only.
            _ => {}
        }
        Ok(())
    }

    fn spec_line(&mut self, r: &mut Reader, key: &str, value: &str) -> Result<(), String> {
        match key {
            "fl" | "fi" | "fe" => {
                let file = expand(&mut r.files, value)?;
                if key == "fl" {
                    r.file = file;
                    r.inline_file = None;
                } else {
                    r.inline_file = Some(file);
                }
            }
            "cfi" | "cfl" => {
                expand(&mut r.files, value)?;
            }
            "ob" | "cob" => {
                expand(&mut r.objects, value)?;
            }
            "fn" => {
                self.check_no_pending(r, key)?;
                r.function = Some(expand(&mut r.functions, value)?);
                r.inline_file = None;
            }
            "cfn" => r.callee = Some(expand(&mut r.functions, value)?),
            "calls" => {
                self.check_no_pending(r, key)?;
                let count = value.split_whitespace().next().unwrap_or("");
                count
                    .parse::<u64>()
                    .map_err(|_| format!("`calls={value}`: the call count is not a number"))?;
                let callee = r
                    .callee
                    .take()
                    .ok_or("`calls=` without a `cfn=` naming the called function")?;
                r.pending_call = Some(callee);
            }
            // Jumps (--collect-jumps) are not costs of a line.
            "jump" | "jcnd" => {}
            other => return Err(format!("unknown specification `{other}=`")),
        }
        Ok(())
    }

    fn check_no_pending(&self, r: &Reader, key: &str) -> Result<(), String> {
        if r.pending_call.is_some() {
            return Err(format!(
                "`{key}=` where the cost line of the preceding `calls=` should be"
            ));
        }
        Ok(())
    }

    fn cost_line(&mut self, r: &mut Reader, line: &str) -> Result<(), String> {
        let function = r
            .function
            .clone()
            .ok_or("a cost line before any `fn=` line")?;
        if self.events.is_empty() {
            return Err("a cost line before the `events:` line".into());
        }
        let mut fields = line.split_whitespace();
        for column in 0..r.positions {
            let text = fields.next().ok_or("a cost line without its position")?;
            r.last[column] = position(text, r.last[column])?;
        }
        // The first event; a missing one is a zero.
        let cost = match fields.next() {
            None => 0,
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| format!("`{text}` in `{}` is not a count", clip(line)))?,
        };
        for text in fields {
            text.parse::<u64>()
                .map_err(|_| format!("`{text}` in `{}` is not a count", clip(line)))?;
        }
        if let Some(callee) = r.pending_call.take() {
            *self.calls.entry((function, callee)).or_default() += cost;
            return Ok(());
        }
        *self.self_cost.entry(function.clone()).or_default() += cost;
        let file = r.inline_file.clone().unwrap_or_else(|| r.file.clone());
        let line = r.last[r.positions - 1];
        *self
            .lines
            .entry(LineKey {
                function,
                file,
                line,
            })
            .or_default() += cost;
        Ok(())
    }

    /// Every instruction counted: the stated total, else the sum of the
    /// functions' own costs.
    pub fn total(&self) -> u64 {
        self.stated_total
            .unwrap_or_else(|| self.self_cost.values().sum())
    }

    /// The `n` functions with the highest own (exclusive) cost, highest
    /// first: callgrind_annotate's default table.
    pub fn top_self(&self, n: usize) -> Vec<(String, u64)> {
        top(self.self_cost.iter().map(|(f, &c)| (f.clone(), c)), n)
    }

    /// The inclusive cost of each function called by a function `caller`
    /// accepts, summed per callee, highest first: cProfile's `cumtime` of
    /// the callees.
    pub fn callees(&self, caller: impl Fn(&str) -> bool) -> Vec<(String, u64)> {
        let mut by_callee: HashMap<&str, u64> = HashMap::new();
        for ((from, to), &cost) in &self.calls {
            if caller(from) {
                *by_callee.entry(to).or_default() += cost;
            }
        }
        top(
            by_callee.into_iter().map(|(f, c)| (f.to_owned(), c)),
            usize::MAX,
        )
    }

    /// The own cost of each source line executed in functions `function`
    /// accepts, highest first: line_profiler's table. Inlined code counts
    /// at its own file and line.
    pub fn lines_in(&self, function: impl Fn(&str) -> bool, n: usize) -> Vec<(LineKey, u64)> {
        top(
            self.lines
                .iter()
                .filter(|(k, _)| function(&k.function))
                .map(|(k, &c)| (k.clone(), c)),
            n,
        )
    }
}

/// Resolves name compression: `(7) name` defines id 7, `(7)` refers to it,
/// a plain name is itself.
fn expand(names: &mut HashMap<String, String>, value: &str) -> Result<String, String> {
    let Some(rest) = value.strip_prefix('(') else {
        return Ok(value.to_owned());
    };
    let (id, name) = rest
        .split_once(')')
        .ok_or_else(|| format!("`{}`: a name id without its `)`", clip(value)))?;
    let name = name.trim_start();
    if name.is_empty() {
        return names
            .get(id)
            .cloned()
            .ok_or_else(|| format!("name id ({id}) is used before it is defined"));
    }
    names.insert(id.to_owned(), name.to_owned());
    Ok(name.to_owned())
}

/// A position column: absolute (decimal or `0x` hex), relative (`+n`,
/// `-n`) or the same as before (`*`).
fn position(text: &str, last: u64) -> Result<u64, String> {
    let number = |digits: &str| {
        match digits.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => digits.parse(),
        }
        .map_err(|_| format!("`{text}` is not a position"))
    };
    if text == "*" {
        Ok(last)
    } else if let Some(d) = text.strip_prefix('+') {
        last.checked_add(number(d)?)
            .ok_or_else(|| format!("position `{text}` overflows"))
    } else if let Some(d) = text.strip_prefix('-') {
        last.checked_sub(number(d)?)
            .ok_or_else(|| format!("position `{text}` goes below zero"))
    } else {
        number(text)
    }
}

fn top<K: Ord>(items: impl Iterator<Item = (K, u64)>, n: usize) -> Vec<(K, u64)> {
    let mut all: Vec<_> = items.collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    all.truncate(n);
    all
}

fn clip(line: &str) -> String {
    const MAX: usize = 60;
    match line.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

/// A finished callgrind run: a profile per dump and the program's stdout.
#[derive(Debug, Clone)]
pub struct CallgrindRun {
    /// What callgrind counted: one profile per `--dump-after` dump, in
    /// order, or the one profile written at exit.
    pub parts: Vec<CallgrindProfile>,
    /// What the program printed.
    pub stdout: String,
    /// How long the run took (valgrind's start included).
    pub elapsed: Duration,
}

/// What callgrind counts, and when it writes a profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallgrindOptions<'a> {
    /// Count only inside functions matching this pattern (`*` wildcards;
    /// `--toggle-collect`): the program's start-up stays out of the figures.
    pub collect_only: Option<&'a str>,
    /// Write a profile (and start counting afresh) each time a function
    /// matching this pattern returns (`--dump-after`): one run, a profile
    /// per call.
    pub dump_after: Option<&'a str>,
}

/// Runs `program args…` under callgrind, writing the profiles into `dir`,
/// and reads them back.
///
/// # Errors
/// [`CallgrindError::Missing`] when `valgrind` cannot be started (the
/// message names the install command), [`CallgrindError::Failed`] when it
/// or the program fails, and the parse errors.
pub fn run_callgrind(
    program: &Path,
    args: &[String],
    options: CallgrindOptions<'_>,
    dir: &Path,
) -> Result<CallgrindRun, CallgrindError> {
    let out = dir.join("callgrind.out");
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg("--quiet")
        .arg(format!("--callgrind-out-file={}", out.display()));
    if let Some(pattern) = options.collect_only {
        command.arg(format!("--toggle-collect={pattern}"));
    }
    if let Some(pattern) = options.dump_after {
        command.arg(format!("--dump-after={pattern}"));
    }
    command.arg(program).args(args);
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|source| CallgrindError::Missing { source })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
        return Err(CallgrindError::Failed {
            command: format!(
                "valgrind --tool=callgrind {} {}",
                program.display(),
                args.join(" ")
            ),
            status: output.status,
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    // Dumps go to `callgrind.out.1`, `.2`, …; the file without a number
    // holds what was left at exit.
    let mut files: Vec<PathBuf> = (1..)
        .map(|part| dir.join(format!("callgrind.out.{part}")))
        .take_while(|path| path.exists())
        .collect();
    if files.is_empty() {
        files.push(out);
    }
    let parts = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| CallgrindError::Read {
                path: path.clone(),
                source,
            })?;
            CallgrindProfile::parse(&text)
        })
        .collect::<Result<_, _>>()?;
    Ok(CallgrindRun {
        parts,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        elapsed,
    })
}

/// Whether `valgrind --version` runs: the demo and the tests skip callgrind
/// (saying how to install it) when it does not.
pub fn valgrind_version() -> Option<String> {
    let output = Command::new("valgrind").arg("--version").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
