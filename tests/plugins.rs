//! `mastery plugins`: listing and running plugins from the command line,
//! with a script plugin written by the test and an empty `PATH`.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn mastery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mastery"))
        .args(args)
        .env("PATH", "")
        .output()
        .expect("the mastery binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn script(dir: &Path, name: &str, body: &str) {
    let path = dir.join(format!("mastery-{name}"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write the script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

const ECHO: &str =
    "echo 'mastery-plugin 1 echo 2.0'\nwhile read -r verb rest; do echo \"ok $rest\"; done";

#[test]
fn lists_compiled_and_executable_plugins_and_runs_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    script(dir.path(), "echo", ECHO);
    let d = dir.path().to_str().expect("UTF-8 temp path");

    let listed = mastery(&["plugins", d]);
    let stdout = text(&listed.stdout);
    assert!(stdout.contains("compiled    rot13"), "{stdout}");
    assert!(
        stdout.contains("executable  echo         2.0      1"),
        "{stdout}"
    );
    assert_ne!(listed.status.code(), Some(2), "{}", text(&listed.stderr));

    let ran = mastery(&["plugins", d, "--run", "echo", "hi there"]);
    assert_eq!(text(&ran.stdout), "hi there\n");
    assert_eq!(ran.status.code(), Some(0));

    let compiled = mastery(&["plugins", "--run", "rot13", "Hello", "--kind", "compiled"]);
    assert_eq!(text(&compiled.stdout), "Uryyb\n");
}

#[test]
fn a_failing_plugin_exits_1_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    script(
        dir.path(),
        "dies",
        "echo 'mastery-plugin 1 dies 0.1'\nread line\nexit 7",
    );
    let d = dir.path().to_str().expect("UTF-8 temp path");

    let died = mastery(&["plugins", d, "--run", "dies", "x"]);
    assert_eq!(died.status.code(), Some(1));
    assert!(
        text(&died.stderr).contains("exited"),
        "{}",
        text(&died.stderr)
    );

    let unknown = mastery(&["plugins", d, "--run", "nope", "x"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("no plugin named `nope`"));

    let no_dir = mastery(&["plugins", "/definitely/not/here"]);
    assert_eq!(no_dir.status.code(), Some(2));
    assert!(text(&no_dir.stderr).contains("not a directory"));

    let bad_flag = mastery(&["plugins", "--kind", "library"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}
