//! # Command-line tools with `clap`
//!
//! ## Python idiom
//! `click` or `typer`: decorate functions, get subcommands, `--help`,
//! type-checked options and usage errors with exit code 2.
//!
//! ## Rust answer
//! `clap`'s derive API: the CLI *is* a type ([`Cli`]). Subcommands are enum
//! variants, options are fields, doc comments become the help text, and
//! parsing either returns a fully typed value or a usage error that already
//! knows its exit code (2) and suggests the flag you probably meant. This
//! module holds the kit's own CLI definitions, which `src/main.rs` parses;
//! the app crate (`cli/`, `mastery_cli::execute`) carries the commands out.
//!
//! ```
//! use clap::Parser;
//! use mastery_tooling::cli_tools::{Cli, Command};
//!
//! let cli = Cli::try_parse_from(["mastery", "run", "interview", "--json"])?;
//! assert!(matches!(cli.command, Command::Run { json: true, .. }));
//! let err = Cli::try_parse_from(["mastery", "tuor"]).unwrap_err();
//! assert_eq!(err.exit_code(), 2);
//! # Ok::<(), clap::Error>(())
//! ```
//!
//! ## When to use which
//! - Derive for almost everything: the type is the documentation and the
//!   compiler checks every use. The builder API when the CLI is generated at
//!   run time (plugins adding subcommands).
//! - `argh` or `lexopt` when binary size or compile time matter more than
//!   rich help and suggestions.
//! - Keep `main` thin: parse, load settings, dispatch — the logic lives in
//!   libraries where tests can reach it.
//!
//! ## What it costs
//! Parsing is a one-off at start-up: the demo times parsing a typical
//! command line (`mastery -vv run interview --quick`) so the reader sees it
//! is negligible next to any command's work. The real costs are elsewhere:
//! `clap` with derive adds compile time (a proc-macro and a large crate)
//! and binary size — `cargo build --timings` and `cargo bloat` show both
//! for this workspace; `lexopt` trades them for writing help by hand.
//!
//! ## Run it
//! `mastery --help`, `mastery run --help`, `mastery run tooling/cli-tools`.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::logging_examples::LogFormat;

mod arguments;
mod demo;
#[cfg(test)]
mod tests;

pub use arguments::{
    BookArgs, DagArgs, KataCheckArgs, KataCommand, KataNewArgs, MapreduceArgs, MapreduceEngine,
    ParseArgs, ParseFormat, PluginKindArg, PluginsArgs, ProfileWorkloadArgs, RunArgs, SetupCommand,
    SetupPythonArgs, WorkerArgs, parse_size,
};

// ANCHOR: core

