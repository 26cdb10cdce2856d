//! The demo: the kit's own CLI, read from its type, parsed, and refused.

use clap::{CommandFactory, Parser};
use mastery_kit::{Area, Narrator, Topic};

use super::Cli;

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/cli-tools",
        area: Area::Tooling,
        rank: 3,
        title: "CLI tools (click / typer)",
        python: "@click.command() / typer.Typer(): decorated functions become subcommands",
        rust: "clap derive: the CLI is a type; parse errors carry exit code 2 and suggestions",
        path: "tooling/src/cli_tools/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
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
    let ops = n.mode().pick_deep(100, 1_000, 20_000);
    n.measure("parse `mastery -vv run interview --quick`", ops, || {
        (0..ops)
            .filter(|_| Cli::try_parse_from(argv).is_ok())
            .count()
    });
    Ok(())
}
