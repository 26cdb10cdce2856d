//! Character data: text runs, the references in them, and the entities
//! whose replacement text is parsed as content.

use std::ops::Range;
use std::sync::Arc;

use super::budget::Budget;
use super::chars::invalid_char;
use super::dtd::Replacement;
use super::references::{Ref, char_ref, entity_name_end, predefined, replacement_reference};
use super::stop::{Step, Stop, fail, misplaced};
use super::token_end::memchr;
use super::{EntityFrame, XmlEvent, XmlParser};
use crate::streaming_parsers::{ErrorKind, swar};

impl XmlParser {
    /// Character data from `s[start]` up to the next `<`.
    #[inline]
    pub(super) fn text<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        start: usize,
        on_event: &mut F,
    ) -> Step<usize> {
        let b = s.as_bytes();
        let mut i = start;
        let mut run = start;
        let mut decoded = false;
        let mut budget = self.budget();
        // Whether a `<` ends this run within `s` (known once an entity
        // first needs to emit an event).
        let mut ends_here = None;
        loop {
            i = skip_text(b, i);
            let Some(&c) = b.get(i) else {
                return Err(Stop::Incomplete);
            };
            match c {
                b'<' => break,
                b'\t' | b'\n' => i += 1,
                b'&' | b'\r' => {
                    if !decoded {
                        self.scratch.clear();
                        decoded = true;
                    }
                    self.scratch.push_str(&s[run..i]);
                    if c == b'&' {
                        i = if b.get(i + 1) == Some(&b'#') {
                            let (end, ch) = char_ref(s, i)?;
                            self.scratch.push(ch);
                            end
                        } else {
                            let semi = entity_name_end(s, i)?;
                            match predefined(&s[i + 1..semi]) {
                                Some(ch) => self.scratch.push(ch),
                                None => {
                                    let ends = &mut ends_here;
                                    self.entity_content(s, i..semi, ends, &mut budget, on_event)?;
                                }
                            }
                            semi + 1
                        };
                    } else {
                        self.scratch.push('\n');
                        i += 1;
                        if b.get(i) == Some(&b'\n') {
                            i += 1;
                        }
                    }
                    run = i;
                }
                b']' => {
                    if b.get(i + 1) == Some(&b']') && b.get(i + 2) == Some(&b'>') {
                        return misplaced(
                            i,
                            "`]]>` in text (it only ends a CDATA section): write `]]&gt;`",
                        );
                    }
                    i += 1;
                }
                _ => {
                    if let Some(code) = invalid_char(b, i) {
                        return fail(i, ErrorKind::XmlInvalidChar { code });
                    }
                    i += 1;
                }
            }
        }
        self.expanded = budget.used;
        let text = if decoded {
            self.scratch.push_str(&s[run..i]);
            self.scratch.as_str()
        } else {
            &s[start..i]
        };
        if !text.is_empty() {
            on_event(XmlEvent::Text(text));
        }
        Ok(i)
    }

    /// A reference in text, `s[reference]` = `&name`, to the general entity
    /// `name`: its replacement
    /// text is parsed as content (XML 1.0 §4.4.2 "included"), with the
    /// references in it expanded in turn — an explicit stack of entities,
    /// not recursion. Text goes on accumulating in `scratch`, so the events
    /// are those of the same text written inline; elements that start in
    /// an entity must end in it (§4.3.2). Every byte is charged to
    /// `budget`; errors are reported at the reference. An event is only
    /// emitted once a `<` after the reference shows that the text run ends
    /// in `s` (`ends_here` keeps the answer for the run), so an incomplete
    /// run — parsed again when the rest of it arrives — has emitted
    /// nothing.
    #[cold]
    #[inline(never)]
    fn entity_content<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        s: &str,
        reference: Range<usize>,
        ends_here: &mut Option<bool>,
        budget: &mut Budget,
        on_event: &mut F,
    ) -> Step<()> {
        let at = reference.start;
        let name = &s[at + 1..reference.end];
        let entity = match self.dtd.internal(name) {
            Ok(entity) => Arc::clone(entity),
            Err(kind) => return fail(at, kind),
        };
        let mut frames = std::mem::take(&mut self.entity_frames);
        frames.clear();
        frames.push(EntityFrame {
            entity,
            pos: 0,
            depth: self.stack.len(),
        });
        let rest = s.as_bytes().get(reference.end + 1..).unwrap_or_default();
        let result = self.parse_entities(&mut frames, rest, ends_here, budget, on_event);
        frames.clear();
        self.entity_frames = frames;
        result.map_err(|stop| match stop {
            Stop::Error(_, kind) => Stop::Error(at, kind),
            Stop::Incomplete => Stop::Incomplete,
        })
    }

    /// The loop of [`Self::entity_content`] over the stack of entities
    /// (errors at index 0).
    fn parse_entities<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        frames: &mut Vec<EntityFrame>,
        rest: &[u8],
        ends_here: &mut Option<bool>,
        budget: &mut Budget,
        on_event: &mut F,
    ) -> Step<()> {
        let charge = |budget: &mut Budget, bytes: usize| {
            budget.take(bytes).map_err(|kind| Stop::Error(0, kind))
        };
        let not_well_formed = |entity: &Replacement, reason: &'static str| {
            let name = entity.name.clone();
            Err(Stop::Error(
                0,
                ErrorKind::XmlEntityNotWellFormed { name, reason },
            ))
        };
        while let Some(frame) = frames.last() {
            let entity = Arc::clone(&frame.entity);
            let depth = frame.depth;
            let text = entity.text.get(frame.pos..).unwrap_or_default();
            let Some(&first) = text.as_bytes().first() else {
                if self.stack.len() != depth {
                    return not_well_formed(
                        &entity,
                        "an element that starts in it does not end in it",
                    );
                }
                frames.pop();
                continue;
            };
            let len = match first {
                b'<' => {
                    if !*ends_here.get_or_insert_with(|| memchr(b'<', rest).is_some()) {
                        return Err(Stop::Incomplete);
                    }
                    if !self.scratch.is_empty() {
                        on_event(XmlEvent::Text(&self.scratch));
                        self.scratch.clear();
                    }
                    if text.as_bytes().get(1) == Some(&b'/') && self.stack.len() <= depth {
                        return not_well_formed(
                            &entity,
                            "an end tag in it ends an element that starts outside it",
                        );
                    }
                    self.expanded = budget.used;
                    let result = self.markup(text, on_event);
                    budget.used = self.expanded;
                    // Comments, PIs and CDATA may have used it.
                    self.scratch.clear();
                    let len = match result {
                        Ok(len) => len,
                        Err(Stop::Incomplete) => {
                            return not_well_formed(
                                &entity,
                                "its replacement text ends inside markup",
                            );
                        }
                        Err(Stop::Error(_, kind)) => return fail(0, kind),
                    };
                    charge(budget, len)?;
                    len
                }
                b'&' => {
                    let (end, reference) =
                        replacement_reference(text).map_err(|kind| Stop::Error(0, kind))?;
                    charge(budget, 1)?;
                    match reference {
                        Ref::Char(ch) => self.scratch.push(ch),
                        Ref::Entity(name) => {
                            let inner = self
                                .dtd
                                .internal(name)
                                .map_err(|kind| Stop::Error(0, kind))?;
                            if frames.iter().any(|f| Arc::ptr_eq(&f.entity, inner)) {
                                let name = name.to_owned();
                                return fail(0, ErrorKind::XmlRecursiveEntity { name });
                            }
                            let inner = Arc::clone(inner);
                            if let Some(frame) = frames.last_mut() {
                                frame.pos += end;
                            }
                            frames.push(EntityFrame {
                                entity: inner,
                                pos: 0,
                                depth: self.stack.len(),
                            });
                            continue;
                        }
                    }
                    end
                }
                _ => {
                    let cut = text
                        .as_bytes()
                        .iter()
                        .position(|&c| c == b'<' || c == b'&')
                        .unwrap_or(text.len());
                    let piece = &text[..cut];
                    if piece.contains("]]>") {
                        return misplaced(
                            0,
                            "`]]>` in text (it only ends a CDATA section): write `]]&gt;`",
                        );
                    }
                    charge(budget, cut)?;
                    self.scratch.push_str(piece);
                    cut
                }
            };
            if let Some(frame) = frames.last_mut() {
                frame.pos += len;
            }
        }
        Ok(())
    }
}

/// The index of the first byte at or after `i` that plain text cannot
/// skip — `<`, `&`, `]`, a control byte (tab and newline included, the
/// caller lets them pass) or `0xEF`, the lead byte of U+FFFE and U+FFFF,
/// which are not XML characters — or `b.len()`; eight bytes at a time (see
/// [`swar`]).
#[inline]
pub(super) fn skip_text(b: &[u8], mut i: usize) -> usize {
    while let Some(x) = swar::load(b, i) {
        // `&` and the control bytes in one test: flipping bits 1 and 2 maps
        // `&` (0x26) to 0x20 and every control byte (0x00–0x1F) onto
        // another control byte, so "below 0x21" after the flip finds both.
        let control_or_amp = swar::bytes_below(x ^ swar::splat(0x06), 0x21);
        let found = (control_or_amp
            | swar::bytes_equal(x, b'<')
            | swar::bytes_equal(x, b']')
            | swar::bytes_equal(x, 0xEF))
            & swar::HIGHS;
        if found != 0 {
            return i + swar::first_flagged(found);
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c < 0x20 || matches!(c, b'<' | b'&' | b']' | 0xEF) {
            return i;
        }
        i += 1;
    }
    i
}
