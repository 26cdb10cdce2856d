//! What the CSV parser hands out: [`CsvEvent`] with a borrowed [`Record`],
//! and [`OwnedCsvEvent`].

use std::fmt;
use std::iter::FusedIterator;

/// One CSV event: a record, or the header record. The fields borrow from
/// the chunk being fed or from the parser's buffers, so an event lives only
/// as long as the callback call; use [`CsvEvent::to_owned_event`] or
/// [`Record::to_vec`] to keep one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvEvent<'a> {
    /// The first record, when [`CsvOptions::has_header`] is on.
    ///
    /// [`CsvOptions::has_header`]: super::CsvOptions::has_header
    Header(Record<'a>),
    /// A data record.
    Record(Record<'a>),
}

impl<'a> CsvEvent<'a> {
    /// The record, header or not.
    pub fn record(&self) -> Record<'a> {
        match *self {
            CsvEvent::Header(record) | CsvEvent::Record(record) => record,
        }
    }

    /// Whether this is the header.
    pub fn is_header(&self) -> bool {
        matches!(self, CsvEvent::Header(_))
    }

    /// Copies the event's fields so they outlive the callback.
    pub fn to_owned_event(&self) -> OwnedCsvEvent {
        match self {
            CsvEvent::Header(record) => OwnedCsvEvent::Header(record.to_vec()),
            CsvEvent::Record(record) => OwnedCsvEvent::Record(record.to_vec()),
        }
    }
}

/// A [`CsvEvent`] that owns its fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnedCsvEvent {
    /// The header's fields.
    Header(Vec<String>),
    /// A data record's fields.
    Record(Vec<String>),
}

/// A record's fields, unescaped: a cheap, copyable view that behaves like a
/// `&[&str]` (`len`, `get`, `iter`). Serializes as an array of strings, so
/// `serde_json::to_writer(out, &record)` prints `["a","b"]` without
/// allocating.
///
/// ```
/// use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser};
///
/// let mut parser = CsvParser::new(CsvOptions::default());
/// parser.feed(b"id,\"say \"\"hi\"\"\"\n", |event| {
///     let record = event.record();
///     assert_eq!((record.len(), record.get(1)), (2, Some("say \"hi\"")));
///     assert_eq!(record.iter().rev().collect::<Vec<_>>(), ["say \"hi\"", "id"]);
///     let json = serde_json::to_string(&record).expect("strings serialize");
///     assert_eq!(json, r#"["id","say \"hi\""]"#);
/// })?;
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Record<'a> {
    /// Text that plain fields are sliced from (the chunk or `pending`).
    pub(super) source: &'a str,
    /// Text that unescaped fields are sliced from.
    pub(super) scratch: &'a str,
    /// Where each field is.
    pub(super) spans: &'a [Span],
    /// The record's 1-based number.
    pub(super) number: u64,
}

/// Where a field's text is: `source[start..end]`, or `scratch[start..end]`
/// when it had doubled quotes. Both ends are at ASCII bytes or at the ends
/// of the text, so they are always `char` boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) unescaped: bool,
}

impl<'a> Record<'a> {
    /// How many fields (at least one: empty lines are not records).
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the record has no fields (never, for a parsed record).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `index`, unescaped.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        self.spans.get(index).map(|&span| self.field(span))
    }

    /// The fields, in order.
    pub fn iter(&self) -> Fields<'a> {
        Fields {
            record: *self,
            spans: self.spans.iter(),
        }
    }

    /// The record's 1-based number in the input (the header is record 1;
    /// empty lines are not counted).
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The fields as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }

    #[inline]
    fn field(&self, span: Span) -> &'a str {
        let text = if span.unescaped {
            self.scratch
        } else {
            self.source
        };
        // The parser made the span, on char boundaries (see `Span`).
        text.get(span.start..span.end).unwrap_or_default()
    }
}

impl fmt::Debug for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Records are equal when their fields are (wherever the text lives).
impl PartialEq for Record<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Record<'_> {}

impl<'a> IntoIterator for Record<'a> {
    type Item = &'a str;
    type IntoIter = Fields<'a>;

    fn into_iter(self) -> Fields<'a> {
        self.iter()
    }
}

impl serde::Serialize for Record<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// The fields of a [`Record`], from [`Record::iter`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    record: Record<'a>,
    spans: std::slice::Iter<'a, Span>,
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        self.spans.next().map(|&span| self.record.field(span))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.spans.size_hint()
    }
}

impl DoubleEndedIterator for Fields<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.spans.next_back().map(|&span| self.record.field(span))
    }
}

impl ExactSizeIterator for Fields<'_> {}

impl FusedIterator for Fields<'_> {}
