//! References: `&#N;`, `&#xH;`, the five predefined entities, and
//! `&name;` — how each is written, in a document and in an entity's
//! replacement text. What a declared entity stands for is looked up in
//! the `Dtd` (`dtd.rs`), which builds on this file: in attribute values
//! by `attributes.rs`, in text by `text.rs`.

use super::chars::is_xml_char;
use super::names::scan_name;
use super::stop::{Step, Stop, fail, unexpected};
use crate::streaming_parsers::ErrorKind;

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

/// A reference met in an entity's replacement text.
pub(super) enum Ref<'t> {
    /// A character reference or a predefined entity.
    Char(char),
    /// Another general entity, by name.
    Entity(&'t str),
}

/// The reference at the start of `tail` (which starts with `&`), in an
/// entity's replacement text: the index after its `;`, and what it is.
pub(super) fn replacement_reference(tail: &str) -> Result<(usize, Ref<'_>), ErrorKind> {
    let malformed = || ErrorKind::UnexpectedByte {
        found: b'&',
        expected: "a complete reference (`&name;` or `&#N;`) in an entity's replacement text",
    };
    let semi = tail.find(';').ok_or_else(malformed)?;
    let reference = &tail[1..semi];
    let found = if reference.starts_with('#') {
        match char_ref(&tail[..=semi], 0) {
            Ok((_, ch)) => Ref::Char(ch),
            Err(Stop::Error(_, kind)) => return Err(kind),
            Err(Stop::Incomplete) => return Err(malformed()),
        }
    } else if let Some(ch) = predefined(reference) {
        Ref::Char(ch)
    } else {
        if scan_name(&tail[..=semi], 1, "").ok() != Some(semi) {
            return Err(malformed());
        }
        Ref::Entity(reference)
    };
    Ok((semi + 1, found))
}
