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

use std::io::Read;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{
    ErrorKind, Events, Fail, Format, Input, Lifecycle, ParseError, Position, Summary, Where,
};

/// How a [`JsonParser`] reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    /// The deepest nesting of arrays and objects accepted; one more is
    /// [`ErrorKind::TooDeep`]. Memory for the stack grows with the actual
    /// depth, one byte per level.
    pub max_depth: usize,
    /// Accept any number of top-level values separated by whitespace (JSON
    /// Lines, concatenated JSON), each followed by [`JsonEvent::EndOfValue`].
    /// Off: exactly one value, and anything after it is an error.
    pub multi_value: bool,
    /// Skip a UTF-8 byte order mark (`EF BB BF`) at the very start, which
    /// RFC 8259 §8.1 allows a parser to ignore. Off: it is an error.
    pub skip_bom: bool,
}

impl JsonOptions {
    /// The default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 1024;

    /// One document, BOM skipped, nesting limit 1024.
    pub const fn new() -> Self {
        JsonOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            multi_value: false,
            skip_bom: true,
        }
    }

    /// Many values separated by whitespace: JSON Lines / concatenated JSON.
    pub const fn json_lines() -> Self {
        JsonOptions {
            multi_value: true,
            ..Self::new()
        }
    }
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self::new()
    }
}

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
pub struct JsonNumber<'a>(&'a str);

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    None,
    String { key: bool, after_backslash: bool },
    Number(NumberPhase),
    Literal { literal: Literal, matched: u8 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bom {
    /// Still matching; how many bytes of `EF BB BF` so far.
    Looking(u8),
    Done,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Literal {
    True,
    False,
    Null,
}

impl Literal {
    fn text(self) -> &'static str {
        match self {
            Literal::True => "true",
            Literal::False => "false",
            Literal::Null => "null",
        }
    }

    fn event(self) -> JsonEvent<'static> {
        match self {
            Literal::True => JsonEvent::Bool(true),
            Literal::False => JsonEvent::Bool(false),
            Literal::Null => JsonEvent::Null,
        }
    }
}

/// Where the hot loop goes next.
enum Step {
    /// A value starts at this index (after a colon or a comma).
    Value(usize),
    /// An empty object closed; the input goes on at this index.
    Closed(usize),
    /// A top-level value ended; the input goes on at this index.
    Top(usize),
    /// The chunk is used up; `self.state` says where to resume.
    Paused,
}

const EXPECTED_VALUE: &str = "a JSON value (object, array, string, number, true, false or null)";

impl JsonParser {
    /// A parser at the start of its input.
    pub fn new(options: JsonOptions) -> Self {
        JsonParser {
            options,
            state: State::TopValue,
            stack: Vec::new(),
            partial: Partial::None,
            pending: Vec::new(),
            pending_pos: Position::START,
            scratch: String::new(),
            pos: Position::START,
            lines: Lines::default(),
            bom: if options.skip_bom {
                Bom::Looking(0)
            } else {
                Bom::Done
            },
            glued: false,
            life: Lifecycle::new(),
        }
    }

    /// The options this parser was built with.
    pub fn options(&self) -> JsonOptions {
        self.options
    }

    /// Starts over on a new input, keeping the buffers' capacity.
    pub fn reset(&mut self) {
        let mut stack = std::mem::take(&mut self.stack);
        let mut pending = std::mem::take(&mut self.pending);
        let mut scratch = std::mem::take(&mut self.scratch);
        stack.clear();
        pending.clear();
        scratch.clear();
        *self = JsonParser {
            stack,
            pending,
            scratch,
            ..JsonParser::new(self.options)
        };
    }

