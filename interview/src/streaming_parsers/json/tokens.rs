//! Tokens inside a chunk, and tokens cut by its end.
//!
//! Each token method tries the fast path first — the whole token inside
//! the chunk's valid UTF-8, handed out as a slice of it — and otherwise
//! runs the token's scanner, which either finishes the token (escapes
//! decoded into `scratch`), reports an error, or says the chunk ended
//! first. Then the token's raw bytes go to `pending` ([`suspend`]), and
//! [`resume`] feeds the next chunk's bytes to the same scanner until the
//! token ends: one set of rules for both paths, so any chunking gives the
//! same events and errors.
//!
//! [`suspend`]: JsonParser::suspend
//! [`resume`]: JsonParser::resume

use super::number::{NumberPhase, NumberScan, ascii_str, number_end, scan_number};
use super::string::{StringScan, find_string_end, scan_string, skip_plain};
use super::{JsonEvent, JsonNumber, JsonParser, Partial, State};
use crate::streaming_parsers::{ErrorKind, Fail, Input, Where, pending, work};

/// `true`, `false` or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Literal {
    True,
    False,
    Null,
}

impl Literal {
    /// The literal as written.
    pub(super) fn text(self) -> &'static str {
        match self {
            Literal::True => "true",
            Literal::False => "false",
            Literal::Null => "null",
        }
    }

    /// The event it gives.
    fn event(self) -> JsonEvent<'static> {
        match self {
            Literal::True => JsonEvent::Bool(true),
            Literal::False => JsonEvent::Bool(false),
            Literal::Null => JsonEvent::Null,
        }
    }
}

impl JsonParser {
    /// Keeps the rest of `chunk` from `start` as a token to be completed by
    /// the next chunk.
    fn suspend(&mut self, chunk: &[u8], start: usize, partial: Partial) {
        pending::restart(&mut self.pending, &chunk[start..]);
        // `feed` sets `pending_pos` once the chunk's position is known.
        self.suspended = true;
        self.partial = partial;
    }

    /// A string starting with the quote at `input.bytes[start]`: its event,
    /// and where the input goes on — or, cut by the end of the chunk, kept
    /// in `pending` (the answer is then the chunk's length). The caller
    /// keeps the state.
    #[inline(always)]
    pub(super) fn string<F: FnMut(JsonEvent<'_>)>(
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
                // `scan_string` went through to the end of the chunk.
                work::charge(chunk.len() - start);
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
    pub(super) fn number<F: FnMut(JsonEvent<'_>)>(
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
                work::charge(chunk.len() - start);
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
    pub(super) fn literal<F: FnMut(JsonEvent<'_>)>(
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
                // A literal's state is all it needs: no bytes are kept.
                self.suspend(chunk, chunk.len(), Partial::Literal { literal, matched });
                Ok(chunk.len())
            }
            Err(fail) => Err(fail),
        }
    }

    /// Continues the token cut by the end of the previous chunk; returns
    /// where the rest of `chunk` starts.
    pub(super) fn resume<F: FnMut(JsonEvent<'_>)>(
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
                    pending::extend(&mut self.pending, chunk);
                    self.partial = Partial::String {
                        key,
                        after_backslash,
                    };
                    return Ok(chunk.len());
                };
                pending::extend(&mut self.pending, &chunk[..=end]);
                self.partial = Partial::None;
                // The whole token, parsed once by the in-chunk scanner.
                work::charge(self.pending.len());
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
                    work::charge(end);
                    pending::extend(&mut self.pending, &chunk[..end]);
                    self.partial = Partial::None;
                    work::charge(self.pending.len());
                    on_event(JsonEvent::Number(JsonNumber(ascii_str(&self.pending))));
                    self.word_done(on_event);
                    Ok(end)
                }
                NumberScan::More(phase) => {
                    work::charge(chunk.len());
                    pending::extend(&mut self.pending, chunk);
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
}

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
        work::charge(1);
        if b != text[usize::from(matched)] {
            let expected = literal.text();
            return Err(Fail::chunk(k, ErrorKind::InvalidLiteral { expected }));
        }
        matched += 1;
        k += 1;
    }
    Ok(matched)
}
