//! UTF-16 input: the document's encoding found from its first bytes, the
//! incremental decoder, and error positions placed in the original bytes.
//!
//! XML 1.0 §4.3.3: every processor must read UTF-8 and UTF-16, and a UTF-16
//! document must begin with a byte order mark — `FF FE` little-endian,
//! `FE FF` big-endian. The parser itself reads UTF-8 only, so a UTF-16
//! document is decoded chunk by chunk into UTF-8 (the byte order mark
//! becomes the UTF-8 one, which the parser skips as usual) and fed on: the
//! same code checks it, and the events are those of the UTF-8 document.
//! Memory stays constant: the decoded chunk lives in one reused buffer of
//! at most one and a half times the chunk's size, and all the decoder
//! carries across a chunk boundary is a code unit's first byte and a high
//! surrogate waiting for its low half.
//!
//! Errors keep their place. Lines and columns count characters, so they
//! are the same in both encodings; the byte offset the parser reports is
//! into the UTF-8 it read, and is moved back into the input by counting
//! what each character weighs in both — only on the error path, over the
//! decoded chunk or the pending token, never while parsing.

use super::XmlParser;
use crate::streaming_parsers::{ErrorKind, Format, ParseError, Position};

/// The byte order of a UTF-16 document, from its byte order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Endian {
    /// `FF FE`: UTF-16LE.
    Little,
    /// `FE FF`: UTF-16BE.
    Big,
}

impl Endian {
    fn unit(self, bytes: [u8; 2]) -> u16 {
        match self {
            Endian::Little => u16::from_le_bytes(bytes),
            Endian::Big => u16::from_be_bytes(bytes),
        }
    }

    /// The encoding name that also says the byte order.
    fn name(self) -> &'static str {
        match self {
            Endian::Little => "UTF-16LE",
            Endian::Big => "UTF-16BE",
        }
    }

    /// The encoding and the evidence for it, for an error message.
    fn shown(self) -> &'static str {
        match self {
            Endian::Little => "UTF-16LE (byte order mark FF FE)",
            Endian::Big => "UTF-16BE (byte order mark FE FF)",
        }
    }
}

/// What the first bytes say the document's encoding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// Nothing read yet, or a first byte `FE` or `FF` that may begin a
    /// UTF-16 byte order mark (held back until the second byte says).
    Sniffing(Option<u8>),
    /// No UTF-16 byte order mark: UTF-8 (a UTF-8 one is skipped).
    Utf8,
    /// A UTF-16 byte order mark.
    Utf16(Endian),
}

/// Checks an encoding declaration against what the first bytes showed:
/// `UTF-8` in a UTF-8 document; `UTF-16`, or the name with the byte order
/// mark's order, in a UTF-16 one (any case). Any other name is an error
/// that names it.
pub(super) fn check_declared(encoding: Encoding, declared: &str) -> Result<(), ErrorKind> {
    let is = |name: &str| declared.eq_ignore_ascii_case(name);
    let says_utf16 = is("UTF-16") || is("UTF-16LE") || is("UTF-16BE");
    let mismatch = |actual| {
        Err(ErrorKind::XmlEncodingMismatch {
            declared: declared.to_owned(),
            actual,
        })
    };
    match encoding {
        Encoding::Utf16(endian) if is("UTF-16") || is(endian.name()) => Ok(()),
        Encoding::Utf16(endian) => mismatch(endian.shown()),
        _ if is("UTF-8") => Ok(()),
        // A UTF-16 document must start with a byte order mark (§4.3.3);
        // without one the bytes were read as UTF-8.
        _ if says_utf16 => mismatch("UTF-8 (it has no UTF-16 byte order mark)"),
        _ => Err(ErrorKind::XmlUnsupportedEncoding {
            encoding: declared.to_owned(),
        }),
    }
}

/// The incremental decoder's state, and where the last decoded chunk
/// starts, to place errors in the input.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Utf16State {
    /// Bytes of input consumed: the offset of the next byte fed.
    raw: u64,
    /// The first byte of a code unit cut by the end of a chunk.
    odd: Option<u8>,
    /// A high surrogate waiting for its low half, and its offset.
    high: Option<(u16, u64)>,
    /// Where the last decoded chunk starts: in the UTF-8 the parser read,
    /// and in the input.
    base: (u64, u64),
}

/// A code unit that does not decode, and where it starts in the input.
#[derive(Debug)]
struct BadUnit {
    at: u64,
    reason: &'static str,
}

