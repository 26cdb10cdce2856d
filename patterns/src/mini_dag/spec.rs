//! The pipeline file: what a task is, and how a TOML file becomes tasks.
//!
//! ```toml
//! [pipeline]                 # optional
//! name = "build"             # default: the file's stem
//! concurrency = 4            # tasks at once; default: one per core
//! state_dir = ".mastery-dag" # cache records and logs, beside the file
//!
//! [[task]]
//! id = "compile"
//! run = "cc -o out/app src/main.c"   # a shell command (sh -c) ...
//! # builtin = "sleep 50ms"           # ... or a built-in: noop, sleep D, fail, flaky N
//! deps = ["fetch"]
//! retries = 2                # attempts after the first, backing off
//! backoff = "100ms"          # first retry delay (then doubling, jittered)
//! timeout = "30s"            # per attempt
//! env = { CFLAGS = "-O2" }
//! inputs = ["src/main.c"]    # hashed into the cache key
//! outputs = ["out/app"]      # checked after a run, hashed for dependents
//! ```
//!
//! Parsing goes through `toml`'s serde support with [`Spanned`] keys and
//! values, so every problem names its line. Each key is checked by hand
//! rather than by `#[serde(deny_unknown_fields)]`, which would stop at the
//! first unknown key; here every bad key, wrong type and missing field is
//! collected, and the tasks that still have an id go on to the graph checks.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::Value;

use super::problem::{Location, Problem, suggestion};

/// What a task does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    /// A command run with `sh -c`, in the pipeline file's directory.
    Shell(String),
    /// A built-in, run inside the process (no process started).
    Builtin(Builtin),
}

/// The built-in actions: enough to build pipelines for tests and timings
/// without starting processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// Succeeds at once.
    Noop,
    /// Sleeps, then succeeds.
    Sleep(Duration),
    /// Always fails.
    Fail,
    /// Fails its first `n` attempts in each run, then succeeds.
    Flaky(u32),
}

impl Builtin {
    /// Parses `noop`, `sleep 50ms`, `fail` or `flaky 2`.
    ///
    /// # Errors
    /// A message saying which forms exist.
    pub fn parse(text: &str) -> Result<Builtin, String> {
        let mut words = text.split_whitespace();
        let name = words.next().unwrap_or("");
        let arg = words.next();
        let builtin = match (name, arg) {
            ("noop", None) => Builtin::Noop,
            ("fail", None) => Builtin::Fail,
            ("sleep", Some(d)) => Builtin::Sleep(parse_duration(d)?),
            ("flaky", Some(n)) => Builtin::Flaky(
                n.parse()
                    .map_err(|_| format!("`flaky {n}`: the count must be a whole number"))?,
            ),
            _ => {
                return Err(format!(
                    "unknown builtin `{text}`{}: use `noop`, `sleep 50ms`, `fail` or `flaky 2`",
                    suggestion(name, ["noop", "sleep", "fail", "flaky"])
                ));
            }
        };
        if words.next().is_some() {
            return Err(format!("builtin `{text}` has too many words"));
        }
        Ok(builtin)
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Builtin::Noop => write!(f, "noop"),
            Builtin::Sleep(d) => write!(f, "sleep {}ms", d.as_millis()),
            Builtin::Fail => write!(f, "fail"),
            Builtin::Flaky(n) => write!(f, "flaky {n}"),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Shell(command) => write!(f, "sh -c {command:?}"),
            Action::Builtin(b) => write!(f, "builtin {b}"),
        }
    }
}

/// One task of a pipeline, as the file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    /// Unique id, named by other tasks' `deps`.
    pub id: String,
    /// What it does.
    pub action: Action,
    /// Ids of the tasks that must succeed first.
    pub deps: Vec<String>,
    /// Attempts after the first one fails.
    pub retries: u32,
    /// The first retry's delay; later ones double (the interview `Backoff`).
    pub backoff: Duration,
    /// Limit on each attempt.
    pub timeout: Option<Duration>,
    /// Variables added to the command's environment.
    pub env: BTreeMap<String, String>,
    /// Files read, relative to the pipeline file; hashed into the cache key.
    pub inputs: Vec<PathBuf>,
    /// Files written, relative to the pipeline file.
    pub outputs: Vec<PathBuf>,
    /// Where the task's `id` is (or its table, without one).
    pub at: Location,
    /// Where its `deps` list is (its table, without one).
    pub deps_at: Location,
}

