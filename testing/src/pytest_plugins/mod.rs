//! # pytest's fixtures, parametrize and markers: rstest, a harness of our own, nextest
//!
//! ## Python idiom
//! pytest finds tests by name, hands each the fixtures its arguments ask
//! for, and lets a `conftest.py` and a few plugins shape the run:
//!
//! ```python
//! @pytest.fixture(scope="session")
//! def service():
//!     server = start_server()
//!     yield server            # every test of the session shares it
//!     server.stop()           # teardown, after the last test
//!
//! @pytest.mark.parametrize("text,expected", [("1", [1]), ("[]", [])])
//! def test_parse(text, expected): ...
//!
//! def pytest_collect_file(parent, file_path):        # conftest.py hook:
//!     if file_path.suffix == ".case":                # a file becomes a test
//!         return CaseFile.from_parent(parent, path=file_path)
//!
//! @pytest.mark.slow                                  # pytest -m "not slow"
//! @pytest.mark.skip(reason="needs a GPU")
//! ```
//!
//! and `pytest-xdist` spreads the tests over processes, `syrupy` or
//! `pytest-snapshot` compare output with a stored snapshot.
//!
//! ## Rust answer
//! - **Fixtures and parametrize: `rstest`.** A `#[fixture]` fn is built
//!   fresh for each test that names it as an argument; `#[case]` rows make
//!   one test per row (`parse::case_2_empty_array`), `#[values]` the
//!   cartesian product. Teardown is `Drop`, at the end of each test.
//! - **A session fixture with a teardown.** rstest's `#[once]` builds a
//!   value once per process and keeps it in a `static` — and a `static` is
//!   never dropped, so its teardown never runs (a temp dir stays on disk).
//!   A harness that owns `main` does what the session scope does:
//!   [`run_suite`] builds the fixture, runs the trials, tears it down and
//!   reports. The fixture here is a [`LoopbackServer`], a parse service on
//!   a `127.0.0.1` port; its `Drop` stops it too, so a panic on the way
//!   releases it all the same.
//! - **A folder of files, one test each: `libtest-mimic`.** A test target
//!   with `harness = false` brings its own `main`; [`trials_from_folder`]
//!   (the core below) turns every file of a folder into a `Trial`, and
//!   `libtest_mimic::run` gives it libtest's command line — filters,
//!   `--exact`, `--list`, `--ignored`, threads. The streaming parsers'
//!   conformance cases live in `interview/conformance/` as one file each;
//!   `tests/conformance_cases.rs` runs them as one test per file, and the
//!   interview crate's own tests read the same files. A file that is not
//!   a valid case fails its own trial with the line and what to fix.
//! - **Markers.** `#[ignore = "reason"]` is `skip` (run them with
//!   `--ignored` or `--include-ignored`); a cargo feature is a marker you
//!   select at build time (`--features slow-tests` turns on the tests that
//!   `cfg_attr(not(feature = "slow-tests"), ignore)` parks); and nextest's
//!   filtersets select at run time: `cargo nextest run --workspace -E
//!   'test(/redis/)'`. The workspace's `.config/nextest.toml` has a `ci`
//!   profile and a test group that runs the tests starting a
//!   `redis-server` one at a time.
//! - **Snapshots: `insta`.** `assert_snapshot!(output)` compares with a
//!   file under `snapshots/`, committed next to the test; `cargo insta
//!   review` (or `INSTA_UPDATE=always`) accepts a change. The root
//!   `tests/cli_snapshots.rs` keeps `mastery --help`, the topic list and a
//!   DAG drawing.
//!
//! ```
//! use mastery_testing::pytest_plugins::trials_from_folder;
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir(dir.path().join("json")).unwrap();
//! std::fs::write(dir.path().join("json/one.case"), "1").unwrap();
//! std::fs::write(dir.path().join("notes.txt"), "not a case").unwrap();
//! let trials = trials_from_folder(dir.path(), "case", |_| Ok(())).unwrap();
//! let names: Vec<&str> = trials.iter().map(|t| t.name()).collect();
//! assert_eq!(names, ["json/one"]);
//! ```
//!
//! ## When to use which
//! - **A `#[fixture]`** for what one test needs fresh (a temp dir, a
//!   parser, a small server): it drops at the end of the test, pass or
//!   fail. **`#[case]`** for a table of inputs in code, where the compiler
//!   checks each row.
//! - **A folder of files** when the cases are data: many of them, written
//!   by people who do not read the code, shared with another suite or
//!   another language, or added without a rebuild. The price is a harness
//!   and a parser of the file format — with errors that name the file.
//! - **A session fixture in a harness** when starting the resource costs
//!   far more than using it. Under nextest every test is its own process,
//!   so "once per process" is once per test there: a fixture that must be
//!   shared across tests under nextest needs a process outside the tests
//!   (a `setup` script of nextest, or CI starting the service).
//! - **`#[ignore]`** for tests that need what a laptop may lack; a
//!   **feature** for a whole class (slow, needs-network) a CI job turns on;
//!   **nextest filtersets and groups** to pick and pace tests without
//!   rebuilding (`max-threads = 1` for tests sharing one port range).
//! - **Snapshots** for output a human judges once (help text, a report);
//!   never for output that holds timings or paths.
//!
//! ## What it costs
//! The demo counts the case files per format and runs the harness on them
//! in this process, with its tally of passes and failures and what the
//! session fixture served before its teardown. It measures what sharing
//! the fixture saves: one request to a shared server against starting a
//! server for the request and stopping it, as paired samples.
//!
//! ## Run it
//! `mastery run testing/pytest-plugins` (the folder, the harness, the
//! fixture's setup and teardown, the cost of a fresh fixture);
//! `cargo test -p mastery-testing --test conformance_cases` (one test per
//! case file; add a filter such as `json/rejected`), `cargo nextest run
//! --workspace --profile ci` (the same tests, each in its own process, with the
//! workspace's groups); `cargo test -p mastery-testing pytest_plugins`
//! (rstest fixtures and cases, the teardown proofs, the libtest and
//! nextest protocols driven in-process); `--features slow-tests` for the
//! test marked slow; `cargo test --test cli_snapshots` at the root. The
//! code: the core below; `suite.rs` (setup and teardown around a run),
//! `loopback.rs` (the fixture), `cases.rs` (the conformance suite),
//! `demo.rs`, `tests.rs`, and `testing/tests/conformance_cases.rs`.

