//! Where a byte is: [`Position`] (offset, line, column), and the counting
//! behind it.
//!
//! The scanners work in indices into the chunk they are given; a parser
//! turns an index into a line and column only when it must — once per chunk
//! to move its own position forward, and on the error path. Counting is
//! written so the compiler vectorizes it (see [`count_bytes`]).

use std::fmt;

use super::work;

/// A place in the input: byte offset (0-based), line and column (1-based).
///
/// Lines end at `\n` (so `\r\n` counts once); the column counts characters
/// (UTF-8 lead bytes and ASCII bytes), the way an editor shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// Bytes before this place.
    pub offset: u64,
    /// 1-based line number.
    pub line: u64,
    /// 1-based column, in characters.
    pub column: u64,
}

impl Position {
    /// The first byte of the input.
    pub const START: Position = Position {
        offset: 0,
        line: 1,
        column: 1,
    };

    /// The position just after `bytes`, which start at `self`.
    ///
    /// Counts in 8-bit lanes that the compiler vectorizes, so parsers can
    /// afford it once per chunk.
    pub fn advanced(self, bytes: &[u8]) -> Position {
        match last_newline(bytes) {
            Some(last) => {
                let newlines = count_bytes(&bytes[..=last], |b| b == b'\n');
                self.advanced_counted(bytes, newlines, last + 1)
            }
            None => self.advanced_counted(bytes, 0, 0),
        }
    }

    /// [`advanced`](Self::advanced) for a parser that has counted the
    /// `newlines` in `bytes` itself, the last one just before
    /// `bytes[line_start]` (any `line_start` when there is none): only the
    /// characters of the last line are left to count.
    pub(crate) fn advanced_counted(
        self,
        bytes: &[u8],
        newlines: u64,
        line_start: usize,
    ) -> Position {
        let mut next = self;
        next.offset += bytes.len() as u64;
        if newlines > 0 {
            next.line += newlines;
            next.column = 1 + count_chars(&bytes[line_start..]);
        } else {
            next.column += count_chars(bytes);
        }
        next
    }

    /// The position `bytes` before `self`, where `bytes` — the input just
    /// before `self` — holds no newline.
    pub(crate) fn before_line_part(self, bytes: &[u8]) -> Position {
        Position {
            offset: self.offset - bytes.len() as u64,
            line: self.line,
            column: self.column - count_chars(bytes),
        }
    }
}

impl Default for Position {
    fn default() -> Self {
        Position::START
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// Characters in `bytes`: every byte that is not a UTF-8 continuation byte.
fn count_chars(bytes: &[u8]) -> u64 {
    // A continuation byte is 0b10xx_xxxx, i.e. -128..=-65 as an i8.
    count_bytes(bytes, |b| (b as i8) >= -0x40)
}

/// How many bytes satisfy `pred`.
///
/// Counted in blocks of 255 bytes with a `u8` counter per block: a block
/// cannot overflow it, and a `u8` counter lets the compiler add sixteen
/// bytes per SSE instruction, where a `u64` counter would take two lanes.
#[inline]
fn count_bytes(bytes: &[u8], pred: impl Fn(u8) -> bool + Copy) -> u64 {
    work::charge(bytes.len());
    bytes
        .chunks(255)
        .map(|block| block.iter().fold(0u8, |n, &b| n + u8::from(pred(b))))
        .map(u64::from)
        .sum()
}

/// The index of the last `\n`, looking at 64-byte blocks from the end:
/// `contains` on a block is vectorized, and the last line of a chunk is
/// usually short, so one or two blocks answer.
fn last_newline(bytes: &[u8]) -> Option<usize> {
    let mut start = bytes.len();
    for block in bytes.rchunks(64) {
        start -= block.len();
        work::charge(block.len());
        if block.contains(&b'\n') {
            return block.iter().rposition(|&b| b == b'\n').map(|k| start + k);
        }
    }
    None
}
