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

/// The CSV ladder as the `csv-parser` kata climbs it: a reader's parser
/// that reads the records `CsvParser` reads is timed and placed; one that
/// counts otherwise, or fails, is refused before anything is timed.
#[test]
fn the_csv_ladder_places_a_right_reader_and_refuses_a_wrong_one() {
    use mastery_kit::ladder::Kind;

    use super::super::{ReaderParser, SimpleCsvParser, climb_csv_ladder};

    let quick = || Narrator::silent("kata/csv-parser", mastery_kit::Mode::Quick);
    let textbook = ReaderParser::new("your Parser", |input| {
        let mut parser = SimpleCsvParser::new();
        let mut records = 0u64;
        parser.feed(input, |_| records += 1)?;
        parser.finish(|_| records += 1)?;
        Ok(records)
    });
    let climbed = climb_csv_ladder(&mut quick(), None, Some(textbook)).expect("a right parser");
    let placement = climbed.placement.as_ref().expect("the reader was given");
    assert_eq!(placement.reader, "your Parser");
    assert_eq!(placement.versus.len(), climbed.rungs.len() - 1);
    assert_eq!(climbed.rungs.last().map(|r| r.kind), Some(Kind::Reader));

    // One record short: the header row taken out, as `csv.DictReader`
    // would.
    let no_header = ReaderParser::new("your Parser", |input| {
        let mut parser = SimpleCsvParser::new();
        let mut records = 0u64;
        parser.feed(input, |_| records += 1)?;
        parser.finish(|_| records += 1)?;
        Ok(records.saturating_sub(1))
    });
    let text = climb_csv_ladder(&mut quick(), None, Some(no_header))
        .expect_err("a record short")
        .to_string();
    assert!(text.starts_with("your parser read "), "{text}");
    assert!(text.contains("so it is not timed"), "{text}");

    let failing = ReaderParser::new("your Parser", |_| Err(super::super::ErrorKind::InvalidUtf8));
    let text = climb_csv_ladder(&mut quick(), None, Some(failing))
        .expect_err("a failing parser")
        .to_string();
    assert!(
        text.starts_with("your parser failed on the ladder's input with InvalidUtf8"),
        "{text}"
    );
}