impl TaskSpec {
    /// A task with defaults: no deps, no retries, no timeout, no files.
    pub fn new(id: impl Into<String>, action: Action) -> TaskSpec {
        TaskSpec {
            id: id.into(),
            action,
            deps: Vec::new(),
            retries: 0,
            backoff: DEFAULT_BACKOFF,
            timeout: None,
            env: BTreeMap::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            at: Location::default(),
            deps_at: Location::default(),
        }
    }

    /// The same task depending on `deps`.
    pub fn after<'a>(mut self, deps: impl IntoIterator<Item = &'a str>) -> TaskSpec {
        self.deps.extend(deps.into_iter().map(str::to_owned));
        self
    }
}

/// The first retry's delay when a task sets none.
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(100);
/// The default state directory, beside the pipeline file.
pub const DEFAULT_STATE_DIR: &str = ".mastery-dag";

/// A pipeline file, parsed; not yet checked as a graph (see
/// [`validate`](super::validate::validate)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Its name: `[pipeline] name`, else the file's stem.
    pub name: String,
    /// The file it came from (shown in problems).
    pub file: PathBuf,
    /// The directory commands run in and paths are relative to.
    pub base_dir: PathBuf,
    /// `[pipeline] concurrency`, when set.
    pub concurrency: Option<usize>,
    /// Where cache records and logs go.
    pub state_dir: PathBuf,
    /// The tasks, in file order.
    pub tasks: Vec<TaskSpec>,
}

impl Pipeline {
    /// A pipeline built in code (tests, the demo), based in `base_dir`.
    pub fn in_dir(name: &str, base_dir: &Path, tasks: Vec<TaskSpec>) -> Pipeline {
        Pipeline {
            name: name.to_owned(),
            file: base_dir.join(format!("{name}.toml")),
            base_dir: base_dir.to_path_buf(),
            concurrency: None,
            state_dir: base_dir.join(DEFAULT_STATE_DIR),
            tasks,
        }
    }
}

const PIPELINE_KEYS: [&str; 3] = ["name", "concurrency", "state_dir"];
const TASK_KEYS: [&str; 11] = [
    "id",
    "run",
    "builtin",
    "deps",
    "retries",
    "backoff",
    "timeout",
    "env",
    "inputs",
    "outputs",
    "description",
];
const TOP_KEYS: [&str; 2] = ["pipeline", "task"];

type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    pipeline: Option<Spanned<RawTable>>,
    #[serde(default)]
    task: Vec<Spanned<RawTable>>,
}