    /// The position of the next byte to be fed.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// The current nesting depth (open arrays and objects).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    super::push_methods! {
        JsonEvent, Format::Json, "event", "token",
        /// Ends the input: completes a token still open (a number can only end
        /// here) and checks that the document is complete.
        finish
    }

    fn feed_chunk<F>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        on_event: &mut F,
    ) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        self.life.check_feed(Format::Json, self.pos)?;
        self.lines = Lines::default();
        let mut skipped = 0;
        let result = self.run(chunk, known, &mut skipped, on_event);
        // `run` has moved `pos` past the bytes it skipped.
        let chunk = &chunk[skipped..];
        match result {
            Ok(()) => {
                let Lines { newlines, after } = self.lines;
                self.pos = self.pos.advanced_counted(chunk, newlines, after);
                if self.partial != Partial::None {
                    // A pending token holds no newline (a raw one is an
                    // error inside a string), so its start is found from
                    // the end without counting the chunk again.
                    self.pending_pos = self.pos.before_line_part(&self.pending);
                }
                Ok(())
            }
            Err(fail) => {
                let error = self.locate(fail, chunk);
                Err(self.life.fail(error))
            }
        }
    }

    /// Parses `chunk`. Errors from the byte order mark and from the token
    /// resumed from the last chunk are placed in `chunk`; the bytes after
    /// them are then scanned as a chunk of their own: `pos` moves past the
    /// bytes before, `skipped` says how many, and later errors (and the
    /// newlines counted) are placed in `chunk[skipped..]`.
    fn run<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        skipped: &mut usize,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let mut i = 0;
        if let Bom::Looking(_) = self.bom {
            i = self.skip_bom(chunk)?;
            if i == chunk.len() {
                return Ok(());
            }
        }
        if self.partial != Partial::None {
            i = self.resume(chunk, on_event)?;
        }
        if i > 0 {
            // The resumed token may end with the rest of a character cut by
            // the chunk boundary: validating UTF-8 from the chunk's first
            // byte would fail there and send every token of the chunk down
            // the slow path. Validate from the first new token.
            self.pos = self.pos.advanced(&chunk[..i]);
            *skipped = i;
        }
        self.scan(&Input::new(chunk, known, i), 0, on_event)
    }

    /// Matches a byte order mark at the start of the input; returns where
    /// the JSON starts in `chunk`.
    fn skip_bom(&mut self, chunk: &[u8]) -> Result<usize, Fail> {
        let Bom::Looking(mut matched) = self.bom else {
            return Ok(0);
        };
        for (i, &b) in chunk.iter().enumerate() {
            if b == BOM[usize::from(matched)] {
                matched += 1;
                if usize::from(matched) == BOM.len() {
                    self.bom = Bom::Done;
                    return Ok(i + 1);
                }
            } else if matched == 0 {
                self.bom = Bom::Done;
                return Ok(0);
            } else {
                return Err(Self::broken_bom());
            }
        }
        self.bom = Bom::Looking(matched);
        Ok(chunk.len())
    }

    /// A partial byte order mark: the `EF` at offset 0 starts no value.
    fn broken_bom() -> Fail {
        Fail {
            at: Where::At(Position::START),
            kind: ErrorKind::UnexpectedByte {
                found: BOM[0],
                expected: EXPECTED_VALUE,
            },
        }
    }

    /// The main loop. Between top-level values, and once at the start of
    /// a chunk, it dispatches on `self.state`; everything inside a value
    /// runs in [`values`](Self::values), where the state lives in the
    /// program counter instead.
    fn scan<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        mut i: usize,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let chunk = input.bytes;
        loop {
            match self.state {
                State::TopDone => {
                    i = skip_whitespace(chunk, i, &mut self.lines);
                    if i < chunk.len() {
                        return Err(Fail::chunk(i, ErrorKind::TrailingCharacters));
                    }
                    return Ok(());
                }
                State::TopValue => {
                    let start = i;
                    i = skip_whitespace(chunk, i, &mut self.lines);
                    if i > start {
                        self.glued = false;
                    }
                    let Some(&b) = chunk.get(i) else {
                        return Ok(());
                    };
                    if self.glued && matches!(b, b'-' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z') {
                        return Err(Fail::chunk(i, ErrorKind::MissingSeparator));
                    }
                }
                State::Value | State::ValueOrEnd => {}
                state @ (State::Key | State::KeyOrEnd | State::Colon) => {
                    match self.key_colon(input, i, state, on_event)? {
                        Step::Value(next) => {
                            i = next;
                            self.state = State::Value;
                        }
                        Step::Closed(next) => {
                            i = next;
                            self.state = State::CommaOrEnd;
                            continue;
                        }
                        Step::Top(_) | Step::Paused => return Ok(()),
                    }
                }
                State::CommaOrEnd => match self.after_value(input, i, false, on_event)? {
                    Step::Value(next) => {
                        i = next;
                        self.state = State::Value;
                    }
                    Step::Top(next) => {
                        i = next;
                        continue;
                    }
                    Step::Closed(_) | Step::Paused => return Ok(()),
                },
            }
            match self.values(input, i, on_event)? {
                Some(next) => i = next,
                None => return Ok(()),
            }
        }
    }

    /// The hot path: one value — with everything nested in it — at
    /// `input.bytes[i]`, in state `Value`, `ValueOrEnd` or `TopValue`.
    /// Keys, colons, commas and brackets are taken as they come, with no
    /// dispatch on a stored state (well-predicted branches instead of an
    /// indirect jump that is not); `self.state` is written only on the
    /// way out. Returns where the input goes on after a top-level value
    /// (`self.state` then says what may follow), or `None` once the chunk
    /// is used up (`self.state` then says where to resume).
    #[inline(always)]
    fn values<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        mut i: usize,
        on_event: &mut F,
    ) -> Result<Option<usize>, Fail> {
        let chunk = input.bytes;
        let n = chunk.len();
        // The state the next value is read in (for errors and pauses).
        let mut expect = self.state;
        loop {
            let Some(&b) = chunk.get(i) else {
                self.state = expect;
                return Ok(None);
            };
            let word;
            match b {
                b'"' => {
                    i = self.string(input, i, false, on_event)?;
                    word = false;
                }
                b'-' | b'0'..=b'9' => {
                    i = self.number(input, i, on_event)?;
                    word = true;
                }
                b'{' => {
                    self.open(Container::Object, i)?;
                    on_event(JsonEvent::StartObject);
                    match self.key_colon(input, i + 1, State::KeyOrEnd, on_event)? {
                        Step::Value(next) => {
                            i = next;
                            expect = State::Value;
                            continue;
                        }
                        Step::Closed(next) => {
                            i = next;
                            word = false;
                        }
                        Step::Top(_) | Step::Paused => return Ok(None),
                    }
                }
                b'[' => {
                    self.open(Container::Array, i)?;
                    on_event(JsonEvent::StartArray);
                    // A `]` next is taken by its arm below.
                    i += 1;
                    expect = State::ValueOrEnd;
                    continue;
                }
                b't' => {
                    i = self.literal(chunk, i, Literal::True, on_event)?;
                    word = true;
                }
                b'f' => {
                    i = self.literal(chunk, i, Literal::False, on_event)?;
                    word = true;
                }
                b'n' => {
                    i = self.literal(chunk, i, Literal::Null, on_event)?;
                    word = true;
                }
                b']' if expect == State::ValueOrEnd => {
                    self.stack.pop();
                    on_event(JsonEvent::EndArray);
                    i += 1;
                    word = false;
                }
                _ if is_whitespace(b) => {
                    i = skip_whitespace(chunk, i, &mut self.lines);
                    continue;
                }
                _ => {
                    self.state = expect;
                    return Err(self.unexpected(b, i));
                }
            }
            // A token cut by the end of the chunk is resumed by the next
            // `feed` in the state it started in.
            if i >= n && self.partial != Partial::None {
                self.state = expect;
                return Ok(None);
            }
            match self.after_value(input, i, word, on_event)? {
                Step::Value(next) => {
                    i = next;
                    expect = State::Value;
                }
                Step::Top(next) => return Ok(Some(next)),
                Step::Closed(_) | Step::Paused => return Ok(None),
            }
        }
    }

    /// After a value ending before `input.bytes[i]` (`word`: a number or
    /// literal): closing brackets, then a comma and — in an object — the
    /// next key and its colon. Answers where the next value starts
    /// (`self.state` is left for the caller to set), where the input goes
    /// on after a top-level value (`self.state` set by
    /// [`any_value_done`](Self::any_value_done)), or `Paused` at the end of
    /// the chunk (`self.state` set to resume).
    #[inline(always)]
    fn after_value<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        mut i: usize,
        mut word: bool,
        on_event: &mut F,
    ) -> Result<Step, Fail> {
        let chunk = input.bytes;
        loop {
            let Some(&top) = self.stack.last() else {
                self.any_value_done(word, on_event);
                return Ok(Step::Top(i));
            };
            let Some(&b) = chunk.get(i) else {
                self.state = State::CommaOrEnd;
                return Ok(Step::Paused);
            };
            match (b, top) {
                // `key_colon` answers `Value` or `Paused` in state `Key`.
                (b',', Container::Object) => {
                    return self.key_colon(input, i + 1, State::Key, on_event);
                }
                (b',', Container::Array) => return Ok(Step::Value(i + 1)),
                (b'}', Container::Object) => {
                    self.stack.pop();
                    on_event(JsonEvent::EndObject);
                }
                (b']', Container::Array) => {
                    self.stack.pop();
                    on_event(JsonEvent::EndArray);
                }
                _ if is_whitespace(b) => {
                    i = skip_whitespace(chunk, i, &mut self.lines);
                    continue;
                }
                _ => {
                    self.state = State::CommaOrEnd;
                    return Err(self.unexpected(b, i));
                }
            }
            i += 1;
            word = false;
        }
    }

    /// A key and its colon from `input.bytes[i]`, whitespace allowed
    /// around them, starting in `state` (`Key`, `KeyOrEnd` or `Colon`).
    /// In `KeyOrEnd` a `}` closes the (empty) object instead.
    #[inline(always)]
    fn key_colon<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        mut i: usize,
        state: State,
        on_event: &mut F,
    ) -> Result<Step, Fail> {
        let chunk = input.bytes;
        if state != State::Colon {
            loop {
                match chunk.get(i) {
                    Some(b'"') => {
                        i = self.string(input, i, true, on_event)?;
                        if i >= chunk.len() && self.partial != Partial::None {
                            self.state = state;
                            return Ok(Step::Paused);
                        }
                        break;
                    }
                    Some(b'}') if state == State::KeyOrEnd => {
                        self.stack.pop();
                        on_event(JsonEvent::EndObject);
                        return Ok(Step::Closed(i + 1));
                    }
                    Some(&b) if is_whitespace(b) => {
                        i = skip_whitespace(chunk, i, &mut self.lines);
                    }
                    Some(&b) => {
                        self.state = state;
                        return Err(self.unexpected(b, i));
                    }
                    None => {
                        self.state = state;
                        return Ok(Step::Paused);
                    }
                }
            }
        }
        loop {
            match chunk.get(i) {
                Some(b':') => return Ok(Step::Value(i + 1)),
                Some(&b) if is_whitespace(b) => {
                    i = skip_whitespace(chunk, i, &mut self.lines);
                }
                Some(&b) => {
                    self.state = State::Colon;
                    return Err(self.unexpected(b, i));
                }
                None => {
                    self.state = State::Colon;
                    return Ok(Step::Paused);
                }
            }
        }
    }

    #[inline]
    fn open(&mut self, container: Container, i: usize) -> Result<(), Fail> {
        if self.stack.len() >= self.options.max_depth {
            let limit = self.options.max_depth;
            return Err(Fail::chunk(i, ErrorKind::TooDeep { limit }));
        }
        self.stack.push(container);
        Ok(())
    }

    /// A value other than a number or literal has been completed.
    #[inline]
    fn value_done<F: FnMut(JsonEvent<'_>)>(&mut self, on_event: &mut F) {
        self.any_value_done(false, on_event);
    }

    /// A number or literal has been completed.
    #[inline]
    fn word_done<F: FnMut(JsonEvent<'_>)>(&mut self, on_event: &mut F) {
        self.any_value_done(true, on_event);
    }

    /// A value has been completed: what may come next.
    #[inline(always)]
    fn any_value_done<F: FnMut(JsonEvent<'_>)>(&mut self, word: bool, on_event: &mut F) {
        if !self.stack.is_empty() {
            self.state = State::CommaOrEnd;
        } else if self.options.multi_value {
            on_event(JsonEvent::EndOfValue);
            self.state = State::TopValue;
            // Only read in `TopValue`, so only kept up to date here.
            self.glued = word;
        } else {
            self.state = State::TopDone;
        }
    }

    /// What the grammar allows in the current state.
    fn expected(&self) -> &'static str {
        match self.state {
            State::TopValue | State::Value => EXPECTED_VALUE,
            State::ValueOrEnd => "a JSON value or `]`",
            State::Key => "a string key in double quotes",
            State::KeyOrEnd => "a string key in double quotes or `}`",
            State::Colon => "`:` after the object key",
            State::CommaOrEnd => match self.stack.last() {
                Some(Container::Object) => "`,` or `}`",
                _ => "`,` or `]`",
            },
            State::TopDone => "the end of the input",
        }
    }

    /// The error for byte `b` at `chunk[i]` in the current state, with a
    /// hint for the usual mistakes.
    #[cold]
    fn unexpected(&self, b: u8, i: usize) -> Fail {
        let expected = match (self.state, b) {
            (State::Value, b']') | (State::Key, b'}') => {
                "a value after `,` (JSON has no trailing commas)"
            }
            (_, b'\'') => "a double quote `\"` (JSON strings use double quotes)",
            _ => self.expected(),
        };
        Fail::chunk(i, ErrorKind::UnexpectedByte { found: b, expected })
    }

    /// Keeps the rest of `chunk` from `start` as a token to be completed by
    /// the next chunk.
    fn suspend(&mut self, chunk: &[u8], start: usize, partial: Partial) {
        self.pending.clear();
        self.pending.extend_from_slice(&chunk[start..]);
        // `feed` sets `pending_pos` once the chunk's position is known.
        self.partial = partial;
    }

    /// A string starting with the quote at `input.bytes[start]`: its event,
    /// and where the input goes on — or, cut by the end of the chunk, kept
    /// in `pending` (the answer is then the chunk's length). The caller
    /// keeps the state.
    #[inline(always)]
    fn string<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        start: usize,
        key: bool,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let chunk = input.bytes;
        // The fast path: no escape, closed in this chunk, already-validated
        // UTF-8 — a slice of the chunk, found eight bytes at a time.
        let plain_end = skip_plain(chunk, start + 1);
        if chunk.get(plain_end) == Some(&b'"') {
            if let Some(text) = input.str(start + 1..plain_end) {
                on_event(if key {
                    JsonEvent::Key(text)
                } else {
                    JsonEvent::String(text)
                });
                return Ok(plain_end + 1);
            }
        }
        match scan_string(input, start, plain_end, &mut self.scratch) {
            StringScan::Done { end, text } => {
                on_event(if key {
                    JsonEvent::Key(text)
                } else {
                    JsonEvent::String(text)
                });
                Ok(end + 1)
            }
            StringScan::Incomplete => {
                let mut after_backslash = false;
                // No closing quote: this only learns whether a `\` is open.
                let _ = find_string_end(&chunk[start + 1..], &mut after_backslash);
                let partial = Partial::String {
                    key,
                    after_backslash,
                };
                self.suspend(chunk, start, partial);
                Ok(chunk.len())
            }
            StringScan::Error(at, kind) => Err(Fail::chunk(at, kind)),
        }
    }

    #[inline]
    fn string_done<F: FnMut(JsonEvent<'_>)>(&mut self, key: bool, on_event: &mut F) {
        if key {
            self.state = State::Colon;
        } else {
            self.value_done(on_event);
        }
    }

    /// A number starting at `input.bytes[start]` (`-` or a digit), like
    /// [`string`](Self::string).
    #[inline(always)]
    fn number<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        start: usize,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let chunk = input.bytes;
        if let Some(end) = number_end(chunk, start) {
            if let Some(text) = input.str(start..end) {
                on_event(JsonEvent::Number(JsonNumber(text)));
                return Ok(end);
            }
        }
        match scan_number(chunk, start, NumberPhase::Start) {
            NumberScan::Done(end) => {
                on_event(JsonEvent::Number(JsonNumber(ascii_str(&chunk[start..end]))));
                Ok(end)
            }
            NumberScan::More(phase) => {
                self.suspend(chunk, start, Partial::Number(phase));
                Ok(chunk.len())
            }
            NumberScan::Error(at, reason) => {
                Err(Fail::chunk(at, ErrorKind::InvalidNumber { reason }))
            }
        }
    }

    /// `true`, `false` or `null` starting at `chunk[start]`, like
    /// [`string`](Self::string).
    #[inline]
    fn literal<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        start: usize,
        literal: Literal,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let text = literal.text().as_bytes();
        if chunk[start..].starts_with(text) {
            on_event(literal.event());
            return Ok(start + text.len());
        }
        match match_literal(chunk, start, literal, 0) {
            Ok(matched) => {
                self.pending.clear();
                self.partial = Partial::Literal { literal, matched };
                Ok(chunk.len())
            }
            Err(fail) => Err(fail),
        }
    }

    /// Continues the token cut by the end of the previous chunk; returns
    /// where the rest of `chunk` starts.
    fn resume<F: FnMut(JsonEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        match self.partial {
            Partial::None => Ok(0),
            Partial::String {
                key,
                mut after_backslash,
            } => {
                let Some(end) = find_string_end(chunk, &mut after_backslash) else {
                    self.pending.extend_from_slice(chunk);
                    self.partial = Partial::String {
                        key,
                        after_backslash,
                    };
                    return Ok(chunk.len());
                };
                self.pending.extend_from_slice(&chunk[..=end]);
                self.partial = Partial::None;
                let token = Input::new(&self.pending, None, 0);
                match scan_string(&token, 0, 1, &mut self.scratch) {
                    StringScan::Done { text, .. } => {
                        on_event(if key {
                            JsonEvent::Key(text)
                        } else {
                            JsonEvent::String(text)
                        });
                    }
                    StringScan::Error(at, kind) => {
                        return Err(Fail {
                            at: Where::Pending(at),
                            kind,
                        });
                    }
                    StringScan::Incomplete => {
                        // Unreachable: the token now ends with its closing
                        // quote or with a byte that is an error in a string.
                        return Err(Fail {
                            at: Where::Pending(self.pending.len()),
                            kind: ErrorKind::UnexpectedEnd {
                                expected: "the closing `\"` of the string",
                            },
                        });
                    }
                }
                self.string_done(key, on_event);
                Ok(end + 1)
            }
            Partial::Number(phase) => match scan_number(chunk, 0, phase) {
                NumberScan::Done(end) => {
                    self.pending.extend_from_slice(&chunk[..end]);
                    self.partial = Partial::None;
                    on_event(JsonEvent::Number(JsonNumber(ascii_str(&self.pending))));
                    self.word_done(on_event);
                    Ok(end)
                }
                NumberScan::More(phase) => {
                    self.pending.extend_from_slice(chunk);
                    self.partial = Partial::Number(phase);
                    Ok(chunk.len())
                }
                NumberScan::Error(at, reason) => {
                    Err(Fail::chunk(at, ErrorKind::InvalidNumber { reason }))
                }
            },
            Partial::Literal { literal, matched } => {
                let now = match_literal(chunk, 0, literal, matched)?;
                if usize::from(now) < literal.text().len() {
                    self.partial = Partial::Literal {
                        literal,
                        matched: now,
                    };
                    return Ok(chunk.len());
                }
                self.partial = Partial::None;
                on_event(literal.event());
                self.word_done(on_event);
                Ok(usize::from(now - matched))
            }
        }
    }

    fn finish_input<F: FnMut(JsonEvent<'_>)>(&mut self, on_event: &mut F) -> Result<(), Fail> {
        let end = Where::At(self.pos);
        if let Bom::Looking(matched) = self.bom {
            if matched > 0 {
                return Err(Self::broken_bom());
            }
        }
        match std::mem::replace(&mut self.partial, Partial::None) {
            Partial::None => {}
            Partial::String { .. } => {
                let token = Input::new(&self.pending, None, 0);
                return Err(match scan_string(&token, 0, 1, &mut self.scratch) {
                    StringScan::Error(at, kind) => Fail {
                        at: Where::Pending(at),
                        kind,
                    },
                    _ => Fail {
                        at: end,
                        kind: ErrorKind::UnexpectedEnd {
                            expected: "the closing `\"` of the string",
                        },
                    },
                });
            }
            Partial::Number(phase) => {
                if !phase.is_complete() {
                    let expected = phase.expected();
                    return Err(Fail {
                        at: end,
                        kind: ErrorKind::UnexpectedEnd { expected },
                    });
                }
                on_event(JsonEvent::Number(JsonNumber(ascii_str(&self.pending))));
                self.word_done(on_event);
            }
            Partial::Literal { literal, .. } => {
                return Err(Fail {
                    at: end,
                    kind: ErrorKind::UnexpectedEnd {
                        expected: literal.text(),
                    },
                });
            }
        }
        match self.state {
            State::TopDone => Ok(()),
            State::TopValue if self.options.multi_value => Ok(()),
            State::TopValue => Err(Fail {
                at: end,
                kind: ErrorKind::UnexpectedEnd {
                    expected: EXPECTED_VALUE,
                },
            }),
            _ => Err(Fail {
                at: end,
                kind: ErrorKind::UnexpectedEnd {
                    expected: self.expected(),
                },
            }),
        }
    }
}

