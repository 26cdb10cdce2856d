//! Whitespace between tokens, and the line count that rides on it.

/// JSON's four whitespace bytes (RFC 8259 §2).
#[inline]
pub(super) fn is_whitespace(b: u8) -> bool {
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
/// count. The chunk is never scanned a second time for `\n` just to move
/// the position, and compact input, with no newlines, pays nothing.
#[inline(always)]
pub(super) fn skip_whitespace(buf: &[u8], mut i: usize, lines: &mut Lines) -> usize {
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
pub(super) struct Lines {
    /// How many.
    pub(super) newlines: u64,
    /// The index just after the last of them.
    pub(super) after: usize,
}
