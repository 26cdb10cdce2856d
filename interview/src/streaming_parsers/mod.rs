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
//! namespaces, the internal DTD subset's general entities expanded under an
//! expansion budget, nothing external fetched). `mastery parse
//! <json|csv|xml> FILE` runs them over a file or stdin.
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
//! **Events borrow; nothing is allocated per event.** The callback receives a
//! `JsonEvent<'_>` whose strings are `&str` borrowed either from the chunk
//! you passed in (the common case: the string lies inside one chunk and has
//! no escapes, so it is validated as UTF-8 and handed out in place) or from
//! one of two reusable buffers inside the parser — `pending` holds the raw
//! bytes of a token cut by the end of a chunk, `scratch` the decoded text of
//! a string with escapes. Both buffers keep their capacity, so after warm-up
//! a parse allocates nothing. A callback, rather than an `Iterator`, is what
//! makes that borrow expressible on stable Rust: an iterator's items cannot
//! borrow from the iterator itself. When owned events are what you want
//! (tests, a quick script), [`Events`] is a pull adapter over any
//! [`Read`] that copies each event into an owned value.
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
//! whitespace test (that ordering alone cut a quarter of the parser's
//! instructions). A token cut by a chunk boundary is the slow
//! path: its raw bytes are collected in `pending` (strings: until the closing
//! quote; numbers and literals resume their small state machine) and then
//! parsed by *the same function* as the in-chunk token. That is why any
//! split of the input gives exactly the same events and the same error,
//! which the property tests check with arbitrary split points.
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
//! [`json::JsonEvent::EndOfValue`] after each.
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
//! Costs: events are lower level than a typed struct — you track where you
//! are yourself (a key path, a depth counter); a string that spans a chunk
//! boundary is copied once; and a single enormous string (hundreds of MB)
//! is held whole in memory, because an event hands it out as one `&str`.
//!
//! **UTF-8 is checked once per chunk, not per token.** Each chunk's valid
//! prefix is found by `simdutf8` (SIMD picked at run time, behind a safe
//! API), from the first token that starts in the chunk (a chunk that
//! begins with the rest of a character cut by the previous one would fail
//! at its first byte otherwise); every token inside it is then a `&str`
//! slice in O(1). That pass is the price of handing out `&str` in safe
//! Rust, and the one thing `serde_json` into `IgnoredAny` skips (it neither
//! validates nor decodes the strings it skips). The check is memory-bound
//! — on this machine it takes 5.9 ms for 50 MB from RAM, as long as
//! touching every cache line does, and 1.5 ms once the input is in cache
//! — so moving it around does not help: checking each token on its own
//! was far slower (~8 ns per call), and checking in small blocks just
//! ahead of the parser no faster. Text that is already a `&str` needs no
//! check: `feed_str` on every parser skips it.
//!
//! Measured with criterion on a shared 2-core machine, 50 MB of varied
//! JSON, three runs: ours 58.4–59.1 ms against `serde_json` into
//! `IgnoredAny` at 63.3–65.5 ms (1.08–1.12×); fed in 64 KiB chunks, 59.9
//! ms; from a `&str`, 54.1 ms against `serde_json::from_str` at
//! 65.0–67.2 ms (1.20–1.24×). `serde_json` doing our job — a visitor that
//! receives every string as `&str` — takes 142 ms, 2.4× ours (it also
//! converts each number, which ours leaves to [`json::JsonNumber`]).
//!
//! ## Run it
//! `mastery run interview/streaming-parsers` (chunking, strict errors,
//! 200 MB per format streamed with its peak heap, MB/s against `serde_json`,
//! `csv` and `quick-xml`); `mastery parse json|csv|xml FILE` (`--events`,
//! `--records`); `cargo test -p mastery-interview streaming_parsers`
//! (conformance tables from RFC 8259, RFC 4180 and XML 1.0, chunking and
//! arbitrary-bytes property tests, agreement with the peers); and
//! `cargo bench -p mastery-interview --bench streaming_parsers` (JSON),
//! `--bench streaming_csv`, `--bench streaming_xml`.
//!
//! [`feed`]: json::JsonParser::feed
//! [`finish`]: json::JsonParser::finish

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::iter::FusedIterator;

pub mod csv;
mod demo;
pub mod json;
pub mod xml;

#[cfg(test)]
mod testkit;

/// How many bytes the reader-based helpers read at a time.
pub const READ_CHUNK_SIZE: usize = 64 * 1024;

