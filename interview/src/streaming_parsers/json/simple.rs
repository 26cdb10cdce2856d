//! [`SimpleJsonParser`]: the JSON push parser a candidate writes in an
//! interview — one byte at a time, every event owned — and the first rung
//! of the JSON ladder. [`JsonParser`](super::JsonParser) is the same
//! grammar tuned; a property test holds the two to the same events.

use super::OwnedJsonEvent;
use crate::streaming_parsers::ErrorKind;

/// The nesting limit, as the production parser's default: a hostile
/// `[[[[…` must not grow the stack without bound.
const MAX_DEPTH: usize = super::JsonOptions::DEFAULT_MAX_DEPTH;

/// A strict RFC 8259 push parser, one byte at a time: feed it chunks cut
/// anywhere, and it calls back with an owned event for each token it
/// completes. Strings are collected as bytes and checked as UTF-8 when they
/// close; numbers are checked against the grammar and handed out as text.
///
/// ```
/// use mastery_interview::streaming_parsers::json::{OwnedJsonEvent as E, SimpleJsonParser};
///
/// let mut parser = SimpleJsonParser::new();
/// let mut events = Vec::new();
/// for chunk in [&br#"{"a": [1, tr"#[..], br#"ue, "\u00e9"]}"#] {
///     parser.feed(chunk, |e| events.push(e))?;
/// }
/// parser.finish(|e| events.push(e))?;
/// assert_eq!(events, [
///     E::StartObject, E::Key("a".into()), E::StartArray, E::Number("1".into()),
///     E::Bool(true), E::String("é".into()), E::EndArray, E::EndObject,
/// ]);
/// # Ok::<(), mastery_interview::streaming_parsers::ErrorKind>(())
/// ```
#[derive(Debug, Default)]
pub struct SimpleJsonParser {
    /// The open containers, innermost last: `true` for an object.
    stack: Vec<bool>,
    /// What the grammar allows next, between tokens.
    next: Next,
    /// The token being read, if a chunk ended inside one.
    token: Token,
    /// The bytes of the string or number being read.
    text: Vec<u8>,
}

/// What may come next between tokens.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// A value (the document's, or after `:` or `,` in an array).
    #[default]
    Value,
    /// A value or `]` (just after `[`).
    ValueOrClose,
    /// A key or `}` (just after `{`).
    KeyOrClose,
    /// A key (after `,` in an object).
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or the container's close.
    CommaOrClose,
    /// The document's value is complete: only whitespace may follow.
    End,
}

/// A token a chunk boundary may cut.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// Between tokens.
    #[default]
    None,
    /// Inside a string (`key` for an object key). `escape` is where an
    /// escape stands: 0 none, 1 after `\`, 2–5 after that many hex digits
    /// of `\u`, the code unit so far in `unit`. `high` is a high surrogate
    /// waiting for its low half (0 when none): the next thing must be the
    /// `\u` escape of that half.
    String {
        key: bool,
        escape: u8,
        unit: u32,
        high: u32,
    },
    /// Inside a number, in a state of its grammar.
    Number(Num),
    /// Inside `true`, `false` or `null`: the word and how much matched.
    Literal(&'static [u8], usize),
}

/// Where a number's grammar stands: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

impl SimpleJsonParser {
    /// A parser at the start of a document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the next chunk, calling `on_event` for every event it completes.
    ///
    /// # Errors
    /// The first byte that breaks the grammar, as an [`ErrorKind`].
    pub fn feed(
        &mut self,
        chunk: &[u8],
        mut on_event: impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        for &byte in chunk {
            self.step(byte, &mut on_event)?;
        }
        Ok(())
    }

    /// Ends the document: a number may end here; anything else unfinished
    /// is an error.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEnd`] inside a token or before the value is
    /// complete; a number that ends where its grammar does not allow.
    pub fn finish(&mut self, mut on_event: impl FnMut(OwnedJsonEvent)) -> Result<(), ErrorKind> {
        if let Token::Number(state) = self.token {
            self.end_number(state, &mut on_event)?;
        }
        match (self.token, self.next) {
            (Token::None, Next::End) => Ok(()),
            (Token::String { .. }, _) => Err(ErrorKind::UnexpectedEnd {
                expected: "a closing quote",
            }),
            _ => Err(ErrorKind::UnexpectedEnd {
                expected: "the rest of the value",
            }),
        }
    }

