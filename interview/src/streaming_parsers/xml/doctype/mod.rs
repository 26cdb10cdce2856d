//! The DOCTYPE: its syntax, and the declarations of its internal subset a
//! non-validating parser must process — internal general entities (to
//! expand them) and attribute-list declarations (for defaults and
//! normalization), recorded in the [`Dtd`]. Element and notation
//! declarations are checked for well-formedness and otherwise ignored;
//! external entities are recorded only to refuse references to them.
//!
//! This file holds the DOCTYPE's own syntax; `declarations.rs` parses each
//! markup declaration of the subset.

use std::ops::Range;

use super::budget::Budget;
use super::chars::{invalid_char, skip_ws};
use super::delimiters::{content_until, starts};
use super::dtd::Dtd;
use super::names::scan_name;
use super::stop::{Step, Stop, misplaced, unexpected};

mod declarations;

use declarations::{attlist_decl, element_decl, entity_decl, notation_decl};

/// Where the parts of a DOCTYPE are in its token.
#[derive(Debug)]
pub(super) struct DoctypeSpans {
    pub(super) name: Range<usize>,
    pub(super) public_id: Option<Range<usize>>,
    pub(super) system_id: Option<Range<usize>>,
    pub(super) internal_subset: Option<Range<usize>>,
}

const EXPECTED_DECLARATION: &str = "a markup declaration (`<!ELEMENT`, `<!ATTLIST`, `<!ENTITY`, `<!NOTATION`), a comment, a processing instruction, a parameter-entity reference or `]`";

/// Parses the DOCTYPE that is exactly `s` (from `<!DOCTYPE` to its `>`),
/// recording its declarations in `dtd`. Returns its end and its parts.
pub(super) fn parse_doctype(
    s: &str,
    dtd: &mut Dtd,
    budget: &mut Budget,
    namespaces: bool,
) -> Step<(usize, DoctypeSpans)> {
    let b = s.as_bytes();
    let i = require_ws(s, 9, "whitespace after `<!DOCTYPE`")?;
    let name_end = scan_name(s, i, "the root element's name")?;
    let mut spans = DoctypeSpans {
        name: i..name_end,
        public_id: None,
        system_id: None,
        internal_subset: None,
    };
    let mut j = skip_ws(b, name_end);
    if j > name_end && (starts(b, j, b"SYSTEM")? || starts(b, j, b"PUBLIC")?) {
        let (end, public_id, system_id) = external_id(s, j, false)?;
        spans.public_id = public_id;
        spans.system_id = system_id;
        j = skip_ws(b, end);
    }
    if b.get(j) == Some(&b'[') {
        let close = internal_subset(s, j + 1, dtd, budget, namespaces)?;
        spans.internal_subset = Some(j + 1..close);
        j = skip_ws(b, close + 1);
    }
    match b.get(j) {
        None => Err(Stop::Incomplete),
        Some(b'>') => Ok((j + 1, spans)),
        Some(_) => unexpected(s, j, "`[`, an external ID or `>` in the DOCTYPE"),
    }
}

/// Whitespace (at least one) at `s[i]`; returns where it ends.
fn require_ws(s: &str, i: usize, expected: &'static str) -> Step<usize> {
    let end = skip_ws(s.as_bytes(), i);
    if end == i {
        return unexpected(s, i, expected);
    }
    Ok(end)
}