impl Utf16State {
    /// The offset in the input of the next character's first byte.
    fn next_char_at(&self) -> u64 {
        match (self.high, self.odd) {
            (Some((_, at)), _) => at,
            (None, Some(_)) => self.raw - 1,
            (None, None) => self.raw,
        }
    }

    /// Decodes `chunk` into `out` (cleared first) as far as it holds whole
    /// characters, carrying a cut code unit or surrogate pair to the next
    /// chunk. On a bad code unit, `out` holds the characters before it.
    fn decode(&mut self, endian: Endian, chunk: &[u8], out: &mut String) -> Result<(), BadUnit> {
        out.clear();
        // Two bytes never make more than three of UTF-8, and a pair's
        // four bytes make four.
        out.reserve(chunk.len() / 2 * 3 + 4);
        let mut rest = chunk;
        if let Some(first) = self.odd {
            let Some((&second, tail)) = rest.split_first() else {
                return Ok(());
            };
            self.odd = None;
            self.raw += 1;
            self.unit(endian.unit([first, second]), self.raw - 2, out)?;
            rest = tail;
        }
        let mut units = rest.chunks_exact(2);
        for pair in &mut units {
            let at = self.raw;
            self.raw += 2;
            let unit = endian.unit([pair[0], pair[1]]);
            if unit < 0x80 && self.high.is_none() {
                out.push(char::from(unit as u8));
            } else {
                self.unit(unit, at, out)?;
            }
        }
        if let [last] = units.remainder() {
            self.odd = Some(*last);
            self.raw += 1;
        }
        Ok(())
    }

    /// One code unit, starting at `at` in the input.
    fn unit(&mut self, unit: u16, at: u64, out: &mut String) -> Result<(), BadUnit> {
        let code = match (self.high.take(), unit) {
            (None, 0xD800..=0xDBFF) => {
                self.high = Some((unit, at));
                return Ok(());
            }
            (None, 0xDC00..=0xDFFF) => {
                let reason = "a low surrogate with no high surrogate before it";
                return Err(BadUnit { at, reason });
            }
            (None, _) => u32::from(unit),
            (Some((high, _)), 0xDC00..=0xDFFF) => {
                0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00)
            }
            (Some((_, at)), _) => {
                let reason = "a high surrogate not followed by a low surrogate";
                return Err(BadUnit { at, reason });
            }
        };
        let c = char::from_u32(code)
            .expect("a unit outside the surrogates, or a surrogate pair, is a scalar value");
        out.push(c);
        Ok(())
    }

    /// At the end of the input: a code unit or surrogate pair left unfinished.
    fn unfinished(&self) -> Option<BadUnit> {
        if let Some((_, at)) = self.high {
            let reason = "the input ends after a high surrogate, without its low surrogate";
            return Some(BadUnit { at, reason });
        }
        self.odd.map(|_| BadUnit {
            at: self.raw - 1,
            reason: "the input ends in the middle of a code unit (UTF-16 comes in pairs of bytes)",
        })
    }
}

/// The bytes the characters of `utf8` take in UTF-16: two for each, and
/// two more for each one beyond U+FFFF (a four-byte UTF-8 sequence).
fn utf16_len(utf8: &[u8]) -> u64 {
    utf8.iter()
        .map(|&b| match b {
            0x80..=0xBF => 0,
            0xF0..=0xFF => 4,
            _ => 2,
        })
        .sum()
}

