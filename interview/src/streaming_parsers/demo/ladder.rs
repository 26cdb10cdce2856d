//! The parser ladders: a byte-at-a-time textbook parser, then each idea
//! the production parser adds, then the peer crate — all on the same input,
//! timed in the same rounds (see [`mastery_kit::ladder`]).

use std::path::{Path, PathBuf};

use mastery_kit::ladder::{self, Kind, Rung};
use mastery_kit::python::{self, Served};
use mastery_kit::{Mode, Narrator, Unit};

use super::super::csv::{self as csv_parser, CsvOptions, CsvParser};
use super::super::json::{self, JsonOptions, JsonParser, SimpleJsonParser};
use super::super::{SimpleCsvParser, count_in_chunks};

/// Bytes of input each ladder parses per sample: smaller than the
/// throughput race, since the textbook rungs read a byte at a time and
/// every rung runs every round.
fn ladder_size(n: &Narrator) -> usize {
    n.mode().pick_deep(128usize << 10, 1 << 20, 8 << 20)
}

/// Starts the Python rungs (`csv.reader`, `json.loads`) for both ladders,
/// or says why there are none: quick mode leaves them out (starting the
/// interpreter would outlast the rest of the run), and a missing `python3`
/// is a skip line unless `require_python` is set.
pub(super) fn start_python(n: &mut Narrator) -> anyhow::Result<Option<Served>> {
    if n.mode() == Mode::Quick {
        return Ok(None);
    }
    let started = Served::spawn(&python::interpreter(n.settings()), crate::RUNG_ZERO, &[])
        .and_then(Served::ready);
    let served = python::skip_or_fail(n, "the Python rungs of the parser ladders", started)?;
    if let Some(served) = &served {
        n.say(&format!(
            "The ladders below start with Python's own parser, in CPython {}: the same \
             input, written once to a file it reads, timed by the interpreter itself around \
             its parse only.",
            served.version()
        ));
    }
    Ok(served)
}

/// A ladder's input written for the Python side to read; removed when
/// dropped.
struct InputFile(PathBuf);

impl InputFile {
    fn write(name: &str, bytes: &[u8]) -> anyhow::Result<InputFile> {
        let path =
            std::env::temp_dir().join(format!("mastery-ladder-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes)?;
        Ok(InputFile(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for InputFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The Python rung `op` over `file`, after one untimed call whose count
/// must be `expected` (what the Rust rungs read): a Python side that parsed
/// something else is an error, not a timing. Samples are MB/s from the
/// nanoseconds per byte Python measured around its own parse.
fn python_rung<'a>(
    served: &'a mut Served,
    (op, name, idea): (&'static str, &'static str, &'static str),
    file: &InputFile,
    (expected, what): (u64, &str),
) -> anyhow::Result<Rung<'a>> {
    let warm = served.call(&serde_json::json!({ "op": op, "input": file.path() }))?;
    anyhow::ensure!(
        warm.check == expected,
        "Python's {name} read {} {what} of the ladder's input, the Rust rungs {expected}",
        warm.check
    );
    // Timed calls skip the count: it was checked once above.
    let request = serde_json::json!({ "op": op, "input": file.path(), "count": false });
    Ok(Rung::new(name, Kind::Python, idea, move || {
        let reply = served.call(&request)?;
        Ok(1e3 / reply.ns_per_op.max(f64::MIN_POSITIVE))
    }))
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

pub(super) fn csv_ladder(n: &mut Narrator, python: Option<&mut Served>) -> anyhow::Result<()> {
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

    let file = InputFile::write("ladder.csv", &input)?;
    let mut rungs = Vec::new();
    if let Some(served) = python {
        rungs.push(python_rung(
            served,
            (
                "csv_reader",
                "csv.reader",
                "Python: decode, then csv.reader over the text (its parser is C)",
            ),
            &file,
            (expected, "records"),
        )?);
    }
    rungs.extend([
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
    ]);
    ladder::climb(n, "csv records", Unit::MegabytesPerSec, rungs)?;
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

pub(super) fn json_ladder(n: &mut Narrator, python: Option<&mut Served>) -> anyhow::Result<()> {
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
    let file = InputFile::write("ladder.json", &input)?;
    let mut rungs = Vec::new();
    if let Some(served) = python {
        rungs.push(python_rung(
            served,
            (
                "json_loads",
                "json.loads",
                "Python: the whole document into dicts and lists at once (its parser is C)",
            ),
            &file,
            (expected, "events"),
        )?);
    }
    rungs.extend([
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
    ]);
    ladder::climb(n, "json events", Unit::MegabytesPerSec, rungs)?;
    Ok(())
}
