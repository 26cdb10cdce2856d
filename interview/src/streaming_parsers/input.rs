//! A chunk and its valid UTF-8 prefix: [`Input`].
//!
//! The parsers hand out `&str`, so every byte they hand out must be checked
//! as UTF-8. Checking each token on its own would call the validator once
//! per token; instead each chunk's longest valid prefix is found once, by
//! `simdutf8` (SIMD chosen at run time, behind a safe API), and every token
//! inside the prefix is then a `&str` slice of it in O(1). Only a token
//! that reaches past the prefix — invalid, or cut by the end of the chunk —
//! is validated on its own.

use super::work;

/// A chunk and its longest valid UTF-8 prefix, checked once per chunk so
/// that every token inside the prefix is a `&str` slice of it in O(1)
/// instead of being validated on its own. A chunk fed as `&str` is known
/// to be text and is not checked again.
pub(crate) struct Input<'c> {
    pub(crate) bytes: &'c [u8],
    pub(crate) text: &'c str,
}

impl<'c> Input<'c> {
    /// `chunk[from..]`, validated unless `known` (the whole chunk as text,
    /// from [`feed_str`](super::PushParser::feed_str)) already covers it.
    pub(crate) fn new(chunk: &'c [u8], known: Option<&'c str>, from: usize) -> Self {
        let bytes = &chunk[from..];
        let text = match known.and_then(|text| text.get(from..)) {
            Some(text) => text,
            None => valid_utf8_prefix(bytes),
        };
        Input { bytes, text }
    }

    /// `bytes[range]` as text, if it lies in the valid prefix (`range` must
    /// start and end at ASCII bytes or the ends of the chunk).
    #[inline(always)]
    pub(crate) fn str(&self, range: std::ops::Range<usize>) -> Option<&'c str> {
        self.text.get(range)
    }

    /// `bytes[range]` as text, validating it unless it lies in the prefix;
    /// `Err` holds the index of its first invalid byte.
    #[inline(always)]
    pub(crate) fn validated(&self, range: std::ops::Range<usize>) -> Result<&'c str, usize> {
        match self.str(range.clone()) {
            Some(text) => Ok(text),
            None => self.validate(range),
        }
    }

    /// The slow path of [`validated`](Self::validated): a token that is
    /// invalid, or cut short by the end of the chunk.
    #[cold]
    fn validate(&self, range: std::ops::Range<usize>) -> Result<&'c str, usize> {
        work::charge(range.len());
        let start = range.start;
        std::str::from_utf8(&self.bytes[range]).map_err(|e| start + e.valid_up_to())
    }
}

/// The longest prefix of `bytes` that is valid UTF-8.
///
/// A chunk is usually valid up to a character cut by its end, so that
/// character is set aside first ([`without_cut_char`]) and the rest checked
/// by `simdutf8`'s `basic` API, the fastest, which only says yes or no.
/// Setting the cut character aside keeps every chunk fed from a file or a
/// socket on that fast path: otherwise most chunks would fail the check.
/// Only a chunk with an invalid sequence takes the `compat` API, which
/// also says where the valid part ends. (`benches/streaming_parsers.rs`,
/// `json/ours-64KiB-chunks` against `json/ours`, shows what chunking costs.)
pub(crate) fn valid_utf8_prefix(bytes: &[u8]) -> &str {
    work::charge(bytes.len());
    let whole = without_cut_char(bytes);
    if let Ok(text) = simdutf8::basic::from_utf8(&bytes[..whole]) {
        return text;
    }
    work::charge(bytes.len());
    match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => simdutf8::basic::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

/// The length of `bytes` without a multi-byte character that the end cuts
/// short: a lead byte in the last three bytes whose sequence needs more
/// bytes than are left. Anything else is left for the validator to judge.
fn without_cut_char(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 == 0x80 {
            continue; // a continuation byte: look further back
        }
        let needs = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needs > back { n - back } else { n };
    }
    n
}

/// The UTF-8 byte order mark, `U+FEFF` encoded.
pub(crate) const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A parser's progress through a byte order mark at the very start of its
/// input, which may itself be cut by a chunk boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bom {
    /// Still matching; how many bytes of [`BOM`] so far.
    Looking(u8),
    /// Skipped, absent, or not looked for.
    Done,
}
