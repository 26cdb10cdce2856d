//! The markup declarations of the internal subset: `<!ENTITY`,
//! `<!ATTLIST`, `<!ELEMENT` and `<!NOTATION`, each from after its keyword
//! to its `>`. Entities and attribute lists are recorded in the [`Dtd`];
//! element and notation declarations are only checked.

use std::sync::Arc;

use super::{external_id, require_ws};
use crate::streaming_parsers::ErrorKind;
use crate::streaming_parsers::xml::attributes::attr_value;
use crate::streaming_parsers::xml::budget::Budget;
use crate::streaming_parsers::xml::chars::{invalid_char, is_name_char, skip_ws};
use crate::streaming_parsers::xml::delimiters::starts;
use crate::streaming_parsers::xml::dtd::{AttDecl, Dtd, Entity, Replacement, collapse};
use crate::streaming_parsers::xml::events::Span;
use crate::streaming_parsers::xml::names::scan_name;
use crate::streaming_parsers::xml::references::{char_ref, predefined};
use crate::streaming_parsers::xml::stop::{Step, Stop, fail, misplaced, unexpected};

/// `<!ENTITY` (from `s[i]`, after the keyword) to its `>`.
pub(super) fn entity_decl(s: &str, i: usize, dtd: &mut Dtd, namespaces: bool) -> Step<usize> {
    let b = s.as_bytes();
    let mut i = require_ws(s, i, "whitespace after `<!ENTITY`")?;
    let parameter = b.get(i) == Some(&b'%');
    if parameter {
        i = require_ws(s, i + 1, "whitespace after `%`")?;
    }
    let name_end = scan_name(s, i, "an entity name")?;
    let name = &s[i..name_end];
    if namespaces && name.contains(':') {
        let reason = "an entity name cannot contain a colon";
        return fail(i, ErrorKind::XmlNamespace { reason });
    }
    let j = require_ws(s, name_end, "whitespace after the entity name")?;
    let (mut end, entity) = match b.get(j) {
        None => return Err(Stop::Incomplete),
        Some(b'"' | b'\'') => {
            let (end, text) = entity_value(s, j)?;
            let name = name.to_owned();
            (end, Entity::Internal(Arc::new(Replacement { name, text })))
        }
        Some(_) => {
            let (mut end, _, _) = external_id(s, j, false)?;
            let k = skip_ws(b, end);
            if !parameter && k > end && starts(b, k, b"NDATA")? {
                let n = require_ws(s, k + 5, "whitespace after `NDATA`")?;
                end = scan_name(s, n, "a notation name after `NDATA`")?;
            }
            (end, Entity::External)
        }
    };
    end = skip_ws(b, end);
    match b.get(end) {
        None => return Err(Stop::Incomplete),
        Some(b'>') => {}
        Some(_) => return unexpected(s, end, "`>` to end the entity declaration"),
    }
    // The first declaration of a name binds; parameter entities are never
    // expanded, so they are not kept.
    if !parameter && !dtd.stopped && predefined(name).is_none() {
        dtd.entities.entry(name.to_owned()).or_insert(entity);
    }
    Ok(end + 1)
}

/// A quoted entity value at `s[q]`: its replacement text, with character
/// references expanded and entity references kept for expansion at use.
fn entity_value(s: &str, q: usize) -> Step<(usize, String)> {
    let b = s.as_bytes();
    let quote = b[q];
    let mut text = String::new();
    let mut i = q + 1;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Stop::Incomplete);
        };
        match c {
            _ if c == quote => return Ok((i + 1, text)),
            b'%' => {
                return misplaced(
                    i,
                    "a parameter-entity reference inside a declaration of the internal subset (XML 1.0: PEs in Internal Subset)",
                );
            }
            b'&' if b.get(i + 1) == Some(&b'#') => {
                let (end, ch) = char_ref(s, i)?;
                text.push(ch);
                i = end;
            }
            b'&' => {
                let end = scan_name(s, i + 1, "an entity name or `#` after `&`")?;
                match b.get(end) {
                    None => return Err(Stop::Incomplete),
                    Some(b';') => {}
                    Some(_) => return unexpected(s, end, "`;` to end the entity reference"),
                }
                text.push_str(&s[i..=end]);
                i = end + 1;
            }
            b'\r' => {
                text.push('\n');
                i += 1;
                if b.get(i) == Some(&b'\n') {
                    i += 1;
                }
            }
            _ => {
                if let Some(code) = invalid_char(b, i) {
                    return fail(i, ErrorKind::XmlInvalidChar { code });
                }
                let ch = s[i..].chars().next().unwrap_or_default();
                text.push(ch);
                i += ch.len_utf8();
            }
        }
    }
}

