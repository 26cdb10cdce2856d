use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::example_plugins::{self, FUTURE_ABI_CRATE, NO_ENTRY_CRATE, ROT13_CRATE};
use super::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Builds the example plugins once per test run, with cargo, into the
/// target directory the tests run from (fast when already built).
fn built() -> Result<&'static Path, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| example_plugins::build(&example_plugins::ALL_CRATES))
        .as_deref()
        .map_err(Clone::clone)
}

#[test]
fn compiled_plugins_are_registered_and_sorted() {
    let names: Vec<_> = compiled_plugins().iter().map(|p| p.name).collect();
    assert_eq!(names, ["rot13", "word-count"]);
}

#[test]
fn a_compiled_plugin_runs_through_the_contract() -> TestResult {
    let mut plugin = CompiledPlugin::from(compiled_plugins()[0]);
    assert_eq!(plugin.info().origin, Origin::Compiled);
    assert_eq!(plugin.info().abi, None);
    assert_eq!(plugin.call("Hello, World!")?, "Uryyb, Jbeyq!");
    Ok(())
}

#[test]
fn rot13_twice_is_the_identity() {
    let text = "The quick brown fox jumps over the lazy dog, 0-9 ünïcode";
    assert_eq!(rot13(&rot13(text)), text);
    assert_ne!(rot13(text), text);
}

#[test]
fn a_good_library_plugin_loads_and_runs() -> TestResult {
    let dir = built()?;
    let path = example_plugins::library_file(dir, ROT13_CRATE);
    let mut plugin = load_library(&path)?;
    let info = plugin.info();
    assert_eq!(
        (info.name.as_str(), info.version.as_str(), info.abi),
        ("rot13", "0.1.0", Some(mastery_plugin_abi::ABI_VERSION))
    );
    assert_eq!(info.origin, Origin::Library(path.clone()));
    for input in ["Hello, World!", "", "ünïcode ok", &"x".repeat(10_000)] {
        assert_eq!(plugin.call(input)?, rot13(input), "input {input:?}");
    }
    // Loading twice hands out the same library (never unloaded, shared).
    let mut again = load_library(&path)?;
    assert_eq!(again.call("abc")?, "nop");
    Ok(())
}

