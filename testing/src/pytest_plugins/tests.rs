//! rstest fixtures and case tables, the teardown proofs (a fresh fixture,
//! the session fixture after a harness run, after failing and panicking
//! trials, and when a trial keeps it), both runners' protocols driven in
//! process, the markers, and the nextest configuration.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use libtest_mimic::{Arguments, Failed, Trial};
use mastery_interview::streaming_parsers::Format;
use mastery_interview::streaming_parsers::conformance::{
    CASE_EXTENSION, CaseFileError, ConformanceCase, case_files, quote, unquote,
};
use rstest::{fixture, rstest};
use tempfile::{NamedTempFile, TempDir};

use super::*;

// ---------------------------------------------------------------------------
// Fixtures: built fresh for each test that names them, dropped at its end.

// ANCHOR: fixture
/// A parse service of the test's own (pytest's function scope).
#[fixture]
fn server() -> LoopbackServer {
    LoopbackServer::start().expect("a loopback port can be bound")
}
// ANCHOR_END: fixture

/// A folder of case files: a `json/` group with the given files.
#[fixture]
fn case_dir(#[default(&[])] files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(dir.path().join("json")).expect("a folder in it");
    for (name, text) in files {
        std::fs::write(dir.path().join("json").join(name), text).expect("a case file");
    }
    dir
}

/// Where libtest-mimic writes its report instead of the terminal.
#[fixture]
fn log() -> NamedTempFile {
    NamedTempFile::new().expect("a temp file")
}

fn args(extra: &[&str], log: &NamedTempFile) -> Arguments {
    let log = log.path().display().to_string();
    let argv = [
        "conformance_cases",
        "--logfile",
        log.as_str(),
        "--test-threads",
        "2",
    ];
    Arguments::from_iter(argv.into_iter().chain(extra.iter().copied()))
}

fn refuses(addr: std::net::SocketAddr) -> bool {
    TcpStream::connect(addr).is_err()
}

const GOOD: &str = "# one value\nparser: json\ninput: \"[1]\"\nevents: [ #1 ]\n";
const GOOD_ERROR: &str = "parser: json\ninput: \"[1,]\"\nerror: UnexpectedByte at byte 3\n";
const TYPO: &str = "parser: json\ninput: \"[1]\"\nevent: [ #1 ]\n";

// ---------------------------------------------------------------------------
// Case tables: one test per row.

#[rstest]
#[case::json_array(Format::Json, "default", b"[1, 2]", "events: [ #1 #2 ]")]
#[case::json_lines(Format::Json, "json-lines", b"1 2", "events: #1 ; #2 ;")]
#[case::json_error(Format::Json, "default", b"[1,]", "error: UnexpectedByte at byte 3")]
#[case::csv_header(Format::Csv, "header", b"h\n1", r#"events: H["h"] ["1"]"#)]
#[case::csv_empty(Format::Csv, "default", b"", "events:")]
#[case::xml(Format::Xml, "default", b"<a x='1'/>", r#"events: <a x="1"> </a>"#)]
fn the_service_answers_in_the_case_files_notation(
    server: LoopbackServer,
    #[case] format: Format,
    #[case] preset: &str,
    #[case] input: &[u8],
    #[case] answer: &str,
) {
    assert_eq!(
        server.parse(format, preset, input).expect("a round trip"),
        answer
    );
}

// ANCHOR: case_table
#[rstest]
#[case::text(b"plain text, quotes \" and \\ backslashes")]
#[case::line_ends(b"a\r\nb\rc\td")]
#[case::invalid_utf8(b"\xff\xfe\xc0\x80 \xe2\x82")]
#[case::bom_and_nul(b"\xEF\xBB\xBF\x00x")]
#[case::non_ascii("日本 😀 é".as_bytes())]
fn an_input_written_by_quote_reads_back_the_same(#[case] input: &[u8]) {
    assert_eq!(unquote(&quote(input)).as_deref(), Ok(input));
}
// ANCHOR_END: case_table