/// Parses the text of a pipeline file at `file`: the pipeline (with every
/// task that has an id) and every problem found in its keys and values.
/// An empty problem list means the file is well-formed; the graph is
/// checked next.
pub fn parse(text: &str, file: &Path) -> (Pipeline, Vec<Problem>) {
    // `build.toml` has the parent "", which no process can run in.
    let base_dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stem = file.file_stem().map_or_else(
        || "pipeline".to_owned(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut pipeline = Pipeline {
        name: stem,
        file: file.to_path_buf(),
        state_dir: base_dir.join(DEFAULT_STATE_DIR),
        base_dir,
        concurrency: None,
        tasks: Vec::new(),
    };
    let mut problems = Vec::new();
    let at = |offset: usize| Location::of_offset(text, offset);
    // Pass 1: the top-level keys alone, with their places.
    match toml::from_str::<BTreeMap<Spanned<String>, serde::de::IgnoredAny>>(text) {
        Ok(top) => {
            for key in top.keys() {
                if !TOP_KEYS.contains(&key.get_ref().as_str()) {
                    problems.push(Problem::new(
                        at(key.span().start),
                        format!(
                            "unknown key `{}` at the top level{}: a pipeline file has a \
                             `[pipeline]` table and `[[task]]` entries",
                            key.get_ref(),
                            suggestion(key.get_ref(), TOP_KEYS)
                        ),
                    ));
                }
            }
        }
        Err(e) => return (pipeline, vec![toml_problem(text, &e)]),
    }
    // Pass 2: the two known tables, every key and value spanned.
    let raw = match toml::from_str::<RawFile>(text) {
        Ok(raw) => raw,
        Err(e) => {
            problems.push(toml_problem(text, &e));
            return (pipeline, problems);
        }
    };
    if let Some(table) = &raw.pipeline {
        read_pipeline_table(table.get_ref(), &mut pipeline, &mut problems, &at);
    }
    if raw.task.is_empty() {
        problems.push(Problem::new(
            Location { line: 1, column: 1 },
            "no tasks: add at least one `[[task]]` with an `id` and a `run` command",
        ));
    }
    for table in &raw.task {
        if let Some(task) = read_task(table, &mut problems, &at) {
            pipeline.tasks.push(task);
        }
    }
    (pipeline, problems)
}

fn toml_problem(text: &str, e: &toml::de::Error) -> Problem {
    let at = e.span().map_or(Location { line: 1, column: 1 }, |s| {
        Location::of_offset(text, s.start)
    });
    Problem::new(at, format!("not valid TOML: {}", e.message().trim()))
}

fn read_pipeline_table(
    table: &RawTable,
    pipeline: &mut Pipeline,
    problems: &mut Vec<Problem>,
    at: &impl Fn(usize) -> Location,
) {
    for (key, value) in table {
        let here = at(value.span().start);
        let mut wrong = |message: String| problems.push(Problem::new(here, message));
        match key.get_ref().as_str() {
            "name" => match string(value) {
                Ok(s) if !s.is_empty() => pipeline.name = s,
                Ok(_) => wrong("`name` is empty".into()),
                Err(m) => wrong(format!("`name` {m}")),
            },
            "concurrency" => match value.get_ref() {
                Value::Integer(n) if *n >= 1 => {
                    pipeline.concurrency = Some(usize::try_from(*n).unwrap_or(usize::MAX));
                }
                _ => wrong("`concurrency` must be a whole number of tasks, at least 1".into()),
            },
            "state_dir" => match string(value) {
                Ok(s) if !s.is_empty() => pipeline.state_dir = pipeline.base_dir.join(s),
                Ok(_) => wrong("`state_dir` is empty".into()),
                Err(m) => wrong(format!("`state_dir` {m}")),
            },
            other => problems.push(Problem::new(
                at(key.span().start),
                format!(
                    "unknown key `{other}` in [pipeline]{}; known keys: {}",
                    suggestion(other, PIPELINE_KEYS),
                    PIPELINE_KEYS.join(", ")
                ),
            )),
        }
    }
}

/// Reads one `[[task]]`; `None` when it has no usable id (reported).
fn read_task(
    table: &Spanned<RawTable>,
    problems: &mut Vec<Problem>,
    at: &impl Fn(usize) -> Location,
) -> Option<TaskSpec> {
    let table_at = at(table.span().start);
    let mut task = TaskSpec::new("", Action::Builtin(Builtin::Noop));
    task.at = table_at;
    task.deps_at = table_at;
    let (mut run, mut builtin) = (None, None);
    let mut id_ok = false;
    for (key, value) in table.get_ref() {
        let here = at(value.span().start);
        let mut wrong = |message: String| problems.push(Problem::new(here, message));
        match key.get_ref().as_str() {
            "id" => match string(value) {
                Ok(id) => match check_id(&id) {
                    Ok(()) => {
                        task.id = id;
                        task.at = here;
                        id_ok = true;
                    }
                    Err(m) => wrong(m),
                },
                Err(m) => wrong(format!("`id` {m}")),
            },
            "run" => match string(value) {
                Ok(s) if !s.trim().is_empty() => run = Some((s, here)),
                Ok(_) => wrong("`run` is an empty command".into()),
                Err(m) => wrong(format!("`run` {m}")),
            },
            "builtin" => match string(value).and_then(|s| Builtin::parse(&s)) {
                Ok(b) => builtin = Some(b),
                Err(m) => wrong(format!("`builtin`: {m}")),
            },
            "deps" => {
                task.deps_at = here;
                match strings(value) {
                    Ok(deps) => task.deps = deps,
                    Err(m) => wrong(format!("`deps` {m}")),
                }
            }
            "retries" => match value.get_ref() {
                Value::Integer(n) if (0..=100).contains(n) => {
                    task.retries = u32::try_from(*n).unwrap_or(0);
                }
                _ => wrong("`retries` must be a whole number from 0 to 100".into()),
            },
            "backoff" => match duration(value) {
                Ok(d) if d > Duration::ZERO => task.backoff = d,
                Ok(_) => wrong("`backoff` must be longer than zero".into()),
                Err(m) => wrong(format!("`backoff` {m}")),
            },
            "timeout" => match duration(value) {
                Ok(d) if d > Duration::ZERO => task.timeout = Some(d),
                Ok(_) => wrong("`timeout` must be longer than zero".into()),
                Err(m) => wrong(format!("`timeout` {m}")),
            },
            "env" => match value.get_ref() {
                Value::Table(t) => {
                    for (k, v) in t {
                        match v {
                            Value::String(s) => {
                                task.env.insert(k.clone(), s.clone());
                            }
                            _ => wrong(format!("`env.{k}` must be a string")),
                        }
                    }
                }
                _ => wrong("`env` must be a table such as { KEY = \"value\" }".into()),
            },
            "inputs" => match strings(value) {
                Ok(v) => task.inputs = v.into_iter().map(PathBuf::from).collect(),
                Err(m) => wrong(format!("`inputs` {m}")),
            },
            "outputs" => match strings(value) {
                Ok(v) => task.outputs = v.into_iter().map(PathBuf::from).collect(),
                Err(m) => wrong(format!("`outputs` {m}")),
            },
            "description" => {
                if let Err(m) = string(value) {
                    wrong(format!("`description` {m}"));
                }
            }
            other => problems.push(Problem::new(
                at(key.span().start),
                format!(
                    "unknown key `{other}` in a [[task]]{}; known keys: {}",
                    suggestion(other, TASK_KEYS),
                    TASK_KEYS.join(", ")
                ),
            )),
        }
    }
    let name = if id_ok {
        format!("task `{}`", task.id)
    } else {
        "a [[task]]".to_owned()
    };
    match (run, builtin) {
        (Some((command, _)), None) => task.action = Action::Shell(command),
        (None, Some(b)) => task.action = Action::Builtin(b),
        (Some((_, run_at)), Some(_)) => problems.push(Problem::new(
            run_at,
            format!("{name} has both `run` and `builtin`: keep one"),
        )),
        (None, None) => problems.push(Problem::new(
            task.at,
            format!("{name} has nothing to do: add `run = \"a shell command\"` or `builtin`"),
        )),
    }
    if !id_ok && !table.get_ref().keys().any(|k| k.get_ref() == "id") {
        problems.push(Problem::new(
            table_at,
            "a [[task]] has no `id`: add `id = \"a-name\"`",
        ));
    }
    id_ok.then_some(task)
}

/// Ids are names others write in `deps` and that become file names of the
/// cache: letters, digits, `_`, `-` and `.`, not starting with `.`.
fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("`id` is empty".into());
    }
    if id.starts_with('.')
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "id `{id}` may hold only letters, digits, `_`, `-` and `.` (not first)"
        ));
    }
    Ok(())
}

