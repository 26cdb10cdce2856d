//! `mastery kata list | new ID [DIR] | check [DIR]`: practise an interview
//! component against the kit's own tests.
//!
//! `new` writes a starter crate that is its own cargo workspace (an empty
//! `[workspace]`, so a starter inside the kit's tree is not claimed by it),
//! depends on the kit's `kata/` crate by path and starts from a copy of the
//! kit's `Cargo.lock`, so every registry crate resolves to a version the kit
//! already fetched: it builds offline once the kit has. `check` runs the
//! starter's `cargo test`, then its `ladder` binary in release, always with
//! an explicit `--target-dir` so an inherited `CARGO_TARGET_DIR` never points
//! the starter at the kit's own `target/` (whose features differ).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow};
use mastery_kata::{KATAS, Kata};
use mastery_kit::select;
use mastery_tooling::cli_tools::{KataCheckArgs, KataCommand, KataNewArgs};
use mastery_tooling::config_management::Settings;

use crate::error::AppError;

/// The file that marks a kata directory, read by `check`.
const MARKER: &str = "kata.toml";

/// Carries out a `mastery kata` command; `Ok` is the exit code.
///
/// # Errors
/// Usage errors (unknown kata, not a kata directory) and failures (DIR
/// exists, a write failed, a kata test failed).
pub fn kata(
    out: &mut impl Write,
    command: &KataCommand,
    settings: &Settings,
) -> Result<u8, AppError> {
    match command {
        KataCommand::List => list(out),
        KataCommand::New(args) => new(out, args, settings.kit_dir.as_deref()),
        KataCommand::Check(args) => check(out, args, settings.kata_target_dir.as_deref()),
    }
}

fn list(out: &mut impl Write) -> Result<u8, AppError> {
    for kata in KATAS {
        writeln!(out, "{:<14}{}", kata.id, kata.title)?;
        writeln!(out, "{:<14}implement: {}", "", kata.implement)?;
        writeln!(out, "{:<14}textbook:  {}", "", kata.textbook)?;
        writeln!(out, "{:<14}ladder:    {}", "", kata.ladder)?;
    }
    writeln!(
        out,
        "\nStart one: mastery kata new ID [DIR]   then: cd DIR && cargo test"
    )?;
    Ok(0)
}

/// The kata with this id, or a usage error with the closest id.
fn find(id: &str) -> Result<&'static Kata, AppError> {
    mastery_kata::find(id).ok_or_else(|| {
        let suggestion = select::closest(id, KATAS.iter().map(|k| k.id))
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        AppError::usage(format!(
            "unknown kata `{id}`{suggestion}; `mastery kata list` shows them all"
        ))
    })
}

fn new(out: &mut impl Write, args: &KataNewArgs, kit: Option<&str>) -> Result<u8, AppError> {
    let kata = find(&args.id)?;
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("kata-{}", kata.id)));
    if dir.symlink_metadata().is_ok() {
        return Err(AppError::failure(anyhow!(
            "{} already exists; nothing was written. Remove it or name another directory: \
             mastery kata new {} DIR",
            dir.display(),
            kata.id
        )));
    }
    let kit = kit_dir(kit).map_err(AppError::usage)?;
    write_starter(&dir, &kit, kata, args.solution).map_err(AppError::failure)?;
    let what = if args.solution {
        "the kit's textbook answer"
    } else {
        "a starter with todo!() bodies"
    };
    writeln!(
        out,
        "wrote {what} for kata {} in {}",
        kata.id,
        dir.display()
    )?;
    writeln!(
        out,
        "next: cd {} && cargo test      (the kit's tests, by name)\n      \
         mastery kata check {}         (the tests, then your code on the ladder)",
        dir.display(),
        dir.display()
    )?;
    Ok(0)
}

