//! The parser ladders: a byte-at-a-time textbook parser, then each idea
//! the production parser adds, then the peer crate — all on the same input,
//! timed in the same rounds (see [`mastery_kit::ladder`]).

use mastery_kit::ladder::{self, Kind, Rung};
use mastery_kit::{Narrator, Unit};

use super::super::csv::{self as csv_parser, CsvOptions, CsvParser};
use super::super::json::{self, JsonOptions, JsonParser, SimpleJsonParser};
use super::super::{SimpleCsvParser, count_in_chunks};

/// Bytes of input each ladder parses per sample: smaller than the
/// throughput race, since the textbook rungs read a byte at a time and
/// every rung runs every round.
fn ladder_size(n: &Narrator) -> usize {
    n.mode().pick_deep(128usize << 10, 1 << 20, 8 << 20)
}

/// Records in `input` as the lesson's parser counts them.
fn simple_records(parser: &mut SimpleCsvParser, input: &[u8]) -> u64 {
    *parser = SimpleCsvParser::new();
    let mut records = 0u64;
    let fed = parser.feed(input, |_| records += 1);
    match fed.and_then(|()| parser.finish(|_| records += 1)) {
        Ok(()) => records,
        Err(_) => 0,
    }
}

/// Records in `input` as the `csv` crate counts them, into one reused
/// `ByteRecord` (its cheapest complete pass).
fn csv_crate_records(input: &[u8]) -> u64 {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(input);
    let mut record = ::csv::ByteRecord::new();
    let mut records = 0u64;
    while let Ok(true) = reader.read_byte_record(&mut record) {
        records += 1;
    }
    records
}

pub(super) fn csv_ladder(n: &mut Narrator) -> anyhow::Result<()> {
    let size = ladder_size(n);
    n.section("The CSV ladder: from the textbook parser to the csv crate");
    n.say(&format!(
        "{} KiB of the same generated CSV, fed as one chunk, records counted. Each rung \
         adds one idea to the one below; every rung runs once per round, so a step's \
         ratio compares rungs measured side by side.",
        size >> 10
    ));
    let input = csv_parser::bench_input_csv(size, 12);
    let bytes = input.len() as u64;
    let mut simple = SimpleCsvParser::new();
    let mut bytewise = CsvParser::bytewise(CsvOptions::default());
    let mut production = CsvParser::new(CsvOptions::default());

    // Every rung must read the same records before any is timed.
    let expected = count_in_chunks(&mut production, &input, input.len())?;
    for (rung, records) in [
        ("SimpleCsvParser", simple_records(&mut simple, &input)),
        (
            "CsvParser::bytewise",
            count_in_chunks(&mut bytewise, &input, input.len())?,
        ),
        ("csv crate", csv_crate_records(&input)),
    ] {
        anyhow::ensure!(
            records == expected,
            "{rung} read {records} records of the ladder's input, CsvParser {expected}"
        );
    }

    ladder::climb(
        n,
        "csv records",
        Unit::MegabytesPerSec,
        vec![
            Rung::new(
                "SimpleCsvParser",
                Kind::Textbook,
                "the lesson's parser: a state per byte, a String per field",
                ladder::mb_per_sec(bytes, || simple_records(&mut simple, &input)),
            ),
            Rung::new(
                "CsvParser::bytewise",
                Kind::Step,
                "fields borrowed from the chunk as spans; a cut record kept whole in `pending`",
                ladder::mb_per_sec(bytes, || {
                    count_in_chunks(&mut bytewise, &input, input.len()).unwrap_or(0)
                }),
            ),
            Rung::new(
                "CsvParser",
                Kind::Production,
                "plain runs scanned eight bytes at a time (SWAR)",
                ladder::mb_per_sec(bytes, || {
                    count_in_chunks(&mut production, &input, input.len()).unwrap_or(0)
                }),
            ),
            Rung::new(
                "csv crate",
                Kind::Peer,
                "csv::Reader into one reused ByteRecord (checks no UTF-8)",
                ladder::mb_per_sec(bytes, || csv_crate_records(&input)),
            ),
        ],
    )?;
    Ok(())
}

/// Events in `input` as the textbook JSON parser counts them.
fn simple_json_events(input: &[u8]) -> u64 {
    let mut parser = SimpleJsonParser::new();
    let mut events = 0u64;
    let fed = parser.feed(input, |_| events += 1);
    match fed.and_then(|()| parser.finish(|_| events += 1)) {
        Ok(()) => events,
        Err(_) => 0,
    }
}

pub(super) fn json_ladder(n: &mut Narrator) -> anyhow::Result<()> {
    let size = ladder_size(n);
    n.section("The JSON ladder: from the textbook parser to serde_json");
    n.say(&format!(
        "{} KiB of the same generated JSON, fed as one chunk, events counted (serde_json \
         checks the syntax into IgnoredAny, building nothing).",
        size >> 10
    ));
    let input = json::bench_input_json(size, 11);
    let bytes = input.len() as u64;
    let mut production = JsonParser::new(JsonOptions::default());
    let expected = count_in_chunks(&mut production, &input, input.len())?;
    let textbook = simple_json_events(&input);
    anyhow::ensure!(
        textbook == expected,
        "SimpleJsonParser read {textbook} events of the ladder's input, JsonParser {expected}"
    );
    anyhow::ensure!(
        serde_json::from_slice::<serde::de::IgnoredAny>(&input).is_ok(),
        "serde_json rejects the ladder's input"
    );
    ladder::climb(
        n,
        "json events",
        Unit::MegabytesPerSec,
        vec![
            Rung::new(
                "SimpleJsonParser",
                Kind::Textbook,
                "a state per byte, every string and number copied into an owned event",
                ladder::mb_per_sec(bytes, || simple_json_events(&input)),
            ),
            Rung::new(
                "JsonParser",
                Kind::Production,
                "strings lent from the chunk, plain runs skipped eight bytes at a time, \
                 UTF-8 checked in bulk",
                ladder::mb_per_sec(bytes, || {
                    count_in_chunks(&mut production, &input, input.len()).unwrap_or(0)
                }),
            ),
            Rung::new(
                "serde_json",
                Kind::Peer,
                "serde_json::from_slice into IgnoredAny",
                ladder::mb_per_sec(bytes, || {
                    serde_json::from_slice::<serde::de::IgnoredAny>(&input).is_ok()
                }),
            ),
        ],
    )?;
    Ok(())
}