/// The `mastery` command line.
#[derive(Debug, Parser)]
#[command(
    name = "mastery",
    version,
    about = "Advanced Rust: every Advanced Python roadmap item answered in Rust, measured on your machine",
    after_help = "Examples:\n  mastery list\n  mastery run interview/lru-cache\n  mastery tour --quick --report results\n  mastery explain interview/lru-cache\n  mastery parse json data.json\n  mastery mapreduce --engine timely --processes 2 --process 0\n  mastery dag patterns/dags/build.toml --run\n  mastery run testing/profiling-demo --flamegraph flame.svg\n  mastery kata new lru-cache /tmp/k\n\nSettings: defaults < ./mastery.toml (or --config) < MASTERY_* variables < flags.\nExit codes: 0 ok, 1 a topic failed, 2 usage or configuration error."
)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Settings file [default: ./mastery.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// More logs on stderr: -v info, -vv debug, -vvv trace (RUST_LOG wins when set)
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Render logs as text or JSON lines
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The roadmap tree by area: id, Python idiom → Rust answer
    List {
        /// Print JSON instead of the tree
        #[arg(long)]
        json: bool,
    },
    /// Run demos by id or id prefix (`mastery run interview`)
    Run {
        /// Topic ids or prefixes
        #[arg(required = true, value_name = "ID|PREFIX")]
        topics: Vec<String>,
        /// Sizes and samples
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON document (the shape of `tour --json`) instead of the story
        #[arg(long)]
        json: bool,
        /// Write the flame graph (SVG) of what testing/profiling-demo samples to FILE
        #[arg(long, value_name = "FILE")]
        flamegraph: Option<PathBuf>,
    },
    /// Every demo in roadmap order, with a progress bar
    Tour {
        /// Sizes and samples
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON document with every figure instead of the story
        #[arg(long)]
        json: bool,
        /// Also write DIR/RESULTS.md (the machine, a table per topic) and DIR/charts/*.svg
        #[arg(long, value_name = "DIR")]
        report: Option<PathBuf>,
    },
    /// A topic's lesson in the terminal
    Explain {
        /// Topic id
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Check a JSON, CSV or XML file with the streaming parsers (constant memory)
    #[command(
        after_help = "Examples:\n  mastery parse json data.json\n  mastery parse csv --header --records people.csv | head\n  cat feed.xml | mastery parse xml --events\n\nExit codes: 0 well-formed, 1 malformed (FILE:LINE:COL: message on stderr), 2 usage error."
    )]
    Parse(ParseArgs),
    /// Word count over a generated corpus or your own files: one thread, rayon, worker processes or timely dataflow
    #[command(
        after_help = "Examples:\n  mastery mapreduce --engine rayon --bytes 100MB --top 5\n  mastery mapreduce --engine processes --workers 4 --output counts.tsv\n  mastery mapreduce --input README.md docs/ --top 20   # your own files\n  cat *.txt | mastery mapreduce --input - --engine single\n  mastery mapreduce --engine timely --processes 2 --process 0 &\n  mastery mapreduce --engine timely --processes 2 --process 1\n  mastery mapreduce --engine timely -n 3 -p 0 --hostfile hosts.txt   # one HOST:PORT line per process\n\n--input: paths are read in the order given; directories recursively, in sorted path order, skipping hidden entries (.name), symlinks and special files inside them (paths you name are always read; a path named twice is read twice). A word is a run of bytes between ASCII whitespace, and a file's end ends a word; bytes that are not UTF-8 are counted as U+FFFD, with a warning naming the file and the offset; a word over 16 MiB is an error (not text). The input is streamed: memory stays about --chunk-bytes x --workers (plus the count tables), whatever its size; the summary reports the peak heap. No files, or only empty ones, count zero words, with a warning.\n\nEvery process of a timely run must get the same corpus options, or the same --input paths: each process reads the words that start in its byte range of the inputs (listed the same way on every process), so every host must see the same files at the same paths (a shared or copied tree; per-host different paths are not supported: process 0 fails if a process listed other files or sizes; stdin works with one process only). Process 0 prints the result.\nExit codes: 0 ok, 1 the count failed (a worker died, a peer unreachable, a read failed part-way, processes listed different inputs), 2 usage error (bad option, hostfile or process index; an input that cannot be opened or listed)."
    )]
    Mapreduce(MapreduceArgs),
    /// Validate, draw or run a pipeline of tasks (the mini DAG framework)
    #[command(
        after_help = "Examples:\n  mastery dag patterns/dags/build.toml            # validate, list the tasks by level\n  mastery dag patterns/dags/build.toml --dot | dot -Tsvg > build.svg\n  mastery dag patterns/dags/build.toml --mermaid\n  mastery dag patterns/dags/build.toml --run -j 4\n  mastery dag patterns/dags/build.toml --run --force --json > timeline.json\n\nExit codes: 0 valid / every task succeeded, 1 a task failed (its dependents are skipped), 2 usage error or an invalid pipeline (every problem is listed as FILE:LINE:COL)."
    )]
    Dag(DagArgs),
    /// Install what a demo needs beyond Rust (today: Python for perf/vectorization)
    #[command(subcommand)]
    Setup(SetupCommand),
    /// Plugins found three ways (compiled in, libraries, mastery-<name> executables): list them or run one
    #[command(
        after_help = "Looks for: plugins compiled in (inventory); plugin libraries in DIR and in the mastery executable's directory; mastery-<name> executables there and on PATH (the first of a name wins).\n\nExamples:\n  cargo build --release --workspace && target/release/mastery plugins\n  mastery plugins target/debug\n  mastery plugins --run rot13 'Hello, plugins'\n  mastery plugins target/release --run rot13 Hello --kind library\n\nExit codes: 0 ok, 1 a plugin failed (to load, or its call), 2 usage error (no such DIR or plugin name)."
    )]
    Plugins(PluginsArgs),
    /// Write the book's topic pages from the lessons, check every code include, build it with mdbook
    #[command(
        after_help = "Examples:\n  mastery book                 # pages + includes + `mdbook build showcase/book`\n  mastery book --no-build      # only write the pages and check includes\n  mastery book --check         # fail if a committed page is stale (tests/book.rs checks the same)\n  mdbook serve showcase/book --open\n\nExit codes: 0 ok, 1 a stale page, a broken include or a failed build, 2 usage error (not in the kit's checkout, mdbook missing)."
    )]
    Book(BookArgs),
    /// A cheat sheet in the terminal: Python idiom → Rust answer → where the kit compiles it
    #[command(
        after_help = "Examples:\n  mastery cheatsheet            # list the sheets\n  mastery cheatsheet async\n  mastery cheatsheet testing | less\n\nThe same sheets are in the book (showcase/cheatsheets/), printable from the browser."
    )]
    Cheatsheet {
        /// The sheet: decorators, async, memory, testing, core, perf, concurrency, patterns, tooling, interview
        #[arg(value_name = "NAME")]
        name: Option<String>,
    },
    /// Practise an interview component: a starter crate whose cargo test runs the kit's own tests
    #[command(
        subcommand,
        after_help = "Examples:\n  mastery kata list\n  mastery kata new lru-cache /tmp/k && cd /tmp/k && cargo test\n  mastery kata check /tmp/k\n\nExit codes: 0 ok, 1 a kata test failed or DIR exists, 2 usage error (unknown kata, not a kata directory)."
    )]
    Kata(KataCommand),
    /// Internal: the word-count worker that `mastery mapreduce --engine processes` starts
    #[command(hide = true)]
    Worker(WorkerArgs),
    /// Internal: the profiling demo's workload, which `testing/profiling-demo` runs under valgrind
    #[command(hide = true)]
    ProfileWorkload(ProfileWorkloadArgs),
}
// ANCHOR_END: core
