//! A meter of the work the parsers do on the cut-token path, in bytes,
//! that exists only in tests: the proof that a token cut by many chunk
//! boundaries costs O(its length) in total, whatever the chunking.
//!
//! A timed test could not prove it — a quadratic cost hides in the noise
//! until the token is large — so the parsers count instead. Every pass
//! that may touch a cut token's bytes calls [`charge`] with how many bytes
//! it scanned, copied, validated or counted: the scan for where the token
//! ends, the copy into `pending` (and the copy a growing buffer may make),
//! the UTF-8 check, the final parse of the whole token, the line and
//! column count. A test runs one parse under [`charged_by`] and divides by
//! the input's length. In any build but a test one, [`charge`] is empty
//! and compiles to nothing, so the hot paths pay nothing for it.

#[cfg(test)]
use std::cell::Cell;

#[cfg(test)]
thread_local! {
    /// Bytes charged on this thread: each test runs on its own thread, so
    /// parallel tests do not mix their counts.
    static CHARGED: Cell<u64> = const { Cell::new(0) };
}

/// Counts `bytes` bytes of work (scanned, copied, validated or counted).
/// Does nothing outside tests.
#[inline(always)]
pub(crate) fn charge(bytes: usize) {
    #[cfg(test)]
    CHARGED.with(|charged| charged.set(charged.get() + bytes as u64));
    #[cfg(not(test))]
    let _ = bytes;
}

/// Runs `work` and returns its result with the bytes it charged.
#[cfg(test)]
pub(crate) fn charged_by<R>(work: impl FnOnce() -> R) -> (R, u64) {
    let before = CHARGED.with(Cell::get);
    let result = work();
    (result, CHARGED.with(Cell::get) - before)
}