    fn step(&mut self, b: u8, out: &mut impl FnMut(OwnedJsonEvent)) -> Result<(), ErrorKind> {
        match self.token {
            Token::None => self.between_tokens(b, out),
            Token::String {
                key,
                escape,
                unit,
                high,
            } => self.in_string(b, key, (escape, unit, high), out),
            Token::Literal(word, matched) => {
                if b != word[matched] {
                    return Err(ErrorKind::InvalidLiteral {
                        expected: literal_name(word),
                    });
                }
                self.token = Token::Literal(word, matched + 1);
                if matched + 1 == word.len() {
                    self.token = Token::None;
                    out(match word {
                        b"true" => OwnedJsonEvent::Bool(true),
                        b"false" => OwnedJsonEvent::Bool(false),
                        _ => OwnedJsonEvent::Null,
                    });
                    self.value_done();
                }
                Ok(())
            }
            Token::Number(state) => {
                let next = match (state, b) {
                    (Num::Minus, b'0') => Num::Zero,
                    (Num::Minus, b'1'..=b'9') | (Num::Int, b'0'..=b'9') => Num::Int,
                    (Num::Zero | Num::Int, b'.') => Num::Dot,
                    (Num::Dot | Num::Frac, b'0'..=b'9') => Num::Frac,
                    (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
                    (Num::Exp, b'+' | b'-') => Num::ExpSign,
                    (Num::Exp | Num::ExpSign | Num::ExpDigits, b'0'..=b'9') => Num::ExpDigits,
                    // Any other byte ends the number; it is then read as
                    // what follows a value.
                    _ => {
                        self.end_number(state, out)?;
                        return self.between_tokens(b, out);
                    }
                };
                self.text.push(b);
                self.token = Token::Number(next);
                Ok(())
            }
        }
    }

    fn between_tokens(
        &mut self,
        b: u8,
        out: &mut impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            return Ok(());
        }
        let unexpected = |expected| Err(ErrorKind::UnexpectedByte { found: b, expected });
        match (self.next, b) {
            (Next::End, _) => Err(ErrorKind::TrailingCharacters),
            (Next::KeyOrClose | Next::Key, b'"') => {
                self.token = Token::String {
                    key: true,
                    escape: 0,
                    unit: 0,
                    high: 0,
                };
                Ok(())
            }
            (Next::KeyOrClose, b'}') | (Next::CommaOrClose, b'}')
                if self.stack.last() == Some(&true) =>
            {
                self.close(OwnedJsonEvent::EndObject, out)
            }
            (Next::ValueOrClose, b']') | (Next::CommaOrClose, b']')
                if self.stack.last() == Some(&false) =>
            {
                self.close(OwnedJsonEvent::EndArray, out)
            }
            (Next::KeyOrClose | Next::Key, _) => unexpected("a string key"),
            (Next::Colon, b':') => {
                self.next = Next::Value;
                Ok(())
            }
            (Next::Colon, _) => unexpected("`:`"),
            (Next::CommaOrClose, b',') => {
                self.next = if self.stack.last() == Some(&true) {
                    Next::Key
                } else {
                    Next::Value
                };
                Ok(())
            }
            (Next::CommaOrClose, _) => unexpected("`,` or the end of the container"),
            (Next::Value | Next::ValueOrClose, _) => self.start_value(b, out),
        }
    }

    fn start_value(
        &mut self,
        b: u8,
        out: &mut impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        match b {
            b'{' | b'[' => {
                if self.stack.len() == MAX_DEPTH {
                    return Err(ErrorKind::TooDeep { limit: MAX_DEPTH });
                }
                self.stack.push(b == b'{');
                self.next = if b == b'{' {
                    Next::KeyOrClose
                } else {
                    Next::ValueOrClose
                };
                out(if b == b'{' {
                    OwnedJsonEvent::StartObject
                } else {
                    OwnedJsonEvent::StartArray
                });
            }
            b'"' => {
                self.token = Token::String {
                    key: false,
                    escape: 0,
                    unit: 0,
                    high: 0,
                }
            }
            b't' => self.token = Token::Literal(b"true", 1),
            b'f' => self.token = Token::Literal(b"false", 1),
            b'n' => self.token = Token::Literal(b"null", 1),
            b'-' | b'0'..=b'9' => {
                self.text.clear();
                self.text.push(b);
                self.token = Token::Number(match b {
                    b'-' => Num::Minus,
                    b'0' => Num::Zero,
                    _ => Num::Int,
                });
            }
            _ => {
                return Err(ErrorKind::UnexpectedByte {
                    found: b,
                    expected: "a value",
                });
            }
        }
        Ok(())
    }

