//! Precedence, provenance in errors, and the example file.

use mastery_kit::Mode;

use super::demo::{demo, env};
use super::*;

fn in_dir(file: Option<&str>) -> (tempfile::TempDir, Sources) {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(text) = file {
        std::fs::write(dir.path().join(FILE_NAME), text).expect("write config");
    }
    let sources = Sources {
        dir: dir.path().to_path_buf(),
        ..Sources::default()
    };
    (dir, sources)
}

#[test]
fn defaults_without_any_source() {
    let (_dir, sources) = in_dir(None);
    assert_eq!(load(&sources).expect("valid"), Settings::default());
}

#[test]
fn precedence_is_defaults_file_env_flags() {
    let (_dir, mut sources) = in_dir(Some(
        "samples = 21\nmode = \"quick\"\nlog_level = \"info\"\n",
    ));
    assert_eq!(load(&sources).expect("valid").samples, Some(21));
    sources.env = env(&[
        ("MASTERY_SAMPLES", "31"),
        ("MASTERY_LOG_FORMAT", "json"),
        ("OTHER", "x"),
    ]);
    let s = load(&sources).expect("valid");
    assert_eq!(
        (s.samples, s.log_format, s.mode, s.log_level),
        (Some(31), LogFormat::Json, Mode::Quick, LogLevel::Info)
    );
    sources.flags = Overrides {
        samples: Some(41),
        mode: Some(Mode::Deep),
        ..Overrides::default()
    };
    let s = load(&sources).expect("valid");
    assert_eq!(
        (s.samples, s.mode, s.log_format),
        (Some(41), Mode::Deep, LogFormat::Json)
    );
}

#[test]
fn unknown_key_in_file_is_named_with_the_file() {
    let (dir, sources) = in_dir(Some("sampels = 5\n"));
    let msg = load(&sources).expect_err("unknown key").to_string();
    assert!(msg.contains("sampels"), "{msg}");
    assert!(
        msg.contains(&dir.path().join(FILE_NAME).display().to_string()),
        "{msg}"
    );
}

#[test]
fn bad_env_value_names_the_variable() {
    let (_dir, mut sources) = in_dir(None);
    sources.env = env(&[("MASTERY_SAMPLES", "many")]);
    let msg = load(&sources).expect_err("bad type").to_string();
    assert!(msg.contains("MASTERY_SAMPLES"), "{msg}");
    sources.env = env(&[("MASTERY_LOG_FORMAT", "xml")]);
    let msg = load(&sources).expect_err("bad variant").to_string();
    assert!(
        msg.contains("MASTERY_LOG_FORMAT") && msg.contains("xml"),
        "{msg}"
    );
    sources.env = env(&[("MASTERY_COLOUR", "red")]);
    let msg = load(&sources).expect_err("unknown variable").to_string();
    assert!(msg.contains("colour") || msg.contains("COLOUR"), "{msg}");
}

#[test]
fn switches_accept_one_and_zero_and_redis_url_layers() {
    let (_dir, mut sources) = in_dir(Some("redis_url = \"redis://127.0.0.1:1\"\n"));
    sources.env = env(&[("MASTERY_REQUIRE_REDIS", "1"), ("MASTERY_MODE", "deep")]);
    let s = load(&sources).expect("valid");
    assert!(s.require_redis && s.mode == Mode::Deep);
    assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:1"));
    sources.flags.redis_url = Some("redis://127.0.0.1:2".to_owned());
    let s = load(&sources).expect("valid");
    assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:2"));
    sources.env = env(&[("MASTERY_REQUIRE_REDIS", "maybe")]);
    let msg = load(&sources).expect_err("not a switch").to_string();
    assert!(msg.contains("MASTERY_REQUIRE_REDIS"), "{msg}");
}

#[test]
fn out_of_range_names_key_and_source() {
    let (dir, sources) = in_dir(Some("samples = 0\n"));
    let msg = load(&sources).expect_err("out of range").to_string();
    assert!(
        msg.contains("samples = 0") && msg.contains("between 1 and 1000"),
        "{msg}"
    );
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    let (_dir, mut sources) = in_dir(None);
    sources.env = env(&[("MASTERY_SAMPLES", "5000")]);
    let msg = load(&sources).expect_err("out of range").to_string();
    assert!(
        msg.contains("MASTERY_SAMPLES = 5000") && msg.contains("environment"),
        "{msg}"
    );
}

#[test]
fn malformed_toml_and_missing_explicit_file_are_errors() {
    let (dir, sources) = in_dir(Some("samples = [\n"));
    let msg = load(&sources).expect_err("malformed").to_string();
    assert!(msg.contains(FILE_NAME), "{msg}");
    let missing = Sources {
        explicit_file: Some(dir.path().join("nope.toml")),
        ..Sources::default()
    };
    assert!(matches!(load(&missing), Err(ConfigError::MissingFile(_))));
}

#[test]
fn the_example_file_loads_to_the_defaults() {
    let (_dir, sources) = in_dir(Some(&example_file()));
    assert_eq!(load(&sources).expect("valid"), Settings::default());
}

#[test]
fn demo_runs_in_quick_mode() {
    mastery_kit::demo_test::run_quick("tooling/config-management", demo);
}

#[test]
fn an_unknown_mode_names_the_key_and_the_choices() {
    let (_dir, sources) = in_dir(Some("mode = \"fast\"\n"));
    let msg = load(&sources).expect_err("no such mode").to_string();
    assert!(msg.contains("fast") && msg.contains("mode"), "{msg}");
    assert!(msg.contains("quick") && msg.contains("deep"), "{msg}");
}
