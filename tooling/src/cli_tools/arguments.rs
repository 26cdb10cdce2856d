//! The arguments of each subcommand, and how the flags become the top
//! layer of the settings ([`Cli::overrides`]).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mastery_kit::Mode;

use super::{Cli, Command};
use crate::config_management::Overrides;
use crate::logging_examples::LogLevel;

/// The engines of `mastery mapreduce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MapreduceEngine {
    /// One thread, one hash map: the reference
    Single,
    /// rayon: threads of this process (fold/reduce of hash maps)
    Rayon,
    /// Worker processes (`mastery worker`) fed over pipes: the multiprocessing analogue
    Processes,
    /// timely dataflow: worker threads, and processes on one host or many
    Timely,
}

/// Arguments of `mastery mapreduce`.
#[derive(Debug, Args, Clone)]
pub struct MapreduceArgs {
    /// Which engine counts
    #[arg(long, value_enum, default_value_t = MapreduceEngine::Rayon)]
    pub engine: MapreduceEngine,
    /// Count your own files instead of a generated corpus: files, directories (recursive, sorted; hidden entries and symlinks inside them skipped) or `-` for stdin
    #[arg(
        long,
        num_args = 1..,
        value_name = "PATH",
        conflicts_with_all = ["bytes", "seed", "vocabulary"]
    )]
    pub input: Vec<PathBuf>,
    /// Generated corpus size, not with --input: bytes, or with a unit (kB, MB, GB = powers of 1000; KiB, MiB, GiB)
    #[arg(long, default_value = "100MB", value_parser = parse_size, value_name = "SIZE")]
    pub bytes: u64,
    /// Seed of the corpus generator (same seed, same corpus, on every process and host; not with --input)
    #[arg(long, default_value_t = 42, value_name = "N")]
    pub seed: u64,
    /// Distinct words in the generated vocabulary (Zipf-distributed; not with --input)
    #[arg(long, default_value_t = 50_000, value_name = "N")]
    pub vocabulary: usize,
    /// Threads (rayon), worker processes (processes) or worker threads per process (timely) [default: one per core]
    #[arg(short = 'w', long, visible_alias = "threads", value_name = "N")]
    pub workers: Option<usize>,
    /// Bytes per chunk handed to a worker [default: about 64 chunks per worker, 64 KiB to 1 MiB]
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub chunk_bytes: Option<u64>,
    /// timely: how many processes take part
    #[arg(short = 'n', long, value_name = "N")]
    pub processes: Option<usize>,
    /// timely: this process's index, 0 to N-1
    #[arg(short = 'p', long, value_name = "I")]
    pub process: Option<usize>,
    /// timely: HOST:PORT of each process, one per line in process order [default: 127.0.0.1:2101, :2102, …]
    #[arg(long, value_name = "FILE")]
    pub hostfile: Option<PathBuf>,
    /// timely: give up when the peers are not all connected after this many seconds
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub connect_timeout: f64,
    /// Print the K most frequent words (0: none)
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub top: usize,
    /// Also write every word and its count to FILE (TSV, most frequent first)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What `mastery setup` installs.
#[derive(Debug, Subcommand, Clone)]
pub enum SetupCommand {
    /// A venv in perf/python/.venv with maturin and NumPy, and the kit's PyO3 extension built into it
    #[command(
        after_help = "Runs, with progress on stderr:\n  python3 -m venv perf/python/.venv\n  .venv/bin/pip install maturin numpy\n  maturin develop --release   (in perf/python)\nthen checks that numpy and mastery_kernels import. Needs Python 3.9+ and network access to PyPI.\nExit codes: 0 ready, 1 a step failed (its output is shown), 2 usage error (no Python, no perf/python)."
    )]
    Python(SetupPythonArgs),
}

/// Arguments of `mastery setup python`.
#[derive(Debug, Args, Clone)]
pub struct SetupPythonArgs {
    /// The interpreter that creates the venv [default: the `python` setting, else python3]
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Delete an existing venv first and build everything again
    #[arg(long)]
    pub fresh: bool,
}

