//! # Streaming parsers
//!
//! ## Python idiom
//! A file too large for `json.load` is read with `ijson.items(f, "item")`,
//! a CSV with `csv.reader(f)`, and XML with `xml.etree.ElementTree.iterparse`
//! (plus `elem.clear()` so the tree does not grow). Each hands you events or
//! small objects while the file is read, so memory depends on the shape of
//! one record, not on the size of the file.
//!
//! ## Rust answer
//! Strict **push parsers** that keep constant memory: you [`feed`] them
//! chunks of bytes as they arrive (from a socket, a file, stdin) and they call
//! you back with one event per token; [`finish`] says the input has ended.
//! Three parsers share one contract ([`PushParser`]), one error type
//! ([`ParseError`] with a [`Position`]), the pull adapter [`Events`] and the
//! counting helper [`count_events`]: [`json::JsonParser`] (RFC 8259,
//! complete), [`csv::CsvParser`] (RFC 4180 plus delimiter, quote, header,
//! flexible records, any line ends; one event per record whose fields are
//! `&str` slices) and [`xml::XmlParser`] (XML 1.0 well-formedness with
//! namespaces or plain names, UTF-8 or UTF-16 input, the internal DTD
//! subset's general entities expanded under an expansion budget, nothing
//! external fetched). `mastery parse <json|csv|xml> FILE` runs them over a
//! file or stdin.
//!
//! ```
//! use mastery_interview::streaming_parsers::json::{JsonEvent, JsonOptions, JsonParser};
//!
//! let mut parser = JsonParser::new(JsonOptions::default());
//! let mut keys = Vec::new();
//! // The chunks split a key and a number: the events are the same as for one chunk.
//! for chunk in [&b"{\"na"[..], b"me\": \"Ad\\u00e", b"9le\", \"age\": 3", b"6}"] {
//!     parser.feed(chunk, |event| {
//!         if let JsonEvent::Key(key) = event {
//!             keys.push(key.to_owned());
//!         }
//!     })?;
//! }
//! parser.finish(|_| {})?;
//! assert_eq!(keys, ["name", "age"]);
//! # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
//! ```
//!
//! **The idea at its smallest.** [`SimpleCsvParser`], the code below this
//! lesson, is a complete CSV push parser in a few dozen lines. It reads one
//! byte at a time, and everything it needs to go on — where the scan is,
//! the field being read, the fields of the record so far — lives in its
//! fields, so a chunk may end anywhere, even inside a quoted field. The
//! production parsers keep that shape and take three steps beyond it, each
//! described below: events borrow instead of owning their text; hot loops
//! scan runs of bytes instead of single bytes; and a token cut by a chunk
//! boundary is collected whole and parsed by the same code as a token
//! inside a chunk. A property test checks that [`SimpleCsvParser`] and
//! [`csv::CsvParser`] accept, reject and report the same records.
//!
//! **Events borrow; nothing is allocated per event.** The callback receives a
//! `JsonEvent<'_>` whose strings are `&str` borrowed either from the chunk
//! you passed in (the common case: the string lies inside one chunk and has
//! no escapes, so it is validated as UTF-8 and handed out in place) or from
//! one of two reusable buffers inside the parser — `pending` holds the raw
//! bytes of a token cut by the end of a chunk, `scratch` the decoded text of
//! a string with escapes. Both buffers keep their capacity, so after warm-up
//! a parse allocates nothing.
//!
//! **A callback, not an `Iterator`.** `Iterator::next` returns an `Item`
//! whose type cannot name the borrow of `next`'s `&mut self`, so an
//! iterator cannot lend: an iterator of events would have to copy each one.
//! A *lending* iterator is expressible — an inherent `fn next_event(&mut
//! self) -> Option<Event<'_>>` always was, and since Rust 1.65 generic
//! associated types let a trait say it (`type Item<'a> where Self: 'a; fn
//! next(&mut self) -> Option<Self::Item<'_>>`). What it gives up is
//! everything built on `Iterator`: the standard library has no lending
//! trait, so there is no `for` loop and no `map`, `filter` or `collect`,
//! only `while let`; a loop that returns one of the lent events early does
//! not compile (E0499, a known limit of today's borrow checker that its
//! successor, Polonius, lifts); and a generic bound such as `for<'a>
//! I::Item<'a>: Debug` forces `I: 'static`. A callback lives by the same
//! rule — an event is gone when the call returns, before the next `feed` —
//! with a plain `FnMut` and no lifetime in your code. When owned events are
//! what you want (tests, a quick script), [`Events`] is a pull adapter over
//! any [`Read`](std::io::Read) that copies each event into an owned value.
//!
//! **An explicit state machine, not recursion.** The parser keeps "what may
//! come next" in a small enum and the open containers in its own stack
//! (`Vec`), so 100 000 nested `[` are an ordinary [`ErrorKind::TooDeep`]
//! (limit 1024 by default, configurable), never a stack overflow, and a
//! parse can stop at any byte and resume with the next chunk. Memory is
//! O(nesting depth + longest token + chunk), independent of the input size.
//!
//! **Fast paths, one set of rules.** Hot loops scan whole runs: plain string
//! bytes eight at a time (SWAR: find `"`, `\` or a control byte in a
//! `u64`), a number's shape from one 16-byte load; the state is dispatched
//! once per token, not per byte, and each dispatch tries the bytes the
//! grammar expects before whitespace, so compact JSON never pays for a
//! whitespace test. A token cut by a chunk boundary is the slow path: its
//! raw bytes are collected in `pending` (strings: until the closing quote;
//! numbers and literals resume their small state machine) and then parsed
//! by *the same function* as the in-chunk token. That is why any split of
//! the input gives exactly the same events and the same error, which the
//! property tests check with arbitrary split points.
//!
//! **UTF-8 is checked once per chunk, not per token.** Each chunk's valid
//! prefix is found by `simdutf8` (SIMD picked at run time, behind a safe
//! API), from the first token that starts in the chunk (a chunk that
//! begins with the rest of a character cut by the previous one would fail
//! at its first byte otherwise); every token inside it is then a `&str`
//! slice in O(1), where checking each token on its own would call the
//! validator once per token. That pass is the price of handing out `&str`
//! in safe Rust, and the one thing `serde_json` into `IgnoredAny` skips (it
//! neither validates nor decodes the strings it skips). Text that is
//! already a `&str` needs no check: `feed_str` on every parser skips it.
//!
//! **Errors.** One [`ParseError`] for every format: the byte offset, line and
//! column ([`Position`]) of the offending byte, and an [`ErrorKind`] that
//! says what was wrong and what was expected ("unexpected `]`, expected a
//! value after `,` (JSON has no trailing commas)"). After an error the parser
//! stays failed and repeats it. No input makes it panic — property tests feed
//! arbitrary bytes in arbitrary chunks.
//!
//! JSON choices, all per RFC 8259: numbers exactly per the grammar (no `+`,
//! no leading zeros, no `.5` or `1.`), reported as raw text with
//! [`json::JsonNumber`] helpers to read them as `i64`/`u64`/`f64`; all escapes
//! including surrogate pairs (a lone surrogate is an error); UTF-8 validated;
//! any value at top level; trailing bytes rejected. A leading UTF-8 byte
//! order mark is skipped (the RFC lets a parser ignore it; `serde_json`
//! rejects it) unless [`json::JsonOptions::skip_bom`] is off. A multi-value
//! mode reads JSON Lines and concatenated values, with an
//! [`json::JsonEvent::EndOfValue`] after each. CSV's dialect and XML's
//! rules are on their modules' pages ([`csv`], [`xml`]).
//!
//! ## When to use which
//! - A whole document that fits in memory and maps onto your types:
//!   `serde_json::from_slice` — typed, fast, and the right default.
//! - A document too large for memory, arriving in pieces (socket, pipe), or
//!   where you want a few fields out of a huge array: a push parser like
//!   [`json::JsonParser`]; `serde_json::StreamDeserializer` covers the
//!   easier case of many small top-level values (JSON Lines).
//! - Events as owned values, for convenience over speed: [`Events`]
//!   (one allocation per string event).
//! - CSV into typed rows: the `csv` crate with serde; [`csv::CsvParser`]
//!   when you need to stream borrowed records, strict field counts with the
//!   record number in the error, or a push interface.
//! - XML: `quick-xml` when speed matters more than checking (it checks end
//!   tags and little else: no duplicate attributes, entities, names or Char
//!   ranges); `roxmltree` for a read-only tree of a document that fits in
//!   memory; [`xml::XmlParser`] when input is untrusted and must be
//!   well-formed, with entity expansion bounded.
//!
//! ## What it costs
//! The demo measures two things. **Memory**: each format streamed through
//! a reader (tens of MB in a full run, hundreds with `mastery run
//! interview/streaming-parsers --deep`; generated while it is read, so the
//! input never exists in memory), with the peak heap the process held —
//! the parser's buffers and one read chunk, whatever the input's size.
//! **Throughput against the peer each format's users reach for**, on
//! generated input in memory, as the last step of each format's ladder
//! (below): JSON events against `serde_json` into `IgnoredAny` (a full
//! syntax check that builds nothing and skips the UTF-8 check and
//! unescaping of strings that ours must do to hand out `&str`), and on
//! its own the same race from a `&str` (`feed_str` against
//! `serde_json::from_str`, UTF-8 known to both); CSV records against the
//! `csv` crate; XML elements against `quick_xml::Reader` (which checks
//! end-tag names and little else).
//!
//! **The ladders** time every step from the Python idiom to the peer on
//! the same input, in the same rounds, each against the one below. They
//! start with Python's own parser in CPython (full mode, when `python3` is
//! there; `interview/python/rung_zero.py`): `csv.reader` over the decoded
//! text, `json.loads` of the whole document, `ElementTree.iterparse` with
//! each element cleared once ended. CSV:
//! [`SimpleCsvParser`] (a state per byte, a `String` per field) →
//! `CsvParser::bytewise` (fields lent from the chunk as spans, a cut record
//! kept whole in `pending`) → [`csv::CsvParser`] (plain runs scanned eight
//! bytes at a time, the only difference from the rung below: a `const
//! SWAR` parameter) → the `csv` crate into one reused `ByteRecord` (which
//! checks no UTF-8). JSON: [`json::SimpleJsonParser`] (the interview
//! version: a state per byte, owned events) → [`json::JsonParser`] →
//! `serde_json` into `IgnoredAny`, from bytes. XML: [`xml::XmlParser`] →
//! `quick_xml::Reader`, with no textbook rung — a strict XML 1.0 parser is
//! not an interview's page of code. Property tests hold each
//! textbook parser, and the bytewise CSV parser, to the production one's
//! verdicts and events under any chunking (the JSON one on every
//! conformance case too). [`climb_csv_ladder`] is the CSV ladder the demo
//! climbs; the `csv-parser` kata (`mastery kata new csv-parser`) climbs it
//! with the reader's own parser as one more rung ([`ReaderParser`]),
//! placed among the others.
//!
//! The criterion benches add what the demo leaves out: each parser fed
//! whole and in 64 KiB chunks (`ours` against `ours-64KiB-chunks`: what
//! cutting tokens costs), and the peers doing our whole job —
//! `json/serde_json-visitor` (every string handed out as `&str`),
//! `csv/csv-crate-string` (UTF-8 checked), `xml/quick-xml-attributes`
//! (attributes and text unescaped).
//!
//! **One huge token** — a string, field, text node or comment of hundreds
//! of MB read 64 KiB at a time — costs time linear in its length, whatever
//! the chunking: each feed scans only the new bytes for the token's end
//! and copies them into `pending`, the token's start is located once, and
//! the whole token is parsed once, when its end arrives. A test proves it
//! by counting, not timing: every pass over a cut token's bytes charges a
//! test-only meter (`work.rs`), and for every token kind of the three
//! formats, fed in 1-byte, 7-byte and 64 KiB chunks, the work per input
//! byte stays under a small constant; the bench `streaming_huge_token`
//! shows the same in time, parsing one token of each format at two sizes
//! four times apart. Memory is about the token's own size: `pending`
//! holds its raw bytes and grows in small steps rather than doubling
//! (`pending.rs`), and the event lends the text from there; a
//! token whose text must be decoded (escapes, references, doubled quotes,
//! `\r`) also holds the decoded text in a second buffer, about its size
//! again.
//!
//! **UTF-16 XML** costs one more pass and one more buffer: each chunk is
//! decoded into UTF-8 (one reused buffer, about one and a half chunks)
//! and then parsed like any UTF-8 chunk; an error's byte offset is moved
//! back into the UTF-16 bytes only when there is an error.
//!
//! What you give up: events are lower level than a typed struct — you
//! track where you are yourself (a key path, a depth counter); a token
//! that spans a chunk boundary is copied once; a single enormous string
//! (hundreds of MB) is held whole in memory, because an event hands it out
//! as one `&str`; and the parser drives the loop — a callback cannot stop
//! the parse or take one event at a time (stop between chunks instead).
//!
//! ## Run it
//! `mastery run interview/streaming-parsers` (chunking, strict errors,
//! each format streamed with its peak heap, throughput against `serde_json`,
//! `csv` and `quick-xml`; `--deep` streams and races on larger inputs with
//! more samples); `mastery parse json|csv|xml FILE` (`--events`,
//! `--records`; for XML, `--no-namespaces`; a UTF-16 file needs no
//! flag, its byte order mark says so); `cargo test -p mastery-interview streaming_parsers`
//! (conformance cases from RFC 8259, RFC 4180 and XML 1.0 — one file
//! each under `interview/conformance/`, read through [`conformance`] and
//! also run one test per file by `cargo test -p mastery-testing --test
//! conformance_cases` — chunking and arbitrary-bytes property tests,
//! agreement with the peers); and
//! `cargo bench -p mastery-interview --bench streaming_parsers` (JSON),
//! `--bench streaming_csv`, `--bench streaming_xml`, and
//! `--bench streaming_huge_token` (one huge token per format, two sizes).
//!
//! [`feed`]: json::JsonParser::feed
//! [`finish`]: json::JsonParser::finish
//!
//! ## Follow-ups
//! - **What bounds its memory?** The input's shape, not its size: nesting depth
//!   (the parser's own stack), the longest token and one chunk
//!   (`READ_CHUNK_SIZE` in `interview/src/streaming_parsers/mod.rs`). Buffers
//!   keep their capacity, so after warm-up a parse allocates nothing.
//! - **And one huge token?** A token cut by chunks is collected whole in
//!   `pending`, which grows by a quarter
//!   (`interview/src/streaming_parsers/pending.rs`), and parsed once at its
//!   end; work stays linear in any chunking
//!   (`a_huge_token_costs_linear_work_in_any_chunking` in
//!   `interview/src/streaming_parsers/json/tests.rs`). The kit sets no cap on
//!   its size.
//! - **What can hostile input do?** It cannot make a parser panic
//!   (property-tested on arbitrary bytes) or overflow the stack: nesting is
//!   capped (`ErrorKind::TooDeep`), XML entity expansion by
//!   `max_entity_expansion`, and external entities are never fetched
//!   (`entity_bombs_hit_the_expansion_budget` in
//!   `interview/src/streaming_parsers/xml/tests.rs`). An unclosed string is
//!   buffered to the end of input: cap the bytes you feed.
//! - **What about chunk boundaries?** Any split gives the same events and
//!   error: a cut token is parsed by the same function as a whole one.
//!   `check_chunking_never_matters`
//!   (`interview/src/streaming_parsers/testkit.rs`) compares whole, cut and
//!   byte-by-byte parses; conformance cases run at every two-way split.
//! - **Where is an error reported?** At the offending byte: a `Position` of
//!   offset, line and column in characters
//!   (`interview/src/streaming_parsers/position.rs`). Scanners keep only an
//!   index into the chunk or into `pending`, located once, on the error path
//!   (`Fail::locate` in `interview/src/streaming_parsers/error.rs`).
//! - **Is it thread-safe; what breaks at 10× load?** A parser shares nothing
//!   and `feed` takes `&mut self` (`PushParser` in
//!   `interview/src/streaming_parsers/mod.rs`): one parser per stream, so ten
//!   times the streams is ten times the parsers, on as many threads. Ten times
//!   the input of the same shape keeps memory flat and time linear.