/// `<!ATTLIST` (from `s[i]`, after the keyword) to its `>`.
pub(super) fn attlist_decl(s: &str, i: usize, dtd: &mut Dtd, budget: &mut Budget) -> Step<usize> {
    let b = s.as_bytes();
    let i = require_ws(s, i, "whitespace after `<!ATTLIST`")?;
    let element_end = scan_name(s, i, "an element name")?;
    let element = &s[i..element_end];
    let mut i = element_end;
    loop {
        let ws = skip_ws(b, i);
        match b.get(ws) {
            None => return Err(Stop::Incomplete),
            Some(b'>') => return Ok(ws + 1),
            Some(_) if ws == i => return unexpected(s, ws, "whitespace or `>`"),
            Some(_) => {}
        }
        let name_end = scan_name(s, ws, "an attribute name or `>`")?;
        let name = &s[ws..name_end];
        let (type_end, cdata) = att_type(
            s,
            require_ws(s, name_end, "whitespace after the attribute name")?,
        )?;
        let mut j = require_ws(s, type_end, "whitespace after the attribute type")?;
        let mut default = None;
        if starts(b, j, b"#REQUIRED")? {
            j += 9;
        } else if starts(b, j, b"#IMPLIED")? {
            j += 8;
        } else {
            if starts(b, j, b"#FIXED")? {
                j = require_ws(s, j + 6, "whitespace after `#FIXED`")?;
            } else if !matches!(b.get(j), Some(b'"' | b'\'')) {
                return unexpected(
                    s,
                    j,
                    "`#REQUIRED`, `#IMPLIED`, `#FIXED` or a quoted default value",
                );
            }
            let mut decoded = String::new();
            let mut span = Span::token(j..j);
            let end = attr_value(s, j, &mut decoded, dtd, budget, &mut span)?;
            let value = span.get(s, &decoded);
            default = Some(if cdata {
                value.to_owned()
            } else {
                collapse(value)
            });
            j = end;
        }
        if !dtd.stopped {
            let decls = dtd.attlists.entry(element.to_owned()).or_default();
            if !decls.iter().any(|d| d.name == name) {
                decls.push(AttDecl {
                    name: name.to_owned(),
                    cdata,
                    default,
                });
            }
        }
        i = j;
    }
}

/// An attribute type at `s[i]`; returns its end and whether it is CDATA.
fn att_type(s: &str, i: usize) -> Step<(usize, bool)> {
    let b = s.as_bytes();
    for word in [
        &b"CDATA"[..],
        b"IDREFS",
        b"IDREF",
        b"ID",
        b"ENTITIES",
        b"ENTITY",
        b"NMTOKENS",
        b"NMTOKEN",
    ] {
        if starts(b, i, word)? {
            return Ok((i + word.len(), word == b"CDATA"));
        }
    }
    let (open, names) = if starts(b, i, b"NOTATION")? {
        (require_ws(s, i + 8, "whitespace after `NOTATION`")?, true)
    } else {
        (i, false)
    };
    if b.get(open) != Some(&b'(') {
        return unexpected(
            s,
            open,
            "an attribute type (CDATA, ID, IDREF(S), ENTITY, ENTITIES, NMTOKEN(S), NOTATION or `(`)",
        );
    }
    let mut j = open + 1;
    loop {
        j = skip_ws(b, j);
        j = if names {
            scan_name(s, j, "a notation name")?
        } else {
            scan_nmtoken(s, j)?
        };
        j = skip_ws(b, j);
        match b.get(j) {
            None => return Err(Stop::Incomplete),
            Some(b'|') => j += 1,
            Some(b')') => return Ok((j + 1, false)),
            Some(_) => return unexpected(s, j, "`|` or `)` in the enumeration"),
        }
    }
}

/// A name token (name characters, any first) at `s[i]`.
fn scan_nmtoken(s: &str, i: usize) -> Step<usize> {
    let mut j = i;
    loop {
        let Some(c) = s.get(j..).and_then(|t| t.chars().next()) else {
            return Err(Stop::Incomplete);
        };
        if !is_name_char(c) {
            break;
        }
        j += c.len_utf8();
    }
    if j == i {
        return unexpected(s, i, "a name token");
    }
    Ok(j)
}