    fn in_string(
        &mut self,
        b: u8,
        key: bool,
        (escape, unit, high): (u8, u32, u32),
        out: &mut impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        let lone = |code_unit: u32| ErrorKind::LoneSurrogate {
            code_unit: code_unit as u16,
        };
        // After a high surrogate only `\u` may come (its low half).
        if high != 0 && !matches!((escape, b), (0, b'\\') | (1, b'u') | (2.., _)) {
            return Err(lone(high));
        }
        let (escape, unit, high) = match (escape, b) {
            (0, b'"') => {
                let text = String::from_utf8(std::mem::take(&mut self.text))
                    .map_err(|_| ErrorKind::InvalidUtf8)?;
                self.token = Token::None;
                if key {
                    out(OwnedJsonEvent::Key(text));
                    self.next = Next::Colon;
                } else {
                    out(OwnedJsonEvent::String(text));
                    self.value_done();
                }
                return Ok(());
            }
            (0, b'\\') => (1, 0, high),
            (0, 0x00..=0x1F) => return Err(ErrorKind::ControlCharacter { byte: b }),
            (0, _) => {
                self.text.push(b);
                (0, 0, 0)
            }
            (1, b'u') => (2, 0, high),
            (1, _) => {
                let c = match b {
                    b'"' | b'\\' | b'/' => b,
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => return Err(ErrorKind::InvalidEscape { found: b }),
                };
                self.text.push(c);
                (0, 0, 0)
            }
            (2..=4, _) => (escape + 1, unit << 4 | hex(b)?, high),
            (_, _) => {
                let unit = unit << 4 | hex(b)?;
                let c = match (high, unit) {
                    (0, 0xD800..=0xDBFF) => return self.keep(key, 0, 0, unit),
                    (0, 0xDC00..=0xDFFF) => return Err(lone(unit)),
                    (0, _) => char::from_u32(unit),
                    (_, 0xDC00..=0xDFFF) => {
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00))
                    }
                    (_, _) => return Err(lone(high)),
                };
                let c = c.expect("a non-surrogate code unit or a joined pair is a char");
                self.text
                    .extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                (0, 0, 0)
            }
        };
        self.keep(key, escape, unit, high)
    }

    /// Stays inside the string, in the given escape state.
    fn keep(&mut self, key: bool, escape: u8, unit: u32, high: u32) -> Result<(), ErrorKind> {
        self.token = Token::String {
            key,
            escape,
            unit,
            high,
        };
        Ok(())
    }

    fn end_number(
        &mut self,
        state: Num,
        out: &mut impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        let reason = match state {
            Num::Zero | Num::Int | Num::Frac | Num::ExpDigits => {
                let text = String::from_utf8(std::mem::take(&mut self.text))
                    .map_err(|_| ErrorKind::InvalidUtf8)?;
                self.token = Token::None;
                out(OwnedJsonEvent::Number(text));
                self.value_done();
                return Ok(());
            }
            Num::Minus => "a minus sign must be followed by a digit",
            Num::Dot => "a decimal point must be followed by a digit",
            Num::Exp | Num::ExpSign => "an exponent needs at least one digit",
        };
        Err(ErrorKind::InvalidNumber { reason })
    }

    fn close(
        &mut self,
        event: OwnedJsonEvent,
        out: &mut impl FnMut(OwnedJsonEvent),
    ) -> Result<(), ErrorKind> {
        self.stack.pop();
        out(event);
        self.value_done();
        Ok(())
    }

    /// A value ended: what follows depends on what holds it.
    fn value_done(&mut self) {
        self.next = if self.stack.is_empty() {
            Next::End
        } else {
            Next::CommaOrClose
        };
    }
}

fn literal_name(word: &[u8]) -> &'static str {
    match word {
        b"true" => "true",
        b"false" => "false",
        _ => "null",
    }
}

/// The value of one hex digit of a `\uXXXX` escape.
fn hex(b: u8) -> Result<u32, ErrorKind> {
    char::from(b)
        .to_digit(16)
        .ok_or(ErrorKind::InvalidHexDigit { found: b })
}
