//! The parser ladders: a byte-at-a-time textbook parser, then each idea
//! the production parser adds, then the peer crate — all on the same input,
//! timed in the same rounds (see [`mastery_kit::ladder`]).

use std::path::{Path, PathBuf};

use mastery_kit::ladder::{self, Climbed, Kind, Rung};
use mastery_kit::python::{self, Served};
use mastery_kit::{Mode, Narrator, Unit};

use super::super::csv::{self as csv_parser, CsvOptions, CsvParser};
use super::super::json::{self, JsonOptions, JsonParser, SimpleJsonParser};
use super::super::xml::{self, XmlEvent, XmlOptions, XmlParser};
use super::super::{ErrorKind, SimpleCsvParser, count_in_chunks};

/// Bytes of input each ladder parses per sample: smaller than the
/// throughput race, since the textbook rungs read a byte at a time and
/// every rung runs every round.
fn ladder_size(n: &Narrator) -> usize {
    n.mode().pick_deep(128usize << 10, 512 << 10, 8 << 20)
}

/// Starts the Python rungs (`csv.reader`, `json.loads`,
/// `ElementTree.iterparse`) for the ladders, or says why there are none: quick mode leaves them out (starting the
/// interpreter would outlast the rest of the run), and a missing `python3`
/// is a skip line unless `require_python` is set.
pub fn start_ladder_python(n: &mut Narrator) -> anyhow::Result<Option<Served>> {
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

/// The reader's CSV parser as one more rung of the CSV ladder: its name and
/// a function that parses the whole input, fed as one chunk to a new
/// parser, and returns the records it read.
///
/// Any parser fits, from any crate:
///
/// ```
/// use mastery_interview::streaming_parsers::{ReaderParser, SimpleCsvParser};
///
/// let mut reader = ReaderParser::new("my SimpleCsvParser", |input| {
///     let mut parser = SimpleCsvParser::new();
///     let mut records = 0u64;
///     parser.feed(input, |_| records += 1)?;
///     parser.finish(|_| records += 1)?;
///     Ok(records)
/// });
/// assert_eq!(reader.name(), "my SimpleCsvParser");
/// assert_eq!(reader.count(b"a,b\n\"c\nd\",e"), Ok(2));
/// ```
pub struct ReaderParser<'a> {
    name: String,
    count: CountRecords<'a>,
}

/// A reader's parse of a whole input: its records, or its error.
type CountRecords<'a> = Box<dyn FnMut(&[u8]) -> Result<u64, ErrorKind> + 'a>;

impl<'a> ReaderParser<'a> {
    /// A rung called `name` whose `count` parses an input from its start
    /// and returns its records, or the error that stopped it.
    pub fn new(
        name: impl Into<String>,
        count: impl FnMut(&[u8]) -> Result<u64, ErrorKind> + 'a,
    ) -> ReaderParser<'a> {
        ReaderParser {
            name: name.into(),
            count: Box::new(count),
        }
    }

    /// The rung's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The records of `input`, parsed from its start as one chunk.
    ///
    /// # Errors
    /// The error the reader's parser returned.
    pub fn count(&mut self, input: &[u8]) -> Result<u64, ErrorKind> {
        (self.count)(input)
    }
}