/// Which parser reported an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 8259 JSON.
    Json,
    /// RFC 4180 CSV.
    Csv,
    /// XML 1.0.
    Xml,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Csv => "CSV",
            Format::Xml => "XML",
        })
    }
}

/// A place in the input: byte offset (0-based), line and column (1-based).
///
/// Lines end at `\n` (so `\r\n` counts once); the column counts characters
/// (UTF-8 lead bytes and ASCII bytes), the way an editor shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Bytes before this place.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
}

impl Position {
    /// The first byte of the input.
    pub const START: Position = Position {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// The position just after `bytes`, which start at `self`.
    ///
    /// Counts in 8-bit lanes that the compiler vectorizes, so parsers can
    /// afford it once per chunk.
    pub fn advanced(self, bytes: &[u8]) -> Position {
        match last_newline(bytes) {
            Some(last) => {
                let newlines = count_bytes(&bytes[..=last], |b| b == b'\n');
                self.advanced_counted(bytes, newlines, last + 1)
            }
            None => self.advanced_counted(bytes, 0, 0),
        }
    }

    /// [`advanced`](Self::advanced) for a parser that has counted the
    /// `newlines` in `bytes` itself, the last one just before
    /// `bytes[line_start]` (any `line_start` when there is none): only the
    /// characters of the last line are left to count.
    pub(crate) fn advanced_counted(
        self,
        bytes: &[u8],
        newlines: u64,
        line_start: usize,
    ) -> Position {
        let mut next = self;
        next.offset += bytes.len() as u64;
        if newlines > 0 {
            next.line += newlines;
            next.column = 1 + count_chars(&bytes[line_start..]);
        } else {
            next.column += count_chars(bytes);
        }
        next
    }

    /// The position `bytes` before `self`, where `bytes` — the input just
    /// before `self` — holds no newline.
    pub(crate) fn before_line_part(self, bytes: &[u8]) -> Position {
        Position {
            offset: self.offset - bytes.len() as u64,
            line: self.line,
            column: self.column - count_chars(bytes),
        }
    }
}

impl Default for Position {
    fn default() -> Self {
        Position::START
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// Characters in `bytes`: every byte that is not a UTF-8 continuation byte.
fn count_chars(bytes: &[u8]) -> u64 {
    // A continuation byte is 0b10xx_xxxx, i.e. -128..=-65 as an i8.
    count_bytes(bytes, |b| (b as i8) >= -0x40)
}

/// How many bytes satisfy `pred`, counted in blocks of 255 with a `u8`
/// counter (sixteen lanes per SSE register instead of two `u64` ones).
#[inline]
fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool + Copy) -> u64 {
    bytes
        .chunks(255)
        .map(|block| block.iter().fold(0u8, |n, &b| n + u8::from(pred(b))))
        .map(u64::from)
        .sum()
}

/// The index of the last `\n`, looking at 64-byte blocks from the end.
fn last_newline(bytes: &[u8]) -> Option<usize> {
    let mut start = bytes.len();
    for block in bytes.rchunks(64) {
        start -= block.len();
        if block.contains(&b'\n') {
            return block.iter().rposition(|&b| b == b'\n').map(|k| start + k);
        }
    }
    None
}

/// What was wrong with the input (the "where" is in [`ParseError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A byte that cannot appear here.
    #[error("unexpected {}, expected {expected}", show_byte(*found))]
    UnexpectedByte {
        /// The offending byte.
        found: u8,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// The input ended inside a token or before the document was complete.
    #[error("the input ended early, expected {expected}")]
    UnexpectedEnd {
        /// What the grammar still needed.
        expected: &'static str,
    },
    /// Bytes that are not valid UTF-8 (position: the first byte of the bad
    /// sequence).
    #[error("invalid UTF-8 byte sequence (the input must be UTF-8 encoded)")]
    InvalidUtf8,
    /// A raw control character (U+0000–U+001F) inside a string.
    #[error(
        "control character {} inside a string: escape it (\\n, \\t, \\u00XX)",
        show_byte(*byte)
    )]
    ControlCharacter {
        /// The control byte.
        byte: u8,
    },
    /// `\` followed by something that does not start an escape.
    #[error(
        "invalid escape `\\{}`: JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX",
        char::from(*found).escape_debug()
    )]
    InvalidEscape {
        /// The byte after the backslash.
        found: u8,
    },
    /// `\u` not followed by four hex digits.
    #[error("invalid hex digit {} in a \\uXXXX escape", show_byte(*found))]
    InvalidHexDigit {
        /// The byte that is not a hex digit.
        found: u8,
    },
    /// A UTF-16 surrogate escape without its partner.
    #[error(
        "lone surrogate \\u{code_unit:04X}: a high surrogate \\uD800–\\uDBFF must be followed by a low one \\uDC00–\\uDFFF"
    )]
    LoneSurrogate {
        /// The unpaired code unit.
        code_unit: u16,
    },
    /// A number that breaks the grammar.
    #[error("invalid number: {reason}")]
    InvalidNumber {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// A word that is not a literal of the format (`true`, `false`, `null`).
    #[error("invalid literal, expected `{expected}`")]
    InvalidLiteral {
        /// The literal the first byte started.
        expected: &'static str,
    },
    /// Containers nested deeper than the configured limit.
    #[error("nesting deeper than the limit of {limit} (raise the parser's max_depth if intended)")]
    TooDeep {
        /// The configured limit.
        limit: usize,
    },
    /// Non-whitespace after the one top-level value.
    #[error(
        "trailing characters after the value (for JSON Lines or concatenated values, use multi-value mode)"
    )]
    TrailingCharacters,
    /// Two top-level values with nothing between them (`1true`).
    #[error("top-level values must be separated by whitespace")]
    MissingSeparator,
    /// CSV: a quote inside a field that does not start with one (`ab"c`).
    #[error(
        "quote {} inside an unquoted field: quote the whole field and double the quote inside it (\"ab\"\"c\")",
        show_byte(*quote)
    )]
    QuoteInUnquotedField {
        /// The dialect's quote byte.
        quote: u8,
    },
    /// CSV: something other than the delimiter or a line end after the
    /// closing quote of a field (`"ab"c`).
    #[error(
        "unexpected {} after the closing quote of a field, expected the delimiter or a line end (a quote inside a quoted field is written twice)",
        show_byte(*found)
    )]
    TextAfterClosingQuote {
        /// The offending byte.
        found: u8,
    },
    /// CSV: the input ended inside a quoted field (position: its opening
    /// quote).
    #[error(
        "this quoted field is never closed: the input ends before its closing {} (a stray quote swallows the rest of the input)",
        show_byte(*quote)
    )]
    UnclosedQuote {
        /// The dialect's quote byte.
        quote: u8,
    },
    /// CSV, strict mode: a record whose field count differs from the first
    /// record's (position: the start of the record).
    #[error(
        "record {record} has {found} fields, expected {expected} like the first record (enable flexible mode to allow ragged records)"
    )]
    FieldCount {
        /// 1-based record number, counting the header.
        record: u64,
        /// The first record's field count.
        expected: usize,
        /// This record's field count.
        found: usize,
    },
    /// CSV: options that do not describe a usable dialect.
    #[error("invalid CSV dialect: {reason}")]
    InvalidDialect {
        /// What is wrong with the options.
        reason: &'static str,
    },
    /// XML: a character outside the `Char` production (a control character
    /// other than tab, newline and carriage return, U+FFFE or U+FFFF).
    #[error(
        "character U+{code:04X} is not allowed in XML (allowed: tab, newline, carriage return, U+0020 and above except U+FFFE and U+FFFF)"
    )]
    XmlInvalidChar {
        /// The code point.
        code: u32,
    },
    /// XML: a character that cannot appear here (a name character, a keyword).
    #[error("unexpected character {found:?}, expected {expected}")]
    XmlUnexpectedChar {
        /// The offending character.
        found: char,
        /// What the grammar allows here.
        expected: &'static str,
    },
    /// XML: an end tag that does not close the innermost open element.
    #[error("end tag `</{found}>` does not match the open element `<{expected}>`")]
    XmlMismatchedEndTag {
        /// The name of the innermost open element.
        expected: String,
        /// The name in the end tag.
        found: String,
    },
    /// XML: an end tag with no element open.
    #[error("end tag `</{found}>` closes no open element")]
    XmlUnmatchedEndTag {
        /// The name in the end tag.
        found: String,
    },
    /// XML: the same attribute twice in one tag.
    #[error("duplicate attribute `{name}`: an attribute may appear once per tag")]
    XmlDuplicateAttribute {
        /// The attribute's name (for namespaced duplicates, `{uri}local`).
        name: String,
    },
    /// XML: `&name;` with no such entity declared.
    #[error(
        "undefined entity `&{name};` (predefined: &lt; &gt; &amp; &apos; &quot;; others must be declared in the DOCTYPE's internal subset — the external subset is not read)"
    )]
    XmlUndefinedEntity {
        /// The entity's name.
        name: String,
    },
    /// XML: a character reference to a code point that is not a `Char`.
    #[error("character reference `{reference}` does not name an allowed XML character")]
    XmlInvalidCharRef {
        /// The reference as written.
        reference: String,
    },
    /// XML: an entity whose expansion refers back to itself.
    #[error("entity `&{name};` refers to itself, directly or through other entities")]
    XmlRecursiveEntity {
        /// The entity met twice.
        name: String,
    },
    /// XML: entity expansion produced more text than allowed ("billion
    /// laughs" protection).
    #[error(
        "entity expansion exceeds the limit of {limit} bytes per document (an entity bomb? raise max_entity_expansion if intended)"
    )]
    XmlEntityExpansionLimit {
        /// The configured limit.
        limit: usize,
    },
    /// XML: a reference to an external (or unparsed) entity, which this
    /// parser does not fetch.
    #[error(
        "entity `&{name};` is external or unparsed: external entities are never fetched (declare it with an internal value)"
    )]
    XmlExternalEntity {
        /// The entity's name.
        name: String,
    },
    /// XML: a reference in an attribute value to an entity whose
    /// replacement text contains `<`.
    #[error(
        "entity `&{name};` expands to text containing `<`, which an attribute value cannot contain (XML 1.0 §3.1, WFC: No < in Attribute Values)"
    )]
    XmlEntityMarkup {
        /// The entity's name.
        name: String,
    },
    /// XML: an entity referenced in content whose replacement text is not
    /// well-formed content on its own (XML 1.0 §4.3.2).
    #[error(
        "entity `&{name};` is not well-formed on its own: {reason} (XML 1.0 §4.3.2: elements that start in an entity must end in it)"
    )]
    XmlEntityNotWellFormed {
        /// The entity whose replacement text is at fault.
        name: String,
        /// What is unbalanced.
        reason: &'static str,
    },
    /// XML namespaces: a prefix with no in-scope declaration.
    #[error("undeclared namespace prefix `{prefix}` (declare it with xmlns:{prefix}=\"…\")")]
    XmlUndeclaredPrefix {
        /// The prefix.
        prefix: String,
    },
    /// XML namespaces: a broken namespace rule.
    #[error("namespace error: {reason}")]
    XmlNamespace {
        /// Which rule was broken.
        reason: &'static str,
    },
    /// XML: an encoding other than UTF-8.
    #[error(
        "encoding `{encoding}` is not supported: this parser reads UTF-8 only (transcode the input first)"
    )]
    XmlUnsupportedEncoding {
        /// The encoding declared or detected.
        encoding: String,
    },
    /// XML: a misplaced construct, with the rule it breaks.
    #[error("{reason}")]
    XmlMisplaced {
        /// What is where it may not be.
        reason: &'static str,
    },
    /// `feed` after `finish`.
    #[error("input fed after finish() (call reset() to parse another document)")]
    FeedAfterFinish,
    /// Reading the input failed.
    #[error("reading the input failed: {message}")]
    Io {
        /// The I/O error's kind.
        kind: io::ErrorKind,
        /// The I/O error's message.
        message: String,
    },
}