/// `<!ELEMENT` (from `s[i]`, after the keyword) to its `>`: the content
/// model's syntax is checked with an explicit stack of open groups.
pub(super) fn element_decl(s: &str, i: usize) -> Step<usize> {
    let b = s.as_bytes();
    let i = require_ws(s, i, "whitespace after `<!ELEMENT`")?;
    let name_end = scan_name(s, i, "an element name")?;
    let mut j = require_ws(s, name_end, "whitespace after the element name")?;
    if starts(b, j, b"EMPTY")? {
        j += 5;
    } else if starts(b, j, b"ANY")? {
        j += 3;
    } else if b.get(j) == Some(&b'(') {
        let k = skip_ws(b, j + 1);
        j = if starts(b, k, b"#PCDATA")? {
            mixed(s, k + 7)?
        } else {
            children(s, j)?
        };
    } else {
        return unexpected(s, j, "`EMPTY`, `ANY` or `(` (a content model)");
    }
    j = skip_ws(b, j);
    match b.get(j) {
        None => Err(Stop::Incomplete),
        Some(b'>') => Ok(j + 1),
        Some(_) => unexpected(s, j, "`>` to end the element declaration"),
    }
}

/// Mixed content after `(#PCDATA`: `)`, `)*`, or `|a|b)*`.
fn mixed(s: &str, mut j: usize) -> Step<usize> {
    let b = s.as_bytes();
    let mut names = false;
    loop {
        j = skip_ws(b, j);
        match b.get(j) {
            None => return Err(Stop::Incomplete),
            Some(b'|') => {
                j = scan_name(s, skip_ws(b, j + 1), "an element name in mixed content")?;
                names = true;
            }
            Some(b')') => {
                if b.get(j + 1) == Some(&b'*') {
                    return Ok(j + 2);
                }
                if names {
                    return unexpected(s, j + 1, "`*` after mixed content with element names");
                }
                return Ok(j + 1);
            }
            Some(_) => return unexpected(s, j, "`|` or `)` in mixed content"),
        }
    }
}

/// An element content model at `s[open] == '('`.
fn children(s: &str, open: usize) -> Step<usize> {
    let b = s.as_bytes();
    // The separator of each open group: 0 until its first `|` or `,`.
    let mut groups: Vec<u8> = vec![0];
    let mut j = open + 1;
    loop {
        // A content particle: a name or a group.
        j = skip_ws(b, j);
        match b.get(j) {
            None => return Err(Stop::Incomplete),
            Some(b'(') => {
                groups.push(0);
                j += 1;
                continue;
            }
            Some(_) => {
                j = scan_name(s, j, "an element name or `(` in the content model")?;
                j = quantifier(b, j);
            }
        }
        // After a particle: a separator, or the end of groups.
        loop {
            j = skip_ws(b, j);
            let Some(&c) = b.get(j) else {
                return Err(Stop::Incomplete);
            };
            match c {
                b'|' | b',' => {
                    let sep = groups.last_mut().ok_or(Stop::Incomplete)?;
                    if *sep != 0 && *sep != c {
                        return unexpected(
                            s,
                            j,
                            "the same separator throughout a group (`|` or `,`)",
                        );
                    }
                    *sep = c;
                    j += 1;
                    break;
                }
                b')' => {
                    groups.pop();
                    j = quantifier(b, j + 1);
                    if groups.is_empty() {
                        return Ok(j);
                    }
                }
                _ => return unexpected(s, j, "`|`, `,` or `)` in the content model"),
            }
        }
    }
}

fn quantifier(b: &[u8], j: usize) -> usize {
    match b.get(j) {
        Some(b'?' | b'*' | b'+') => j + 1,
        _ => j,
    }
}

/// `<!NOTATION` (from `s[i]`, after the keyword) to its `>`.
pub(super) fn notation_decl(s: &str, i: usize) -> Step<usize> {
    let b = s.as_bytes();
    let i = require_ws(s, i, "whitespace after `<!NOTATION`")?;
    let name_end = scan_name(s, i, "a notation name")?;
    let j = require_ws(s, name_end, "whitespace after the notation name")?;
    let (end, _, _) = external_id(s, j, true)?;
    let end = skip_ws(b, end);
    match b.get(end) {
        None => Err(Stop::Incomplete),
        Some(b'>') => Ok(end + 1),
        Some(_) => unexpected(s, end, "`>` to end the notation declaration"),
    }
}
