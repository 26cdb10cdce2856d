//! String tokens: the plain-byte scan, escapes, and where a string cut by
//! a chunk boundary ends.

use crate::streaming_parsers::{ErrorKind, Input, swar, work};

/// What a string's scan found.
pub(super) enum StringScan<'a> {
    /// The closing quote is at `end`; `text` is the unescaped content.
    Done { end: usize, text: &'a str },
    /// The slice ended first.
    Incomplete,
    /// An error at this index.
    Error(usize, ErrorKind),
}

/// Scans the string whose opening quote is `input.bytes[start]`, knowing
/// there is no escape before `from`. Text without escapes is borrowed from
/// the input; with escapes it is decoded into `scratch`.
pub(super) fn scan_string<'a>(
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
/// `buf.len()`), eight bytes at a time (see [`swar`]).
#[inline(always)]
pub(super) fn skip_plain(buf: &[u8], mut i: usize) -> usize {
    while let Some(x) = swar::load(buf, i) {
        // A quote and the control bytes in one test: flipping bit 1 maps
        // `"` (0x22) to 0x20 and every control byte (0x00–0x1F) onto
        // another control byte, so "below 0x21" after the flip finds both.
        let control_or_quote = swar::bytes_below(x ^ swar::splat(0x02), 0x21);
        let backslash = swar::bytes_equal(x, b'\\');
        let found = (control_or_quote | backslash) & swar::HIGHS;
        if found != 0 {
            return i + swar::first_flagged(found);
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
pub(super) fn find_string_end(chunk: &[u8], after_backslash: &mut bool) -> Option<usize> {
    let end = find_string_end_unmetered(chunk, after_backslash);
    work::charge(end.map_or(chunk.len(), |end| end + 1));
    end
}

fn find_string_end_unmetered(chunk: &[u8], after_backslash: &mut bool) -> Option<usize> {
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