super::impl_push_parser!(JsonParser, JsonEvent, OwnedJsonEvent, Format::Json);

/// An iterator of owned events over any [`Read`]: the pull adapter for
/// files and stdin. For speed, use [`JsonParser::feed`] or
/// [`super::for_each_event`] (borrowed events, no allocation per event).
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

// ---------------------------------------------------------------------------
// Token scanners. Each works on a byte slice and an index, reports "need more
// input" instead of guessing at the end of the slice, and is used both for
// tokens inside a chunk and for tokens reassembled in `pending` — one set of
// rules for both paths.

#[inline]
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// The index of the first byte at or after `i` that is not whitespace.
///
/// Inside a value the dispatches call this only once they have met a
/// whitespace byte: they try the bytes the grammar expects first, so
/// compact JSON skips no whitespace at all. Every token byte is above
/// `b' '`, so one comparison ends the run.
///
/// Newlines are counted into `lines` on the way: every raw newline of a
/// well-formed JSON text is whitespace, so this is the parser's whole line
/// count, at no cost to compact input (a count of the chunk's `\n` bytes
/// was 4% of a parse).
#[inline(always)]
fn skip_whitespace(buf: &[u8], mut i: usize, lines: &mut Lines) -> usize {
    while let Some(&b) = buf.get(i) {
        if b > b' ' || !is_whitespace(b) {
            break;
        }
        i += 1;
        if b == b'\n' {
            lines.newlines += 1;
            lines.after = i;
        }
    }
    i
}