#[test]
fn a_refusal_and_a_panic_inside_the_library_become_errors() -> TestResult {
    let dir = built()?;
    let mut plugin = load_library(&example_plugins::library_file(dir, ROT13_CRATE))?;
    match plugin.call("a\0b") {
        Err(PluginError::Refused { plugin, message }) => {
            assert_eq!(
                (plugin.as_str(), message.as_str()),
                ("rot13", "a NUL in the input")
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    match plugin.call("panic!") {
        Err(e @ PluginError::Panicked { .. }) => {
            assert!(e.to_string().contains("rot13 was asked to panic"), "{e}");
        }
        other => panic!("expected a caught panic, got {other:?}"),
    }
    // The process is alive and so is the plugin.
    assert_eq!(plugin.call("still here")?, "fgvyy urer");
    Ok(())
}

#[test]
fn a_plugin_of_another_abi_version_is_refused_before_its_table_is_read() -> TestResult {
    let path = example_plugins::library_file(built()?, FUTURE_ABI_CRATE);
    match load_library(&path) {
        Err(
            e @ PluginError::AbiMismatch {
                found: 99,
                expected: 1,
                ..
            },
        ) => {
            let message = e.to_string();
            assert!(
                message.contains("ABI version 99") && message.contains("rebuild"),
                "{message}"
            );
        }
        other => panic!("expected an ABI mismatch, got {other:?}"),
    }
    Ok(())
}

#[test]
fn a_library_without_the_entry_point_names_the_missing_symbol() -> TestResult {
    let path = example_plugins::library_file(built()?, NO_ENTRY_CRATE);
    match load_library(&path) {
        Err(
            e @ PluginError::MissingSymbol {
                symbol: "mastery_plugin_v1",
                ..
            },
        ) => {
            assert!(e.to_string().contains("mastery_plugin_v1"), "{e}");
        }
        other => panic!("expected a missing symbol, got {other:?}"),
    }
    Ok(())
}

#[test]
fn files_that_are_not_plugins_give_clear_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let text = dir.path().join("libnot_a_plugin.so");
    std::fs::write(&text, "this is text, not a shared object\n")?;
    let missing = dir.path().join("libmissing.so");
    for path in [&text, &missing] {
        match load_library(path) {
            Err(e @ PluginError::NotALibrary { .. }) => {
                assert!(
                    e.to_string().contains("not a loadable plugin library"),
                    "{e}"
                );
            }
            other => panic!("expected NotALibrary for {}, got {other:?}", path.display()),
        }
    }
    Ok(())
}

#[test]
fn a_library_that_is_no_plugin_lacks_the_handshake() -> TestResult {
    // The C library is a real shared object, and no plugin.
    let libc = Path::new("/lib/x86_64-linux-gnu/libc.so.6");
    if !libc.exists() {
        return Ok(());
    }
    match load_library(libc) {
        Err(PluginError::MissingSymbol { symbol, .. }) => {
            assert_eq!(symbol, mastery_plugin_abi::VERSION_SYMBOL);
        }
        other => panic!("expected a missing handshake, got {other:?}"),
    }
    Ok(())
}

#[test]
fn library_files_lists_only_library_names() -> TestResult {
    let dir = tempfile::tempdir()?;
    for name in [
        "libmastery_plugin_b.so",
        "libmastery_plugin_a.so",
        "libother.so",
        "notes.txt",
        "mastery-x",
        "mastery_plugin_c.so",
    ] {
        std::fs::write(dir.path().join(name), "")?;
    }
    let names: Vec<_> = library_files(dir.path())?
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["libmastery_plugin_a.so", "libmastery_plugin_b.so"]);
    Ok(())
}

#[test]
fn demo_runs_in_quick_mode() -> TestResult {
    // Built first, so the quick demo finds the plugins and measures all three.
    built()?;
    let n = mastery_kit::demo_test::run_quick("patterns/plugin-system", demo::demo);
    assert_eq!(n.recorded("plugins registered at compile time"), Some(2.0));
    assert_eq!(
        n.recorded("bad plugins refused with an Err (no crash)"),
        Some(4.0)
    );
    let labels: Vec<_> = n.comparisons().iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    assert!(
        labels.iter().all(|l| l.starts_with("one call:")),
        "{labels:?}"
    );
    Ok(())
}

/// Writes an executable shell script `mastery-<name>` into `dir`.
#[cfg(unix)]
fn script(dir: &Path, name: &str, body: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(format!("mastery-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

#[test]
fn a_good_executable_plugin_answers_over_its_pipes() -> TestResult {
    let path = example_plugins::rot13_executable(built()?);
    let mut plugin = start_executable(&path, PATIENCE)?;
    let info = plugin.info();
    assert_eq!(
        (info.name.as_str(), info.version.as_str(), info.abi),
        ("rot13", "0.1.0", Some(PROTOCOL_VERSION))
    );
    for input in ["Hello, World!", "", "ünïcode ok"] {
        assert_eq!(plugin.call(input)?, rot13(input), "input {input:?}");
    }
    match plugin.call("panic!") {
        Err(PluginError::Refused { message, .. }) => assert!(message.contains("panicked")),
        other => panic!("expected the plugin's own panic report, got {other:?}"),
    }
    assert_eq!(plugin.call("after")?, "nsgre");
    match plugin.call("two\nlines") {
        Err(e @ PluginError::BadInput { .. }) => assert!(e.to_string().contains("line break")),
        other => panic!("expected BadInput, got {other:?}"),
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn an_executable_that_exits_or_hangs_is_an_error_not_a_stuck_host() -> TestResult {
    let dir = tempfile::tempdir()?;
    let quick = std::time::Duration::from_millis(300);

    let exits = script(
        dir.path(),
        "exits",
        "echo 'mastery-plugin 1 exits 0.1'\nread line\nexit 3",
    )?;
    let mut plugin = start_executable(&exits, PATIENCE)?;
    match plugin.call("x") {
        Err(e @ PluginError::Exited { .. }) => assert!(e.to_string().contains('3'), "{e}"),
        other => panic!("expected Exited, got {other:?}"),
    }
    // Once gone, it stays an error.
    assert!(matches!(plugin.call("y"), Err(PluginError::Exited { .. })));

    let hangs = script(
        dir.path(),
        "hangs",
        "echo 'mastery-plugin 1 hangs 0.1'\nexec sleep 30",
    )?;
    let mut plugin = start_executable(&hangs, quick)?;
    match plugin.call("x") {
        Err(e @ PluginError::Timeout { .. }) => assert!(e.to_string().contains("killed"), "{e}"),
        other => panic!("expected Timeout, got {other:?}"),
    }

    let silent = script(dir.path(), "silent", "exec sleep 30")?;
    assert!(matches!(
        start_executable(&silent, quick),
        Err(PluginError::Timeout { .. })
    ));

    let chatty = script(dir.path(), "chatty", "echo hello there")?;
    match start_executable(&chatty, PATIENCE) {
        Err(e @ PluginError::Contract { .. }) => {
            assert!(e.to_string().contains("handshake"), "{e}")
        }
        other => panic!("expected a contract error, got {other:?}"),
    }

    let future = script(dir.path(), "future", "echo 'mastery-plugin 2 future 9.0'")?;
    assert!(matches!(
        start_executable(&future, PATIENCE),
        Err(PluginError::AbiMismatch {
            found: 2,
            expected: 1,
            ..
        })
    ));

    let missing = dir.path().join("mastery-missing");
    assert!(matches!(
        start_executable(&missing, PATIENCE),
        Err(PluginError::Spawn { .. })
    ));
    Ok(())
}

#[cfg(unix)]
#[test]
fn executables_are_found_like_path_lookups() -> TestResult {
    let first = tempfile::tempdir()?;
    let second = tempfile::tempdir()?;
    script(first.path(), "b", "")?;
    script(second.path(), "b", "")?;
    script(second.path(), "a", "")?;
    std::fs::write(second.path().join("mastery-notexec"), "")?;
    std::fs::write(second.path().join("other-tool"), "")?;
    let path_var = std::env::join_paths([first.path(), second.path()])?;
    let dirs = path_dirs(Some(&path_var));
    let found = executable_files(dirs.iter().map(PathBuf::as_path));
    let shown: Vec<_> = found
        .iter()
        .map(|p| {
            (
                plugin_name(p).unwrap_or("?"),
                p.parent() == Some(first.path()),
            )
        })
        .collect();
    // b from the first directory wins; a is found in the second.
    assert_eq!(shown, [("b", true), ("a", false)]);
    assert!(path_dirs(None).is_empty());
    Ok(())
}