/// A byte for an error message: printable ASCII quoted, anything else in hex.
fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        format!("`{}`", char::from(b))
    } else {
        format!("byte 0x{b:02X}")
    }
}

/// A syntax (or input) error from any of the streaming parsers: which format,
/// what was wrong, and where.
///
/// ```
/// use mastery_interview::streaming_parsers::json::{JsonOptions, JsonParser};
///
/// let mut parser = JsonParser::new(JsonOptions::default());
/// let err = parser.feed(b"[1,\n 2,]", |_| {}).unwrap_err();
/// assert_eq!((err.position().line, err.position().column), (2, 4));
/// assert_eq!(
///     err.to_string(),
///     "JSON error at line 2, column 4 (byte 7): unexpected `]`, \
///      expected a value after `,` (JSON has no trailing commas)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} error at {position}: {kind}")]
pub struct ParseError {
    format: Format,
    kind: ErrorKind,
    position: Position,
}

impl ParseError {
    /// An error of `kind` at `position` in a `format` input.
    pub fn new(format: Format, kind: ErrorKind, position: Position) -> Self {
        ParseError {
            format,
            kind,
            position,
        }
    }

    /// Wraps an I/O error met after reading up to `position`.
    pub fn io(format: Format, position: Position, error: &io::Error) -> Self {
        let kind = ErrorKind::Io {
            kind: error.kind(),
            message: error.to_string(),
        };
        ParseError::new(format, kind, position)
    }