/// The newlines skipped in the current chunk.
#[derive(Debug, Clone, Copy, Default)]
struct Lines {
    newlines: u64,
    /// The index just after the last of them.
    after: usize,
}

/// Text the scanners proved ASCII (numbers).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

enum StringScan<'a> {
    /// The closing quote is at `end`; `text` is the unescaped content.
    Done {
        end: usize,
        text: &'a str,
    },
    /// The slice ended first.
    Incomplete,
    Error(usize, ErrorKind),
}

/// Scans the string whose opening quote is `input.bytes[start]`, knowing
/// there is no escape before `from`. Text without escapes is borrowed from
/// the input; with escapes it is decoded into `scratch`.
fn scan_string<'a>(
    input: &Input<'a>,
    start: usize,
    from: usize,
    scratch: &'a mut String,
) -> StringScan<'a> {
    let buf = input.bytes;
    let mut i = from;
    let mut run = start + 1;
    let mut escaped = false;
    loop {
        i = skip_plain(buf, i);
        let Some(&b) = buf.get(i) else {
            // Report a sequence that is invalid whatever follows; one cut
            // short by the end of `buf` may still be completed.
            return match std::str::from_utf8(&buf[run..]) {
                Err(e) if e.error_len().is_some() => {
                    StringScan::Error(run + e.valid_up_to(), ErrorKind::InvalidUtf8)
                }
                _ => StringScan::Incomplete,
            };
        };
        // Validate the run of plain bytes before judging the byte after it,
        // so errors come out in input order.
        let text = match input.validated(run..i) {
            Ok(text) => text,
            Err(at) => return StringScan::Error(at, ErrorKind::InvalidUtf8),
        };
        match b {
            b'"' if !escaped => return StringScan::Done { end: i, text },
            b'"' => {
                scratch.push_str(text);
                return StringScan::Done {
                    end: i,
                    text: scratch.as_str(),
                };
            }
            b'\\' => {
                if !escaped {
                    scratch.clear();
                    escaped = true;
                }
                scratch.push_str(text);
                match decode_escape(buf, i, scratch) {
                    Escape::Next(next) => {
                        i = next;
                        run = next;
                    }
                    Escape::Incomplete => return StringScan::Incomplete,
                    Escape::Error(at, kind) => return StringScan::Error(at, kind),
                }
            }
            _ => return StringScan::Error(i, ErrorKind::ControlCharacter { byte: b }),
        }
    }
}