impl XmlParser {
    /// The body of `feed` and `feed_str` (`known`: the chunk as text): finds
    /// the encoding from the first bytes, then feeds UTF-8 on or decodes
    /// UTF-16. The error is located but not yet remembered.
    pub(super) fn feed_any<F>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        on_event: &mut F,
    ) -> Result<(), ParseError>
    where
        F: FnMut(super::XmlEvent<'_>),
    {
        let mut held = None;
        if let Encoding::Sniffing(first) = self.encoding {
            let mut bytes = first.into_iter().chain(chunk.iter().copied());
            self.encoding = match (bytes.next(), bytes.next()) {
                (None, _) => return Ok(()),
                (Some(b @ (0xFE | 0xFF)), None) => {
                    self.encoding = Encoding::Sniffing(Some(b));
                    return Ok(());
                }
                (Some(0xFF), Some(0xFE)) => Encoding::Utf16(Endian::Little),
                (Some(0xFE), Some(0xFF)) => Encoding::Utf16(Endian::Big),
                _ => Encoding::Utf8,
            };
            held = first;
        }
        match self.encoding {
            Encoding::Utf16(endian) => {
                if let Some(first) = held {
                    self.utf16.odd = Some(first);
                    self.utf16.raw = 1;
                }
                self.feed_utf16(chunk, endian, on_event)
            }
            _ => {
                // A first byte `FE` or `FF` that began no byte order mark:
                // the UTF-8 path rejects it as UTF-8 would.
                if let Some(first) = held {
                    self.feed_chunk(&[first], None, on_event)?;
                }
                self.feed_chunk(chunk, known, on_event)
            }
        }
    }

    /// Decodes `chunk` and feeds the text to the UTF-8 parser.
    fn feed_utf16<F>(
        &mut self,
        chunk: &[u8],
        endian: Endian,
        on_event: &mut F,
    ) -> Result<(), ParseError>
    where
        F: FnMut(super::XmlEvent<'_>),
    {
        // The events borrow the decoded text while `feed_chunk` borrows the
        // parser: the buffer is lent out for the call and put back.
        let mut decoded = std::mem::take(&mut self.decoded);
        self.utf16.base = (self.pos.offset, self.utf16.next_char_at());
        let bad = self.utf16.decode(endian, chunk, &mut decoded);
        // The characters before a bad unit are parsed first, so an error
        // among them is reported before it, as in one chunk of UTF-8.
        let fed = self
            .feed_chunk(decoded.as_bytes(), Some(&decoded), on_event)
            .map_err(|e| self.in_input(e, decoded.as_bytes()));
        self.decoded = decoded;
        fed?;
        bad.map_err(|bad| self.bad_utf16(bad, on_event))
    }

    /// Before `finish_input`: a byte held back, or a UTF-16 character left
    /// unfinished.
    pub(super) fn finish_encoding<F>(&mut self, on_event: &mut F) -> Result<(), ParseError>
    where
        F: FnMut(super::XmlEvent<'_>),
    {
        match self.encoding {
            Encoding::Sniffing(Some(first)) => {
                self.encoding = Encoding::Utf8;
                self.feed_chunk(&[first], None, on_event)
            }
            Encoding::Utf16(_) => match self.utf16.unfinished() {
                Some(bad) => Err(self.bad_utf16(bad, on_event)),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// The position of the next byte to be fed, in the input's bytes.
    pub(super) fn input_position(&self) -> Position {
        match self.encoding {
            Encoding::Utf16(_) => Position {
                offset: self.utf16.raw,
                ..self.pos
            },
            Encoding::Sniffing(Some(_)) => Position {
                offset: 1,
                ..self.pos
            },
            _ => self.pos,
        }
    }

    /// `error`, located in the UTF-8 the parser read, moved to the input's
    /// bytes; `decoded` is the last chunk decoded.
    pub(super) fn in_input(&self, error: ParseError, decoded: &[u8]) -> ParseError {
        if !matches!(self.encoding, Encoding::Utf16(_)) {
            return error;
        }
        let at = error.position().offset;
        let (base, base_in_input) = self.utf16.base;
        let offset = if at >= base {
            let end = usize::try_from(at - base).map_or(decoded.len(), |k| k.min(decoded.len()));
            base_in_input + utf16_len(&decoded[..end])
        } else {
            // In a token cut by an earlier chunk: `pending` holds the text
            // from `pending_pos` up to the last decoded chunk and beyond.
            let from_pending = |x: u64| {
                usize::try_from(x.saturating_sub(self.pending_pos.offset))
                    .map_or(self.pending.len(), |k| k.min(self.pending.len()))
            };
            let (from, to) = (from_pending(at), from_pending(base));
            base_in_input.saturating_sub(utf16_len(&self.pending[from.min(to)..to]))
        };
        error.with_offset(offset)
    }

    /// The error for a bad code unit, after the text before it has been
    /// fed. A token that this text leaves cut is judged first, as if the
    /// input ended there — as a UTF-8 input that turns invalid inside a
    /// token would be — so any chunking reports the same error.
    fn bad_utf16<F>(&mut self, bad: BadUnit, on_event: &mut F) -> ParseError
    where
        F: FnMut(super::XmlEvent<'_>),
    {
        if let Some(fail) = self.cut_token_error(on_event) {
            return self.in_input(self.locate(fail, &[]), self.decoded.as_bytes());
        }
        let kind = ErrorKind::InvalidUtf16 { reason: bad.reason };
        let at = Position {
            offset: bad.at,
            ..self.pos
        };
        ParseError::new(Format::Xml, kind, at)
    }
}
