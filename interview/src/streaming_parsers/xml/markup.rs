//! Markup: start and end tags, processing instructions and the XML
//! declaration, comments, CDATA sections and the DOCTYPE.

use std::ops::Range;

use super::attributes::{attr_value, check_unique_names};
use super::chars::skip_ws;
use super::delimiters::{content_until, starts};
use super::doctype;
use super::events::{AttrSlot, Attributes, NsRef, Span, StartElement};
use super::names::scan_name;
use super::stop::{Step, Stop, fail, misplaced, unexpected};
use super::token_end::{Classified, Markup, bad_markup, classify};
use super::utf16::{Encoding, check_declared};
use super::{Frame, XmlEvent, XmlParser};
use crate::streaming_parsers::ErrorKind;

impl XmlParser {
    /// Markup at `s[0] == '<'`.
    pub(super) fn markup<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        on_event: &mut F,
    ) -> Step<usize> {
        let (kind, opening) = match classify(s.as_bytes()) {
            Classified::NeedMore => return Err(Stop::Incomplete),
            Classified::Bad(at) => return bad_markup(s.as_bytes(), at),
            Classified::Kind(kind, opening) => (kind, opening),
        };
        let at_start = std::mem::replace(&mut self.at_start, false);
        let result = match kind {
            Markup::StartTag => self.start_tag(s, on_event),
            Markup::EndTag => self.end_tag(s, on_event),
            Markup::Pi => self.pi(s, at_start, on_event),
            Markup::Comment => self.comment(s, on_event),
            Markup::CData => self.cdata(s, opening, on_event),
            Markup::Doctype => self.doctype(s, on_event),
        };
        if matches!(result, Err(Stop::Incomplete)) {
            self.at_start = at_start;
        }
        result
    }

    /// `<name attr="value" ...>` or `<name .../>`.
    #[inline]
    pub(super) fn start_tag<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        on_event: &mut F,
    ) -> Step<usize> {
        let b = s.as_bytes();
        let name_end = scan_name(s, 1, "an element name after `<`")?;
        self.attrs.clear();
        self.attr_text.clear();
        let mut budget = self.budget();
        let mut i = name_end;
        let empty = loop {
            let after_name = i;
            i = skip_ws(b, i);
            match b.get(i) {
                None => return Err(Stop::Incomplete),
                Some(b'>') => break false,
                Some(b'/') => match b.get(i + 1) {
                    None => return Err(Stop::Incomplete),
                    Some(b'>') => {
                        i += 1;
                        break true;
                    }
                    Some(_) => {
                        return unexpected(s, i + 1, "`>` after `/` in an empty-element tag");
                    }
                },
                Some(_) if i == after_name => {
                    return unexpected(s, i, "whitespace, `>` or `/>` after a name or attribute");
                }
                Some(_) => {}
            }
            let attr_end = scan_name(s, i, "an attribute name, `>` or `/>`")?;
            let mut k = skip_ws(b, attr_end);
            match b.get(k) {
                None => return Err(Stop::Incomplete),
                Some(b'=') => k = skip_ws(b, k + 1),
                Some(_) => return unexpected(s, k, "`=` after the attribute name"),
            }
            // The value's span is written into its slot in place rather
            // than returned: a returned span would travel through the
            // stack in pieces, and reading it back whole would wait for
            // the stores instead of being forwarded from them.
            self.attrs.push(AttrSlot {
                name: Span::token(i..attr_end),
                value: Span::token(k..k),
                ns: NsRef::None,
            });
            let slot = self.attrs.len() - 1;
            let value = &mut self.attrs[slot].value;
            i = attr_value(s, k, &mut self.attr_text, &self.dtd, &mut budget, value)?;
        };
        let end = i + 1;
        // The tag is complete: check it as a whole, then commit.
        if self.stack.len() >= self.options.max_depth {
            let limit = self.options.max_depth;
            return fail(0, ErrorKind::TooDeep { limit });
        }
        if self.stack.is_empty() && self.root_seen {
            return misplaced(
                0,
                "a second root element: an XML document has exactly one root element",
            );
        }
        check_unique_names(s, &self.attrs, &self.attr_text)?;
        let name = &s[1..name_end];
        if !self.dtd.attlists.is_empty() {
            self.dtd
                .apply_attlist(name, &mut self.attrs, &mut self.attr_text, s);
        }
        let marks = (self.bindings.len(), self.ns_text.len());
        let outer_default = self.default_ns;
        let ns = if self.options.namespaces {
            self.namespaces(s, 1..name_end)?
        } else {
            NsRef::None
        };
        self.expanded = budget.used;
        self.root_seen = true;
        let ns_text = self.ns_text.as_str();
        let attributes = Attributes {
            token: s,
            decoded: &self.attr_text,
            namespaces: ns_text,
            slots: &self.attrs,
        };
        on_event(XmlEvent::StartElement(StartElement {
            name,
            namespace: ns.get(ns_text),
            attributes,
        }));
        if empty {
            on_event(XmlEvent::EndElement {
                name,
                namespace: ns.get(ns_text),
            });
            if self.bindings.len() != marks.0 {
                self.bindings.truncate(marks.0);
                self.ns_text.truncate(marks.1);
            }
            self.default_ns = outer_default;
        } else {
            self.stack.push(Frame {
                name_start: self.names.len(),
                ns,
                bindings_mark: marks.0,
                ns_text_mark: marks.1,
                default_ns: outer_default,
            });
            self.names.extend_from_slice(name.as_bytes());
        }
        Ok(end)
    }

    /// `</name>`.
    pub(super) fn end_tag<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        on_event: &mut F,
    ) -> Step<usize> {
        let b = s.as_bytes();
        let name_end = scan_name(s, 2, "an element name after `</`")?;
        let i = skip_ws(b, name_end);
        match b.get(i) {
            None => return Err(Stop::Incomplete),
            Some(b'>') => {}
            Some(_) => return unexpected(s, i, "`>` to close the end tag"),
        }
        let name = &s[2..name_end];
        let Some(frame) = self.stack.last().copied() else {
            let found = name.to_owned();
            return fail(0, ErrorKind::XmlUnmatchedEndTag { found });
        };
        let open = self.names.get(frame.name_start..).unwrap_or_default();
        if open != name.as_bytes() {
            let kind = ErrorKind::XmlMismatchedEndTag {
                expected: String::from_utf8_lossy(open).into_owned(),
                found: name.to_owned(),
            };
            return fail(2, kind);
        }
        on_event(XmlEvent::EndElement {
            name,
            namespace: frame.ns.get(&self.ns_text),
        });
        self.stack.pop();
        self.names.truncate(frame.name_start);
        if self.bindings.len() != frame.bindings_mark {
            self.bindings.truncate(frame.bindings_mark);
            self.ns_text.truncate(frame.ns_text_mark);
        }
        self.default_ns = frame.default_ns;
        Ok(i + 1)
    }

    /// `<?target data?>`, or the XML declaration at the very start.
    fn pi<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        at_start: bool,
        on_event: &mut F,
    ) -> Step<usize> {
        let b = s.as_bytes();
        let target_end = scan_name(s, 2, "a processing instruction target after `<?`")?;
        let target = &s[2..target_end];
        if target.eq_ignore_ascii_case("xml") {
            if target == "xml" && at_start {
                // Delimit the declaration first, so a quote left open
                // cannot run past its `?>`.
                let (close, _) = content_until(s, target_end, b"?>", false, &mut self.scratch)?;
                return match declaration(&s[..close + 2], target_end, self.encoding, on_event) {
                    Err(Stop::Incomplete) => unexpected(
                        s,
                        close,
                        "the rest of the XML declaration: quoted values for `version`, then `encoding` and `standalone`",
                    ),
                    other => other,
                };
            }
            return misplaced(
                2,
                "the processing instruction target `xml` (in any case) is reserved: an XML declaration must be the very first bytes of the document",
            );
        }
        if self.options.namespaces && target.contains(':') {
            let reason = "a processing instruction target cannot contain a colon";
            return fail(2, ErrorKind::XmlNamespace { reason });
        }
        let data_start = match b.get(target_end) {
            None => return Err(Stop::Incomplete),
            Some(b'?') => target_end,
            Some(b' ' | b'\t' | b'\n' | b'\r') => skip_ws(b, target_end),
            Some(_) => return unexpected(s, target_end, "whitespace or `?>` after the target"),
        };
        let (close, decoded) = content_until(s, data_start, b"?>", false, &mut self.scratch)?;
        let data = if decoded {
            self.scratch.as_str()
        } else {
            &s[data_start..close]
        };
        on_event(XmlEvent::ProcessingInstruction { target, data });
        Ok(close + 2)
    }

    /// `<!-- ... -->`.
    fn comment<F: FnMut(XmlEvent<'_>)>(&mut self, s: &str, on_event: &mut F) -> Step<usize> {
        let (close, decoded) = content_until(s, 4, b"-->", true, &mut self.scratch)?;
        let text = if decoded {
            self.scratch.as_str()
        } else {
            &s[4..close]
        };
        on_event(XmlEvent::Comment(text));
        Ok(close + 3)
    }

    /// `<![CDATA[ ... ]]>`, only inside the root element.
    fn cdata<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        opening: usize,
        on_event: &mut F,
    ) -> Step<usize> {
        if self.stack.is_empty() {
            return misplaced(
                0,
                "a CDATA section outside the root element (character data belongs inside it)",
            );
        }
        let (close, decoded) = content_until(s, opening, b"]]>", false, &mut self.scratch)?;
        let text = if decoded {
            self.scratch.as_str()
        } else {
            &s[opening..close]
        };
        on_event(XmlEvent::CData(text));
        Ok(close + 3)
    }

    /// `<!DOCTYPE ...>`: once, before the root element.
    fn doctype<F: FnMut(XmlEvent<'_>)>(&mut self, s: &str, on_event: &mut F) -> Step<usize> {
        if self.root_seen || self.doctype_seen {
            return misplaced(
                0,
                "a DOCTYPE must come before the root element, and only once",
            );
        }
        let mut budget = self.budget();
        let (end, spans) =
            doctype::parse_doctype(s, &mut self.dtd, &mut budget, self.options.namespaces)?;
        self.expanded = budget.used;
        self.doctype_seen = true;
        let get = |r: Option<Range<usize>>| r.and_then(|r| s.get(r));
        on_event(XmlEvent::Doctype {
            name: s.get(spans.name).unwrap_or_default(),
            public_id: get(spans.public_id),
            system_id: get(spans.system_id),
            internal_subset: get(spans.internal_subset),
        });
        Ok(end)
    }
}

