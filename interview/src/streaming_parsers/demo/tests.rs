//! Tests of the demo: the repeated input it streams, and the whole story
//! in quick mode.

use super::*;

#[test]
fn repeated_input_is_the_concatenation() {
    let mut r = Repeated::new(b"[", b"1", b",", b"]", 3);
    assert_eq!(r.total_len(), 7);
    let mut out = String::new();
    r.read_to_string(&mut out).expect("in-memory read");
    assert_eq!(out, "[1,1,1]");
    let mut empty = Repeated::new(b"[", b"1", b",", b"]", 0);
    let mut out = String::new();
    empty.read_to_string(&mut out).expect("in-memory read");
    assert_eq!(out, "[]");
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("interview/streaming-parsers", demo);
    for peer in ["serde_json", "csv crate", "quick-xml"] {
        assert!(n.comparison_with(peer).is_some(), "{peer}");
    }
    // The CSV ladder: each step against the rung below, the last against
    // the csv crate.
    let steps: Vec<&str> = n
        .comparisons()
        .iter()
        .filter(|c| c.label.starts_with("csv records: "))
        .map(|c| c.peer_name.as_str())
        .collect();
    assert_eq!(
        steps,
        ["SimpleCsvParser", "CsvParser::bytewise", "csv crate"]
    );
    let rejected = n
        .measurements()
        .iter()
        .find(|m| m.label.starts_with("malformed inputs rejected"))
        .map(|m| m.value);
    assert_eq!(rejected, Some(9.0));
}
