//! References: `&#N;`, `&#xH;`, the five predefined entities, and
//! entities declared in the internal subset (expanded in attribute values
//! here; in text by `text.rs`).

use super::budget::Budget;
use super::chars::is_xml_char;
use super::dtd::Dtd;
use super::names::scan_name;
use super::stop::{Step, Stop, fail, unexpected};
use crate::streaming_parsers::ErrorKind;

/// A reference `&...;` at `s[i]` in an attribute value: appends what it
/// stands for, normalized as §3.3.3 says, to `out`. Returns the index
/// after the `;`.
pub(super) fn reference(
    s: &str,
    i: usize,
    out: &mut String,
    dtd: &Dtd,
    budget: &mut Budget,
) -> Step<usize> {
    let b = s.as_bytes();
    match b.get(i + 1) {
        None => Err(Stop::Incomplete),
        Some(b'#') => {
            let (end, c) = char_ref(s, i)?;
            out.push(c);
            Ok(end)
        }
        Some(_) => {
            let semi = entity_name_end(s, i)?;
            match predefined(&s[i + 1..semi]) {
                Some(c) => out.push(c),
                None => dtd
                    .expand_in_attribute(&s[i + 1..semi], out, budget)
                    .map_err(|kind| Stop::Error(i, kind))?,
            }
            Ok(semi + 1)
        }
    }
}

/// An entity reference `&name;` at `s[i]`: the index of its `;`.
#[inline]
pub(super) fn entity_name_end(s: &str, i: usize) -> Step<usize> {
    let name_end = scan_name(
        s,
        i + 1,
        "an entity name or `#` after `&` (write a literal `&` as `&amp;`)",
    )?;
    match s.as_bytes().get(name_end) {
        None => Err(Stop::Incomplete),
        Some(b';') => Ok(name_end),
        Some(_) => unexpected(s, name_end, "`;` to end the entity reference"),
    }
}

/// The five predefined entities.
pub(super) fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// A character reference `&#N;` or `&#xH;` at `s[i]`: the index after it
/// and the character, which must be in the `Char` production.
pub(super) fn char_ref(s: &str, i: usize) -> Step<(usize, char)> {
    let b = s.as_bytes();
    let (hex, mut j) = match b.get(i + 2) {
        None => return Err(Stop::Incomplete),
        Some(b'x') => (true, i + 3),
        Some(_) => (false, i + 2),
    };
    let digits = j;
    let mut value = 0u32;
    loop {
        let Some(&d) = b.get(j) else {
            return Err(Stop::Incomplete);
        };
        let digit = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' if hex => d - b'a' + 10,
            b'A'..=b'F' if hex => d - b'A' + 10,
            _ => break,
        };
        let base = if hex { 16 } else { 10 };
        value = value
            .saturating_mul(base)
            .saturating_add(u32::from(digit))
            .min(0x11_0000);
        j += 1;
    }
    if j == digits {
        let expected = if hex { "a hex digit" } else { "a digit or `x`" };
        return unexpected(s, j, expected);
    }
    if b[j] != b';' {
        return unexpected(s, j, "`;` to end the character reference");
    }
    match char::from_u32(value).filter(|&c| is_xml_char(c)) {
        Some(c) => Ok((j + 1, c)),
        None => fail(
            i,
            ErrorKind::XmlInvalidCharRef {
                reference: s[i..=j].to_owned(),
            },
        ),
    }
}