/// What `mastery kata` does.
#[derive(Debug, Subcommand, Clone)]
pub enum KataCommand {
    /// The katas: id, what you implement, the kit's textbook answer, the ladder
    List,
    /// Write a starter crate: the API with todo!() bodies, a README, the kit's tests
    #[command(
        after_help = "Examples:\n  mastery kata new lru-cache              # writes ./kata-lru-cache\n  mastery kata new lru-cache /tmp/k && cd /tmp/k && cargo test\n\nThe starter is its own cargo workspace; it depends on the kit's kata crate by path and copies the kit's Cargo.lock, so it builds offline once the kit has.\nExit codes: 0 written, 1 DIR exists (nothing is written) or a write failed, 2 unknown kata id."
    )]
    New(KataNewArgs),
    /// Run the kit's tests on your kata (cargo test), then time your code on the kit's ladder
    #[command(
        after_help = "Examples:\n  mastery kata check                      # the kata in the current directory\n  mastery kata check /tmp/k --quick\n  MASTERY_KATA_TARGET_DIR=/tmp/kt mastery kata check /tmp/k\n\nBuilds in DIR/target, or in a directory of its own under $MASTERY_KATA_TARGET_DIR; never in an inherited CARGO_TARGET_DIR.\nExit codes: 0 the tests passed and the ladder ran, 1 a test failed or the ladder failed, 2 DIR is not a kata (no kata.toml)."
    )]
    Check(KataCheckArgs),
}

/// Arguments of `mastery kata new`.
#[derive(Debug, Args, Clone)]
pub struct KataNewArgs {
    /// The kata's id (`mastery kata list`)
    #[arg(value_name = "ID")]
    pub id: String,
    /// Where to write the starter; must not exist [default: ./kata-ID]
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Write the kit's textbook answer instead of the todo!() starter (CI, and the kit's own check)
    #[arg(long, hide = true)]
    pub solution: bool,
}

/// Arguments of `mastery kata check`.
#[derive(Debug, Args, Clone)]
pub struct KataCheckArgs {
    /// The kata's directory (where `mastery kata new` wrote it)
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// A short ladder: few samples, small inputs (no verdicts)
    #[arg(long, conflicts_with = "deep")]
    pub quick: bool,
    /// A long ladder: more samples
    #[arg(long)]
    pub deep: bool,
}

/// Arguments of the hidden `mastery worker`.
#[derive(Debug, Args, Clone)]
pub struct WorkerArgs {
    /// The worker's index in its pool (named in errors)
    #[arg(long, default_value_t = 0, value_name = "I")]
    pub index: usize,
}

/// Arguments of the hidden `mastery profile-workload`.
#[derive(Debug, Args, Clone)]
pub struct ProfileWorkloadArgs {
    /// The customer stage: `planted` (a linear scan per order, the hotspot) or `fixed` (a hash set); repeat to run several in turn
    #[arg(long = "variant", default_value = "planted", value_parser = ["planted", "fixed"], value_name = "VARIANT")]
    pub variants: Vec<String>,
    /// Orders in the generated log
    #[arg(long, default_value_t = 20_000, value_name = "N")]
    pub orders: usize,
    /// Distinct customers among them
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    pub customers: usize,
    /// Times to summarize the log
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub repeat: usize,
}

// ANCHOR: parse_size
/// Parses `100MB`, `64KiB`, `1_000_000` or `2GB` into bytes.
///
/// # Errors
/// A message naming what was expected, for clap to print.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let cleaned: String = text.trim().chars().filter(|&c| c != '_').collect();
    let split = cleaned
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(cleaned.len());
    let (digits, unit) = cleaned.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{text}`: use B, kB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 4096, 64KiB or 100MB"))?;
    value
        .checked_mul(multiplier)
        .ok_or_else(|| format!("`{text}` is too large"))
}
// ANCHOR_END: parse_size

/// The input formats of `mastery parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ParseFormat {
    /// RFC 8259 JSON (one value, or JSON Lines with --json-lines)
    Json,
    /// RFC 4180 CSV and the usual dialect options
    Csv,
    /// XML 1.0 in UTF-8 or UTF-16, well-formedness and namespaces checked
    Xml,
}

impl ParseFormat {
    /// The lowercase name, as typed on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ParseFormat::Json => "json",
            ParseFormat::Csv => "csv",
            ParseFormat::Xml => "xml",
        }
    }
}

/// Arguments of `mastery parse`.
#[derive(Debug, Args, Clone)]
pub struct ParseArgs {
    /// Input format
    #[arg(value_enum)]
    pub format: ParseFormat,
    /// The file to read; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-")]
    pub input: Option<PathBuf>,
    /// Print every event as a JSON object per line (summary goes to stderr)
    #[arg(long, conflicts_with = "records")]
    pub events: bool,
    /// CSV: print each record as a JSON array of strings, one per line
    #[arg(long)]
    pub records: bool,
    /// JSON: accept many whitespace-separated values (JSON Lines)
    #[arg(long)]
    pub json_lines: bool,
    /// CSV: the first record is a header
    #[arg(long)]
    pub header: bool,
    /// CSV: allow records with differing field counts
    #[arg(long)]
    pub flexible: bool,
    /// CSV: field delimiter
    #[arg(long, default_value_t = ',', value_name = "CHAR")]
    pub delimiter: char,
    /// CSV: quote character
    #[arg(long, default_value_t = '"', value_name = "CHAR")]
    pub quote: char,
    /// XML: plain XML 1.0 names, no namespace processing (`a:b:c` is a name)
    #[arg(long)]
    pub no_namespaces: bool,
}

