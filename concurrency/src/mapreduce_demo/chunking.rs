//! Cutting the text into chunks for the engines: at whitespace, so that no
//! word is ever split, and of a size that balances the load.

use std::ops::Range;

// ANCHOR: split_chunks
/// Cuts `text` into chunks of about `target` bytes, each cut placed at an
/// ASCII whitespace byte: a word — a maximal run of non-whitespace — is
/// never split, and (whitespace being ASCII) no cut lands inside a UTF-8
/// character. Chunks may be longer than `target` by one word.
pub fn split_chunks(text: &str, target: usize) -> Vec<&str> {
    split_ranges(text, target)
        .into_iter()
        .map(|r| &text[r])
        .collect()
}
// ANCHOR_END: split_chunks

/// The byte ranges of [`split_chunks`].
pub fn split_ranges(text: &str, target: usize) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let target = target.max(1);
    let mut ranges = Vec::with_capacity(bytes.len() / target + 1);
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + target).min(bytes.len());
        while end < bytes.len() && !bytes[end].is_ascii_whitespace() {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// A chunk size that gives every worker about 64 chunks, between 64 KiB
/// and 1 MiB: when the last chunk is handed out, the other workers are at
/// most one small chunk from done, so little time is lost waiting at the
/// end; and a chunk is large enough that handing it out (an atomic add, a
/// frame on a pipe) costs nothing next to counting it.
pub fn default_chunk_bytes(total_bytes: usize, workers: usize) -> usize {
    (total_bytes / (workers.max(1) * 64)).clamp(64 << 10, 1 << 20)
}
