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
    after_help = "Examples:\n  mastery list\n  mastery run interview/lru-cache\n  mastery tour --quick --report results\n  mastery explain interview/lru-cache\n  mastery parse json data.json\n\nSettings: defaults < ./mastery.toml (or --config) < MASTERY_* variables < flags.\nExit codes: 0 ok, 1 a topic failed, 2 usage or configuration error."
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
            Command::List { .. } | Command::Explain { .. } | Command::Parse(_) => {
                RunArgs::default()
            }
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
    for sub in command.get_subcommands() {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        n.show(format!("mastery {:<8} {about}", sub.get_name()));
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
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("tooling/cli-tools", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
    }
}
