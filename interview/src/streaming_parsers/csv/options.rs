//! [`CsvOptions`]: the dialect and the strictness of a
//! [`CsvParser`](super::CsvParser).

use crate::streaming_parsers::ErrorKind;

/// How a [`CsvParser`] reads its input: the dialect and the strictness.
///
/// [`CsvParser`]: super::CsvParser
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvOptions {
    /// The field separator: an ASCII byte other than `\r`, `\n` and the
    /// quote (`,` by default; `;` and `\t` are common).
    pub delimiter: u8,
    /// The quote that starts a quoted field and is doubled inside one: an
    /// ASCII byte other than `\r`, `\n` and the delimiter (`"` by default).
    pub quote: u8,
    /// The first record is a header: report it as [`CsvEvent::Header`].
    ///
    /// [`CsvEvent::Header`]: super::CsvEvent::Header
    pub has_header: bool,
    /// Allow records with different field counts. Off (the default): every
    /// record must have as many fields as the first, else
    /// [`ErrorKind::FieldCount`].
    pub flexible: bool,
    /// Skip a UTF-8 byte order mark (`EF BB BF`) at the very start. Off: it
    /// is data (`U+FEFF` at the start of the first field).
    pub skip_bom: bool,
}

impl CsvOptions {
    /// RFC 4180: `,` and `"`, no header, strict field counts, BOM skipped.
    pub const fn new() -> Self {
        CsvOptions {
            delimiter: b',',
            quote: b'"',
            has_header: false,
            flexible: false,
            skip_bom: true,
        }
    }

    /// Checks that the options describe a usable dialect.
    ///
    /// ```
    /// use mastery_interview::streaming_parsers::csv::CsvOptions;
    ///
    /// assert!(CsvOptions { delimiter: b';', ..CsvOptions::new() }.validate().is_ok());
    /// assert!(CsvOptions { delimiter: b'"', ..CsvOptions::new() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), ErrorKind> {
        let reason = if !self.delimiter.is_ascii() || !self.quote.is_ascii() {
            "the delimiter and the quote must be ASCII bytes"
        } else if self.delimiter == self.quote {
            "the delimiter and the quote must differ"
        } else if matches!(self.delimiter, b'\r' | b'\n') || matches!(self.quote, b'\r' | b'\n') {
            "`\\r` and `\\n` end records; they cannot be the delimiter or the quote"
        } else {
            return Ok(());
        };
        Err(ErrorKind::InvalidDialect { reason })
    }
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}
