//! The demo: four layers, which one wins, and the errors for bad input.

use std::path::PathBuf;

use mastery_kit::{Area, Mode, Narrator, Topic};

use super::error::describe;
use super::{FILE_NAME, Overrides, Sources, figment, load};

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/config-management",
        area: Area::Tooling,
        rank: 5,
        title: "Config management (pydantic-settings)",
        python: "class Settings(BaseSettings): samples: int = 11  # file < APP_* env < args",
        rust: "serde struct + figment layers: defaults < mastery.toml < MASTERY_* env < flags; errors name key and source",
        path: "tooling/src/config_management/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join(FILE_NAME),
        "samples = 21\nlog_format = \"json\"\n",
    )?;
    n.section("Four layers, each overriding the one below");
    n.show(format!(
        "{}/mastery.toml:  samples = 21, log_format = \"json\"",
        dir.path().display()
    ));
    n.show("environment:    MASTERY_SAMPLES=31");
    n.show("flags:          --quick");
    let layers: [(&str, Sources); 4] = [
        (
            "defaults only",
            Sources {
                dir: PathBuf::from("/nonexistent"),
                ..Sources::default()
            },
        ),
        (
            "+ file",
            Sources {
                dir: dir.path().to_path_buf(),
                ..Sources::default()
            },
        ),
        (
            "+ env",
            Sources {
                dir: dir.path().to_path_buf(),
                env: env(&[("MASTERY_SAMPLES", "31")]),
                ..Sources::default()
            },
        ),
        (
            "+ flags",
            Sources {
                dir: dir.path().to_path_buf(),
                env: env(&[("MASTERY_SAMPLES", "31")]),
                flags: Overrides {
                    mode: Some(Mode::Quick),
                    ..Overrides::default()
                },
                ..Sources::default()
            },
        ),
    ];
    for (name, sources) in &layers {
        let s = load(sources)?;
        let samples_from = figment(sources)?
            .find_metadata("samples")
            .map(describe)
            .unwrap_or_default();
        n.show(format!(
            "{name:<14} mode={:<5} samples={:<3} log_format={:?}  (samples from {samples_from})",
            format!("{:?}", s.mode).to_lowercase(),
            s.samples.map_or_else(|| "-".to_owned(), |n| n.to_string()),
            s.log_format
        ));
    }

    n.section("Bad input: the error names the key and where it came from");
    let bad_file = dir.path().join("typo.toml");
    std::fs::write(&bad_file, "sampels = 5\n")?;
    let cases = [
        Sources {
            explicit_file: Some(bad_file),
            ..Sources::default()
        },
        Sources {
            dir: dir.path().to_path_buf(),
            env: env(&[("MASTERY_SAMPLES", "many")]),
            ..Sources::default()
        },
        Sources {
            dir: dir.path().to_path_buf(),
            env: env(&[("MASTERY_SAMPLES", "0")]),
            ..Sources::default()
        },
        Sources {
            explicit_file: Some(dir.path().join("absent.toml")),
            ..Sources::default()
        },
    ];
    let mut errors = 0;
    for sources in &cases {
        if let Err(e) = load(sources) {
            errors += 1;
            n.say(&e.to_string());
        }
    }
    anyhow::ensure!(errors == cases.len(), "every bad layer must be refused");

    n.section("What loading costs");
    let ops = n.mode().pick_deep(50, 500, 5_000);
    let sources = &layers[3].1;
    n.measure(
        "load all four layers (reads and parses the file)",
        ops,
        || (0..ops).filter(|_| load(sources).is_ok()).count(),
    );
    Ok(())
}

pub(super) fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}