#[rstest]
#[case::unknown_key(TYPO, 3, "unknown key `event`")]
#[case::no_input("parser: json\nevents: 1\n", 0, "no `input:` line")]
#[case::bad_escape("parser: csv\ninput: \"a\\qb\"\nevents:\n", 2, "unknown escape `\\q`")]
#[case::short_hex("parser: csv\ninput: \"\\x4\"\nevents:\n", 2, "two hex digits")]
#[case::unknown_preset(
    "parser: xml\noptions: fast\ninput: \"<a/>\"\nevents:\n",
    2,
    "known: default"
)]
#[case::both(
    "parser: json\ninput: \"1\"\nevents: #1\nerror: X at byte 0\n",
    4,
    "given twice"
)]
#[case::bad_error(
    "parser: json\ninput: \"1\"\nerror: at 3\n",
    3,
    "<ErrorKind variant> at byte"
)]
#[case::unquoted("parser: json\ninput: [1]\nevents: [ #1 ]\n", 2, "double quotes")]
fn a_bad_case_file_is_an_error_naming_the_line(
    #[case] text: &str,
    #[case] line: usize,
    #[case] says: &str,
) {
    match ConformanceCase::parse(Path::new("x.case"), text) {
        Err(CaseFileError::Syntax {
            line: at, problem, ..
        }) => {
            assert_eq!(at, line, "{problem}");
            assert!(problem.contains(says), "{problem:?} should say {says:?}");
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The core: a folder becomes trials.

#[rstest]
fn every_case_file_becomes_one_trial_named_by_its_path(
    #[with(&[("b.case", GOOD), ("a.case", GOOD), ("notes.md", "")])] case_dir: TempDir,
) {
    std::fs::create_dir_all(case_dir.path().join("csv/deep")).expect("folders");
    std::fs::write(case_dir.path().join("csv/deep/c.case"), GOOD).expect("a file");
    let trials = trials_from_folder(case_dir.path(), CASE_EXTENSION, |_| Ok(())).expect("listed");
    let names: Vec<&str> = trials.iter().map(Trial::name).collect();
    assert_eq!(names, ["csv/deep/c", "json/a", "json/b"]);
}

#[test]
fn the_trials_cover_the_interview_case_folder_exactly() {
    let dir = Path::new(CASES_DIR);
    let files = case_files(dir).expect("the case folder is listed");
    let trials = trials_from_folder(dir, CASE_EXTENSION, |_| Ok(())).expect("listed");
    assert_eq!(trials.len(), files.len());
    for format in ["csv/", "json/", "xml/"] {
        assert!(
            trials.iter().any(|t| t.name().starts_with(format)),
            "no {format} cases"
        );
    }
}

#[rstest]
fn a_broken_file_fails_its_own_trial_and_names_the_file(
    #[with(&[("good.case", GOOD), ("typo.case", TYPO), ("fails.case", GOOD_ERROR)])]
    case_dir: TempDir,
    log: NamedTempFile,
) {
    let outcome = run_conformance(&args(&[], &log), case_dir.path()).expect("the suite runs");
    assert_eq!(
        (outcome.conclusion.num_passed, outcome.conclusion.num_failed),
        (2, 1)
    );
    let report = std::fs::read_to_string(log.path()).expect("the report");
    let path = case_dir.path().join("json/typo.case");
    let expected = format!("{}: line 3: unknown key `event`", path.display());
    assert!(report.contains(&expected), "{report}");
}

#[rstest]
fn a_case_whose_expectation_is_wrong_fails_with_what_it_got(
    case_dir: TempDir,
    server: LoopbackServer,
) {
    let path = case_dir.path().join("json/wrong.case");
    std::fs::write(&path, "parser: json\ninput: \"[1]\"\nevents: [ #2 ]\n").expect("a file");
    let why = check_case_file(&path, &server).expect_err("the events differ");
    assert!(why.contains("got events [ #1 ], expected [ #2 ]"), "{why}");
}

#[rstest]
fn an_empty_folder_is_an_error_not_a_passing_suite(case_dir: TempDir, log: NamedTempFile) {
    let err = run_conformance(&args(&[], &log), case_dir.path()).expect_err("no cases");
    assert!(matches!(err, HarnessError::NoCases { .. }), "{err}");
}

// ---------------------------------------------------------------------------
// Teardown: each proof fails if the server outlives its scope.

#[test]
fn a_function_fixture_is_torn_down_when_its_test_ends() {
    let addr = {
        let server = server();
        assert!(!refuses(server.addr()), "it listens while in use");
        server.addr()
    };
    assert!(refuses(addr), "the fixture's Drop stopped it");
}

#[rstest]
fn the_session_fixture_serves_every_trial_then_is_torn_down(
    #[with(&[("a.case", GOOD), ("b.case", GOOD_ERROR)])] case_dir: TempDir,
    log: NamedTempFile,
) {
    let outcome = run_conformance(&args(&[], &log), case_dir.path()).expect("the suite runs");
    assert_eq!(outcome.conclusion.num_passed, 2);
    let report = outcome.teardown;
    assert_eq!((report.requests, report.bad_requests), (2, 0));
    assert!(refuses(report.addr), "still listening after the teardown");
}

#[rstest]
fn the_teardown_runs_after_failing_and_panicking_trials(log: NamedTempFile) {
    let server = LoopbackServer::start().expect("a server");
    let outcome = run_suite(&args(&[], &log), server, |server| {
        let (a, b) = (Arc::clone(server), Arc::clone(server));
        vec![
            Trial::test("asks", move || {
                a.parse(Format::Json, "default", b"1")
                    .map(drop)
                    .map_err(|e| Failed::from(e.to_string()))
            }),
            Trial::test("fails", || Err("on purpose".into())),
            Trial::test("panics", move || {
                let _keep = &b;
                panic!("on purpose")
            }),
        ]
    })
    .expect("the trials let go of the fixture");
    assert_eq!(
        (outcome.conclusion.num_passed, outcome.conclusion.num_failed),
        (1, 2)
    );
    assert_eq!(outcome.teardown.requests, 1);
    assert!(refuses(outcome.teardown.addr));
}

#[rstest]
fn a_trial_that_keeps_the_fixture_is_reported_and_drop_still_stops_it(log: NamedTempFile) {
    let server = LoopbackServer::start().expect("a server");
    let addr = server.addr();
    let (keep, kept) = mpsc::channel();
    let result = run_suite(&args(&[], &log), server, |server| {
        let server = Arc::clone(server);
        vec![Trial::test("keeps", move || {
            keep.send(server).map_err(|e| Failed::from(e.to_string()))
        })]
    });
    assert!(
        matches!(result, Err(SuiteError::FixtureStillShared { holders: 2 })),
        "{result:?}"
    );
    assert!(!refuses(addr), "the kept handle keeps it up");
    drop(kept.recv().expect("the handle the trial kept"));
    assert!(refuses(addr), "the last handle's drop stopped it");
}

// ---------------------------------------------------------------------------
// Both runners' protocols, driven in this process on the real case folder.

#[rstest]
fn libtest_filters_and_exact_names_select_trials(log: NamedTempFile) {
    let dir = Path::new(CASES_DIR);
    let total = case_files(dir).expect("listed").len() as u64;
    let outcome = run_conformance(&args(&["json/keep-bom"], &log), dir).expect("runs");
    assert_eq!(outcome.conclusion.num_passed, 1);
    assert_eq!(outcome.conclusion.num_filtered_out, total - 1);
    // nextest runs each test as `<binary> --exact <name> --nocapture`.
    let name = "json/keep-bom/byte-order-mark-not-skipped-01";
    let exact = run_conformance(&args(&["--exact", name, "--nocapture"], &log), dir).expect("runs");
    assert_eq!(exact.conclusion.num_passed, 1);
    assert_eq!(exact.conclusion.num_filtered_out, total - 1);
    assert_eq!(exact.teardown.requests, 1);
}

#[rstest]
fn nextest_lists_every_trial_with_list_format_terse(log: NamedTempFile) {
    let dir = Path::new(CASES_DIR);
    let outcome =
        run_conformance(&args(&["--list", "--format", "terse"], &log), dir).expect("lists");
    assert_eq!(outcome.conclusion.num_passed, 0, "listing runs nothing");
    assert_eq!(outcome.teardown.requests, 0);
    let listing = std::fs::read_to_string(log.path()).expect("the listing");
    let names: Vec<&str> = listing
        .lines()
        .map(|line| line.strip_suffix(": test").expect("`<name>: test` lines"))
        .collect();
    let files = case_files(dir).expect("listed");
    assert_eq!(names.len(), files.len());
    for name in names {
        let file = dir.join(format!("{name}.{CASE_EXTENSION}"));
        assert!(files.contains(&file), "{name} is not a case file");
    }
}

// ---------------------------------------------------------------------------
// Markers and the nextest configuration.

// ANCHOR: markers
#[test]
#[ignore = "stress: binds and releases a thousand loopback ports; run with --ignored"]
fn a_thousand_fresh_fixtures_leave_no_port_open() {
    for _ in 0..1_000 {
        let addr = server().shutdown().addr;
        assert!(refuses(addr));
    }
}

/// Every case file through the harness, as one test: what the
/// `conformance_cases` target does one test per file. Slow in a debug
/// build, so a feature turns it on (pytest's `-m slow`).
#[rstest]
#[cfg_attr(
    not(feature = "slow-tests"),
    ignore = "slow: every case file under every feeding; enable with --features slow-tests"
)]
fn every_case_file_passes_through_the_harness(log: NamedTempFile) {
    let outcome = run_conformance(&args(&[], &log), Path::new(CASES_DIR)).expect("runs");
    assert_eq!(outcome.conclusion.num_failed, 0, "{:?}", log.path());
    assert_eq!(outcome.teardown.requests, outcome.conclusion.num_passed);
}
// ANCHOR_END: markers

/// The workspace root, where `.config/nextest.toml` lives.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the testing crate is in the workspace")
        .to_owned()
}

