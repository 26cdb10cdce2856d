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
//! `crate::app` carries the commands out.
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
//!   rich help and suggestions; `clap` adds a few hundred KiB and seconds.
//! - Keep `main` thin: parse, load settings, dispatch — the logic lives in
//!   libraries where tests can reach it.
//!
//! ## Run it
//! `mastery --help`, `mastery run --help`, `mastery run tooling/cli-tools`.

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand};
use mastery_kit::{Area, Narrator, Topic};

use crate::config_management::Overrides;
use crate::logging_examples::{LogFormat, LogLevel};

/// The `mastery` command line.
#[derive(Debug, Parser)]
#[command(
    name = "mastery",
    version,
    about = "Advanced Rust: every Advanced Python roadmap item answered in Rust, measured on your machine",
    after_help = "Examples:\n  mastery list\n  mastery run interview/lru-cache\n  mastery tour --quick --report results\n  mastery explain interview/lru-cache\n  mastery parse json data.json\n  mastery mapreduce --engine timely --processes 2 --process 0\n\nSettings: defaults < ./mastery.toml (or --config) < MASTERY_* variables < flags.\nExit codes: 0 ok, 1 a topic failed, 2 usage or configuration error."
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
    },
    /// Every demo in roadmap order, with a progress bar
    Tour {
        /// Sizes and samples
        #[command(flatten)]
        run: RunArgs,
        /// Print one JSON document with every figure instead of the story
        #[arg(long)]
        json: bool,
        /// Also write DIR/RESULTS.md: the machine and a table per topic
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
    /// Word count over a generated corpus: one thread, rayon, worker processes or timely dataflow
    #[command(
        after_help = "Examples:\n  mastery mapreduce --engine rayon --bytes 100MB --top 5\n  mastery mapreduce --engine processes --workers 4 --output counts.tsv\n  mastery mapreduce --engine timely --processes 2 --process 0 &\n  mastery mapreduce --engine timely --processes 2 --process 1\n  mastery mapreduce --engine timely -n 3 -p 0 --hostfile hosts.txt   # one HOST:PORT line per process\n\nEvery process of a timely run must get the same corpus options; process 0 prints the result.\nExit codes: 0 ok, 1 the count failed (a worker died, a peer unreachable), 2 usage error."
    )]
    Mapreduce(MapreduceArgs),
    /// Internal: the word-count worker that `mastery mapreduce --engine processes` starts
    #[command(hide = true)]
    Worker(WorkerArgs),
}

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
    /// Corpus size: bytes, or with a unit (kB, MB, GB = powers of 1000; KiB, MiB, GiB)
    #[arg(long, default_value = "100MB", value_parser = parse_size, value_name = "SIZE")]
    pub bytes: u64,
    /// Seed of the corpus generator (same seed, same corpus, on every process and host)
    #[arg(long, default_value_t = 42, value_name = "N")]
    pub seed: u64,
    /// Distinct words in the generated vocabulary (Zipf-distributed)
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

/// Arguments of the hidden `mastery worker`.
#[derive(Debug, Args, Clone)]
pub struct WorkerArgs {
    /// The worker's index in its pool (named in errors)
    #[arg(long, default_value_t = 0, value_name = "I")]
    pub index: usize,
}

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

/// The input formats of `mastery parse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ParseFormat {
    /// RFC 8259 JSON (one value, or JSON Lines with --json-lines)
    Json,
    /// RFC 4180 CSV and the usual dialect options
    Csv,
    /// XML 1.0, well-formedness checked
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
}

