//! What the internal subset declared, kept for the rest of the document:
//! internal general entities (to expand them) and attribute-list
//! declarations (for defaults and normalization); external entities are
//! recorded only to refuse references to them. The lookups made at each
//! reference and start tag live here too.
//!
//! The data is apart from the parsing (`doctype/`) because attribute
//! values sit between them: `attributes.rs` expands entities through the
//! [`Dtd`], and the declaration parser reads each default value with
//! `attributes.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use super::budget::Budget;
use super::events::{AttrSlot, NsRef, Span};
use super::references::{Ref, replacement_reference};
use crate::streaming_parsers::ErrorKind;

/// What the internal subset declared.
#[derive(Debug, Clone, Default)]
pub(super) struct Dtd {
    /// General entities by name, as first declared (parameter entities
    /// are never expanded, so not kept).
    pub(super) entities: HashMap<String, Entity>,
    /// Attribute-list declarations by element name.
    pub(super) attlists: HashMap<String, Vec<AttDecl>>,
    /// A parameter-entity reference has been met: later declarations are
    /// checked but not processed (XML 1.0 §5.1).
    pub(super) stopped: bool,
}

/// A general entity's declaration.
#[derive(Debug, Clone)]
pub(super) enum Entity {
    /// An internal entity. Shared, so content parsing can hold its text
    /// while the parser is borrowed mutably.
    Internal(Arc<Replacement>),
    /// External parsed or unparsed: never fetched.
    External,
}

/// An internal entity's name and replacement text (character references
/// already expanded, entity references kept).
#[derive(Debug)]
pub(super) struct Replacement {
    pub(super) name: String,
    pub(super) text: String,
}

/// One attribute's declaration.
#[derive(Debug, Clone)]
pub(super) struct AttDecl {
    /// The attribute's name.
    pub(super) name: String,
    /// Declared `CDATA` (no further normalization).
    pub(super) cdata: bool,
    /// The default value, normalized (`#REQUIRED` and `#IMPLIED`: none).
    pub(super) default: Option<String>,
}

/// Non-CDATA normalization: spaces trimmed and runs collapsed to one.
pub(super) fn collapse(value: &str) -> String {
    value
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Dtd {
    /// The internal entity `name`.
    pub(super) fn internal(&self, name: &str) -> Result<&Arc<Replacement>, ErrorKind> {
        match self.entities.get(name) {
            Some(Entity::Internal(entity)) => Ok(entity),
            Some(Entity::External) => Err(ErrorKind::XmlExternalEntity {
                name: name.to_owned(),
            }),
            None => Err(ErrorKind::XmlUndefinedEntity {
                name: name.to_owned(),
            }),
        }
    }

    /// Appends the expansion of entity `name` in an attribute value to
    /// `out`: its replacement text with the references in it expanded in
    /// turn (an explicit stack, not recursion), whitespace characters
    /// turned into spaces (§3.3.3), each byte charged to `budget`. Markup
    /// (`<`) is refused (§3.1). In content, entities are expanded by the
    /// parser instead (`XmlParser::entity_content`), markup included.
    ///
    /// Never inlined: its only caller, `attributes::reference`, runs for
    /// every reference in an attribute value, and most (`&amp;`, `&#N;`)
    /// never get here; inlined, this loop would widen that caller's stack
    /// frame. Whether the compiler inlines it otherwise depends on which
    /// codegen unit the two files land in, so it is said here.
    #[inline(never)]
    pub(super) fn expand_in_attribute(
        &self,
        name: &str,
        out: &mut String,
        budget: &mut Budget,
    ) -> Result<(), ErrorKind> {
        let mut stack: Vec<(&str, &str)> = vec![(name, &self.internal(name)?.text)];
        while let Some((entity, rest)) = stack.pop() {
            let special = |c: char| matches!(c, '&' | '<' | '\t' | '\n' | '\r');
            let cut = rest.find(special).unwrap_or(rest.len());
            budget.take(cut)?;
            out.push_str(&rest[..cut]);
            let tail = &rest[cut..];
            let Some(c) = tail.chars().next() else {
                continue;
            };
            match c {
                '<' => {
                    return Err(ErrorKind::XmlEntityMarkup {
                        name: entity.to_owned(),
                    });
                }
                '&' => {
                    let (end, reference) = replacement_reference(tail)?;
                    stack.push((entity, &tail[end..]));
                    budget.take(1)?;
                    match reference {
                        Ref::Char(ch) => out.push(ch),
                        Ref::Entity(reference) => {
                            if stack.iter().any(|&(open, _)| open == reference) {
                                return Err(ErrorKind::XmlRecursiveEntity {
                                    name: reference.to_owned(),
                                });
                            }
                            stack.push((reference, &self.internal(reference)?.text));
                        }
                    }
                }
                _ => {
                    // Whitespace in an attribute value.
                    budget.take(1)?;
                    out.push(' ');
                    stack.push((entity, &tail[1..]));
                }
            }
        }
        Ok(())
    }

    /// Applies the attribute-list declarations of element `element`:
    /// normalizes attributes declared with a non-CDATA type and appends
    /// defaults for those missing.
    pub(super) fn apply_attlist(
        &self,
        element: &str,
        attrs: &mut Vec<AttrSlot>,
        decoded: &mut String,
        token: &str,
    ) {
        let Some(decls) = self.attlists.get(element) else {
            return;
        };
        for decl in decls {
            let present = attrs
                .iter()
                .position(|a| a.name.get(token, decoded) == decl.name);
            match present {
                Some(k) if !decl.cdata => {
                    let value = collapse(attrs[k].value.get(token, decoded));
                    let start = decoded.len();
                    decoded.push_str(&value);
                    attrs[k].value = Span::decoded(start..decoded.len());
                }
                Some(_) => {}
                None => {
                    let Some(default) = &decl.default else {
                        continue;
                    };
                    let name_start = decoded.len();
                    decoded.push_str(&decl.name);
                    let value_start = decoded.len();
                    decoded.push_str(default);
                    attrs.push(AttrSlot {
                        name: Span::decoded(name_start..value_start),
                        value: Span::decoded(value_start..decoded.len()),
                        ns: NsRef::None,
                    });
                }
            }
        }
    }
}