/// The kit's checkout: the `kit_dir` setting (`MASTERY_KIT_DIR`) when set,
/// else the checkout this binary was built from; either must hold
/// `kata/Cargo.toml`.
fn kit_dir(setting: Option<&str>) -> Result<PathBuf, String> {
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidate = setting.map_or_else(|| built_from.clone(), PathBuf::from);
    if candidate.join("kata/Cargo.toml").is_file() {
        return candidate.canonicalize().map_err(|e| {
            format!(
                "cannot resolve the kit's directory {}: {e}",
                candidate.display()
            )
        });
    }
    Err(format!(
        "the kit's checkout (with kata/Cargo.toml) was not found at {}: set MASTERY_KIT_DIR to it \
         (the directory this binary was built from was {})",
        candidate.display(),
        built_from.display()
    ))
}

/// `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Creates `dir` (never over an existing one: `create_dir` fails on a race)
/// and writes the starter's files.
fn write_starter(dir: &Path, kit: &Path, kata: &Kata, solution: bool) -> anyhow::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let kit_text = kit
        .to_str()
        .ok_or_else(|| anyhow!("the kit's path {} is not UTF-8", kit.display()))?;
    let crate_name = format!("kata-{}", kata.id);
    let lib_name = crate_name.replace('-', "_");
    let lib = if solution {
        kata.solution()
    } else {
        kata.template.to_owned()
    };
    let kata_crate = toml_string(&format!("{kit_text}/kata"));
    let files = [
        ("Cargo.toml", cargo_toml(&crate_name, &kata_crate)),
        (
            MARKER,
            format!(
                "# Written by `mastery kata new`; `mastery kata check` reads it.\nid = {}\nkit = {}\nkit_version = {}\n",
                toml_string(kata.id),
                toml_string(kit_text),
                toml_string(env!("CARGO_PKG_VERSION"))
            ),
        ),
        ("README.md", kata.readme.to_owned()),
        ("src/lib.rs", lib),
        ("src/bin/ladder.rs", kata.ladder_main.to_owned()),
        (
            "tests/kata.rs",
            format!(
                "//! The kit's tests for kata {id}, one `#[test]` each, run on your code.\n\n\
                 mastery_kata::kata_tests!({module}, {lib_name}::{entry});\n",
                id = kata.id,
                module = kata.module,
                entry = kata.entry,
            ),
        ),
        (".gitignore", "/target\n".to_owned()),
    ];
    let own_binary_test = kata
        .own_binary_test
        .map(|(name, text)| (format!("tests/{name}"), text.to_owned()));
    let files = files
        .into_iter()
        .map(|(name, text)| (name.to_owned(), text))
        .chain(own_binary_test);
    for (name, text) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let lock = kit.join("Cargo.lock");
    std::fs::copy(&lock, dir.join("Cargo.lock"))
        .with_context(|| format!("cannot copy {}", lock.display()))?;
    Ok(())
}

fn cargo_toml(crate_name: &str, kata_crate: &str) -> String {
    format!(
        r#"[package]
name = "{crate_name}"
version = "0.1.0"
edition = "2024"
publish = false

# Its own workspace, even inside the kit's checkout.
[workspace]

[lib]
# The textbook answer pasted by `--solution` keeps the lesson's doc examples,
# which name the kit's crates: they are the lesson's tests, not yours.
doctest = false

[dependencies]
mastery-kata = {{ path = {kata_crate} }}

[lints.rust]
unsafe_code = "forbid"

# The kit's own overrides: its hash tables optimized even in test builds.
[profile.dev.package.hashbrown]
opt-level = 2

[profile.dev.package.foldhash]
opt-level = 2

[profile.release]
debug = "line-tables-only"
"#
    )
}

/// The id written in DIR/kata.toml.
fn kata_id(dir: &Path) -> Result<String, AppError> {
    let marker = dir.join(MARKER);
    let text = std::fs::read_to_string(&marker).map_err(|_| {
        AppError::usage(format!(
            "not a kata directory: no {MARKER} in {}; create one with mastery kata new ID DIR",
            dir.display()
        ))
    })?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| AppError::usage(format!("{}: {e}", marker.display())))?;
    table
        .get("id")
        .and_then(toml::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| AppError::usage(format!("{}: no `id = \"...\"` line", marker.display())))
}