    /// Which parser failed.
    pub fn format(&self) -> Format {
        self.format
    }

    /// What was wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Where: the offending byte (or the end of the input).
    pub fn position(&self) -> Position {
        self.position
    }
}

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

/// Where a parser's error is, before it is turned into a [`Position`]:
/// the scanners work in indices and leave the line counting to
/// [`Fail::locate`], which runs once, on the error path.
#[derive(Debug)]
pub(crate) enum Where {
    /// An index into the chunk being fed.
    Chunk(usize),
    /// An index into the parser's pending bytes (a token cut by the end of
    /// an earlier chunk).
    Pending(usize),
    /// An absolute position.
    At(Position),
}

/// A parser's error before it is located.
#[derive(Debug)]
pub(crate) struct Fail {
    pub(crate) at: Where,
    pub(crate) kind: ErrorKind,
}

impl Fail {
    /// An error at `chunk[i]`.
    pub(crate) fn chunk(i: usize, kind: ErrorKind) -> Self {
        Fail {
            at: Where::Chunk(i),
            kind,
        }
    }

    /// The error with its position: `chunk` starts at `chunk_pos`, the
    /// pending bytes `pending` at `pending_pos`.
    #[cold]
    pub(crate) fn locate(
        self,
        format: Format,
        (chunk_pos, chunk): (Position, &[u8]),
        (pending_pos, pending): (Position, &[u8]),
    ) -> ParseError {
        let position = match self.at {
            Where::Chunk(i) => chunk_pos.advanced(&chunk[..i.min(chunk.len())]),
            Where::Pending(i) => pending_pos.advanced(&pending[..i.min(pending.len())]),
            Where::At(position) => position,
        };
        ParseError::new(format, self.kind, position)
    }
}

