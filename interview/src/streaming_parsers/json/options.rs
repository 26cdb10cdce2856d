//! [`JsonOptions`]: what a [`JsonParser`](super::JsonParser) accepts.

/// How a [`JsonParser`](super::JsonParser) reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    /// The deepest nesting of arrays and objects accepted; one more is
    /// [`ErrorKind::TooDeep`]. Memory for the stack grows with the actual
    /// depth, one byte per level.
    ///
    /// [`ErrorKind::TooDeep`]: crate::streaming_parsers::ErrorKind::TooDeep
    pub max_depth: usize,
    /// Accept any number of top-level values separated by whitespace (JSON
    /// Lines, concatenated JSON), each followed by [`JsonEvent::EndOfValue`].
    /// Off: exactly one value, and anything after it is an error.
    ///
    /// [`JsonEvent::EndOfValue`]: super::JsonEvent::EndOfValue
    pub multi_value: bool,
    /// Skip a UTF-8 byte order mark (`EF BB BF`) at the very start, which
    /// RFC 8259 §8.1 allows a parser to ignore. Off: it is an error.
    pub skip_bom: bool,
}

impl JsonOptions {
    /// The default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 1024;

    /// One document, BOM skipped, nesting limit 1024.
    pub const fn new() -> Self {
        JsonOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            multi_value: false,
            skip_bom: true,
        }
    }

    /// Many values separated by whitespace: JSON Lines / concatenated JSON.
    pub const fn json_lines() -> Self {
        JsonOptions {
            multi_value: true,
            ..Self::new()
        }
    }
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self::new()
    }
}