fn check(
    out: &mut impl Write,
    args: &KataCheckArgs,
    target_dir: Option<&str>,
) -> Result<u8, AppError> {
    let kata = find(&kata_id(&args.dir)?)?;
    // Absolute: cargo runs in DIR, and a relative setting means the
    // caller's directory.
    let target_dir = std::path::absolute(match target_dir {
        Some(shared) => Path::new(shared).join(target_subdir(&args.dir)?),
        None => args.dir.join("target"),
    })?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    writeln!(
        out,
        "==> kata {}: the kit's tests on your code (cargo test)",
        kata.id
    )?;
    out.flush()?;
    let tests = Command::new(&cargo)
        .arg("test")
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&args.dir)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))
        .map_err(AppError::failure)?;
    if !tests.success() {
        return Err(AppError::failure(anyhow!(
            "kata {}: the kit's tests failed (above: what each expected and the calls that \
             reproduce it); fix them, then run mastery kata check again",
            kata.id
        )));
    }
    writeln!(
        out,
        "\n==> kata {}: every kit test passed; your code on the ladder (release build)",
        kata.id
    )?;
    out.flush()?;
    let mode = if args.quick {
        Some("--quick")
    } else if args.deep {
        Some("--deep")
    } else {
        None
    };
    let ladder = Command::new(&cargo)
        .args([
            "run",
            "--release",
            "--quiet",
            "--bin",
            "ladder",
            "--target-dir",
        ])
        .arg(&target_dir)
        .arg("--")
        .args(mode)
        .current_dir(&args.dir)
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .with_context(|| format!("cannot run {}", cargo.to_string_lossy()))
        .map_err(AppError::failure)?;
    if !ladder.success() {
        return Err(AppError::failure(anyhow!(
            "kata {}: the ladder failed (above)",
            kata.id
        )));
    }
    Ok(0)
}

/// A starter's own directory under a shared `kata_target_dir`: two
/// starters of one kata have the same package name, and cargo does not tell
/// their builds apart by path, so one would run the other's stale tests.
/// Named after DIR and a hash of its canonical path, so the same starter
/// finds its warm build again.
fn target_subdir(dir: &Path) -> std::io::Result<String> {
    use std::hash::{Hash, Hasher};
    let canonical = dir.canonicalize()?;
    let mut hasher = std::hash::DefaultHasher::new();
    canonical.hash(&mut hasher);
    let name = canonical
        .file_name()
        .map_or_else(|| "kata".into(), |n| n.to_string_lossy());
    Ok(format!("{name}-{:016x}", hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_starters_get_two_target_dirs_and_one_starter_always_the_same() {
        let root = tempfile::tempdir().expect("temp dir");
        for name in ["a", "b"] {
            std::fs::create_dir(root.path().join(name)).expect("create dir");
        }
        let a = target_subdir(&root.path().join("a")).expect("a exists");
        let b = target_subdir(&root.path().join("b")).expect("b exists");
        assert_ne!(a, b);
        assert!(a.starts_with("a-"), "{a}");
        assert_eq!(target_subdir(&root.path().join("a/../a")).ok(), Some(a));
    }

    #[test]
    fn toml_strings_escape_quotes_and_backslashes() {
        assert_eq!(toml_string(r#"C:\kit "x""#), r#""C:\\kit \"x\"""#);
        let table: toml::Table =
            toml::from_str(&format!("kit = {}", toml_string(r#"a\b"c"#))).expect("valid TOML");
        assert_eq!(table["kit"].as_str(), Some(r#"a\b"c"#));
    }

    #[test]
    fn the_starter_manifest_parses_and_names_the_kata_crate() {
        let text = cargo_toml("kata-lru-cache", &toml_string("/kit/kata"));
        let table: toml::Table = toml::from_str(&text).expect("valid TOML");
        assert_eq!(table["package"]["name"].as_str(), Some("kata-lru-cache"));
        assert_eq!(
            table["dependencies"]["mastery-kata"]["path"].as_str(),
            Some("/kit/kata")
        );
        assert!(table.contains_key("workspace"));
    }
}
