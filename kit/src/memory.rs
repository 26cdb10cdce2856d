//! Peak heap of a stretch of code.
//!
//! A binary that wants heap figures installs the kit's counting allocator,
//! a thin wrapper around the system allocator that keeps two atomic
//! counters (bytes live, and their high-water mark):
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
//! The `mastery` binary and the completeness test do; library tests and
//! benches do not, and [`peak_heap_during`] then says so by returning
//! `None` rather than a made-up zero. The counters are process-wide: other
//! threads allocating at the same time count too, so a figure is exact only
//! when the measured code is the only thing running (as in `mastery run`).

use std::alloc::System;
use std::hint::black_box;

use peakmem_alloc::{PeakMemAlloc, PeakMemAllocTrait};

/// The counting allocator's type.
pub type CountingAlloc = PeakMemAlloc<System>;

/// The kit's counting allocator; see the module docs to install it.
pub static COUNTING: CountingAlloc = PeakMemAlloc::system();

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
}
