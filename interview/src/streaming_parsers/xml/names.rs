//! XML names: [`scan_name`], the scanner every tag, attribute, reference
//! and declaration uses, with a fast path for ASCII names. It stops the
//! way every token parser does (`stop.rs`), so it sits above both the
//! character classes it tests and [`Stop`].

use super::chars::{is_name_char, is_name_start};
use super::stop::{Step, Stop, unexpected};

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
