//! Feeding and finishing: the public methods of [`JsonParser`].

use super::number::ascii_str;
use super::string::{StringScan, scan_string};
use super::whitespace::Lines;
use super::{
    EXPECTED_VALUE, JsonEvent, JsonNumber, JsonOptions, JsonParser, OwnedJsonEvent, Partial, State,
};
use crate::streaming_parsers::input::{BOM, Bom};
use crate::streaming_parsers::{
    ErrorKind, Fail, Format, Input, Lifecycle, ParseError, Position, PushParser, Where, work,
};

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
            suspended: false,
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

    /// Parses the next chunk of input, calling `on_event` for every event
    /// it completes. A token cut by the end of `chunk` is kept and completed
    /// by a later `feed` or by [`finish`](Self::finish).
    pub fn feed<F>(&mut self, chunk: &[u8], mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        // `None`: nothing is known about the bytes, so `feed_chunk`
        // validates their UTF-8 once, for the whole chunk.
        self.feed_chunk(chunk, None, &mut on_event)
    }

    /// [`feed`](Self::feed) for input that is already text: the same events
    /// and errors, without checking its UTF-8 again.
    pub fn feed_str<F>(&mut self, chunk: &str, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        self.feed_chunk(chunk.as_bytes(), Some(chunk), &mut on_event)
    }

    /// Ends the input: completes a token still open (a number can only end
    /// here) and checks that the document is complete.
    pub fn finish<F>(&mut self, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        // A failed parser repeats its error; a second `finish` does nothing.
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
        fail.locate(Format::Json, (self.pos, chunk), pending)
    }

    /// The body of `feed` and `feed_str`: `known` is the chunk as text when
    /// the caller already had it.
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
                if std::mem::take(&mut self.suspended) {
                    // A token cut by this chunk's end holds no newline (a
                    // raw one is an error inside a string), so its start
                    // is found from the end without counting the chunk
                    // again. Only then: a token that runs on through later
                    // chunks keeps its start, and counting all of it on
                    // every feed would make a long token quadratic.
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

    /// The body of `finish`: a byte order mark cut short, a token still
    /// open (only a number may end here), or a document not complete.
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
                work::charge(self.pending.len());
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
                work::charge(self.pending.len());
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

/// The contract shared with the other parsers, for code generic over the
/// format ([`for_each_event`](crate::streaming_parsers::for_each_event),
/// [`Events`](crate::streaming_parsers::Events)): each method is the
/// inherent one above.
impl PushParser for JsonParser {
    type Event<'a> = JsonEvent<'a>;
    type OwnedEvent = OwnedJsonEvent;

    fn feed<F>(&mut self, chunk: &[u8], on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        JsonParser::feed(self, chunk, on_event)
    }

    fn feed_str<F>(&mut self, chunk: &str, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        JsonParser::feed_str(self, chunk, on_event)
    }

    fn finish<F>(&mut self, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(JsonEvent<'_>),
    {
        JsonParser::finish(self, on_event)
    }

    fn position(&self) -> Position {
        self.pos
    }

    fn format(&self) -> Format {
        Format::Json
    }

    fn to_owned_event(event: &JsonEvent<'_>) -> OwnedJsonEvent {
        event.to_owned_event()
    }

    fn reset(&mut self) {
        JsonParser::reset(self)
    }
}
