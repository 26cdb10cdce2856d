//! Namespaces (XML Namespaces 1.0): a start tag's declarations, the
//! resolution of its prefixes, and the namespace rules.

use std::ops::Range;

use super::chars::is_name_start;
use super::events::{Attributes, NsRef};
use super::stop::{Step, Stop, fail};
use super::{Binding, XML_NAMESPACE, XMLNS_NAMESPACE, XmlParser};
use crate::streaming_parsers::ErrorKind;

impl XmlParser {
    /// Namespace processing for the start tag in `s` whose name is
    /// `s[name]`: pushes its declarations, resolves the element's and the
    /// attributes' prefixes, checks the namespace rules. Returns the
    /// element's namespace.
    pub(super) fn namespaces(&mut self, s: &str, name: Range<usize>) -> Step<NsRef> {
        let mut any_prefixed = false;
        for k in 0..self.attrs.len() {
            let slot = self.attrs[k];
            let raw = slot.name.bytes(s, &self.attr_text);
            if !raw.starts_with(b"xmlns") || (raw.len() > 5 && raw[5] != b':') {
                any_prefixed |= colon(raw).is_some();
                continue;
            }
            let qname = slot.name.get(s, &self.attr_text);
            let prefix = qname.get(6..).unwrap_or_default();
            let at = if slot.name.decoded {
                0
            } else {
                slot.name.start
            };
            if raw.len() == 6 {
                let reason = "`xmlns:` needs a prefix after the colon";
                return fail(at, ErrorKind::XmlNamespace { reason });
            }
            let uri = slot.value.get(s, &self.attr_text);
            check_declaration(prefix, uri)
                .map_err(|reason| Stop::Error(at, ErrorKind::XmlNamespace { reason }))?;
            self.attrs[k].ns = NsRef::Xmlns;
            if prefix == "xml" {
                continue;
            }
            let p = self.ns_text.len();
            self.ns_text.push_str(prefix);
            let u = self.ns_text.len();
            self.ns_text.push_str(uri);
            let end = self.ns_text.len();
            self.bindings.push(Binding {
                prefix: (p, u),
                uri: (u, end),
            });
            if prefix.is_empty() {
                self.default_ns = if u == end {
                    NsRef::None
                } else {
                    NsRef::Text(u, end)
                };
            }
        }
        let element = if colon(&s.as_bytes()[name.clone()]).is_none() {
            self.default_ns
        } else {
            self.resolve(&s[name.clone()], name.start, true)?
        };
        if !any_prefixed {
            return Ok(element);
        }
        let mut prefixed = 0;
        for k in 0..self.attrs.len() {
            let slot = self.attrs[k];
            if slot.ns == NsRef::Xmlns {
                continue;
            }
            let qname = slot.name.get(s, &self.attr_text);
            let at = if slot.name.decoded {
                0
            } else {
                slot.name.start
            };
            let ns = self.resolve(qname, at, false)?;
            if ns != NsRef::None {
                prefixed += 1;
            }
            self.attrs[k].ns = ns;
        }
        if prefixed > 1 {
            self.check_unique_expanded(s)?;
        }
        Ok(element)
    }

    /// The namespace of a qualified name (elements take the default
    /// namespace, attributes do not).
    fn resolve(&self, qname: &str, at: usize, element: bool) -> Step<NsRef> {
        let Some(c) = colon(qname.as_bytes()) else {
            return Ok(if element {
                self.default_ns
            } else {
                NsRef::None
            });
        };
        let (prefix, local) = (&qname[..c], &qname[c + 1..]);
        let local_ok = colon(local.as_bytes()).is_none()
            && local
                .chars()
                .next()
                .is_some_and(|l| l != ':' && is_name_start(l));
        if prefix.is_empty() || !local_ok {
            let reason =
                "a qualified name is `prefix:local`, with one colon and a name on each side";
            return fail(at, ErrorKind::XmlNamespace { reason });
        }
        match prefix {
            "xml" => Ok(NsRef::Xml),
            "xmlns" => {
                let reason = "the prefix `xmlns` is reserved for namespace declarations";
                fail(at, ErrorKind::XmlNamespace { reason })
            }
            _ => match self.lookup(prefix) {
                Some(ns) => Ok(ns),
                None => fail(
                    at,
                    ErrorKind::XmlUndeclaredPrefix {
                        prefix: prefix.to_owned(),
                    },
                ),
            },
        }
    }

    /// The innermost binding of `prefix` (bound to the empty string: no
    /// namespace).
    fn lookup(&self, prefix: &str) -> Option<NsRef> {
        let text = self.ns_text.as_bytes();
        let binding = self
            .bindings
            .iter()
            .rev()
            .find(|b| text.get(b.prefix.0..b.prefix.1) == Some(prefix.as_bytes()))?;
        Some(if binding.uri.0 == binding.uri.1 {
            NsRef::None
        } else {
            NsRef::Text(binding.uri.0, binding.uri.1)
        })
    }

    /// No two attributes with the same namespace and local name.
    fn check_unique_expanded(&self, s: &str) -> Step<()> {
        let attributes = Attributes {
            token: s,
            decoded: &self.attr_text,
            namespaces: &self.ns_text,
            slots: &self.attrs,
        };
        for (k, slot) in self.attrs.iter().enumerate() {
            let a = attributes.attribute(slot);
            if a.namespace.is_none() || slot.ns == NsRef::Xmlns {
                continue;
            }
            let twin = self.attrs[..k].iter().any(|other| {
                let o = attributes.attribute(other);
                o.namespace == a.namespace && o.local_name() == a.local_name()
            });
            if twin {
                let name = format!("{{{}}}{}", a.namespace.unwrap_or_default(), a.local_name());
                let at = if slot.name.decoded {
                    0
                } else {
                    slot.name.start
                };
                return fail(at, ErrorKind::XmlDuplicateAttribute { name });
            }
        }
        Ok(())
    }
}

/// The namespace rules for `xmlns:prefix="uri"` (`prefix` empty: the
/// default namespace).
fn check_declaration(prefix: &str, uri: &str) -> Result<(), &'static str> {
    if prefix.is_empty() && uri.is_empty() {
        return Ok(());
    }
    if !prefix.is_empty()
        && (prefix.contains(':') || !prefix.chars().next().is_some_and(is_name_start))
    {
        return Err("a namespace prefix is a name without a colon");
    }
    if prefix == "xmlns" {
        return Err("the prefix `xmlns` cannot be declared");
    }
    if prefix == "xml" {
        return if uri == XML_NAMESPACE {
            Ok(())
        } else {
            Err("the prefix `xml` can only be bound to http://www.w3.org/XML/1998/namespace")
        };
    }
    if uri == XML_NAMESPACE {
        return Err("http://www.w3.org/XML/1998/namespace can only be bound to the prefix `xml`");
    }
    if uri == XMLNS_NAMESPACE {
        return Err("http://www.w3.org/2000/xmlns/ cannot be declared as a namespace");
    }
    if !prefix.is_empty() && uri.is_empty() {
        return Err("a prefix cannot be undeclared (`xmlns:p=\"\"` is not allowed in XML 1.0)");
    }
    Ok(())
}

/// The index of the first `:` (a plain loop: names are short).
#[inline]
fn colon(name: &[u8]) -> Option<usize> {
    name.iter().position(|&c| c == b':')
}
