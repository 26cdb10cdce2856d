//! The CLI's definitions, flags-to-overrides, usage errors and sizes.

use clap::{CommandFactory, Parser};

use super::demo::demo;
use super::*;
use crate::config_management::Overrides;
use crate::logging_examples::{LogFormat, LogLevel};

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
    assert_eq!(o.mode, Some(mastery_kit::Mode::Full));
    assert_eq!(o.samples, Some(5));
    assert_eq!(o.log_format, Some(LogFormat::Json));
    assert_eq!(o.log_level, Some(LogLevel::Debug));
    let cli = Cli::try_parse_from(["mastery", "list"])?;
    assert_eq!(cli.overrides(), Overrides::default());
    Ok(())
}

// ANCHOR: usage_exit_2
#[test]
fn usage_errors_exit_2() {
    for argv in [
        &["mastery"][..],
        &["mastery", "run"],
        &["mastery", "explain"],
        &["mastery", "tour", "--quick", "--full"],
        &["mastery", "tour", "--quick", "--deep"],
    ] {
        let err = Cli::try_parse_from(argv).expect_err("usage error");
        assert_eq!(err.exit_code(), 2, "{argv:?}");
    }
}
// ANCHOR_END: usage_exit_2

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
fn mapreduce_input_takes_paths_and_stdin_but_not_the_corpus_flags() -> Result<(), clap::Error> {
    let cli = Cli::try_parse_from([
        "mastery",
        "mapreduce",
        "--input",
        "notes.txt",
        "docs/",
        "-",
        "--engine",
        "single",
    ])?;
    let Command::Mapreduce(args) = cli.command else {
        panic!("not mapreduce: {:?}", cli.command)
    };
    let paths: Vec<&str> = args.input.iter().filter_map(|p| p.to_str()).collect();
    assert_eq!(paths, ["notes.txt", "docs/", "-"]);
    let repeated = Cli::try_parse_from(["mastery", "mapreduce", "--input", "a", "--input", "b"])?;
    let Command::Mapreduce(args) = repeated.command else {
        panic!("not mapreduce")
    };
    assert_eq!(args.input.len(), 2);
    for (flag, value) in [("--bytes", "1MB"), ("--seed", "7"), ("--vocabulary", "10")] {
        let err = Cli::try_parse_from(["mastery", "mapreduce", "--input", "a", flag, value])
            .expect_err("the corpus flags do not mix with --input");
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains(flag), "{flag}: {err}");
    }
    let defaults = Cli::try_parse_from(["mastery", "mapreduce"])?;
    let Command::Mapreduce(args) = defaults.command else {
        panic!("not mapreduce")
    };
    assert!(
        args.input.is_empty(),
        "the generated corpus stays the default"
    );
    Ok(())
}

#[test]
fn demo_runs_in_quick_mode() {
    mastery_kit::demo_test::run_quick("tooling/cli-tools", demo);
}
