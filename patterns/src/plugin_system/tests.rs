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
    for name in ["libb.so", "liba.so", "notes.txt", "mastery-x", "b.so"] {
        std::fs::write(dir.path().join(name), "")?;
    }
    let names: Vec<_> = library_files(dir.path())?
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .collect();
    assert_eq!(names, ["liba.so", "libb.so"]);
    Ok(())
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("patterns/plugin-system", demo::demo);
    assert_eq!(n.recorded("plugins registered at compile time"), Some(2.0));
}
