//! Parsing *is* checking: [`parse_typed`] returns the typed value or a
//! [`SchemaError`] that names the JSON path, the problem, and the line and
//! column. serde_json gives the what and the where; the path is recovered
//! here from the text.

use serde::de::DeserializeOwned;

/// Why a JSON document was rejected: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message} (line {line}, column {column})")]
pub struct SchemaError {
    /// Where the problem is, as a JSON path: `$` is the document,
    /// `$.upstreams[1].port` a field of the second upstream. For a missing
    /// field it is the object that lacks it (the message names the field).
    pub path: String,
    /// serde's description — unknown field, missing field, invalid type
    /// or value, unknown variant — or the message of a newtype's check.
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// Column of the error on that line (bytes, as serde_json counts).
    pub column: usize,
}

/// Parses `json` into `T` — the typed dict — or says where and why it does
/// not fit.
///
/// serde_json reports *what* went wrong and the line and column, but for a
/// wrong type not *which field*; the path is recovered here by walking the
/// text up to the error position (the document is well-formed that far, or
/// serde would have stopped earlier). The `serde_path_to_error` crate gets
/// the same by wrapping the deserializer.
///
/// # Errors
/// [`SchemaError`] for malformed JSON, unknown or missing fields, wrong
/// types, and values a newtype refuses.
pub fn parse_typed<T: DeserializeOwned>(json: &str) -> Result<T, SchemaError> {
    serde_json::from_str(json).map_err(|e| schema_error(json, &e))
}

fn schema_error(json: &str, error: &serde_json::Error) -> SchemaError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    SchemaError {
        path: json_path_at(json, byte_offset(json, line, column)),
        message,
        line,
        column,
    }
}

/// The byte offset just after serde_json's (1-based line, byte column).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Where the scan is inside one JSON container.
enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The JSON path of the innermost value open at `end`, e.g.
/// `$.upstreams[1].port`, by scanning the text before it.
pub(super) fn json_path_at(text: &str, end: usize) -> String {
    let bytes = &text.as_bytes()[..end.min(text.len())];
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            b'"' => {
                let close = string_end(bytes, i + 1);
                if let Some(Frame::Object {
                    key,
                    expecting_key: expecting_key @ true,
                }) = stack.last_mut()
                {
                    *key = Some(String::from_utf8_lossy(&bytes[i + 1..close]).into_owned());
                    *expecting_key = false;
                }
                i = close + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                path.push('.');
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Index of the quote closing the string whose content starts at `start`
/// (or the end of `bytes` when the string is cut off there).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}
