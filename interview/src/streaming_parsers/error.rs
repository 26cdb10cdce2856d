//! One error type for the three parsers: [`ParseError`] says which format,
//! what was wrong ([`ErrorKind`]) and where ([`Position`]).
//!
//! Inside a parser an error starts as a [`Fail`]: an [`ErrorKind`] and an
//! index ([`Where`]) into the chunk or the pending bytes. Turning the index
//! into a line and column needs a count over the chunk, so it is done once,
//! by [`Fail::locate`], on the error path — never while scanning.

use std::fmt;
use std::io;

use super::Position;

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
    /// XML: an encoding other than UTF-8 and UTF-16.
    #[error(
        "encoding `{encoding}` is not supported: this parser reads UTF-8, and UTF-16 with a byte order mark (transcode the input first, e.g. `iconv -f {encoding} -t UTF-8`)"
    )]
    XmlUnsupportedEncoding {
        /// The encoding declared or detected.
        encoding: String,
    },
    /// XML: the encoding declaration names another encoding than the one
    /// the document's first bytes show (XML 1.0 §4.3.3).
    #[error(
        "the XML declaration says encoding `{declared}`, but the document is {actual}: correct the declaration, or transcode the document to match it"
    )]
    XmlEncodingMismatch {
        /// The encoding the declaration names.
        declared: String,
        /// The encoding the first bytes show, and how.
        actual: &'static str,
    },
    /// XML: bytes that do not decode as UTF-16 in a document whose byte
    /// order mark says it is UTF-16 (position: the first byte of the bad
    /// code unit).
    #[error("invalid UTF-16: {reason} (the byte order mark says the document is UTF-16)")]
    InvalidUtf16 {
        /// What is wrong with the code unit.
        reason: &'static str,
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

    /// The same error at another byte offset (same line and column): a
    /// parser that reads a transcoded input places it in the original.
    pub(crate) fn with_offset(mut self, offset: u64) -> Self {
        self.position.offset = offset;
        self
    }
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