/// The XML declaration, after `<?xml` at `s[..i]`.
/// `encoding`: what the document's first bytes showed, which an encoding
/// declaration must agree with.
fn declaration<F: FnMut(XmlEvent<'_>)>(
    s: &str,
    i: usize,
    encoding: Encoding,
    on_event: &mut F,
) -> Step<usize> {
    let b = s.as_bytes();
    let version = match pseudo_attribute(s, i, "version")? {
        Some(found) => found,
        None => {
            let at = skip_ws(b, i);
            return unexpected(s, at, "`version` in the XML declaration");
        }
    };
    let v = &s[version.1.clone()];
    let good = v
        .strip_prefix("1.")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()));
    if !good {
        return unexpected(s, version.1.start, "a version `1.0` (or `1.x`)");
    }
    let mut at = version.0;
    let mut declared = None;
    if let Some((end, value)) = pseudo_attribute(s, at, "encoding")? {
        let name = &s[value.clone()];
        let good = name.bytes().enumerate().all(|(k, c)| {
            c.is_ascii_alphabetic()
                || (k > 0 && (c.is_ascii_digit() || matches!(c, b'.' | b'_' | b'-')))
        });
        if !good || name.is_empty() {
            return unexpected(
                s,
                value.start,
                "an encoding name (letters, digits, `.`, `_`, `-`)",
            );
        }
        if let Err(kind) = check_declared(encoding, name) {
            return fail(value.start, kind);
        }
        declared = Some(name);
        at = end;
    }
    let mut standalone = None;
    if let Some((end, value)) = pseudo_attribute(s, at, "standalone")? {
        standalone = match &s[value.clone()] {
            "yes" => Some(true),
            "no" => Some(false),
            _ => return unexpected(s, value.start, "`yes` or `no` for standalone"),
        };
        at = end;
    }
    let close = skip_ws(b, at);
    match (b.get(close), b.get(close + 1)) {
        (Some(b'?'), Some(b'>')) => {}
        (None, _) | (Some(b'?'), None) => return Err(Stop::Incomplete),
        _ => return unexpected(s, close, "`?>` to end the XML declaration"),
    }
    on_event(XmlEvent::Declaration {
        version: v,
        encoding: declared,
        standalone,
    });
    Ok(close + 2)
}

/// ` name = "value"` in the XML declaration at `s[i]` (whitespace
/// required before it): the end and the value's range, or `None` if
/// another name (or none) is there.
fn pseudo_attribute(s: &str, i: usize, name: &str) -> Step<Option<(usize, Range<usize>)>> {
    let b = s.as_bytes();
    let start = skip_ws(b, i);
    if start == i || !starts(b, start, name.as_bytes())? {
        return Ok(None);
    }
    let mut k = skip_ws(b, start + name.len());
    match b.get(k) {
        None => return Err(Stop::Incomplete),
        Some(b'=') => k = skip_ws(b, k + 1),
        Some(_) => return unexpected(s, k, "`=` in the XML declaration"),
    }
    let quote = match b.get(k) {
        None => return Err(Stop::Incomplete),
        Some(&q @ (b'"' | b'\'')) => q,
        Some(_) => return unexpected(s, k, "a quoted value in the XML declaration"),
    };
    let value_start = k + 1;
    let mut end = value_start;
    loop {
        match b.get(end) {
            None => return Err(Stop::Incomplete),
            Some(&c) if c == quote => break,
            Some(_) => end += 1,
        }
    }
    Ok(Some((end + 1, value_start..end)))
}
