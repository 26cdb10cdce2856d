//! Peak and retained heap of a stretch of code.
//!
//! A binary that wants heap figures installs the kit's counting allocator,
//! a thin wrapper around the system allocator that keeps process-wide
//! atomic counters: calls and bytes requested (`stats_alloc`), bytes live
//! and their high-water mark (`peakmem-alloc`). That is four atomic
//! read-modify-writes on every allocation and three on every free, shared
//! by all threads — cheap next to `malloc` itself when one thread
//! allocates, a contended cache line when many do.
//!
//! ```
//! #[global_allocator]
//! static ALLOC: &mastery_kit::memory::CountingAlloc = &mastery_kit::memory::COUNTING;
//!
//! fn main() {
//!     let (buf, peak) = mastery_kit::memory::peak_heap_during(|| vec![7u8; 1 << 20]);
//!     assert_eq!(buf.len(), 1 << 20);
//!     assert!(peak.is_some_and(|bytes| bytes >= 1 << 20));
//! }
//! ```
//!
//! It is two layers of plumbing crates, no `unsafe` here: `peakmem-alloc`
//! keeps the high-water mark, around `stats_alloc`, which counts calls and
//! bytes.
//!
//! The `mastery` binary and the completeness test do; library tests and
//! benches do not, and [`peak_heap_during`] then says so by returning
//! `None` rather than a made-up zero. The counters are process-wide: other
//! threads allocating at the same time count too, so a figure is exact only
//! when the measured code is the only thing running (as in `mastery run`).
//!
//! [`heap_use_during`] gives the pair Python's
//! `tracemalloc.get_traced_memory()` gives — what a scope **retained** when
//! it ended, and its **peak** — both relative to the heap live when it
//! started:
//!
//! ```
//! # #[global_allocator]
//! # static ALLOC: &mastery_kit::memory::CountingAlloc = &mastery_kit::memory::COUNTING;
//! # fn main() {
//! use mastery_kit::memory::heap_use_during;
//!
//! let (kept, used) = heap_use_during(|| {
//!     let scratch = vec![0u64; 10_000];       // 80 000 bytes, freed at the end
//!     let kept: Vec<u64> = Vec::with_capacity(100); // 800 bytes, returned
//!     drop(scratch);
//!     kept
//! });
//! let used = used.expect("the allocator is installed above");
//! assert_eq!(used.retained_bytes, 800);
//! assert!(used.peak_bytes >= 80_800);
//! assert_eq!((used.allocations, used.deallocations), (2, 1));
//! # drop(kept);
//! # }
//! ```
//!
//! It also counts the *number* of allocations, reallocations and frees in
//! the scope (`allocations`, `reallocations`, `deallocations`) and the
//! bytes requested in total (`bytes_allocated`) — what `tracemalloc`'s
//! snapshots attribute per line, `dhat` per call site. Sizes are the sizes
//! asked for (`Layout::size`), not what `malloc` rounds them up to; a
//! `realloc` counts as its growth only, so the moment when a moved buffer's
//! old and new copies coexist is not part of the peak.

use std::alloc::System;
use std::hint::black_box;

use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait};
use stats_alloc::{Region, StatsAlloc};

/// The counting allocator's type: a peak tracker around a call counter
/// around the system allocator.
pub type CountingAlloc = PeakMemAlloc<&'static StatsAlloc<System>>;

/// The call and byte counters inside [`COUNTING`].
static STATS: StatsAlloc<System> = StatsAlloc::system();

/// The kit's counting allocator; see the module docs to install it.
pub static COUNTING: CountingAlloc = PeakMemAlloc::new(&STATS);

/// Whether [`COUNTING`] is this process's global allocator.
pub fn counting_installed() -> bool {
    COUNTING.reset_peak_memory();
    let probe = black_box(vec![0u8; 4096]);
    let seen = COUNTING.get_peak_memory() >= probe.len();
    drop(probe);
    seen
}

/// Runs `work` and returns its result with the most heap it held at once
/// beyond what was live when it started (bytes), or `None` when the counting
/// allocator is not installed.
pub fn peak_heap_during<R>(work: impl FnOnce() -> R) -> (R, Option<usize>) {
    if !counting_installed() {
        return (work(), None);
    }
    COUNTING.reset_peak_memory();
    let result = work();
    (result, Some(COUNTING.get_peak_memory()))
}

/// What a stretch of code did to the heap, by the counting allocator:
/// the pair `tracemalloc.get_traced_memory()` returns, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct HeapUse {
    /// The most it held at once beyond what was live when it started.
    pub peak_bytes: usize,
    /// What it left allocated when it ended (its result, say, or a leak).
    /// Freeing memory that was allocated before the scope lowers the figure;
    /// it stops at 0.
    pub retained_bytes: usize,
    /// Calls to `alloc` (and `alloc_zeroed`).
    pub allocations: usize,
    /// Calls to `realloc`: a growing `Vec` or `String` moving (or growing
    /// in place).
    pub reallocations: usize,
    /// Calls to `dealloc`.
    pub deallocations: usize,
    /// Bytes requested in total: every allocation's size plus every
    /// `realloc`'s growth.
    pub bytes_allocated: usize,
}

// ANCHOR: heap_use_during
/// Runs `work` and returns its result with its [`HeapUse`], or `None` when
/// the counting allocator is not installed.
pub fn heap_use_during<R>(work: impl FnOnce() -> R) -> (R, Option<HeapUse>) {
    if !counting_installed() {
        return (work(), None);
    }
    COUNTING.reset_peak_memory();
    let region = Region::new(&STATS);
    let result = work();
    let peak_bytes = COUNTING.get_peak_memory();
    let calls = region.change();
    let retained_bytes = calls
        .bytes_allocated
        .saturating_sub(calls.bytes_deallocated);
    (
        result,
        Some(HeapUse {
            peak_bytes,
            retained_bytes,
            allocations: calls.allocations,
            reallocations: calls.reallocations,
            deallocations: calls.deallocations,
            bytes_allocated: calls.bytes_allocated,
        }),
    )
}
// ANCHOR_END: heap_use_during

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_allocator_installed_there_is_no_figure() {
        // Library tests run on the system allocator.
        let (sum, peak) = peak_heap_during(|| vec![1u64; 1000].iter().sum::<u64>());
        assert_eq!(sum, 1000);
        assert_eq!(peak, None);
    }

    #[test]
    fn without_the_allocator_there_is_no_heap_use_either() {
        let (len, used) = heap_use_during(|| vec![0u8; 4096].len());
        assert_eq!(len, 4096);
        assert_eq!(used, None);
    }
}