/// The index of the first `"`, `\` or control byte at or after `i` (or
/// `buf.len()`), eight bytes at a time.
#[inline(always)]
fn skip_plain(buf: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGHS: u64 = ONES << 7;
    while let Some(word) = buf.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let x = u64::from_le_bytes(bytes);
        // Mycroft's "has a byte below n" trick, twice: the lowest flagged
        // byte is exact (a borrow only spreads upwards from a real match).
        // Flipping bit 1 maps `"` (0x22) to 0x20 and the control bytes onto
        // themselves, so one test "below 0x21" finds both.
        let flipped = x ^ (ONES * 0x02);
        let control_or_quote = flipped.wrapping_sub(ONES * 0x21) & !flipped;
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        let found = (control_or_quote | backslash) & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

/// Where a string cut by a chunk boundary ends in the next chunk: the index
/// of its closing quote, or of a byte that is an error in any string (a
/// control byte, a bad escape letter) — `None` if it goes on past `chunk`.
fn find_string_end(chunk: &[u8], after_backslash: &mut bool) -> Option<usize> {
    let mut i = 0;
    loop {
        if *after_backslash {
            let &b = chunk.get(i)?;
            *after_backslash = false;
            if !matches!(
                b,
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u'
            ) {
                return Some(i);
            }
            i += 1;
        }
        i = skip_plain(chunk, i);
        let &b = chunk.get(i)?;
        if b == b'\\' {
            *after_backslash = true;
            i += 1;
        } else {
            return Some(i);
        }
    }
}

enum Escape {
    /// Decoded; the string goes on at this index.
    Next(usize),
    Incomplete,
    Error(usize, ErrorKind),
}

/// What each byte after a `\` stands for: the byte it decodes to, `u` for
/// a `\u` escape and its four hex digits (decoded on their own), or 0 for
/// an invalid escape. A table instead of a `match`: the escapes in a text
/// vary from one to the next, and a jump table on them is an indirect
/// branch the predictor misses.
const ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'/' as usize] = b'/';
    table[b'b' as usize] = 0x08;
    table[b'f' as usize] = 0x0c;
    table[b'n' as usize] = b'\n';
    table[b'r' as usize] = b'\r';
    table[b't' as usize] = b'\t';
    table[b'u' as usize] = b'u';
    table
};