mod cases;
mod demo;
mod loopback;
mod suite;
#[cfg(test)]
mod tests;

pub use cases::{CASES_DIR, HarnessError, check_case_file, conformance_trials, run_conformance};
pub use loopback::{LoopbackServer, ServerReport};
pub use suite::{SuiteError, SuiteFixture, SuiteOutcome, run_suite};

// ANCHOR: core
// pytest's `pytest_collect_file` hook, in Rust: walk a folder, make one
// libtest-mimic `Trial` per file, named by its path. The harness's `main`
// hands the trials to `libtest_mimic::run`, which reads libtest's command
// line, runs them on threads and catches a panicking one as a failure.

use std::io;
use std::path::{Path, PathBuf};

use libtest_mimic::Trial;

/// One trial per file under `dir` (any depth) whose extension is `ext`,
/// named by its path under `dir` without the extension (`json/one` for
/// `dir/json/one.case`), in sorted order. `check` runs the file; its error
/// fails the trial, and the message names the file.
///
/// # Errors
/// The I/O error of a directory that cannot be listed.
pub fn trials_from_folder<F>(dir: &Path, ext: &str, check: F) -> io::Result<Vec<Trial>>
where
    F: Fn(&Path) -> Result<(), String> + Clone + Send + 'static,
{
    let mut trials = Vec::new();
    for path in files_under(dir, ext)? {
        let name = trial_name(dir, &path);
        let check = check.clone();
        trials.push(Trial::test(name, move || {
            check(&path).map_err(|why| format!("{}: {why}", path.display()).into())
        }));
    }
    Ok(trials)
}

/// Every file under `dir` with extension `ext`, sorted.
fn files_under(dir: &Path, ext: &str) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// `dir/json/one.case` → `json/one`: `/` between parts on every OS.
fn trial_name(dir: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
    let parts: Vec<_> = relative.iter().map(|p| p.to_string_lossy()).collect();
    parts.join("/")
}
// ANCHOR_END: core