/// The call protocol the three push parsers share: an error is sticky
/// (every later `feed` or `finish` returns it again), feeding after
/// `finish` is an error, and a second `finish` does nothing.
#[derive(Debug, Clone)]
pub(crate) struct Lifecycle {
    failed: Option<ParseError>,
    finished: bool,
}

impl Lifecycle {
    /// A parser that has not failed or finished.
    pub(crate) const fn new() -> Self {
        Lifecycle {
            failed: None,
            finished: false,
        }
    }

    /// A parser that is broken from the start (bad options).
    pub(crate) const fn failed(error: ParseError) -> Self {
        Lifecycle {
            failed: Some(error),
            finished: false,
        }
    }

    /// Before a `feed` at `pos`: the sticky error, or that the input has
    /// already been finished.
    pub(crate) fn check_feed(&self, format: Format, pos: Position) -> Result<(), ParseError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.finished {
            return Err(ParseError::new(format, ErrorKind::FeedAfterFinish, pos));
        }
        Ok(())
    }

    /// Before `finish`: `true` when the input is to be finished now,
    /// `false` when it already was; the sticky error if any.
    pub(crate) fn start_finish(&mut self) -> Result<bool, ParseError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let first = !self.finished;
        self.finished = true;
        Ok(first)
    }

    /// Remembers `error` for every later call, and returns it.
    pub(crate) fn fail(&mut self, error: ParseError) -> ParseError {
        self.failed = Some(error.clone());
        error
    }
}

/// A chunk and its longest valid UTF-8 prefix, checked once per chunk so
/// that every token inside the prefix is a `&str` slice of it in O(1)
/// instead of being validated on its own. A chunk fed as `&str` is known
/// to be text and is not checked again.
pub(crate) struct Input<'c> {
    pub(crate) bytes: &'c [u8],
    pub(crate) text: &'c str,
}

impl<'c> Input<'c> {
    /// `chunk[from..]`, validated unless `known` (the whole chunk as text,
    /// from [`PushParser::feed_str`]) already covers it.
    pub(crate) fn new(chunk: &'c [u8], known: Option<&'c str>, from: usize) -> Self {
        let bytes = &chunk[from..];
        let text = match known.and_then(|text| text.get(from..)) {
            Some(text) => text,
            None => valid_utf8_prefix(bytes),
        };
        Input { bytes, text }
    }

