//! [`XmlOptions`]: the limits and the namespace switch of an
//! [`XmlParser`](super::XmlParser).

/// How an [`XmlParser`](super::XmlParser) reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlOptions {
    /// The deepest element nesting accepted; one more is
    /// [`ErrorKind::TooDeep`](crate::streaming_parsers::ErrorKind::TooDeep).
    pub max_depth: usize,
    /// Process namespaces (XML Namespaces 1.0): resolve prefixes, report
    /// namespace URIs, check the namespace rules. Off: names are plain names.
    pub namespaces: bool,
    /// The most bytes of text entity expansion may produce in one document;
    /// more is [`ErrorKind::XmlEntityExpansionLimit`]. Guards against
    /// "billion laughs" entity bombs.
    ///
    /// [`ErrorKind::XmlEntityExpansionLimit`]: crate::streaming_parsers::ErrorKind::XmlEntityExpansionLimit
    pub max_entity_expansion: usize,
}

impl XmlOptions {
    /// The default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 1024;
    /// The default entity expansion budget: 1 MiB.
    pub const DEFAULT_MAX_ENTITY_EXPANSION: usize = 1 << 20;

    /// Namespaces on, nesting limit 1024, entity budget 1 MiB.
    pub const fn new() -> Self {
        XmlOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            namespaces: true,
            max_entity_expansion: Self::DEFAULT_MAX_ENTITY_EXPANSION,
        }
    }
}

impl Default for XmlOptions {
    fn default() -> Self {
        Self::new()
    }
}