/// The declarations from `s[i]` to the `]` that ends the subset; returns
/// the index of that `]`.
fn internal_subset(
    s: &str,
    mut i: usize,
    dtd: &mut Dtd,
    budget: &mut Budget,
    namespaces: bool,
) -> Step<usize> {
    let b = s.as_bytes();
    let mut scratch = String::new();
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            None => return Err(Stop::Incomplete),
            Some(b']') => return Ok(i),
            Some(b'%') => {
                let end = scan_name(s, i + 1, "a parameter-entity name after `%`")?;
                match b.get(end) {
                    None => return Err(Stop::Incomplete),
                    Some(b';') => {}
                    Some(_) => {
                        return unexpected(s, end, "`;` to end the parameter-entity reference");
                    }
                }
                dtd.stopped = true;
                i = end + 1;
            }
            Some(b'<') => {
                i = if starts(b, i, b"<!--")? {
                    let (close, _) = content_until(s, i + 4, b"-->", true, &mut scratch)?;
                    close + 3
                } else if starts(b, i, b"<?")? {
                    subset_pi(s, i, &mut scratch)?
                } else if starts(b, i, b"<!ENTITY")? {
                    entity_decl(s, i + 8, dtd, namespaces)?
                } else if starts(b, i, b"<!ATTLIST")? {
                    attlist_decl(s, i + 9, dtd, budget)?
                } else if starts(b, i, b"<!ELEMENT")? {
                    element_decl(s, i + 9)?
                } else if starts(b, i, b"<!NOTATION")? {
                    notation_decl(s, i + 10)?
                } else {
                    return unexpected(s, i + 1, EXPECTED_DECLARATION);
                };
            }
            Some(_) => return unexpected(s, i, EXPECTED_DECLARATION),
        }
    }
}

/// A processing instruction inside the internal subset.
fn subset_pi(s: &str, i: usize, scratch: &mut String) -> Step<usize> {
    let b = s.as_bytes();
    let target_end = scan_name(s, i + 2, "a processing instruction target after `<?`")?;
    if s[i + 2..target_end].eq_ignore_ascii_case("xml") {
        return misplaced(
            i + 2,
            "the processing instruction target `xml` (in any case) is reserved",
        );
    }
    let data = match b.get(target_end) {
        None => return Err(Stop::Incomplete),
        Some(b'?') => target_end,
        Some(b' ' | b'\t' | b'\n' | b'\r') => skip_ws(b, target_end),
        Some(_) => return unexpected(s, target_end, "whitespace or `?>` after the target"),
    };
    let (close, _) = content_until(s, data, b"?>", false, scratch)?;
    Ok(close + 2)
}

/// `SYSTEM "uri"` or `PUBLIC "id" "uri"` at `s[i]` (`public_only`: in a
/// notation, the system literal may be missing). Returns the end and the
/// ranges of the literals' contents.
#[allow(clippy::type_complexity)]
fn external_id(
    s: &str,
    i: usize,
    public_only: bool,
) -> Step<(usize, Option<Range<usize>>, Option<Range<usize>>)> {
    let b = s.as_bytes();
    if starts(b, i, b"SYSTEM")? {
        let j = require_ws(s, i + 6, "whitespace after `SYSTEM`")?;
        let (end, system) = literal(s, j, false)?;
        return Ok((end, None, Some(system)));
    }
    if !starts(b, i, b"PUBLIC")? {
        return unexpected(s, i, "`SYSTEM` or `PUBLIC`");
    }
    let j = require_ws(s, i + 6, "whitespace after `PUBLIC`")?;
    let (end, public) = literal(s, j, true)?;
    let k = skip_ws(b, end);
    if public_only && (k == end || !matches!(b.get(k), Some(b'"' | b'\''))) {
        return Ok((end, Some(public), None));
    }
    if k == end {
        return unexpected(s, k, "whitespace, then the system literal");
    }
    let (end, system) = literal(s, k, false)?;
    Ok((end, Some(public), Some(system)))
}

/// A quoted system literal, or public-ID literal (`pubid`: restricted
/// characters), at `s[q]`. Returns the end and the content's range.
fn literal(s: &str, q: usize, pubid: bool) -> Step<(usize, Range<usize>)> {
    let b = s.as_bytes();
    let quote = match b.get(q) {
        None => return Err(Stop::Incomplete),
        Some(&c @ (b'"' | b'\'')) => c,
        Some(_) => return unexpected(s, q, "a quoted literal"),
    };
    let mut i = q + 1;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Stop::Incomplete);
        };
        if c == quote {
            return Ok((i + 1, q + 1..i));
        }
        let allowed = if pubid {
            c.is_ascii_alphanumeric() || b" \r\n-'()+,./:=?;!*#@$_%".contains(&c)
        } else {
            invalid_char(b, i).is_none()
        };
        if !allowed {
            let expected =
                "a public identifier character (letters, digits, space, -'()+,./:=?;!*#@$_%)";
            return unexpected(s, i, expected);
        }
        i += 1;
    }
}