/// Arguments of `mastery book`.
#[derive(Debug, Args, Clone)]
pub struct BookArgs {
    /// Only compare the committed pages with the lessons and check includes; write nothing
    #[arg(long, conflicts_with = "no_build")]
    pub check: bool,
    /// Write the pages and check includes, but do not run mdbook
    #[arg(long)]
    pub no_build: bool,
    /// The kit's checkout [default: the current directory]
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// Arguments of `mastery dag`.
#[derive(Debug, Args, Clone)]
pub struct DagArgs {
    /// The pipeline file (TOML; see patterns/dags/ for examples)
    #[arg(value_name = "FILE.toml")]
    pub file: PathBuf,
    /// Print the graph as Graphviz DOT (pipe into `dot -Tsvg`)
    #[arg(long, conflicts_with_all = ["mermaid", "run"])]
    pub dot: bool,
    /// Print the graph as a Mermaid flowchart
    #[arg(long, conflicts_with = "run")]
    pub mermaid: bool,
    /// Run the pipeline: parallel, retried, cached; then the timeline
    #[arg(long)]
    pub run: bool,
    /// With --run: run every task, ignoring the cache
    #[arg(long, requires = "run")]
    pub force: bool,
    /// With --run: tasks at once [default: the file's concurrency, else one per core]
    #[arg(short = 'j', long, requires = "run", value_name = "N")]
    pub jobs: Option<usize>,
    /// With --run: print the timeline as JSON instead of text (progress goes to stderr)
    #[arg(long, requires = "run")]
    pub json: bool,
}

/// The ways `mastery plugins --kind` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PluginKindArg {
    /// Registered at compile time with inventory
    Compiled,
    /// A cdylib loaded through the versioned C ABI
    Library,
    /// A mastery-<name> executable speaking the line protocol
    Executable,
}

/// Arguments of `mastery plugins`.
#[derive(Debug, Args, Clone)]
pub struct PluginsArgs {
    /// Also look here for plugin libraries (libmastery_plugin_*.so, .dylib; mastery_plugin_*.dll) and mastery-<name> executables
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Call the plugin NAME on INPUT and print its answer, instead of listing
    #[arg(long, num_args = 2, value_names = ["NAME", "INPUT"])]
    pub run: Option<Vec<String>>,
    /// With --run: take the plugin found this way when several share the name [default: the first found]
    #[arg(long, value_enum, requires = "run")]
    pub kind: Option<PluginKindArg>,
    /// Seconds an executable plugin may take for its handshake and each answer
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub timeout: f64,
}

/// How demos run.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Small inputs and few samples: checks every story runs (no verdicts)
    #[arg(long, conflicts_with_all = ["full", "deep"])]
    pub quick: bool,
    /// Sizes that show the trade-offs, about a minute for the tour [the default]
    #[arg(long, conflicts_with = "deep")]
    pub full: bool,
    /// The long measurements: the largest inputs and 21 samples (minutes)
    #[arg(long)]
    pub deep: bool,
    /// Timed samples per measurement in full and deep mode (1–1000) [default: full 9, deep 21]
    #[arg(long, value_name = "N")]
    pub samples: Option<u32>,
    /// Use this Redis server instead of spawning a local redis-server
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
}

impl Cli {
    /// The flags that override lower configuration layers.
    pub fn overrides(&self) -> Overrides {
        let run = match &self.command {
            Command::Run { run, .. } | Command::Tour { run, .. } => run.clone(),
            Command::List { .. }
            | Command::Explain { .. }
            | Command::Parse(_)
            | Command::Mapreduce(_)
            | Command::Dag(_)
            | Command::Setup(_)
            | Command::Plugins(_)
            | Command::Book(_)
            | Command::Cheatsheet { .. }
            | Command::Kata(_)
            | Command::Worker(_)
            | Command::ProfileWorkload(_) => RunArgs::default(),
        };
        Overrides {
            mode: if run.quick {
                Some(Mode::Quick)
            } else if run.full {
                Some(Mode::Full)
            } else if run.deep {
                Some(Mode::Deep)
            } else {
                None
            },
            samples: run.samples,
            redis_url: run.redis,
            log_format: self.global.log_format,
            log_level: LogLevel::from_verbosity(self.global.verbose),
        }
    }
}
