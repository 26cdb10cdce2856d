//! What the JSON parser hands out: [`JsonEvent`] (borrowed),
//! [`OwnedJsonEvent`], and [`JsonNumber`], a number as written.

use super::number::{NumberPhase, NumberScan, scan_number};

/// One JSON event. Strings borrow from the chunk being fed or from the
/// parser's buffers, so an event lives only as long as the callback call;
/// use [`JsonEvent::to_owned_event`] to keep one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonEvent<'a> {
    /// `{`
    StartObject,
    /// `}`
    EndObject,
    /// `[`
    StartArray,
    /// `]`
    EndArray,
    /// An object key, unescaped.
    Key(&'a str),
    /// A string value, unescaped.
    String(&'a str),
    /// A number, as its raw (grammar-checked) text.
    Number(JsonNumber<'a>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`
    Null,
    /// A top-level value ended (multi-value mode only).
    EndOfValue,
}

impl JsonEvent<'_> {
    /// Copies the event's text so it outlives the callback.
    pub fn to_owned_event(&self) -> OwnedJsonEvent {
        match *self {
            JsonEvent::StartObject => OwnedJsonEvent::StartObject,
            JsonEvent::EndObject => OwnedJsonEvent::EndObject,
            JsonEvent::StartArray => OwnedJsonEvent::StartArray,
            JsonEvent::EndArray => OwnedJsonEvent::EndArray,
            JsonEvent::Key(k) => OwnedJsonEvent::Key(k.to_owned()),
            JsonEvent::String(s) => OwnedJsonEvent::String(s.to_owned()),
            JsonEvent::Number(n) => OwnedJsonEvent::Number(n.as_str().to_owned()),
            JsonEvent::Bool(b) => OwnedJsonEvent::Bool(b),
            JsonEvent::Null => OwnedJsonEvent::Null,
            JsonEvent::EndOfValue => OwnedJsonEvent::EndOfValue,
        }
    }
}

/// A [`JsonEvent`] that owns its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnedJsonEvent {
    /// `{`
    StartObject,
    /// `}`
    EndObject,
    /// `[`
    StartArray,
    /// `]`
    EndArray,
    /// An object key, unescaped.
    Key(String),
    /// A string value, unescaped.
    String(String),
    /// A number's raw text.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null`
    Null,
    /// A top-level value ended (multi-value mode only).
    EndOfValue,
}

/// A JSON number as written. JSON numbers have no fixed precision, so the
/// parser hands out the text and lets you choose how to read it.
///
/// ```
/// use mastery_interview::streaming_parsers::json::JsonNumber;
///
/// let n = JsonNumber::new("-12").expect("a JSON number");
/// assert_eq!((n.as_i64(), n.as_u64(), n.as_f64()), (Some(-12), None, -12.0));
/// let big = JsonNumber::new("1e400").expect("a JSON number");
/// assert_eq!((big.as_i64(), big.as_f64()), (None, f64::INFINITY));
/// assert!(JsonNumber::new("01").is_none()); // leading zero
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonNumber<'a>(pub(super) &'a str);

impl<'a> JsonNumber<'a> {
    /// `text` if it is exactly one number per the RFC 8259 grammar.
    pub fn new(text: &'a str) -> Option<Self> {
        let bytes = text.as_bytes();
        if !matches!(bytes.first(), Some(b'-' | b'0'..=b'9')) {
            return None;
        }
        match scan_number(bytes, 0, NumberPhase::Start) {
            NumberScan::Done(end) if end == bytes.len() => Some(JsonNumber(text)),
            NumberScan::More(phase) if phase.is_complete() => Some(JsonNumber(text)),
            _ => None,
        }
    }

    /// The raw text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether the text has no fraction and no exponent.
    pub fn is_integer(&self) -> bool {
        !self.0.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
    }

    /// The value as an `i64`, if it is written as an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }

    /// The value as a `u64`, if it is written as a non-negative integer in
    /// range.
    pub fn as_u64(&self) -> Option<u64> {
        if self.is_integer() {
            self.0.parse().ok()
        } else {
            None
        }
    }

    /// The nearest `f64` (correctly rounded); ±infinity beyond its range.
    pub fn as_f64(&self) -> f64 {
        // The JSON grammar is a subset of what `f64::from_str` accepts.
        self.0.parse().unwrap_or(f64::NAN)
    }
}