/// `key = value` lines of a TOML file by the `[table]` or `[[array]]`
/// header above them: enough to read nextest's flat configuration
/// without a second TOML crate in this crate's tree.
fn toml_entries(text: &str) -> Vec<(String, String, String)> {
    let mut table = String::new();
    let mut entries = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            table = line.trim_matches(|c| c == '[' || c == ']').to_owned();
        } else if let Some((key, value)) = line.split_once('=').filter(|_| !line.starts_with('#')) {
            entries.push((
                table.clone(),
                key.trim().to_owned(),
                value.trim().to_owned(),
            ));
        }
    }
    entries
}

#[test]
fn the_nextest_config_has_the_ci_profile_and_a_group_for_real_tests() {
    let root = workspace_root();
    let text = std::fs::read_to_string(root.join(".config/nextest.toml")).expect("the config");
    let entries = toml_entries(&text);
    let get = |table: &str, key: &str| {
        entries
            .iter()
            .find(|(t, k, _)| t == table && k == key)
            .map(|(_, _, v)| v.as_str())
    };
    assert_eq!(get("profile.ci", "fail-fast"), Some("false"));
    assert_eq!(
        get("test-groups", "redis-server"),
        Some("{ max-threads = 1 }")
    );
    assert_eq!(
        get("profile.default.overrides", "test-group"),
        Some("'redis-server'")
    );
    let filter = get("profile.default.overrides", "filter").expect("a filterset");
    assert!(
        filter.contains("test(/^safe_counters::tests::redis::/)"),
        "{filter}"
    );
    // The module the filter names exists and holds tests that start servers.
    let module = std::fs::read_to_string(root.join("interview/src/safe_counters/tests/redis.rs"))
        .expect("the module the filter names");
    assert!(module.matches("#[test]").count() >= 2);
    assert!(module.contains("redis_for_test"));
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("testing/pytest-plugins", demo::demo);
    assert_eq!(n.recorded("trials failed"), Some(0.0));
    assert!(n.recorded("trials passed").is_some_and(|p| p > 0.0));
    assert_eq!(
        n.recorded("trials that failed on the broken file (of 2)"),
        Some(1.0)
    );
    assert!(
        n.comparison_with("a fresh server per test").is_some(),
        "the shared fixture is compared with a fresh one"
    );
}
