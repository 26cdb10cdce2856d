//! An incremental RFC 4180 CSV parser: feed chunks, get borrowed records.
//!
//! See the [module lesson](super) for the contract all three parsers share
//! (push parsing, borrowed events, one error type, any chunking gives the
//! same result). What is particular to CSV:
//!
//! **One event per record, not per field.** [`CsvParser`] calls you back
//! with a [`CsvEvent::Record`] carrying a [`Record`]: a `&[&str]`-like view
//! (`len`, `get`, `iter`, serializable as a JSON array) over the record's
//! fields. The fields are `&str` slices of the chunk you fed — the common
//! case costs one `(start, end)` pair per field in a reused `Vec` — except a
//! field with doubled quotes (`"a""b"`), whose unescaped text is written to a
//! reused scratch `String`. After warm-up a parse allocates nothing. With
//! [`CsvOptions::has_header`] the first record comes as
//! [`CsvEvent::Header`] instead.
//!
//! **A record is the token.** A record cut by the end of a chunk is copied
//! (raw) into a reusable buffer; a small state machine finds where it ends
//! in the next chunks, and then *the same function* that parses records
//! inside a chunk parses it. So memory is O(longest record + chunk), and any
//! split of the input gives the same events and the same error.
//!
//! **The hot loop** skips runs of ordinary bytes eight at a time (SWAR:
//! find the delimiter, the quote, `\r` or `\n` in a `u64`), and inside a
//! quoted field looks for the quote alone. UTF-8 is validated once per chunk
//! (see the [lesson](super)), so each field is sliced out as a `&str` in
//! O(1). The `csv` crate's reader (`csv-core`) runs a byte-at-a-time
//! automaton that copies every field byte into the record's buffer; this
//! one copies only fields with doubled quotes. `cargo bench -p
//! mastery-interview --bench streaming_csv` compares the two: `csv/ours`
//! against `csv/csv-crate` (bytes, no UTF-8 check) and, like for like,
//! `csv/csv-crate-string`.
//!
//! # How the code is laid out
//! - this file: [`CsvParser`]'s state;
//! - `parser.rs`: `feed`, `feed_str` and `finish`, the byte order mark, the
//!   record count, and the [`PushParser`](super::PushParser)
//!   implementation;
//! - `scan.rs`: the record scanner and its SWAR searches;
//! - `record.rs`, `options.rs`: the public types; `bench_input.rs`: the
//!   generated input of the benchmarks and the demo.
//!
//! ## The dialect, decided
//! - **Fields are UTF-8 text.** Invalid UTF-8 is an [`ErrorKind::InvalidUtf8`]
//!   at the first bad byte. (Transcode Latin-1 and friends first; the `csv`
//!   crate's `ByteRecord` is the tool for arbitrary bytes.)
//! - **Line ends:** `\n`, `\r\n` and a lone `\r` all end a record, mixed
//!   freely. Empty lines are skipped (a record has at least one field; a
//!   line `""` is one empty field). The last record needs no line end.
//! - **Quotes (strict, RFC 4180 §2.5–2.7):** a field is quoted only if its
//!   first byte is the quote; inside, a quote is written twice, and
//!   delimiters and line ends are data. A quote inside an unquoted field
//!   (`ab"c`, also ` "a"` with a leading space) is
//!   [`ErrorKind::QuoteInUnquotedField`]; anything but the delimiter or a
//!   line end after a closing quote (`"ab"c`) is
//!   [`ErrorKind::TextAfterClosingQuote`]; a quoted field still open at the
//!   end of the input is [`ErrorKind::UnclosedQuote`], reported at its
//!   opening quote (the place to look: a stray quote swallows everything
//!   after it). The `csv` crate accepts all three and guesses; this parser
//!   says where the file is broken instead.
//! - **Field counts:** strict by default — every record must have as many
//!   fields as the first one (the header, if any), else
//!   [`ErrorKind::FieldCount`] names the record number (1-based, the header
//!   counts) and both counts, at the record's first byte.
//!   [`CsvOptions::flexible`] allows ragged records.
//! - **A UTF-8 byte order mark** at the very start is skipped (Excel writes
//!   one); anywhere else `U+FEFF` is data.
//! - Spaces are data (no trimming); there are no comments and no escape
//!   character other than the doubled quote.
//!
//! Positions follow the shared [`Position`]: lines are counted at `\n`, so in
//! a file with lone-`\r` line ends every error is on line 1 — the byte
//! offset and, for field-count errors, the record number still locate it.
//!
//! ```
//! use mastery_interview::streaming_parsers::csv::{CsvEvent, CsvOptions, CsvParser};
//!
//! let options = CsvOptions { has_header: true, ..CsvOptions::default() };
//! let mut parser = CsvParser::new(options);
//! let mut total = 0.0;
//! // The chunks cut a quoted field with a comma, a doubled quote and a newline.
//! for chunk in [&b"item,price\r\n\"Widget, \"\"large\"\"\nv2\",1"[..], b"2.5\r\nnut,0.5"] {
//!     parser.feed(chunk, |event| {
//!         if let CsvEvent::Record(record) = event {
//!             total += record.get(1).and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0);
//!         }
//!     })?;
//! }
//! parser.finish(|event| {
//!     if let CsvEvent::Record(record) = event {
//!         assert_eq!(record.to_vec(), ["nut", "0.5"]);
//!         total += 0.5;
//!     }
//! })?;
//! assert_eq!(total, 13.0);
//! # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
//! ```
//!
//! [`ErrorKind::InvalidUtf8`]: super::ErrorKind::InvalidUtf8
//! [`ErrorKind::QuoteInUnquotedField`]: super::ErrorKind::QuoteInUnquotedField
//! [`ErrorKind::TextAfterClosingQuote`]: super::ErrorKind::TextAfterClosingQuote
//! [`ErrorKind::UnclosedQuote`]: super::ErrorKind::UnclosedQuote
//! [`ErrorKind::FieldCount`]: super::ErrorKind::FieldCount

