//! Round-trip properties: what `serde_json` and the `csv` crate write, the
//! interview crate's streaming parsers read back, cut into chunks anywhere.

use mastery_interview::streaming_parsers::ParseError;
use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser};
use mastery_interview::streaming_parsers::json::{JsonEvent, JsonOptions, JsonParser};
use proptest::sample::Index;
use serde_json::{Map, Value};

/// Why a round trip failed.
#[derive(Debug, thiserror::Error)]
pub enum RoundTripError {
    /// The streaming parser rejected what the peer wrote.
    #[error("the streaming parser rejected the peer's output: {0}")]
    Parse(#[from] ParseError),
    /// The peer could not write the document.
    #[error("the peer could not write the document: {0}")]
    Write(String),
    /// Parsed, but not what was written.
    #[error("read back {got}, but {written} was written")]
    Mismatch {
        /// What went in, as debug text.
        written: String,
        /// What came out, as debug text.
        got: String,
    },
}

/// `bytes` cut at the offsets the cuts pick (each an [`Index`] into
/// `0..=len`), in order, duplicates merged; empty chunks are kept out.
pub fn split_at<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::with_capacity(points.len() + 1);
    let mut from = 0;
    for point in points.into_iter().chain([bytes.len()]) {
        if point > from {
            chunks.push(&bytes[from..point]);
            from = point;
        }
    }
    chunks
}

/// The property: `serde_json` writes `value`, [`JsonParser`] reads it back
/// in the chunks `cuts` make, and the events rebuild `value` exactly.
///
/// # Errors
/// What went wrong, with both sides when they differ.
pub fn json_round_trip(value: &Value, cuts: &[Index]) -> Result<(), RoundTripError> {
    let text = serde_json::to_vec(value).map_err(|e| RoundTripError::Write(e.to_string()))?;
    let mut parser = JsonParser::new(JsonOptions::default());
    let mut builder = ValueBuilder::default();
    for chunk in split_at(&text, cuts) {
        parser.feed(chunk, |event| builder.push(event))?;
    }
    parser.finish(|event| builder.push(event))?;
    match builder.done {
        Some(ref got) if got == value => Ok(()),
        got => Err(RoundTripError::Mismatch {
            written: format!("{value}"),
            got: format!("{got:?}"),
        }),
    }
}

/// Rebuilds a [`Value`] from events: a stack of open containers.
#[derive(Debug, Default)]
struct ValueBuilder {
    open: Vec<Open>,
    done: Option<Value>,
}

#[derive(Debug)]
enum Open {
    Array(Vec<Value>),
    /// The members so far and the key waiting for its value.
    Object(Map<String, Value>, Option<String>),
}

impl ValueBuilder {
    fn push(&mut self, event: JsonEvent<'_>) {
        let value = match event {
            JsonEvent::StartArray => return self.open.push(Open::Array(Vec::new())),
            JsonEvent::StartObject => return self.open.push(Open::Object(Map::new(), None)),
            JsonEvent::Key(key) => {
                if let Some(Open::Object(_, pending)) = self.open.last_mut() {
                    *pending = Some(key.to_owned());
                }
                return;
            }
            JsonEvent::EndArray | JsonEvent::EndObject => match self.open.pop() {
                Some(Open::Array(items)) => Value::Array(items),
                Some(Open::Object(members, _)) => Value::Object(members),
                None => return,
            },
            JsonEvent::String(s) => Value::String(s.to_owned()),
            JsonEvent::Bool(b) => Value::Bool(b),
            JsonEvent::Null => Value::Null,
            JsonEvent::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::from(i),
                (None, Some(u)) => Value::from(u),
                // A float with no JSON form (NaN) cannot occur: the parser
                // checked the grammar, and `from_f64` turns it into null.
                _ => Value::from(n.as_f64()),
            },
            JsonEvent::EndOfValue => return,
        };
        match self.open.last_mut() {
            Some(Open::Array(items)) => items.push(value),
            Some(Open::Object(members, pending)) => {
                members.insert(pending.take().unwrap_or_default(), value);
            }
            None => self.done = Some(value),
        }
    }
}

/// The property: the `csv` crate writes `records`, [`CsvParser`] (strict
/// RFC 4180) reads them back in the chunks `cuts` make, field for field.
///
/// # Errors
/// What went wrong, with both sides when they differ.
pub fn csv_round_trip(records: &[Vec<String>], cuts: &[Index]) -> Result<(), RoundTripError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .map_err(|e| RoundTripError::Write(e.to_string()))?;
    }
    let text = writer
        .into_inner()
        .map_err(|e| RoundTripError::Write(e.to_string()))?;
    let mut parser = CsvParser::new(CsvOptions::default());
    let mut got: Vec<Vec<String>> = Vec::new();
    for chunk in split_at(&text, cuts) {
        parser.feed(chunk, |event| got.push(event.record().to_vec()))?;
    }
    parser.finish(|event| got.push(event.record().to_vec()))?;
    if got == records {
        return Ok(());
    }
    Err(RoundTripError::Mismatch {
        written: format!("{records:?} as {:?}", String::from_utf8_lossy(&text)),
        got: format!("{got:?}"),
    })
}
