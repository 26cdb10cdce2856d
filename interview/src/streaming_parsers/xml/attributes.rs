//! Attribute values — normalized per XML 1.0 §3.3.3, their references
//! expanded (declared entities through the [`Dtd`]) — and the check that
//! no attribute appears twice.

use super::budget::Budget;
use super::chars::invalid_char;
use super::dtd::Dtd;
use super::events::{AttrSlot, Span};
use super::references::{char_ref, entity_name_end, predefined};
use super::stop::{Step, Stop, fail, misplaced, unexpected};
use crate::streaming_parsers::ErrorKind;

/// A quoted attribute value at `s[q]`: normalized per XML 1.0 §3.3.3 (each
/// whitespace character becomes a space, references are expanded). Plain
/// values are borrowed; others are decoded into `out`. Returns the index
/// after the closing quote, and writes where the value is into `span`.
#[inline]
pub(super) fn attr_value(
    s: &str,
    q: usize,
    out: &mut String,
    dtd: &Dtd,
    budget: &mut Budget,
    span: &mut Span,
) -> Step<usize> {
    let b = s.as_bytes();
    let quote = match b.get(q) {
        None => return Err(Stop::Incomplete),
        Some(&c @ (b'"' | b'\'')) => c,
        Some(_) => return unexpected(s, q, "a quoted attribute value"),
    };
    let start = q + 1;
    let mut i = start;
    let mut run = start;
    let mut decoded: Option<usize> = None;
    loop {
        while i < b.len() && ATTR_PLAIN[usize::from(b[i])] {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            return Err(Stop::Incomplete);
        };
        match c {
            _ if c == quote => break,
            b'"' | b'\'' => i += 1,
            b'<' => return misplaced(i, "`<` in an attribute value: write `&lt;`"),
            b'&' | b'\t' | b'\n' | b'\r' => {
                if decoded.is_none() {
                    decoded = Some(out.len());
                }
                out.push_str(&s[run..i]);
                if c == b'&' {
                    i = reference(s, i, out, dtd, budget)?;
                } else {
                    out.push(' ');
                    i += 1;
                    if c == b'\r' && b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                }
                run = i;
            }
            _ => {
                if let Some(code) = invalid_char(b, i) {
                    return fail(i, ErrorKind::XmlInvalidChar { code });
                }
                i += 1;
            }
        }
    }
    *span = match decoded {
        None => Span::token(start..i),
        Some(from) => {
            out.push_str(&s[run..i]);
            Span::decoded(from..out.len())
        }
    };
    Ok(i + 1)
}

/// A reference `&...;` at `s[i]` in an attribute value: appends what it
/// stands for, normalized as §3.3.3 says, to `out`. Returns the index
/// after the `;`.
fn reference(s: &str, i: usize, out: &mut String, dtd: &Dtd, budget: &mut Budget) -> Step<usize> {
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

/// Bytes an attribute value can skip without a look: not a quote, `<`,
/// `&`, a control byte or `0xEF` (the lead byte of U+FFFE and U+FFFF).
static ATTR_PLAIN: [bool; 256] = {
    let mut table = [true; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = false;
        b += 1;
    }
    table[b'"' as usize] = false;
    table[b'\'' as usize] = false;
    table[b'<' as usize] = false;
    table[b'&' as usize] = false;
    table[0xEF] = false;
    table
};

/// No two attributes of a tag with the same qualified name.
#[inline]
pub(super) fn check_unique_names(s: &str, attrs: &[AttrSlot], decoded: &str) -> Step<()> {
    if attrs.len() < 2 {
        return Ok(());
    }
    let name = |slot: &AttrSlot| slot.name.bytes(s, decoded);
    let duplicate = |k: usize| {
        let slot = &attrs[k];
        fail(
            if slot.name.decoded {
                0
            } else {
                slot.name.start
            },
            ErrorKind::XmlDuplicateAttribute {
                name: slot.name.get(s, decoded).to_owned(),
            },
        )
    };
    if attrs.len() <= 16 {
        for k in 1..attrs.len() {
            let this = name(&attrs[k]);
            if attrs[..k].iter().any(|o| name(o) == this) {
                return duplicate(k);
            }
        }
        return Ok(());
    }
    // Many attributes: a hash set instead of quadratic comparisons.
    let mut seen = std::collections::HashSet::with_capacity(attrs.len());
    for (k, slot) in attrs.iter().enumerate() {
        if !seen.insert(name(slot)) {
            return duplicate(k);
        }
    }
    Ok(())
}
