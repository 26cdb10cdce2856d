//! The `mastery` binary end to end: exit codes, JSON shapes, reports and
//! configuration errors, as a user meets them.

use std::path::Path;
use std::process::{Command, Output};

fn mastery(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mastery"));
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("MASTERY_")) {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("the mastery binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn empty_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn list_shows_every_topic_and_json_parses() {
    let dir = empty_dir();
    let out = mastery(&["list"], dir.path(), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for id in [
        "interview/lru-cache",
        "tooling/cli-tools",
        "tooling/config-management",
        "tooling/logging-examples",
    ] {
        assert!(stdout.contains(id), "{id} missing from:\n{stdout}");
    }
    assert!(stdout.contains("functools.lru_cache") && stdout.contains("→"));
    let out = mastery(&["list", "--json"], dir.path(), &[]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    assert!(
        rows.as_array()
            .is_some_and(|r| r.iter().any(|t| t["id"] == "interview/lru-cache"))
    );
}

#[test]
fn unknown_topic_exits_2_with_a_suggestion() {
    let dir = empty_dir();
    let out = mastery(&["run", "interview/lru-cahce"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `interview/lru-cache`"),
        "{}",
        text(&out.stderr)
    );
    let out = mastery(&["run", "no/such"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown topic `no/such`"));
    let out = mastery(&["explain", "no/such"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = mastery(&["frobnicate"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2 too");
}

#[test]
fn run_prints_the_comparison_with_the_lru_crate() {
    let dir = empty_dir();
    let out = mastery(&["run", "interview/lru-cache", "--quick"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("lru crate") && stdout.contains("ours"),
        "{stdout}"
    );
}

#[test]
fn tour_json_has_the_documented_shape_and_report_is_written() {
    let dir = empty_dir();
    let report = dir.path().join("results");
    let out = mastery(
        &[
            "tour",
            "--quick",
            "--json",
            "--report",
            report.to_str().expect("utf-8 temp path"),
        ],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("tour --json is one JSON document");
    assert!(doc["machine"]["cores"].as_u64().is_some_and(|c| c >= 1));
    assert!(
        doc["machine"]["rustc"]
            .as_str()
            .is_some_and(|v| v.starts_with("rustc"))
    );
    let topics = doc["topics"].as_array().expect("topics array");
    assert!(topics.len() >= 4);
    for t in topics {
        assert!(
            t["id"].is_string() && t["ok"] == true && t["seconds"].is_number(),
            "{t}"
        );
        assert!(
            t["measurements"].is_array() && t["comparisons"].is_array(),
            "{t}"
        );
    }
    let lru = topics
        .iter()
        .find(|t| t["id"] == "interview/lru-cache")
        .expect("lru topic");
    let c = &lru["comparisons"][0];
    for key in [
        "topic",
        "label",
        "ours",
        "peer",
        "peer_name",
        "unit",
        "speedup",
    ] {
        assert!(!c[key].is_null(), "comparison lacks {key}: {c}");
    }
    let md = std::fs::read_to_string(report.join("RESULTS.md")).expect("RESULTS.md written");
    assert!(md.contains("| cores |") && md.contains("interview/lru-cache"));
    assert!(
        doc["measured_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    // Every chart the report links to exists and is an SVG.
    for link in md.split("](charts/").skip(1) {
        let name = link.split(')').next().expect("a closing parenthesis");
        let svg = std::fs::read_to_string(report.join("charts").join(name))
            .unwrap_or_else(|e| panic!("RESULTS.md links charts/{name}: {e}"));
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}"
        );
    }
    assert!(md.contains("](charts/interview-lru-cache.svg)"), "{md}");

    let out = mastery(&["run", "tooling", "--quick", "--json"], dir.path(), &[]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("run --json is JSON");
    assert_eq!(
        doc["topics"].as_array().map(Vec::len),
        Some(3),
        "prefix `tooling` selects its three topics"
    );
}

#[test]
fn bad_configuration_names_the_key_and_exits_2() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("mastery.toml"), "sampels = 3\n").expect("write config");
    let out = mastery(&["list"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sampels") && stderr.contains("mastery.toml"),
        "{stderr}"
    );

    let clean = empty_dir();
    let out = mastery(&["list"], clean.path(), &[("MASTERY_SAMPLES", "many")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("MASTERY_SAMPLES"),
        "{}",
        text(&out.stderr)
    );

    let out = mastery(&["--config", "absent.toml", "list"], clean.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("absent.toml"));

    let out = mastery(&["list"], clean.path(), &[("RUST_LOG", "mastery=loud")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("RUST_LOG"));
}

#[test]
fn explain_prints_the_lesson() {
    let dir = empty_dir();
    let out = mastery(&["explain", "interview/lru-cache"], dir.path(), &[]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for section in ["Python idiom", "Rust answer", "When to use which", "Run it"] {
        assert!(stdout.contains(section), "{section} missing:\n{stdout}");
    }
    assert!(!stdout.contains("//!"));
}

#[test]
fn logs_go_to_stderr_as_json_when_asked() {
    let dir = empty_dir();
    let out = mastery(
        &[
            "-v",
            "--log-format",
            "json",
            "run",
            "tooling/cli-tools",
            "--quick",
            "--json",
        ],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("stdout stays pure JSON");
    let stderr = text(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("topic finished"))
        .expect("an info event about the topic");
    let event: serde_json::Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(event["span"]["id"], "tooling/cli-tools");
}

/// `mastery parse` with `input` on stdin.
fn parse_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let dir = empty_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mastery"))
        .arg("parse")
        .args(args)
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the mastery binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("mastery parse finishes")
}

#[test]
fn parse_summarises_well_formed_input_and_measures_heap() {
    let dir = empty_dir();
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "name,age\n\"Smith, J\",42\nAda,36").expect("write csv");
    let path = file.to_str().expect("utf-8 temp path");
    let out = mastery(&["parse", "csv", "--header", path], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("csv: 2 records,"), "{stdout}");
    assert!(
        stdout.contains("MB/s") && stdout.contains("peak heap"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("not measured"),
        "the binary installs the counting allocator"
    );

    let out = parse_stdin(&["json"], br#"{"a": [1, true, null]}"#);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("json: 8 events,"));
    let out = parse_stdin(&["xml", "-"], b"<a x='1'><b/>text</a>");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("xml: 5 events,"));
}

#[test]
fn parse_events_and_records_are_json_lines() {
    let out = parse_stdin(&["json", "--events"], br#"{"k": "v\u00e9", "n": 1e3}"#);
    assert_eq!(out.status.code(), Some(0));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(events.len(), 6);
    assert_eq!(
        events[2],
        serde_json::json!({"event": "string", "value": "vé"})
    );
    assert_eq!(
        events[4],
        serde_json::json!({"event": "number", "value": 1000.0})
    );
    assert!(
        text(&out.stderr).starts_with("json: 6 events"),
        "summary on stderr"
    );

    let out = parse_stdin(&["csv", "--records"], b"a,\"b,\"\"c\"\"\"\r\n1,2\r\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "[\"a\",\"b,\\\"c\\\"\"]\n[\"1\",\"2\"]\n"
    );
}

#[test]
fn parse_reports_malformed_input_as_file_line_column() {
    let cases: [(&str, &[u8], &str); 3] = [
        ("json", b"{\"a\": [1,\n]}", "<stdin>:2:1: JSON error:"),
        ("csv", b"a,b\n1\n", "<stdin>:2:1: CSV error:"),
        ("xml", b"<a>\n  <b></a>", "<stdin>:2:8: XML error:"),
    ];
    for (format, input, want) in cases {
        let out = parse_stdin(&[format], input);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(want), "{format}: {stderr}");
    }
}

/// `text` in UTF-16 with its byte order mark.
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once(0xFEFF)
        .chain(text.encode_utf16())
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn parse_reads_utf16_xml_as_its_utf8_version() {
    let doc = "<r a='é'>\r\n😀 &amp; 名前<b/></r>";
    let utf8 = parse_stdin(&["xml", "--events"], doc.as_bytes());
    assert_eq!(utf8.status.code(), Some(0), "{}", text(&utf8.stderr));
    for big_endian in [false, true] {
        let out = parse_stdin(&["xml", "--events"], &utf16(doc, big_endian));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            text(&utf8.stdout),
            "big endian: {big_endian}"
        );
    }
    // The error's line and column are in characters, as in UTF-8; the
    // byte offset counts the file's bytes (byte order mark included).
    let out = parse_stdin(&["xml"], &utf16("<a>\n  <b></a>", true));
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("<stdin>:2:8: XML error:"), "{stderr}");
    assert!(stderr.contains("(byte 24)"), "{stderr}");
    // The encoding declaration must agree with the byte order mark.
    let declared = utf16("<?xml version='1.0' encoding='UTF-8'?><a/>", false);
    let out = parse_stdin(&["xml"], &declared);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("says encoding `UTF-8`, but the document is UTF-16LE"),
        "{stderr}"
    );
    let out = parse_stdin(&["xml"], b"<?xml version='1.0' encoding='Shift_JIS'?><a/>");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("encoding `Shift_JIS` is not supported"));
}

#[test]
fn parse_no_namespaces_reads_plain_xml_1_0_names() {
    let doc = b"<a:b:c x:y:z='1'/>";
    let out = parse_stdin(&["xml", "--no-namespaces"], doc);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("xml: 2 events,"));
    let out = parse_stdin(&["xml"], doc);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("namespace error"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn parse_usage_errors_exit_2() {
    let dir = empty_dir();
    for args in [
        &["parse", "json", "no-such-file.json"][..],
        &["parse", "json", "--records"],
        &["parse", "csv", "--delimiter", "é"],
        &["parse", "json", "--no-namespaces"],
        &["parse", "yaml"],
    ] {
        let out = mastery(args, dir.path(), &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn parse_memory_stays_flat_on_a_large_file() {
    use mastery_interview::streaming_parsers::{csv, json, xml};
    let dir = empty_dir();
    let size = 30 << 20;
    for (format, input) in [
        ("json", json::bench_input_json(size, 5)),
        ("csv", csv::bench_input_csv(size, 5)),
        ("xml", xml::bench_input_xml(size, 5)),
    ] {
        let file = dir.path().join(format!("big.{format}"));
        std::fs::write(&file, &input).expect("write the input");
        drop(input);
        let path = file.to_str().expect("utf-8 temp path");
        let out = mastery(&["parse", format, path], dir.path(), &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            text(&out.stderr)
        );
        let stdout = text(&out.stdout);
        let kb: f64 = stdout
            .split("peak heap ")
            .nth(1)
            .and_then(|rest| rest.split(" KB").next())
            .map(|n| n.replace('_', ""))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{format}: no peak heap in {stdout}"));
        // 30 MB in, well under 1 MB held: the 64 KiB read buffer and the
        // parser's own buffers, whatever the file's size.
        assert!(kb < 1024.0, "{format}: peak heap {kb} KB for a 30 MB file");
    }
}

#[test]
fn kata_list_names_each_kata_and_what_to_implement() {
    let dir = empty_dir();
    let out = mastery(&["kata", "list"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for part in [
        "lru-cache",
        "implement: LruKata<K, V>",
        "textbook:  SimpleLru",
    ] {
        assert!(stdout.contains(part), "{part:?} missing from:\n{stdout}");
    }
}

#[test]
fn kata_new_writes_a_starter_of_its_own_that_depends_on_the_kit() {
    let dir = empty_dir();
    let out = mastery(&["kata", "new", "lru-cache"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let starter = dir.path().join("kata-lru-cache");
    let read = |name: &str| {
        std::fs::read_to_string(starter.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let manifest = read("Cargo.toml");
    let kit = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .expect("the kit's directory");
    let kata_crate = format!("path = \"{}/kata\"", kit.display());
    assert!(manifest.contains(&kata_crate), "{manifest}");
    assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
    assert!(read("kata.toml").contains("id = \"lru-cache\""));
    assert!(read("src/lib.rs").contains("todo!(\"Lru::put\")"));
    assert!(read("tests/kata.rs").contains("kata_tests!(lru_cache, kata_lru_cache::Lru)"));
    assert!(read("src/bin/ladder.rs").contains("ladder::<kata_lru_cache::Lru<u64, u64>>"));
    assert!(read("README.md").contains("## Hints"));
    let lock = std::fs::read(kit.join("Cargo.lock")).expect("the kit's lock");
    assert_eq!(std::fs::read(starter.join("Cargo.lock")).ok(), Some(lock));
    assert!(text(&out.stdout).contains("cargo test"));
}

#[test]
fn kata_new_dag_order_puts_the_long_test_in_a_binary_of_its_own() {
    let dir = empty_dir();
    let out = mastery(&["kata", "new", "dag-order", "k"], dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let long = std::fs::read_to_string(dir.path().join("k/tests/long_chain.rs"))
        .expect("tests/long_chain.rs");
    assert!(
        long.contains("kata_tests!(dag_order_long, kata_dag_order::order)"),
        "{long}"
    );
    let kata = std::fs::read_to_string(dir.path().join("k/tests/kata.rs")).expect("tests/kata.rs");
    assert!(!kata.contains("dag_order_long"), "{kata}");
}

#[test]
fn kata_new_solution_writes_the_lessons_textbook_code() {
    let dir = empty_dir();
    let out = mastery(
        &["kata", "new", "lru-cache", "k", "--solution"],
        dir.path(),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lib = std::fs::read_to_string(dir.path().join("k/src/lib.rs")).expect("lib.rs");
    for part in [
        "pub struct SimpleLru<K, V",
        "fn move_to_front(&mut self, slot: usize)",
        "impl<K: Hash + Eq + Clone, V> LruKata<K, V> for SimpleLru<K, V>",
        "pub type Lru<K, V> = SimpleLru<K, V>;",
    ] {
        assert!(lib.contains(part), "{part:?} missing from:\n{lib}");
    }
    assert!(!lib.contains("todo!("));
}

#[test]
fn kata_new_into_an_existing_path_exits_1_and_writes_nothing() {
    let dir = empty_dir();
    let existing = dir.path().join("mine");
    std::fs::create_dir(&existing).expect("create dir");
    std::fs::write(existing.join("notes.txt"), "keep me").expect("write");
    let out = mastery(&["kata", "new", "lru-cache", "mine"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: mine already exists; nothing was written")
            && stderr.contains("mastery kata new lru-cache DIR"),
        "{stderr}"
    );
    let entries: Vec<_> = std::fs::read_dir(&existing)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(entries, ["notes.txt"]);
    // A file is a path that exists too, and an empty directory as well.
    std::fs::write(dir.path().join("file"), "").expect("write");
    std::fs::create_dir(dir.path().join("empty")).expect("create dir");
    for path in ["file", "empty"] {
        let out = mastery(&["kata", "new", "lru-cache", path], dir.path(), &[]);
        assert_eq!(out.status.code(), Some(1), "{path}: {}", text(&out.stderr));
    }
}

#[test]
fn kata_new_with_an_unknown_id_exits_2_with_a_suggestion() {
    let dir = empty_dir();
    let out = mastery(&["kata", "new", "lru-cahce"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown kata `lru-cahce` (did you mean `lru-cache`?)"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(dir.path())
            .expect("read dir")
            .next()
            .is_none()
    );
}

#[test]
fn kata_check_outside_a_kata_directory_exits_2_and_says_how_to_make_one() {
    let dir = empty_dir();
    let out = mastery(&["kata", "check"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("not a kata directory: no kata.toml in .")
            && stderr.contains("mastery kata new"),
        "{stderr}"
    );
}
