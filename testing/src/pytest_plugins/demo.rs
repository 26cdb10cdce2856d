//! The demo of `testing/pytest-plugins`: the case folder counted, the
//! harness run in this process (and on a folder with a broken file), the
//! session fixture's setup and teardown, what sharing it saves, and the
//! markers the workspace uses.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

use libtest_mimic::Arguments;
use mastery_interview::streaming_parsers::Format;
use mastery_kit::{Area, Comparison, Narrator, Topic, Verdict};

use super::{CASES_DIR, LoopbackServer, run_conformance, trials_from_folder};

mastery_kit::inventory::submit! {
    Topic {
        id: "testing/pytest-plugins",
        area: Area::Testing,
        rank: 3,
        title: "pytest's fixtures, parametrize and markers: rstest, a harness of our own, nextest",
        python: "@pytest.fixture(scope=...) with yield teardown, @pytest.mark.parametrize, conftest.py collecting files as tests, markers and -m, snapshot plugins",
        rust: "rstest fixtures and #[case] tables; a libtest-mimic harness (harness = false) making one test per case file, with a session fixture torn down after the last trial; #[ignore], cargo features and nextest filtersets and groups; insta snapshots",
        path: "testing/src/pytest_plugins/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The workspace's nextest configuration, shown as it is.
const NEXTEST_CONFIG: &str = include_str!("../../../.config/nextest.toml");

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let cases = Path::new(CASES_DIR);
    count_cases(n, cases)?;
    run_harness(n, cases)?;
    nextest_protocol(n, cases)?;
    broken_file(n)?;
    shared_fixture_cost(n)?;
    markers(n);
    Ok(())
}

fn count_cases(n: &mut Narrator, cases: &Path) -> anyhow::Result<()> {
    n.section("A folder of case files");
    n.say(
        "The streaming parsers' conformance cases are files, one case each: the input, the \
         options, and the events or the error it must give. The interview crate's tests read \
         them; the harness below makes a test of each.",
    );
    let trials = trials_from_folder(cases, "case", |_| Ok(()))?;
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for trial in &trials {
        let group = trial.name().rsplit_once('/').map_or("", |(g, _)| g);
        *groups.entry(group.to_owned()).or_default() += 1;
    }
    for (group, count) in &groups {
        let files = if *count == 1 { "file" } else { "files" };
        n.show(format!("{group:<22} {count:>4} {files}"));
    }
    for format in [Format::Csv, Format::Json, Format::Xml] {
        let prefix = format!("{}/", format.to_string().to_lowercase());
        let count = trials
            .iter()
            .filter(|t| t.name().starts_with(&prefix))
            .count();
        n.record_count(&format!("{format} case files"), count);
    }
    Ok(())
}

/// Arguments as libtest would parse them, writing the report to `log`
/// instead of this terminal.
fn quiet_args(filter: Option<&str>, log: &Path) -> Arguments {
    Arguments {
        filter: filter.map(str::to_owned),
        quiet: true,
        test_threads: Some(1),
        logfile: Some(log.display().to_string()),
        ..Arguments::default()
    }
}

fn run_harness(n: &mut Narrator, cases: &Path) -> anyhow::Result<()> {
    n.section("The harness, run in this process");
    // Quick mode runs one group, as `cargo test ... csv/rejected` would.
    let filter = n.mode().pick(Some("csv/rejected"), None);
    let log = tempfile::NamedTempFile::new()?;
    n.say(&format!(
        "run_conformance starts the loopback parse service (the session fixture), runs one \
         trial per file{} — each file under every feeding, then the same parse asked of the \
         service — and tears the service down.",
        filter.map_or(String::new(), |f| format!(" matching the filter `{f}`"))
    ));
    let started = Instant::now();
    let outcome = run_conformance(&quiet_args(filter, log.path()), cases)?;
    let elapsed = started.elapsed();
    let tally = &outcome.conclusion;
    n.record_count("trials passed", tally.num_passed);
    n.record_count("trials failed", tally.num_failed);
    n.record_count("trials filtered out", tally.num_filtered_out);
    n.record_duration(
        "the harness run, fixture setup and teardown included",
        elapsed,
    );
    let report = outcome.teardown;
    n.record_count("requests the session fixture answered", report.requests);
    let refused = TcpStream::connect(report.addr).is_err();
    n.show(format!(
        "teardown: the service on {} stopped; a connection now is {}",
        report.addr,
        if refused {
            "refused"
        } else {
            "accepted (a leak)"
        }
    ));
    anyhow::ensure!(
        tally.num_failed == 0,
        "conformance cases failed: see {:?}",
        log.path()
    );
    anyhow::ensure!(
        refused,
        "the session fixture still listens after its teardown"
    );
    anyhow::ensure!(
        report.requests == tally.num_passed,
        "one request per trial was expected"
    );
    Ok(())
}

fn nextest_protocol(n: &mut Narrator, cases: &Path) -> anyhow::Result<()> {
    n.section("What nextest asks of the harness");
    n.say(
        "nextest runs the same binary twice over: `--list --format terse` to learn the tests, \
         then `--exact <name>` once per test, each in a process of its own. The harness \
         answers both through libtest-mimic; here both are driven in this process.",
    );
    let log = tempfile::NamedTempFile::new()?;
    let logfile = log.path().display().to_string();
    let list = Arguments::from_iter([
        "conformance_cases",
        "--list",
        "--format",
        "terse",
        "--logfile",
        &logfile,
    ]);
    run_conformance(&list, cases)?;
    let listing = std::fs::read_to_string(log.path())?;
    let first = listing.lines().next().unwrap_or_default().to_owned();
    n.show(format!(
        "--list --format terse: {first} … ({} lines)",
        listing.lines().count()
    ));
    let name = first.strip_suffix(": test").unwrap_or_default();
    let exact = Arguments::from_iter([
        "conformance_cases",
        "--exact",
        name,
        "--nocapture",
        "--logfile",
        &logfile,
    ]);
    let one = run_conformance(&exact, cases)?;
    n.show(format!(
        "--exact {name}: {} passed, {} filtered out; the session fixture started for it \
         answered {} request",
        one.conclusion.num_passed, one.conclusion.num_filtered_out, one.teardown.requests
    ));
    n.record_count("tests nextest lists", listing.lines().count());
    n.say(
        "So under nextest a session fixture is set up and torn down once per test: sharing \
         across tests needs a process outside them.",
    );
    Ok(())
}

fn broken_file(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A broken case file fails its own test");
    let dir = tempfile::tempdir()?;
    let folder = dir.path().join("json");
    std::fs::create_dir(&folder)?;
    std::fs::write(
        folder.join("good.case"),
        "parser: json\ninput: \"[1]\"\nevents: [ #1 ]\n",
    )?;
    std::fs::write(
        folder.join("typo.case"),
        "parser: json\ninput: \"[1]\"\nevent: [ #1 ]\n",
    )?;
    let log = tempfile::NamedTempFile::new()?;
    let outcome = run_conformance(&quiet_args(None, log.path()), dir.path())?;
    let report = std::fs::read_to_string(log.path())?;
    let message = report
        .lines()
        .find(|line| line.contains("typo.case"))
        .unwrap_or("(no message naming the file)");
    let shown = message.replace(&dir.path().display().to_string(), "<tmp>");
    n.show(format!(
        "json/good: {} passed; json/typo: {} failed —",
        outcome.conclusion.num_passed, outcome.conclusion.num_failed
    ));
    n.show(format!("  {shown}"));
    n.record_count(
        "trials that failed on the broken file (of 2)",
        outcome.conclusion.num_failed,
    );
    anyhow::ensure!(
        outcome.conclusion.num_failed == 1 && outcome.conclusion.num_passed == 1,
        "the broken file must fail alone"
    );
    Ok(())
}

fn shared_fixture_cost(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("What a session fixture saves");
    let requests = n.mode().pick(4_usize, 40);
    n.say(&format!(
        "{requests} parse requests, each as a test would make it: on a server shared by the \
         session, against a fresh server per test (bind a port, start its thread, answer, \
         stop it and join the thread). The figure is per request."
    ));
    let shared = LoopbackServer::start()?;
    let request = |server: &LoopbackServer| server.parse(Format::Json, "default", b"[1, 2]");
    let mut failures = 0_u64;
    let mut on_shared = || {
        for _ in 0..requests {
            failures += u64::from(request(&shared).is_err());
        }
    };
    let mut fresh_failures = 0_u64;
    let on_fresh = || {
        for _ in 0..requests {
            let ok = LoopbackServer::start().and_then(|s| {
                let answer = request(&s);
                s.shutdown();
                answer
            });
            fresh_failures += u64::from(ok.is_err());
        }
    };
    let c = n.compare_timed(
        "one request: a shared session fixture vs a fresh fixture per test",
        requests as u64,
        &mut on_shared,
        "a fresh server per test",
        on_fresh,
    );
    let report = shared.shutdown();
    anyhow::ensure!(
        failures == 0 && fresh_failures == 0 && report.bad_requests == 0,
        "parse requests failed"
    );
    say_saving(n, &c);
    Ok(())
}

fn say_saving(n: &mut Narrator, c: &Comparison) {
    let text = match c.verdict {
        Verdict::Better => format!(
            "Sharing the server made a request {:.1}× cheaper on this run: a fresh fixture \
             pays for a port, a thread and a join every time.",
            c.speedup
        ),
        Verdict::Worse => format!(
            "The fresh server came out {:.1}× cheaper on this run: the shared one's accept \
             loop was slower to answer than a new one.",
            1.0 / c.speedup
        ),
        Verdict::Tie { within } => format!(
            "No difference this run can see between a shared and a fresh server (within \
             ±{:.1} %).",
            within * 100.0
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples in this mode for a verdict on the shared fixture.".to_owned()
        }
    };
    n.say(&text);
}

fn markers(n: &mut Narrator) {
    n.section("Markers: #[ignore], features, nextest");
    n.say(
        "`#[ignore = \"reason\"]` parks a test (run it with --ignored); the `slow-tests` \
         feature un-parks the slow ones at build time; nextest picks tests at run time with \
         filtersets and paces them with groups. The workspace's .config/nextest.toml, used by \
         `cargo nextest run --workspace --profile ci`:",
    );
    n.show_block(&NEXTEST_CONFIG.trim_end());
}
