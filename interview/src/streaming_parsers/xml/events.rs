//! What the XML parser hands out: [`XmlEvent`] with its borrowed
//! [`StartElement`] and [`Attributes`], and the owned forms.

use std::ops::Range;

use super::{XML_NAMESPACE, XMLNS_NAMESPACE};

/// One XML event. Text borrows from the chunk being fed or from the
/// parser's buffers, so an event lives only as long as the callback call;
/// use [`XmlEvent::to_owned_event`] to keep one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmlEvent<'a> {
    /// The XML declaration `<?xml version="1.0"?>`.
    Declaration {
        /// `1.0` (or another `1.x`).
        version: &'a str,
        /// The declared encoding (always a spelling of UTF-8).
        encoding: Option<&'a str>,
        /// The `standalone` declaration.
        standalone: Option<bool>,
    },
    /// `<!DOCTYPE name ...>`.
    Doctype {
        /// The declared root element name.
        name: &'a str,
        /// The public identifier, if any.
        public_id: Option<&'a str>,
        /// The system identifier (not fetched), if any.
        system_id: Option<&'a str>,
        /// The internal subset as written, between `[` and `]`.
        internal_subset: Option<&'a str>,
    },
    /// A start tag, or the start of an empty-element tag.
    StartElement(StartElement<'a>),
    /// An end tag, or the end of an empty-element tag.
    EndElement {
        /// The qualified name as written.
        name: &'a str,
        /// The namespace URI of its prefix (or the default namespace).
        namespace: Option<&'a str>,
    },
    /// Character data: references expanded, line ends normalized.
    Text(&'a str),
    /// The content of a CDATA section (line ends normalized).
    CData(&'a str),
    /// The content of a comment.
    Comment(&'a str),
    /// `<?target data?>`.
    ProcessingInstruction {
        /// The target name.
        target: &'a str,
        /// Everything after the whitespace that follows the target.
        data: &'a str,
    },
}

/// A start tag: its name, namespace and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartElement<'a> {
    /// The qualified name as written (`prefix:local` or `local`).
    pub name: &'a str,
    /// The namespace URI of its prefix (or the default namespace).
    pub namespace: Option<&'a str>,
    /// The attributes, in document order, then defaulted ones.
    pub attributes: Attributes<'a>,
}

impl<'a> StartElement<'a> {
    /// The name without its prefix.
    pub fn local_name(&self) -> &'a str {
        local_part(self.name)
    }
}

/// The part of a qualified name after its colon.
fn local_part(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

/// The attributes of a start tag, read from the parser's buffers without
/// allocating: iterate them, or look one up by name.
#[derive(Clone, Copy)]
pub struct Attributes<'a> {
    /// The start tag as written, which plain names and values are sliced from.
    pub(super) token: &'a str,
    /// The parser's buffer of decoded values (and defaulted names).
    pub(super) decoded: &'a str,
    /// The parser's buffer of namespace URIs.
    pub(super) namespaces: &'a str,
    /// Where each attribute is.
    pub(super) slots: &'a [AttrSlot],
}

/// One attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attribute<'a> {
    /// The qualified name as written.
    pub name: &'a str,
    /// The namespace URI of its prefix; unprefixed attributes have none.
    pub namespace: Option<&'a str>,
    /// The normalized value, references expanded.
    pub value: &'a str,
}

impl<'a> Attribute<'a> {
    /// The name without its prefix.
    pub fn local_name(&self) -> &'a str {
        local_part(self.name)
    }
}

impl<'a> Attributes<'a> {
    /// How many attributes the tag has.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the tag has none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The value of the attribute with this qualified name.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|a| a.name == name).map(|a| a.value)
    }

    /// The attributes in order.
    pub fn iter(&self) -> AttributeIter<'a> {
        AttributeIter {
            attributes: *self,
            next: 0,
        }
    }

    pub(super) fn attribute(&self, slot: &AttrSlot) -> Attribute<'a> {
        Attribute {
            name: slot.name.get(self.token, self.decoded),
            namespace: slot.ns.get(self.namespaces),
            value: slot.value.get(self.token, self.decoded),
        }
    }
}

impl PartialEq for Attributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Attributes<'_> {}

impl std::fmt::Debug for Attributes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for Attributes<'a> {
    type Item = Attribute<'a>;
    type IntoIter = AttributeIter<'a>;

    fn into_iter(self) -> AttributeIter<'a> {
        self.iter()
    }
}

/// The iterator of [`Attributes::iter`].
#[derive(Debug, Clone)]
pub struct AttributeIter<'a> {
    attributes: Attributes<'a>,
    next: usize,
}

impl<'a> Iterator for AttributeIter<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let slot = self.attributes.slots.get(self.next)?;
        self.next += 1;
        Some(self.attributes.attribute(slot))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.attributes.slots.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for AttributeIter<'_> {}

/// Where an attribute's name or value lies: in the tag as written, or in
/// the parser's buffer of decoded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    pub(super) start: usize,
    pub(super) end: usize,
    /// In the decoded buffer, not in the tag.
    pub(super) decoded: bool,
}

impl Span {
    /// `range` of the tag as written.
    pub(super) fn token(range: Range<usize>) -> Self {
        Span {
            start: range.start,
            end: range.end,
            decoded: false,
        }
    }