use std::io::Read;

use super::input::Bom;
use super::{Events, Lifecycle, ParseError, Position};

mod bench_input;
mod options;
mod parser;
mod record;
mod scan;

pub use bench_input::bench_input_csv;
pub use options::CsvOptions;
pub use record::{CsvEvent, Fields, OwnedCsvEvent, Record};

use parser::Counter;
use record::Span;
use scan::{Dialect, FieldState};

/// An incremental CSV parser. See the [module docs](self).
///
/// ```
/// use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser};
///
/// let mut parser = CsvParser::new(CsvOptions::default());
/// let mut rows = Vec::new();
/// parser.feed(b"a,b\n1,2\n3,", |e| rows.push(e.record().to_vec()))?;
/// parser.feed(b"4", |e| rows.push(e.record().to_vec()))?;
/// parser.finish(|e| rows.push(e.record().to_vec()))?;
/// assert_eq!(rows, [["a", "b"], ["1", "2"], ["3", "4"]]);
///
/// // Strict field counts: the error names the record and both counts.
/// let err = CsvParser::new(CsvOptions::default())
///     .feed(b"a,b\n1,2,3\n", |_| {})
///     .unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "CSV error at line 2, column 1 (byte 4): record 2 has 3 fields, expected 2 \
///      like the first record (enable flexible mode to allow ragged records)"
/// );
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
///
/// `SWAR` (on by default) scans runs of plain bytes eight at a time;
/// [`CsvParser::bytewise`] builds the parser without it, for the ladder.
#[derive(Debug, Clone)]
pub struct CsvParser<const SWAR: bool = true> {
    options: CsvOptions,
    dialect: Dialect,
    /// The fields of the record being reported.
    spans: Vec<Span>,
    /// The unescaped text of fields with doubled quotes.
    scratch: String,
    /// The raw bytes of a record cut by the end of a chunk.
    pending: Vec<u8>,
    /// Where `pending` starts in the input.
    pending_pos: Position,
    /// `Some` while `pending` holds an unfinished record: where its scan
    /// stands.
    partial: Option<FieldState>,
    /// Records so far, and the field count they must have.
    counter: Counter,
    /// The position of the next byte to be fed.
    pos: Position,
    /// How far a byte order mark at the start has been matched.
    bom: Bom,
    /// Failed or finished.
    life: Lifecycle,
}

/// An iterator of owned events over any [`Read`]: the pull adapter for
/// files and stdin. For speed, use [`CsvParser::feed`] or
/// [`for_each_event`](super::for_each_event) (borrowed records, no allocation per record).
///
/// ```
/// use mastery_interview::streaming_parsers::csv::{self, CsvOptions, OwnedCsvEvent};
///
/// let options = CsvOptions { has_header: true, ..CsvOptions::default() };
/// let events: Vec<_> = csv::events_from_reader(&b"name\nAda\n"[..], options)
///     .collect::<Result<_, _>>()?;
/// assert_eq!(events, [
///     OwnedCsvEvent::Header(vec!["name".into()]),
///     OwnedCsvEvent::Record(vec!["Ada".into()]),
/// ]);
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
pub fn events_from_reader<R: Read>(reader: R, options: CsvOptions) -> Events<CsvParser, R> {
    Events::new(CsvParser::new(options), reader)
}

/// What [`count_records`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CsvSummary {
    /// Data records (the header, if any, is not counted).
    pub records: u64,
    /// Fields in the data records.
    pub fields: u64,
    /// Bytes of input read.
    pub bytes: u64,
}

/// Counts the records, fields and bytes of the CSV in `reader`, on the
/// fast path (borrowed records, [`READ_CHUNK_SIZE`](super::READ_CHUNK_SIZE) bytes at a time).
///
/// ```
/// use mastery_interview::streaming_parsers::csv::{self, CsvOptions, CsvSummary};
///
/// let options = CsvOptions { has_header: true, ..CsvOptions::default() };
/// let summary = csv::count_records(&b"a,b\n1,2\n3,\"4\n5\"\n"[..], options)?;
/// assert_eq!(summary, CsvSummary { records: 2, fields: 4, bytes: 16 });
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
pub fn count_records<R: Read>(reader: R, options: CsvOptions) -> Result<CsvSummary, ParseError> {
    let mut summary = CsvSummary::default();
    let mut parser = CsvParser::new(options);
    summary.bytes = super::for_each_event(&mut parser, reader, |event| {
        if let CsvEvent::Record(record) = event {
            summary.records += 1;
            summary.fields += record.len() as u64;
        }
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests;