pub mod conformance;
pub mod csv;
mod demo;
mod error;
mod input;
pub mod json;
mod lifecycle;
mod pending;
mod position;
mod reader;
mod sample_text;
mod swar;
mod work;
pub mod xml;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use demo::ladder::{ReaderParser, climb_csv_ladder, start_ladder_python};
pub use error::{ErrorKind, Format, ParseError};
pub use position::Position;
pub use reader::{Events, Summary, count_events, count_in_chunks, for_each_event};

pub(crate) use error::{Fail, Where};
pub(crate) use input::Input;
pub(crate) use lifecycle::Lifecycle;

/// How many bytes the reader-based helpers read at a time.
pub const READ_CHUNK_SIZE: usize = 64 * 1024;

// ANCHOR: core
/// The contract the streaming parsers share: push bytes in, get borrowed
/// events out through a callback, end with [`finish`](PushParser::finish).
///
/// Any split of the input into chunks gives the same events and the same
/// error; after an error every call returns that error again.
pub trait PushParser {
    /// An event, borrowing from the chunk or from the parser's buffers.
    type Event<'a>;
    /// An event that owns its text, for iterators and collections.
    type OwnedEvent;

    /// Parses `chunk`, calling `on_event` for every event it completes.
    fn feed<F>(&mut self, chunk: &[u8], on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(Self::Event<'_>);

    /// [`feed`](PushParser::feed) for a chunk that is already text: the
    /// same events and errors, without checking its UTF-8 again.
    fn feed_str<F>(&mut self, chunk: &str, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(Self::Event<'_>);

    /// Ends the input: completes a token still open and checks the document
    /// is complete.
    fn finish<F>(&mut self, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(Self::Event<'_>);

    /// Where the next fed byte will be.
    fn position(&self) -> Position;

    /// The format, for errors raised outside the parser (I/O).
    fn format(&self) -> Format;

    /// Copies an event into its owned form.
    fn to_owned_event(event: &Self::Event<'_>) -> Self::OwnedEvent;

    /// Starts over on a new input with the same options, keeping the
    /// buffers' capacity.
    fn reset(&mut self);
}

// ANCHOR: simple_csv
/// The whole idea at its smallest: a CSV push parser (RFC 4180's `,` and
/// `"`, quoted fields, doubled quotes, any line end) that reads one byte at
/// a time.
///
/// Everything needed to resume lives in its fields, so a chunk may end
/// anywhere. It owns what it hands out (one `String` per field) and says
/// what was wrong but not where; [`csv::CsvParser`] borrows every field
/// from the chunk, skips runs of plain bytes eight at a time, reports the
/// line and column, and otherwise accepts, rejects and reports the same —
/// in its flexible mode, with the byte order mark kept as data (a property
/// test checks it).
///
/// ```
/// use mastery_interview::streaming_parsers::SimpleCsvParser;
///
/// let mut parser = SimpleCsvParser::new();
/// let mut rows = Vec::new();
/// // The first chunk ends inside a quoted field, between a doubled quote's halves.
/// for chunk in [&b"name,note\r\nAda,\"says \"\"hi\""[..], b"\"\"\n"] {
///     parser.feed(chunk, |record| rows.push(record.to_vec()))?;
/// }
/// parser.finish(|record| rows.push(record.to_vec()))?;
/// assert_eq!(rows, [["name", "note"], ["Ada", "says \"hi\""]]);
/// # Ok::<(), mastery_interview::streaming_parsers::ErrorKind>(())
/// ```
#[derive(Debug, Default)]
pub struct SimpleCsvParser {
    /// Where the scan is: all a chunk boundary has to remember.
    state: CsvState,
    /// The bytes of the field being read, checked as UTF-8 when it ends.
    field: Vec<u8>,
    /// The finished fields of the record being read.
    record: Vec<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    /// Between records: a line end here is an empty line, skipped.
    #[default]
    RecordStart,
    /// At the first byte of a field, after a comma.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field, where commas and line ends are text.
    Quoted,
    /// Just after a quote inside a quoted field: it closed the field,
    /// unless a second quote follows (two quotes are one quote of text).
    QuoteInQuoted,
}

impl SimpleCsvParser {
    /// A parser at the start of its input.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the next chunk, calling `on_record` for every record it
    /// completes. The fields are lent: copy them to keep them.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut on_record: impl FnMut(&[String]),
    ) -> Result<(), ErrorKind> {
        for &byte in chunk {
            self.step(byte, &mut on_record)?;
        }
        Ok(())
    }

    /// Ends the input: reports a last record that has no line end, and
    /// rejects a quoted field that was never closed.
    pub fn finish(&mut self, mut on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        match self.state {
            CsvState::RecordStart => Ok(()),
            CsvState::Quoted => Err(ErrorKind::UnclosedQuote { quote: b'"' }),
            _ => self.end_record(&mut on_record),
        }
    }

    /// One byte of input: the next state, and a finished field or record.
    fn step(&mut self, byte: u8, on_record: &mut impl FnMut(&[String])) -> Result<(), ErrorKind> {
        use CsvState as S;
        self.state = match (self.state, byte) {
            (S::RecordStart, b'\r' | b'\n') => S::RecordStart,
            (S::RecordStart | S::FieldStart, b'"') => S::Quoted,
            (S::Unquoted, b'"') => return Err(ErrorKind::QuoteInUnquotedField { quote: b'"' }),
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::QuoteInQuoted, b'"') => {
                self.field.push(b'"');
                S::Quoted
            }
            (S::Quoted, _) => {
                self.field.push(byte);
                S::Quoted
            }
            (_, b',') => {
                self.end_field()?;
                S::FieldStart
            }
            (_, b'\r' | b'\n') => {
                self.end_record(on_record)?;
                S::RecordStart
            }
            (S::QuoteInQuoted, found) => return Err(ErrorKind::TextAfterClosingQuote { found }),
            (S::RecordStart | S::FieldStart | S::Unquoted, _) => {
                self.field.push(byte);
                S::Unquoted
            }
        };
        Ok(())
    }

    fn end_field(&mut self) -> Result<(), ErrorKind> {
        let bytes = std::mem::take(&mut self.field);
        let text = String::from_utf8(bytes).map_err(|_| ErrorKind::InvalidUtf8)?;
        self.record.push(text);
        Ok(())
    }

    fn end_record(&mut self, on_record: &mut impl FnMut(&[String])) -> Result<(), ErrorKind> {
        self.end_field()?;
        on_record(&self.record);
        self.record.clear();
        Ok(())
    }
}
// ANCHOR_END: simple_csv
// ANCHOR_END: core