/// How demos run.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Small inputs and few samples (well under a second per demo)
    #[arg(long)]
    pub quick: bool,
    /// Full sizes even when the settings say quick
    #[arg(long, conflicts_with = "quick")]
    pub full: bool,
    /// Timed samples per measurement in full mode (1–1000)
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
            | Command::Worker(_) => RunArgs::default(),
        };
        Overrides {
            quick: if run.quick {
                Some(true)
            } else if run.full {
                Some(false)
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

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/cli-tools",
        area: Area::Tooling,
        rank: 3,
        title: "CLI tools (click / typer)",
        python: "@click.command() / typer.Typer(): decorated functions become subcommands",
        rust: "clap derive: the CLI is a type; parse errors carry exit code 2 and suggestions",
        path: "tooling/src/cli_tools.rs",
        source: include_str!("cli_tools.rs"),
        run: demo,
    }
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("The kit's own CLI, read from its type");
    let command = Cli::command();
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        n.show(format!("mastery {:<9} {about}", sub.get_name()));
    }

    n.section("Parsing gives a typed value…");
    let argv = ["mastery", "-vv", "run", "interview", "--quick"];
    let cli = Cli::try_parse_from(argv)?;
    n.show(format!("{}  →", argv.join(" ")));
    n.show(format!("  {:?}", cli.command));
    n.show(format!(
        "  overrides for the config layers: {:?}",
        cli.overrides()
    ));

    n.section("…or a usage error that knows its exit code");
    for argv in [
        &["mastery", "tuor"][..],
        &["mastery", "run"],
        &["mastery", "tour", "--quick", "--full"],
    ] {
        match Cli::try_parse_from(argv) {
            Ok(_) => anyhow::bail!("{argv:?} should have been refused"),
            Err(e) => {
                let first = e
                    .render()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                n.show(format!(
                    "{:<34} exit {}: {first}",
                    argv.join(" "),
                    e.exit_code()
                ));
            }
        }
    }

    n.section("What parsing costs");
    let ops = n.mode().pick(500, 20_000);
    n.measure("parse `mastery -vv run interview --quick`", ops, || {
        (0..ops)
            .filter(|_| Cli::try_parse_from(argv).is_ok())
            .count()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_become_overrides() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "mastery",
            "-vv",
            "--log-format",
            "json",
            "tour",
            "--full",
            "--samples",
            "5",
        ])?;
        let o = cli.overrides();
        assert_eq!(o.quick, Some(false));
        assert_eq!(o.samples, Some(5));
        assert_eq!(o.log_format, Some(LogFormat::Json));
        assert_eq!(o.log_level, Some(LogLevel::Debug));
        let cli = Cli::try_parse_from(["mastery", "list"])?;
        assert_eq!(cli.overrides(), Overrides::default());
        Ok(())
    }

    #[test]
    fn usage_errors_exit_2() {
        for argv in [
            &["mastery"][..],
            &["mastery", "run"],
            &["mastery", "explain"],
            &["mastery", "tour", "--quick", "--full"],
        ] {
            let err = Cli::try_parse_from(argv).expect_err("usage error");
            assert_eq!(err.exit_code(), 2, "{argv:?}");
        }
    }

    #[test]
    fn sizes_parse_with_units_and_bad_ones_say_why() {
        let cases: [(&str, Result<u64, &str>); 8] = [
            ("4096", Ok(4096)),
            ("100MB", Ok(100_000_000)),
            ("64KiB", Ok(65_536)),
            ("1_000_000", Ok(1_000_000)),
            ("2 GB", Ok(2_000_000_000)),
            ("1MiB", Ok(1 << 20)),
            ("10 parsecs", Err("unknown unit `parsecs`")),
            ("MB", Err("is not a size")),
        ];
        for (text, want) in cases {
            match (parse_size(text), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{text}: {got}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn mapreduce_takes_timely_conventions_and_worker_is_hidden() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "mastery",
            "mapreduce",
            "--engine",
            "timely",
            "-n",
            "2",
            "-p",
            "1",
            "--hostfile",
            "hosts.txt",
            "-w",
            "3",
            "--bytes",
            "4MB",
        ])?;
        let Command::Mapreduce(args) = cli.command else {
            panic!("not mapreduce: {:?}", cli.command)
        };
        assert_eq!(args.engine, MapreduceEngine::Timely);
        assert_eq!(
            (args.processes, args.process, args.workers),
            (Some(2), Some(1), Some(3))
        );
        assert_eq!(args.bytes, 4_000_000);
        assert!(Cli::try_parse_from(["mastery", "mapreduce", "--threads", "2"]).is_ok());
        assert!(
            Cli::command()
                .get_subcommands()
                .any(|c| c.get_name() == "worker" && c.is_hide_set())
        );
        let err = Cli::try_parse_from(["mastery", "mapreduce", "--engine", "spark"])
            .expect_err("no such engine");
        assert_eq!(err.exit_code(), 2);
        Ok(())
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("tooling/cli-tools", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
    }
}
