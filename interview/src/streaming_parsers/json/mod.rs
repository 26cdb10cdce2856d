//! An incremental RFC 8259 JSON parser: feed chunks, get borrowed events.
//!
//! See the [module lesson](super) for the design. In short: [`JsonParser`]
//! is an explicit state machine with its own container stack; tokens inside
//! a chunk are scanned in tight loops and handed out borrowed from the
//! chunk; tokens cut by a chunk boundary are collected in a reusable buffer
//! and parsed by the same code.
//!
//! ```
//! use mastery_interview::streaming_parsers::json::{self, JsonOptions, OwnedJsonEvent};
//!
//! // JSON Lines from any `Read` (a file, stdin): owned events, pulled.
//! let input = "{\"id\": 1}\n{\"id\": 2}\n";
//! let ids: Vec<i64> = json::events_from_reader(input.as_bytes(), JsonOptions::json_lines())
//!     .filter_map(|event| match event {
//!         Ok(OwnedJsonEvent::Number(n)) => n.parse().ok(),
//!         _ => None,
//!     })
//!     .collect();
//! assert_eq!(ids, [1, 2]);
//! ```
//!
//! # How the code is laid out
//! - this file: [`JsonParser`]'s state — what may come next, the stack of
//!   open containers, the token cut by the last chunk;
//! - `parser.rs`: `feed`, `feed_str` and `finish`, the byte order mark, and
//!   the [`PushParser`](super::PushParser) implementation;
//! - `structure.rs`: the grammar between tokens, the hot loop;
//! - `tokens.rs`: strings, numbers and literals, in a chunk or cut by its
//!   end; `string.rs`, `number.rs`, `whitespace.rs`: their scanners;
//! - `events.rs`, `options.rs`: the public types; `bench_input.rs`: the
//!   generated input of the benchmarks and the demo.

use std::io::Read;

use super::input::Bom;
use super::{Events, Lifecycle, ParseError, Position, Summary};

mod bench_input;
mod events;
mod number;
mod options;
mod parser;
mod simple;
mod string;
mod structure;
mod tokens;
mod whitespace;

pub use bench_input::bench_input_json;
pub use events::{JsonEvent, JsonNumber, OwnedJsonEvent};
pub use options::JsonOptions;
pub use simple::SimpleJsonParser;

use number::NumberPhase;
use tokens::Literal;
use whitespace::Lines;

/// An incremental JSON parser. See the [module docs](self).
///
/// ```
/// use mastery_interview::streaming_parsers::json::{JsonEvent, JsonOptions, JsonParser};
///
/// let mut parser = JsonParser::new(JsonOptions::default());
/// let mut total = 0.0;
/// parser.feed(br#"{"prices": [1.5, 2.25, "#, |e| {
///     if let JsonEvent::Number(n) = e { total += n.as_f64() }
/// })?;
/// parser.feed(b"4]}", |e| {
///     if let JsonEvent::Number(n) = e { total += n.as_f64() }
/// })?;
/// parser.finish(|_| {})?;
/// assert_eq!(total, 7.75);
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct JsonParser {
    options: JsonOptions,
    /// What may come next, between tokens.
    state: State,
    /// The open containers, innermost last.
    stack: Vec<Container>,
    /// A token cut by the end of the last chunk.
    partial: Partial,
    /// The raw bytes of `partial` seen so far.
    pending: Vec<u8>,
    /// Where `pending` starts in the input.
    pending_pos: Position,
    /// `partial` was cut by the end of the chunk being fed: `pending_pos`
    /// is found once that chunk's position is known. A token resumed from
    /// an earlier chunk already has it, and it does not change.
    suspended: bool,
    /// The decoded text of a string with escapes.
    scratch: String,
    /// The position of the next byte to be fed.
    pos: Position,
    /// The newlines of the chunk being parsed, counted as whitespace is
    /// skipped: JSON allows a raw newline nowhere else.
    lines: Lines,
    bom: Bom,
    /// Multi-value mode: a top-level number or literal has just ended, and
    /// no whitespace has followed yet.
    glued: bool,
    life: Lifecycle,
}

/// What may come next, between tokens. Inside a value the hot loop keeps
/// this in the program counter instead and writes it back only on the way
/// out (see `structure.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A top-level value (or, in multi-value mode, the end of the input).
    TopValue,
    /// A value after `:` or after `,` in an array.
    Value,
    /// After `[`: a value or `]`.
    ValueOrEnd,
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object.
    Key,
    /// After a key.
    Colon,
    /// After a value inside a container.
    CommaOrEnd,
    /// After the single top-level value: only whitespace.
    TopDone,
}

/// An open array or object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Object,
    Array,
}

/// A token cut by the end of a chunk: which kind, and where its scan
/// stands (its raw bytes so far are in `pending`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    None,
    String { key: bool, after_backslash: bool },
    Number(NumberPhase),
    Literal { literal: Literal, matched: u8 },
}

/// What a value may start with, for errors.
const EXPECTED_VALUE: &str = "a JSON value (object, array, string, number, true, false or null)";

/// An iterator of owned events over any [`Read`]: the pull adapter for
/// files and stdin. For speed, use [`JsonParser::feed`] or
/// [`for_each_event`] (borrowed events, no allocation per event).
///
/// [`for_each_event`]: super::for_each_event
pub fn events_from_reader<R: Read>(reader: R, options: JsonOptions) -> Events<JsonParser, R> {
    Events::new(JsonParser::new(options), reader)
}

/// Counts the events and bytes of the JSON in `reader`, on the fast path.
///
/// ```
/// use mastery_interview::streaming_parsers::json::{self, JsonOptions};
///
/// let summary = json::count_events(&b"[1, {\"a\": null}]"[..], JsonOptions::default())?;
/// assert_eq!((summary.events, summary.bytes), (7, 16));
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
pub fn count_events<R: Read>(reader: R, options: JsonOptions) -> Result<Summary, ParseError> {
    super::count_events(&mut JsonParser::new(options), reader)
}

#[cfg(test)]
mod simple_tests;
#[cfg(test)]
mod tests;
