//! The budget of entity expansion: how many bytes the entities of a
//! document may still produce ("billion laughs"). Text, attribute values
//! and the DOCTYPE's default values all expand entities, so each takes a
//! [`Budget`] from the parser, charges it, and hands back what it used.

use super::XmlParser;
use crate::streaming_parsers::ErrorKind;

/// How much text entity expansion may still produce.
#[derive(Debug, Clone, Copy)]
pub(super) struct Budget {
    /// Bytes produced so far in the document.
    pub(super) used: usize,
    /// [`XmlOptions::max_entity_expansion`].
    ///
    /// [`XmlOptions::max_entity_expansion`]: super::XmlOptions::max_entity_expansion
    pub(super) limit: usize,
}

impl Budget {
    /// Charges `bytes` of expansion, or fails once over the limit.
    pub(super) fn take(&mut self, bytes: usize) -> Result<(), ErrorKind> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(ErrorKind::XmlEntityExpansionLimit { limit: self.limit });
        }
        Ok(())
    }
}

impl XmlParser {
    /// A budget for the next token: what the document has expanded so far,
    /// against [`XmlOptions::max_entity_expansion`]. A token stores `used`
    /// back into `expanded` only once it is complete, so a token parsed
    /// again after more input is charged once.
    ///
    /// [`XmlOptions::max_entity_expansion`]: super::XmlOptions::max_entity_expansion
    pub(super) fn budget(&self) -> Budget {
        Budget {
            used: self.expanded,
            limit: self.options.max_entity_expansion,
        }
    }
}