fn string(value: &Spanned<Value>) -> Result<String, String> {
    match value.get_ref() {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("must be a string, not {}", other.type_str())),
    }
}

fn strings(value: &Spanned<Value>) -> Result<Vec<String>, String> {
    let Value::Array(items) = value.get_ref() else {
        return Err(format!(
            "must be a list of strings, not {}",
            value.get_ref().type_str()
        ));
    };
    items
        .iter()
        .map(|v| match v {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::String(_) => Err("holds an empty string".to_owned()),
            other => Err(format!("must hold strings, not {}", other.type_str())),
        })
        .collect()
}

fn duration(value: &Spanned<Value>) -> Result<Duration, String> {
    match value.get_ref() {
        Value::String(s) => parse_duration(s),
        Value::Integer(n) if *n >= 0 => Ok(Duration::from_secs(n.unsigned_abs())),
        Value::Float(x) if x.is_finite() && *x >= 0.0 => Ok(Duration::from_secs_f64(*x)),
        _ => Err("must be a duration such as \"500ms\", \"30s\" or \"2m\"".into()),
    }
}

/// Parses `250ms`, `1.5s`, `2m` or `1h`.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    let value: f64 = number.parse().unwrap_or(f64::NAN);
    let seconds = value * scale;
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(format!(
            "`{text}` is not a duration such as \"500ms\", \"30s\" or \"2m\""
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}