    /// `range` of the decoded buffer.
    pub(super) fn decoded(range: Range<usize>) -> Self {
        Span {
            start: range.start,
            end: range.end,
            decoded: true,
        }
    }

    /// The text, from the tag or from the decoded buffer.
    #[inline]
    pub(super) fn get<'a>(&self, token: &'a str, decoded: &'a str) -> &'a str {
        let source = if self.decoded { decoded } else { token };
        source.get(self.start..self.end).unwrap_or_default()
    }

    /// The bytes, without the character-boundary checks of [`Span::get`].
    #[inline]
    pub(super) fn bytes<'a>(&self, token: &'a str, decoded: &'a str) -> &'a [u8] {
        let source = if self.decoded { decoded } else { token };
        source
            .as_bytes()
            .get(self.start..self.end)
            .unwrap_or_default()
    }
}

/// A namespace URI: none, one of the two fixed ones, or a range of the
/// parser's namespace buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NsRef {
    None,
    Xml,
    Xmlns,
    Text(usize, usize),
}

impl NsRef {
    /// The URI, `text` being the parser's namespace buffer.
    #[inline]
    pub(super) fn get<'a>(&self, text: &'a str) -> Option<&'a str> {
        match *self {
            NsRef::None => None,
            NsRef::Xml => Some(XML_NAMESPACE),
            NsRef::Xmlns => Some(XMLNS_NAMESPACE),
            NsRef::Text(start, end) => text.get(start..end),
        }
    }
}

/// One attribute of the current start tag, as the parser keeps it.
#[derive(Debug, Clone, Copy)]
pub(super) struct AttrSlot {
    pub(super) name: Span,
    pub(super) value: Span,
    pub(super) ns: NsRef,
}

/// An [`XmlEvent`] that owns its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OwnedXmlEvent {
    /// See [`XmlEvent::Declaration`].
    Declaration {
        /// The version.
        version: String,
        /// The encoding.
        encoding: Option<String>,
        /// The standalone declaration.
        standalone: Option<bool>,
    },
    /// See [`XmlEvent::Doctype`].
    Doctype {
        /// The root element name.
        name: String,
        /// The public identifier.
        public_id: Option<String>,
        /// The system identifier.
        system_id: Option<String>,
        /// The internal subset as written.
        internal_subset: Option<String>,
    },
    /// See [`XmlEvent::StartElement`].
    StartElement {
        /// The qualified name.
        name: String,
        /// The namespace URI.
        namespace: Option<String>,
        /// The attributes.
        attributes: Vec<OwnedAttribute>,
    },
    /// See [`XmlEvent::EndElement`].
    EndElement {
        /// The qualified name.
        name: String,
        /// The namespace URI.
        namespace: Option<String>,
    },
    /// See [`XmlEvent::Text`].
    Text(String),
    /// See [`XmlEvent::CData`].
    CData(String),
    /// See [`XmlEvent::Comment`].
    Comment(String),
    /// See [`XmlEvent::ProcessingInstruction`].
    ProcessingInstruction {
        /// The target.
        target: String,
        /// The data.
        data: String,
    },
}

/// An [`Attribute`] that owns its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedAttribute {
    /// The qualified name.
    pub name: String,
    /// The namespace URI.
    pub namespace: Option<String>,
    /// The normalized value.
    pub value: String,
}

impl XmlEvent<'_> {
    /// Copies the event's text so it outlives the callback.
    pub fn to_owned_event(&self) -> OwnedXmlEvent {
        let own = |s: Option<&str>| s.map(str::to_owned);
        match *self {
            XmlEvent::Declaration {
                version,
                encoding,
                standalone,
            } => OwnedXmlEvent::Declaration {
                version: version.to_owned(),
                encoding: own(encoding),
                standalone,
            },
            XmlEvent::Doctype {
                name,
                public_id,
                system_id,
                internal_subset,
            } => OwnedXmlEvent::Doctype {
                name: name.to_owned(),
                public_id: own(public_id),
                system_id: own(system_id),
                internal_subset: own(internal_subset),
            },
            XmlEvent::StartElement(e) => OwnedXmlEvent::StartElement {
                name: e.name.to_owned(),
                namespace: own(e.namespace),
                attributes: e
                    .attributes
                    .iter()
                    .map(|a| OwnedAttribute {
                        name: a.name.to_owned(),
                        namespace: own(a.namespace),
                        value: a.value.to_owned(),
                    })
                    .collect(),
            },
            XmlEvent::EndElement { name, namespace } => OwnedXmlEvent::EndElement {
                name: name.to_owned(),
                namespace: own(namespace),
            },
            XmlEvent::Text(t) => OwnedXmlEvent::Text(t.to_owned()),
            XmlEvent::CData(t) => OwnedXmlEvent::CData(t.to_owned()),
            XmlEvent::Comment(t) => OwnedXmlEvent::Comment(t.to_owned()),
            XmlEvent::ProcessingInstruction { target, data } => {
                OwnedXmlEvent::ProcessingInstruction {
                    target: target.to_owned(),
                    data: data.to_owned(),
                }
            }
        }
    }
}