    /// `bytes[range]` as text, if it lies in the valid prefix (`range` must
    /// start and end at ASCII bytes or the ends of the chunk).
    #[inline(always)]
    pub(crate) fn str(&self, range: std::ops::Range<usize>) -> Option<&'c str> {
        self.text.get(range)
    }

    /// `bytes[range]` as text, validating it unless it lies in the prefix;
    /// `Err` holds the index of its first invalid byte.
    #[inline(always)]
    pub(crate) fn validated(&self, range: std::ops::Range<usize>) -> Result<&'c str, usize> {
        match self.str(range.clone()) {
            Some(text) => Ok(text),
            None => self.validate(range),
        }
    }

    /// The slow path of [`validated`](Self::validated): a token that is
    /// invalid, or cut short by the end of the chunk.
    #[cold]
    fn validate(&self, range: std::ops::Range<usize>) -> Result<&'c str, usize> {
        let start = range.start;
        std::str::from_utf8(&self.bytes[range]).map_err(|e| start + e.valid_up_to())
    }
}

/// The longest prefix of `bytes` that is valid UTF-8. The common case, a
/// chunk that is valid up to a character cut by its end, is checked by
/// `simdutf8`'s fast `basic` API (SIMD, chosen at run time; a safe API) on
/// the part before the cut: a fifth of a parse went into `str::from_utf8`
/// before, and sending every cut chunk down the slow path cost the 64 KiB
/// feeds another tenth. Only a chunk with an invalid sequence takes the
/// `compat` path, which says where the valid part ends.
pub(crate) fn valid_utf8_prefix(bytes: &[u8]) -> &str {
    let whole = without_cut_char(bytes);
    if let Ok(text) = simdutf8::basic::from_utf8(&bytes[..whole]) {
        return text;
    }
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => simdutf8::basic::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The length of `bytes` without a multi-byte character that the end cuts
/// short: a lead byte in the last three bytes whose sequence needs more
/// bytes than are left. Anything else is left for the validator to judge.
fn without_cut_char(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needs = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needs > back { n - back } else { n };
    }
    n
}