/// Decodes the escape whose backslash is `buf[i]` into `out`.
#[inline]
fn decode_escape(buf: &[u8], i: usize, out: &mut String) -> Escape {
    let Some(&b) = buf.get(i + 1) else {
        return Escape::Incomplete;
    };
    match ESCAPES[usize::from(b)] {
        b'u' => decode_unicode_escape(buf, i, out),
        0 => Escape::Error(i + 1, ErrorKind::InvalidEscape { found: b }),
        decoded => {
            out.push(char::from(decoded));
            Escape::Next(i + 2)
        }
    }
}

/// `\uXXXX` at `buf[i]`, with a second `\uXXXX` for a surrogate pair.
fn decode_unicode_escape(buf: &[u8], i: usize, out: &mut String) -> Escape {
    let unit = match hex4(buf, i + 2) {
        Ok(unit) => unit,
        Err(escape) => return escape,
    };
    let lone = Escape::Error(i, ErrorKind::LoneSurrogate { code_unit: unit });
    let (c, next) = match unit {
        0xD800..=0xDBFF => {
            match (buf.get(i + 6), buf.get(i + 7)) {
                (None, _) | (Some(b'\\'), None) => return Escape::Incomplete,
                (Some(b'\\'), Some(b'u')) => {}
                _ => return lone,
            }
            let low = match hex4(buf, i + 8) {
                Ok(low) => low,
                Err(escape) => return escape,
            };
            if !(0xDC00..=0xDFFF).contains(&low) {
                return lone;
            }
            let code = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
            (char::from_u32(code), i + 12)
        }
        0xDC00..=0xDFFF => return lone,
        _ => (char::from_u32(u32::from(unit)), i + 6),
    };
    match c {
        Some(c) => {
            out.push(c);
            Escape::Next(next)
        }
        None => lone,
    }
}