impl std::fmt::Debug for ReaderParser<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderParser")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Climbs the CSV ladder: Python's `csv.reader` (when `python` is given:
/// see [`start_ladder_python`]), [`SimpleCsvParser`],
/// `CsvParser::bytewise`, [`CsvParser`] and the `csv` crate — and the
/// reader's parser when one is given, placed among them.
///
/// Every rung first reads the whole input once and must count the records
/// [`CsvParser`] counts; a reader's parser that counts differently (or
/// fails) is an error that says so, rather than a timing of different work.
///
/// # Errors
/// A rung (or the reader's parser) that reads a different number of
/// records, or fails; a failing Python side.
pub fn climb_csv_ladder(
    n: &mut Narrator,
    python: Option<&mut Served>,
    reader: Option<ReaderParser<'_>>,
) -> anyhow::Result<Climbed> {
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
    if let Some(mut reader) = reader {
        let records = reader.count(&input).map_err(|kind| {
            anyhow::anyhow!(
                "your parser failed on the ladder's input with {kind:?} ({kind}); the input is \
                 valid CSV that CsvParser reads as {expected} records, so it is not timed: run \
                 the kata's tests to see where"
            )
        })?;
        anyhow::ensure!(
            records == expected,
            "your parser read {records} records of the ladder's input, CsvParser {expected} \
             ({} KiB of generated CSV, fed as one chunk), so it is not timed: run the kata's \
             tests to see where",
            size >> 10
        );
        let name = reader.name().to_owned();
        let input = &input;
        rungs.push(Rung::new(
            name,
            Kind::Reader,
            "your parser, fed the input as one chunk",
            ladder::mb_per_sec(bytes, move || reader.count(input).unwrap_or(0)),
        ));
    }
    ladder::climb(n, "csv records", Unit::MegabytesPerSec, rungs)
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

/// Elements started in `input`, as our parser reports them.
fn xml_elements(parser: &mut XmlParser, input: &[u8]) -> anyhow::Result<u64> {
    parser.reset();
    let mut started = 0u64;
    let mut count =
        |event: XmlEvent<'_>| started += u64::from(matches!(event, XmlEvent::StartElement(_)));
    parser.feed(input, &mut count)?;
    parser.finish(&mut count)?;
    Ok(started)
}

/// Elements started in `input`, as quick-xml reports them (an empty
/// element is one `Empty` event).
fn quick_xml_elements(input: &[u8]) -> u64 {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut started = 0u64;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(quick_xml::events::Event::Start(_) | quick_xml::events::Event::Empty(_)) => {
                started += 1
            }
            Ok(_) => {}
        }
        buf.clear();
    }
    started
}

/// XML has no textbook rung: a strict XML 1.0 parser (entities, the
/// DOCTYPE, namespaces) is not an interview's hundred lines. The ladder is
/// Python's streaming idiom, ours, and quick-xml.
pub(super) fn xml_ladder(n: &mut Narrator, python: Option<&mut Served>) -> anyhow::Result<()> {
    let size = ladder_size(n);
    n.section("The XML ladder: from ElementTree.iterparse to quick-xml");
    n.say(&format!(
        "{} KiB of the same generated XML, fed as one chunk, elements counted. There is \
         no textbook rung: a strict XML 1.0 parser is not an interview's page of code.",
        size >> 10
    ));
    let input = xml::bench_input_xml(size, 13);
    let bytes = input.len() as u64;
    let mut parser = XmlParser::new(XmlOptions::default());
    let expected = xml_elements(&mut parser, &input)?;
    let peer = quick_xml_elements(&input);
    anyhow::ensure!(
        peer == expected,
        "quick-xml started {peer} elements of the ladder's input, XmlParser {expected}"
    );
    let file = InputFile::write("ladder.xml", &input)?;
    let mut rungs = Vec::new();
    if let Some(served) = python {
        rungs.push(python_rung(
            served,
            (
                "xml_iterparse",
                "ElementTree.iterparse",
                "Python: start and end events, each element cleared once ended (expat is C)",
            ),
            &file,
            (expected, "elements"),
        )?);
    }
    rungs.extend([
        Rung::new(
            "XmlParser",
            Kind::Production,
            "strict XML 1.0: names, references and entities checked, text lent from the chunk",
            ladder::mb_per_sec(bytes, || xml_elements(&mut parser, &input).unwrap_or(0)),
        ),
        Rung::new(
            "quick-xml",
            Kind::Peer,
            "quick_xml::Reader events (checks end-tag names and little else)",
            ladder::mb_per_sec(bytes, || quick_xml_elements(&input)),
        ),
    ]);
    ladder::climb(n, "xml elements", Unit::MegabytesPerSec, rungs)?;
    Ok(())
}