/// The public `feed`, `feed_str` and `finish` of a parser, and its error
/// locating: the same in all three parsers around their own
/// `feed_chunk(chunk, known_text, on_event)` and `finish_input(on_event)`.
/// They differ in the event type, the [`Format`], what their docs call an
/// event and a token, and what `finish` checks (its doc, given at the call).
macro_rules! push_methods {
    (
        $event:ident, $format:expr, $an_event:literal, $a_token:literal,
        $(#[$finish_doc:meta])* finish
    ) => {
        /// Parses the next chunk of input, calling `on_event` for every
        #[doc = concat!($an_event, " it completes. A ", $a_token)]
        /// cut by the end of `chunk` is completed by a later `feed` or by
        /// [`finish`](Self::finish).
        pub fn feed<F>(&mut self, chunk: &[u8], mut on_event: F) -> Result<(), ParseError>
        where
            F: FnMut($event<'_>),
        {
            self.feed_chunk(chunk, None, &mut on_event)
        }

        /// [`feed`](Self::feed) for input that is already text: the same
        #[doc = concat!($an_event, "s and errors, without checking its UTF-8 again.")]
        pub fn feed_str<F>(&mut self, chunk: &str, mut on_event: F) -> Result<(), ParseError>
        where
            F: FnMut($event<'_>),
        {
            self.feed_chunk(chunk.as_bytes(), Some(chunk), &mut on_event)
        }

        $(#[$finish_doc])*
        pub fn finish<F>(&mut self, mut on_event: F) -> Result<(), ParseError>
        where
            F: FnMut($event<'_>),
        {
            if !self.life.start_finish()? {
                return Ok(());
            }
            self.finish_input(&mut on_event).map_err(|fail| {
                let error = self.locate(fail, &[]);
                self.life.fail(error)
            })
        }

        /// `fail` as a [`ParseError`], `chunk` being the bytes fed last.
        fn locate(&self, fail: Fail, chunk: &[u8]) -> ParseError {
            let pending = (self.pending_pos, &self.pending[..]);
            fail.locate($format, (self.pos, chunk), pending)
        }
    };
}
use push_methods;

/// Implements [`PushParser`] for a parser whose inherent `feed`, `finish`
/// and event `to_owned_event` have the trait's shape and which keeps its
/// place in a `pos` field: the three parsers differ only in names.
macro_rules! impl_push_parser {
    ($parser:ty, $event:ident, $owned:ty, $format:expr) => {
        impl super::PushParser for $parser {
            type Event<'a> = $event<'a>;
            type OwnedEvent = $owned;

            fn feed<F>(&mut self, chunk: &[u8], on_event: F) -> Result<(), super::ParseError>
            where
                F: FnMut($event<'_>),
            {
                <$parser>::feed(self, chunk, on_event)
            }

            fn feed_str<F>(&mut self, chunk: &str, on_event: F) -> Result<(), super::ParseError>
            where
                F: FnMut($event<'_>),
            {
                <$parser>::feed_str(self, chunk, on_event)
            }

            fn finish<F>(&mut self, on_event: F) -> Result<(), super::ParseError>
            where
                F: FnMut($event<'_>),
            {
                <$parser>::finish(self, on_event)
            }

            fn position(&self) -> super::Position {
                self.pos
            }

            fn format(&self) -> super::Format {
                $format
            }

            fn to_owned_event(event: &$event<'_>) -> $owned {
                event.to_owned_event()
            }

            fn reset(&mut self) {
                <$parser>::reset(self)
            }
        }
    };
}
use impl_push_parser;

/// Counts of a parse: how many events, how many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Events delivered.
    pub events: u64,
    /// Bytes of input read.
    pub bytes: u64,
}

/// Runs `parser` over everything `reader` yields, [`READ_CHUNK_SIZE`] bytes
/// at a time, calling `on_event` with borrowed events (the fast path: no
/// allocation per event). Returns the number of bytes read.
pub fn for_each_event<P, R, F>(
    parser: &mut P,
    mut reader: R,
    mut on_event: F,
) -> Result<u64, ParseError>
where
    P: PushParser,
    R: Read,
    F: FnMut(P::Event<'_>),
{
    let mut buf = vec![0u8; READ_CHUNK_SIZE];
    let mut bytes = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ParseError::io(parser.format(), parser.position(), &e)),
        };
        bytes += n as u64;
        parser.feed(&buf[..n], &mut on_event)?;
    }
    parser.finish(&mut on_event)?;
    Ok(bytes)
}

/// Counts the events of everything `reader` yields (the fast path).
pub fn count_events<P: PushParser, R: Read>(
    parser: &mut P,
    reader: R,
) -> Result<Summary, ParseError> {
    let mut events = 0u64;
    let bytes = for_each_event(parser, reader, |_| events += 1)?;
    Ok(Summary { events, bytes })
}

/// Counts the events of `input` fed to `parser` — reset first, so its
/// buffers stay warm across calls — in pieces of `chunk` bytes (the whole
/// input in one piece when `chunk` is `input.len()` or more): what the
/// benchmarks and the demo time.
pub fn count_in_chunks<P: PushParser>(
    parser: &mut P,
    input: &[u8],
    chunk: usize,
) -> Result<u64, ParseError> {
    parser.reset();
    let mut events = 0u64;
    for piece in input.chunks(chunk.max(1)) {
        parser.feed(piece, |_| events += 1)?;
    }
    parser.finish(|_| events += 1)?;
    Ok(events)
}

/// A pull adapter: an iterator of owned events over any [`Read`] (a file,
/// stdin, a socket).
///
/// It reads [`READ_CHUNK_SIZE`] bytes at a time and queues that chunk's
/// events, so memory stays bounded by the chunk, not the input. After an
/// error (syntax or I/O) it yields the events before it, then the error,
/// then nothing.
pub struct Events<P: PushParser, R> {
    parser: P,
    reader: R,
    buf: Vec<u8>,
    queue: VecDeque<P::OwnedEvent>,
    error: Option<ParseError>,
    done: bool,
}

impl<P: PushParser, R: Read> Events<P, R> {
    /// Iterates over the events `parser` finds in `reader`.
    pub fn new(parser: P, reader: R) -> Self {
        Events {
            parser,
            reader,
            buf: vec![0u8; READ_CHUNK_SIZE],
            queue: VecDeque::new(),
            error: None,
            done: false,
        }
    }

    /// Reads the next chunk and queues its events (or the error).
    fn fill(&mut self) {
        let queue = &mut self.queue;
        let result = match self.reader.read(&mut self.buf) {
            Ok(0) => {
                self.done = true;
                self.parser
                    .finish(|e| queue.push_back(P::to_owned_event(&e)))
            }
            Ok(n) => self
                .parser
                .feed(&self.buf[..n], |e| queue.push_back(P::to_owned_event(&e))),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(ParseError::io(
                self.parser.format(),
                self.parser.position(),
                &e,
            )),
        };
        if let Err(error) = result {
            self.error = Some(error);
            self.done = true;
        }
    }
}

impl<P: PushParser, R: Read> Iterator for Events<P, R> {
    type Item = Result<P::OwnedEvent, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if let Some(error) = self.error.take() {
                return Some(Err(error));
            }
            if self.done {
                return None;
            }
            self.fill();
        }
    }
}

impl<P: PushParser, R: Read> FusedIterator for Events<P, R> {}

impl<P: PushParser, R> fmt::Debug for Events<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("queued", &self.queue.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let p = Position::START.advanced("ab\ncé日x".as_bytes());
        assert_eq!(
            p,
            Position {
                offset: 10,
                line: 2,
                column: 5
            }
        );
        let q = p.advanced(b"yz");
        assert_eq!((q.line, q.column, q.offset), (2, 7, 12));
        let r = q.advanced(b"\n\n");
        assert_eq!((r.line, r.column), (4, 1));
    }

    #[test]
    fn errors_say_what_and_where() {
        let err = ParseError::new(
            Format::Json,
            ErrorKind::ControlCharacter { byte: b'\n' },
            Position {
                offset: 4,
                line: 1,
                column: 5,
            },
        );
        assert_eq!(
            err.to_string(),
            "JSON error at line 1, column 5 (byte 4): control character byte 0x0A inside a string: escape it (\\n, \\t, \\u00XX)"
        );
        let escape = ErrorKind::InvalidEscape { found: b'x' };
        assert!(escape.to_string().starts_with("invalid escape `\\x`"));
    }

    /// What std says: the bytes before the first invalid or cut sequence.
    fn std_prefix(bytes: &[u8]) -> &[u8] {
        match std::str::from_utf8(bytes) {
            Ok(_) => bytes,
            Err(e) => &bytes[..e.valid_up_to()],
        }
    }

    #[test]
    fn valid_utf8_prefix_stops_before_cut_and_invalid_sequences() {
        let text = "aé日😀".as_bytes(); // 1-, 2-, 3- and 4-byte characters
        for end in 0..=text.len() {
            let got = valid_utf8_prefix(&text[..end]);
            assert_eq!(got.as_bytes(), std_prefix(&text[..end]), "cut at {end}");
        }
        // A lone continuation byte, an overlong form, a surrogate, a lead
        // byte followed by ASCII: invalid, never mistaken for a cut.
        for bad in [
            &b"ab\x80"[..],
            b"a\xC0\xAF",
            b"\xED\xA0\x80",
            b"x\xE6a",
            b"\xF8",
        ] {
            assert_eq!(valid_utf8_prefix(bad).as_bytes(), std_prefix(bad));
        }
    }

    proptest::proptest! {
        #[test]
        fn valid_utf8_prefix_agrees_with_std(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            text in "\\PC{0,24}",
            cut in 0usize..200,
        ) {
            let mut mixed = text.into_bytes();
            mixed.truncate(cut.min(mixed.len()));
            for input in [&bytes[..], &mixed[..]] {
                proptest::prop_assert_eq!(valid_utf8_prefix(input).as_bytes(), std_prefix(input));
            }
        }
    }

    #[test]
    fn count_in_chunks_resets_and_ignores_the_chunk_size() {
        let mut parser = json::JsonParser::new(json::JsonOptions::default());
        let input = br#"{"a": [1, 2.5, "x\u00e9"], "b": null}"#;
        let whole = count_in_chunks(&mut parser, input, input.len());
        assert_eq!(whole, Ok(10));
        for chunk in [0, 1, 3, 7, 64] {
            assert_eq!(
                count_in_chunks(&mut parser, input, chunk),
                whole,
                "chunk {chunk}"
            );
        }
        let err = count_in_chunks(&mut parser, b"[1,]", 2).expect_err("trailing comma");
        assert_eq!(err.position().offset, 3);
        // The error does not stick across inputs: reset starts over.
        assert_eq!(count_in_chunks(&mut parser, input, 5), whole);
    }

    #[test]
    fn io_errors_carry_the_position_reached() {
        let err = ParseError::io(
            Format::Csv,
            Position::START,
            &io::Error::other("disk on fire"),
        );
        assert_eq!(err.format(), Format::Csv);
        assert!(matches!(
            err.kind(),
            ErrorKind::Io {
                kind: io::ErrorKind::Other,
                ..
            }
        ));
        assert!(err.to_string().contains("disk on fire"));
    }
}