/// The value of each hex digit, 0xFF for every other byte.
const HEX_DIGITS: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        table[b'A' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

/// Four hex digits at `buf[at..at + 4]`: four table lookups and one test
/// for a bad digit, rather than a branch per digit on its kind.
#[inline]
fn hex4(buf: &[u8], at: usize) -> Result<u16, Escape> {
    if let Some(&[a, b, c, d]) = buf.get(at..at + 4) {
        let digits = [a, b, c, d].map(|x| HEX_DIGITS[usize::from(x)]);
        if digits.iter().all(|&v| v < 16) {
            return Ok(digits.iter().fold(0, |value, &v| value << 4 | u16::from(v)));
        }
    }
    // A bad digit (the first one is reported) or the end of `buf`.
    for k in at..at + 4 {
        let Some(&b) = buf.get(k) else {
            return Err(Escape::Incomplete);
        };
        if HEX_DIGITS[usize::from(b)] >= 16 {
            return Err(Escape::Error(k, ErrorKind::InvalidHexDigit { found: b }));
        }
    }
    Err(Escape::Incomplete)
}

/// Where a number's scan stands: the grammar
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` as states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberPhase {
    /// At the first byte (`-` or a digit).
    Start,
    /// After `-`.
    Minus,
    /// After a leading `0`.
    Zero,
    /// In the integer digits.
    Int,
    /// After `.`.
    Dot,
    /// In the fraction digits.
    Frac,
    /// After `e`/`E`.
    Exp,
    /// After the exponent's sign.
    ExpSign,
    /// In the exponent digits.
    ExpDigits,
}

impl NumberPhase {
    /// Whether the number may end here.
    fn is_complete(self) -> bool {
        matches!(
            self,
            NumberPhase::Zero | NumberPhase::Int | NumberPhase::Frac | NumberPhase::ExpDigits
        )
    }

    /// What must come next when the number may not end here.
    fn expected(self) -> &'static str {
        match self {
            NumberPhase::Start | NumberPhase::Minus => "a digit after `-`",
            NumberPhase::Dot => "a digit after the decimal point",
            NumberPhase::Exp => "a digit or sign in the exponent",
            _ => "a digit in the exponent",
        }
    }
}

enum NumberScan {
    /// The number ends before this index.
    Done(usize),
    /// The slice ended; resume in this phase.
    More(NumberPhase),
    Error(usize, &'static str),
}

/// Scans a number from `buf[i]` in `phase`. Loops over digit runs; the
/// phase is dispatched once per part (sign, integer, fraction, exponent).
#[inline]
fn scan_number(buf: &[u8], mut i: usize, mut phase: NumberPhase) -> NumberScan {
    let n = buf.len();
    loop {
        let Some(&b) = buf.get(i) else {
            return NumberScan::More(phase);
        };
        phase = match phase {
            NumberPhase::Start if b == b'-' => NumberPhase::Minus,
            NumberPhase::Start | NumberPhase::Minus => match b {
                b'0' => NumberPhase::Zero,
                b'1'..=b'9' => NumberPhase::Int,
                _ => return NumberScan::Error(i, "expected a digit after `-`"),
            },
            NumberPhase::Zero => match b {
                b'0'..=b'9' => return NumberScan::Error(i, "leading zeros are not allowed"),
                b'.' => NumberPhase::Dot,
                b'e' | b'E' => NumberPhase::Exp,
                _ => return NumberScan::Done(i),
            },
            NumberPhase::Int | NumberPhase::Frac | NumberPhase::ExpDigits => {
                while i < n && buf[i].is_ascii_digit() {
                    i += 1;
                }
                let Some(&b) = buf.get(i) else {
                    return NumberScan::More(phase);
                };
                match (phase, b) {
                    (NumberPhase::Int, b'.') => NumberPhase::Dot,
                    (NumberPhase::Int | NumberPhase::Frac, b'e' | b'E') => NumberPhase::Exp,
                    _ => return NumberScan::Done(i),
                }
            }
            NumberPhase::Dot => match b {
                b'0'..=b'9' => NumberPhase::Frac,
                _ => return NumberScan::Error(i, "expected a digit after the decimal point"),
            },
            NumberPhase::Exp => match b {
                b'+' | b'-' => NumberPhase::ExpSign,
                b'0'..=b'9' => NumberPhase::ExpDigits,
                _ => return NumberScan::Error(i, "expected a digit or sign in the exponent"),
            },
            NumberPhase::ExpSign => match b {
                b'0'..=b'9' => NumberPhase::ExpDigits,
                _ => return NumberScan::Error(i, "expected a digit in the exponent"),
            },
        };
        i += 1;
    }
}

/// The end of a number at `buf[start]` in its common shapes — at most 16
/// bytes after the sign, followed by a byte in `buf` — or `None` for
/// anything else (an error, a long number, the end of `buf`), which the
/// caller sends to [`scan_number`], the authority. Where it answers, it
/// agrees with `scan_number` (property tests check this).
///
/// The whole shape comes from one load: every byte is classified digit or
/// not at once, and the integer, fraction and exponent runs are measured
/// by counting trailing zeros in that mask — no byte is loaded twice, and
/// no loop exit has to be predicted. Most numbers end within 8 bytes, so
/// a `u64` is tried before a `u128` (twice the instructions per step).
#[inline(always)]
fn number_end(buf: &[u8], start: usize) -> Option<usize> {
    let i = start + usize::from(buf.get(start) == Some(&b'-'));
    let end = match shape_u64(buf, i) {
        Shape::End(end) => end,
        Shape::Longer => match shape_u128(buf, i) {
            Shape::End(end) => end,
            Shape::Longer | Shape::Other => return None,
        },
        Shape::Other => return None,
    };
    Some(i + end as usize)
}

/// What a window of bytes says about the number in it.
enum Shape {
    /// A number in a common shape ends before this byte of the window.
    End(u32),
    /// A digit run reaches the end of the window: try a wider one.
    Longer,
    /// Not a number the window can settle (an error, the end of `buf`).
    Other,
}

/// `shape_u64` and `shape_u128`: [`number_end`]'s scan of the digits from
/// `buf[i]` (just after any sign) through an 8- or 16-byte window.
macro_rules! number_shape {
    ($name:ident, $word:ty) => {
        #[inline(always)]
        fn $name(buf: &[u8], i: usize) -> Shape {
            const ONES: $word = <$word>::MAX / 255;
            const HIGHS: $word = ONES << 7;
            const WINDOW: u32 = <$word>::BITS / 8;
            let Some(bytes) = buf.get(i..i + WINDOW as usize) else {
                return Shape::Other;
            };
            let Ok(window) = bytes.try_into() else {
                return Shape::Other;
            };
            let w = <$word>::from_le_bytes(window);
            // Bit 7 of each byte of `other` is set iff that byte is not a
            // digit: computed on 7-bit values, so no carry crosses a byte
            // and every byte is classified exactly (a borrow-based test is
            // exact only for the first flagged byte).
            let low = w & !HIGHS;
            let at_least_0 = low + ONES * (0x80 - <$word>::from(b'0'));
            let above_9 = low + ONES * (0x80 - <$word>::from(b'9') - 1);
            let other = !(at_least_0 & !above_9 & !w) & HIGHS;
            let byte = |k: u32| (w >> (8 * k)) as u8;
            // The length of the digit run at byte `k` (< WINDOW).
            let digits = |k: u32| (other >> (8 * k)).trailing_zeros() / 8;
            let mut end = digits(0);
            if end >= WINDOW {
                return Shape::Longer;
            }
            if end == 0 || (end > 1 && byte(0) == b'0') {
                return Shape::Other;
            }
            let mut b = byte(end);
            if b == b'.' {
                if end + 1 >= WINDOW {
                    return Shape::Longer;
                }
                let frac = digits(end + 1);
                end += 1 + frac;
                if end >= WINDOW {
                    return Shape::Longer;
                }
                if frac == 0 {
                    return Shape::Other;
                }
                b = byte(end);
            }
            if b | 0x20 == b'e' {
                let mut k = end + 1;
                if k < WINDOW && matches!(byte(k), b'+' | b'-') {
                    k += 1;
                }
                if k >= WINDOW {
                    return Shape::Longer;
                }
                let exp = digits(k);
                end = k + exp;
                if end >= WINDOW {
                    return Shape::Longer;
                }
                if exp == 0 {
                    return Shape::Other;
                }
            }
            Shape::End(end)
        }
    };
}

number_shape!(shape_u64, u64);
number_shape!(shape_u128, u128);

/// Matches `literal` from its byte `matched` on against `buf[i..]`;
/// returns how many of its bytes have matched when `buf` ends or the
/// literal is complete.
fn match_literal(buf: &[u8], i: usize, literal: Literal, mut matched: u8) -> Result<u8, Fail> {
    let text = literal.text().as_bytes();
    let mut k = i;
    while usize::from(matched) < text.len() {
        let Some(&b) = buf.get(k) else {
            break;
        };
        if b != text[usize::from(matched)] {
            let expected = literal.text();
            return Err(Fail::chunk(k, ErrorKind::InvalidLiteral { expected }));
        }
        matched += 1;
        k += 1;
    }
    Ok(matched)
}

// ---------------------------------------------------------------------------
// The benchmark input.

/// A deterministic JSON document of at least `size_bytes` bytes, varied the
/// way real data is: an array of records with nested objects and arrays,
/// integers, decimals and exponents, ASCII and non-ASCII text, escapes
/// (`\"`, `\n`, `\u00e9`, surrogate pairs), booleans and nulls. The same
/// `seed` gives the same bytes.
pub fn bench_input_json(size_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = String::with_capacity(size_bytes + 1024);
    out.push_str("[\n");
    let mut id = 0u64;
    while out.len() < size_bytes || id == 0 {
        if id > 0 {
            out.push_str(",\n");
        }
        write_record(&mut rng, &mut out, id).expect("writing to a String cannot fail");
        id += 1;
    }
    out.push_str("\n]\n");
    out.into_bytes()
}

/// One record of [`bench_input_json`].
fn write_record(rng: &mut SmallRng, out: &mut String, id: u64) -> std::fmt::Result {
    use std::fmt::Write as _;
    write!(out, "{{\"id\":{id},\"name\":")?;
    push_text(rng, out, 1..4);
    let active = rng.random_bool(0.5);
    let score = rng.random_range(-1000.0..1000.0f64);
    let ratio = 10f64.powf(rng.random_range(-9.0..9.0));
    write!(
        out,
        ",\"active\":{active},\"score\":{score:.3},\"ratio\":{ratio:.2e},\"tags\":["
    )?;
    for t in 0..rng.random_range(0..5) {
        if t > 0 {
            out.push(',');
        }
        push_text(rng, out, 1..2);
    }
    let lat = rng.random_range(-90.0..90.0f64);
    let lon = rng.random_range(-180.0..180.0f64);
    write!(
        out,
        "],\"geo\":{{\"lat\":{lat:.5},\"lon\":{lon:.5}}},\"history\":["
    )?;
    for h in 0..rng.random_range(0..4) {
        if h > 0 {
            out.push(',');
        }
        let count = rng.random_range(0..100_000u32);
        let delta = rng.random_range(-50..50i32);
        write!(out, "[{count},{delta},null]")?;
    }
    out.push_str("],\"note\":");
    if rng.random_ratio(1, 3) {
        out.push_str("null");
    } else {
        push_text(rng, out, 3..12);
    }
    out.push('}');
    Ok(())
}

/// A JSON string of a few words, some non-ASCII, some after an escape.
fn push_text(rng: &mut SmallRng, out: &mut String, words: std::ops::Range<usize>) {
    const WORDS: [&str; 12] = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "streaming",
        "parser",
        "chunk",
        "event",
        "naïve",
        "Größe",
        "東京",
        "😀",
    ];
    const ESCAPES: [&str; 6] = ["\\\"", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\\\", "\\t"];
    out.push('"');
    for w in 0..rng.random_range(words) {
        if w > 0 {
            out.push(' ');
        }
        if rng.random_ratio(1, 8) {
            out.push_str(ESCAPES[rng.random_range(0..ESCAPES.len())]);
        }
        out.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
