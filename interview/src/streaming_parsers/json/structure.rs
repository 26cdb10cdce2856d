//! The grammar between tokens: values, keys, colons, commas and brackets.

use super::tokens::Literal;
use super::whitespace::{is_whitespace, skip_whitespace};
use super::{Container, EXPECTED_VALUE, JsonEvent, JsonParser, Partial, State};
use crate::streaming_parsers::{ErrorKind, Fail, Input};

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

impl JsonParser {
    /// The main loop. Between top-level values, and once at the start of
    /// a chunk, it dispatches on `self.state`; everything inside a value
    /// runs in [`values`](Self::values), where the state lives in the
    /// program counter instead.
    pub(super) fn scan<F: FnMut(JsonEvent<'_>)>(
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

    // ANCHOR: depth_limit
    #[inline]
    fn open(&mut self, container: Container, i: usize) -> Result<(), Fail> {
        if self.stack.len() >= self.options.max_depth {
            let limit = self.options.max_depth;
            return Err(Fail::chunk(i, ErrorKind::TooDeep { limit }));
        }
        self.stack.push(container);
        Ok(())
    }
    // ANCHOR_END: depth_limit

    /// A value other than a number or literal has been completed.
    #[inline]
    pub(super) fn value_done<F: FnMut(JsonEvent<'_>)>(&mut self, on_event: &mut F) {
        self.any_value_done(false, on_event);
    }

    /// A number or literal has been completed.
    #[inline]
    pub(super) fn word_done<F: FnMut(JsonEvent<'_>)>(&mut self, on_event: &mut F) {
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
    pub(super) fn expected(&self) -> &'static str {
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
}
