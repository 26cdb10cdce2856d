//! XML's character classes — `Char`, `NameStartChar`, `NameChar`,
//! whitespace — and the name scanner built on them.

use super::stop::{Step, Stop, unexpected};

/// XML 1.0's `Char` production.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The code point at `b[i]` if it is not an XML `Char`, for valid UTF-8
/// `b`: a control byte, or U+FFFE / U+FFFF (`EF BF BE` / `EF BF BF`).
#[inline]
pub(super) fn invalid_char(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i)? {
        &c if c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') => Some(u32::from(c)),
        0xEF if b.get(i + 1) == Some(&0xBF) => match b.get(i + 2)? {
            0xBE => Some(0xFFFE),
            0xBF => Some(0xFFFF),
            _ => None,
        },
        _ => None,
    }
}

/// `NameStartChar` (XML 1.0 5th edition, production \[4\]).
pub(super) fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar` (production \[4a\]).
pub(super) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// Per byte: 1 = may start a name, 2 = may continue one (ASCII only;
/// bytes of non-ASCII characters are 0 and decoded by the caller).
static NAME_BYTES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() || c == b'_' || c == b':' {
            table[b] = 3;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            table[b] = 2;
        }
        b += 1;
    }
    table
};

/// A name at `s[i]`; returns its end. `expected` names what should be
/// there, for the error. ASCII names take a tight loop; anything else
/// goes to [`scan_name_full`].
#[inline]
pub(super) fn scan_name(s: &str, i: usize, expected: &'static str) -> Step<usize> {
    let b = s.as_bytes();
    match b.get(i) {
        Some(&c) if NAME_BYTES[usize::from(c)] & 1 != 0 => {}
        _ => return scan_name_full(s, i, expected),
    }
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        if NAME_BYTES[usize::from(c)] == 0 {
            if c < 0x80 {
                return Ok(j);
            }
            return scan_name_full(s, i, expected);
        }
        j += 1;
    }
    Err(Stop::Incomplete)
}

/// [`scan_name`] for any name, non-ASCII characters included.
#[inline(never)]
fn scan_name_full(s: &str, i: usize, expected: &'static str) -> Step<usize> {
    let b = s.as_bytes();
    let Some(&first) = b.get(i) else {
        return Err(Stop::Incomplete);
    };
    let mut j = if NAME_BYTES[usize::from(first)] & 1 != 0 {
        i + 1
    } else {
        match s.get(i..).and_then(|t| t.chars().next()) {
            Some(c) if first >= 0x80 && is_name_start(c) => i + c.len_utf8(),
            _ => return unexpected(s, i, expected),
        }
    };
    loop {
        let Some(&c) = b.get(j) else {
            return Err(Stop::Incomplete);
        };
        if NAME_BYTES[usize::from(c)] != 0 {
            j += 1;
            continue;
        }
        if c < 0x80 {
            return Ok(j);
        }
        match s.get(j..).and_then(|t| t.chars().next()) {
            Some(c) if is_name_char(c) => j += c.len_utf8(),
            _ => return Ok(j),
        }
    }
}

#[inline]
pub(super) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}
