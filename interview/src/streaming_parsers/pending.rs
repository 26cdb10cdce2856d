//! The buffer of a token cut by chunk boundaries: each parser's `pending`.
//!
//! A token that starts in one chunk and ends in a later one is collected
//! here, chunk by chunk, and parsed whole once its end arrives. Each byte
//! is copied in once; the work meter ([`work`](super::work)) is charged
//! for the copy and for what growing the buffer may copy again.

use super::work;

/// Starts `pending` over with `bytes`, the start of a token cut by the end
/// of the chunk being fed.
pub(crate) fn restart(pending: &mut Vec<u8>, bytes: &[u8]) {
    pending.clear();
    extend(pending, bytes);
}

/// Appends `bytes`, the next part of the token in `pending`.
pub(crate) fn extend(pending: &mut Vec<u8>, bytes: &[u8]) {
    if pending.capacity() - pending.len() < bytes.len() {
        // Moving to a larger allocation may copy what is there.
        work::charge(pending.len());
    }
    work::charge(bytes.len());
    pending.extend_from_slice(bytes);
}
