//! The buffer of a token cut by chunk boundaries: each parser's `pending`.
//!
//! A token that starts in one chunk and ends in a later one is collected
//! here, chunk by chunk, and parsed whole once its end arrives, so the
//! buffer must hold the whole token: one huge token costs memory of about
//! its own size. "About" is set here, by how the buffer grows. A `Vec`
//! doubles when full, so a token just past a power of two leaves almost
//! half of it unused — 512 MiB for a 300 MB string. This buffer grows by a
//! quarter instead, so it never holds more than 1.25 times the token. The
//! price is more moves as it grows (a byte is moved about four times in
//! all, where doubling moves it about once), paid on the cold path only and
//! cheap where it counts: a large allocation is remapped, not copied.
//! The work meter ([`work`](super::work)) is charged for each byte copied
//! in and for each move.

use super::work;

/// When `pending` is full it grows by `1 / GROWTH_DIVISOR` of its length
/// (or by what the new bytes need, if more).
const GROWTH_DIVISOR: usize = 4;

/// The least it grows by, so short tokens do not grow a few bytes at a
/// time.
const MIN_GROWTH: usize = 64;

/// Starts `pending` over with `bytes`, the start of a token cut by the end
/// of the chunk being fed.
pub(crate) fn restart(pending: &mut Vec<u8>, bytes: &[u8]) {
    pending.clear();
    extend(pending, bytes);
}

/// Appends `bytes`, the next part of the token in `pending`.
pub(crate) fn extend(pending: &mut Vec<u8>, bytes: &[u8]) {
    if pending.capacity() - pending.len() < bytes.len() {
        grow(pending, bytes.len());
    }
    work::charge(bytes.len());
    pending.extend_from_slice(bytes);
}

/// Makes room for `needed` more bytes: a quarter more than `pending`
/// holds, at least [`MIN_GROWTH`].
#[cold]
#[inline(never)]
fn grow(pending: &mut Vec<u8>, needed: usize) {
    let len = pending.len();
    // Moving to a larger allocation may copy what is there.
    work::charge(len);
    let more = needed.max(len / GROWTH_DIVISOR).max(MIN_GROWTH);
    pending.reserve_exact(more);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_growing_token_never_holds_more_than_a_quarter_extra() {
        let bytes = vec![b'x'; 1 << 16];
        for chunk in [1, 7, 4096, 1 << 16] {
            let mut pending = Vec::new();
            restart(&mut pending, &bytes[..chunk]);
            while pending.len() < 2 << 20 {
                extend(&mut pending, &bytes[..chunk]);
                let len = pending.len();
                let limit = len + len / GROWTH_DIVISOR + MIN_GROWTH;
                assert!(
                    pending.capacity() <= limit,
                    "{chunk}-byte chunks: {} bytes of capacity for {len}",
                    pending.capacity()
                );
            }
        }
    }
}
