//! # Memory profiling: `getsizeof` and `tracemalloc` in Rust
//!
//! ## Python idiom
//! `sys.getsizeof(obj)` gives the bytes of one object (not what it points
//! to); `tracemalloc` hooks the allocator and attributes every block to the
//! line that allocated it, with the current and peak traced memory of a
//! stretch of code:
//!
//! ```python
//! import sys, tracemalloc
//! sys.getsizeof([])                   # 56: the list header, no items
//! tracemalloc.start()
//! rows = [str(i) for i in range(100_000)]
//! current, peak = tracemalloc.get_traced_memory()
//! top = tracemalloc.take_snapshot().statistics("lineno")[:3]   # by line
//! ```
//!
//! Every Python value is a heap object with a header, and a `list` grows by
//! about an eighth each time it is full.
//!
//! ## Rust answer
//! - **`size_of::<T>()`** is `getsizeof` at compile time, and it means more:
//!   a Rust value is its fields, stored inline, with no header. A `Vec<T>`
//!   or a `String` is three words (pointer, capacity, length) pointing at
//!   one heap buffer; `&str` and `Box<[T]>` are two (pointer, length) —
//!   [`size_facts`] lists them as the compiler lays them out.
//! - **A counting global allocator** is `tracemalloc`: a thin wrapper around
//!   the system allocator that every allocation of the process goes
//!   through. The kit has one (`mastery_kit::memory`, the `mastery` binary
//!   installs it, the other topics reuse it):
//!   `mastery_kit::memory::heap_use_during(|| work())` returns the work's
//!   result and a `HeapUse { peak_bytes, retained_bytes, .. }` — exactly
//!   `get_traced_memory()` for that scope — plus the calls it made
//!   (`allocations`, `reallocations`, `deallocations`) and the bytes it
//!   requested in total (`bytes_allocated`).
//! - **`dhat`** is the heap profiler: with `#[global_allocator] static A:
//!   dhat::Alloc` and a `dhat::Profiler` it counts every block, keeps the
//!   backtrace of each allocation site, and writes a profile for DHAT's
//!   viewer; `dhat::HeapStats::get()` gives the counts in a test. It cannot
//!   be the `mastery` binary's allocator (the counting one is), so the demo
//!   uses dhat's *ad hoc* mode — events we report, attributed to their
//!   backtraces, written to a profile in a temp dir that
//!   [`DhatSummary::from_json`] reads back — and the integration test
//!   `perf/tests/memory_dhat.rs` installs `dhat::Alloc` for real block
//!   counts.
//! - **Growth is visible without any tool**: `Vec::capacity()` and the
//!   buffer's address tell when a `Vec` reallocated and whether it moved
//!   ([`trace_growth`], the core below). `push` doubles the capacity when
//!   it is full, so the reallocations over `n` pushes copy `4 + 8 + …` up
//!   to the last full capacity, fewer than `2n` elements in all: *on
//!   average* each element is copied once or twice more, depending on
//!   where `n` falls between two doublings. That is amortized O(1) per
//!   push; the one push that reallocates copies everything there is. Not
//!   every reallocation copies: `realloc` may grow the block where it lies,
//!   and glibc grows a large block (one it mapped with `mmap`) with
//!   `mremap`, which moves the pages to a new address without copying their
//!   bytes. A changed address says the buffer moved, not that its bytes
//!   were copied.
//!
//! ```
//! use mastery_perf::memory_profiling::{trace_growth, InlineVec};
//!
//! let pushed = trace_growth(1_000, 0, |_| {});
//! assert_eq!(pushed.capacities, [4, 8, 16, 32, 64, 128, 256, 512, 1024]); // doubling
//! let reserved = trace_growth(1_000, 1_000, |_| {});
//! assert_eq!(reserved.allocations(), 1);
//!
//! let mut small: InlineVec<u32, 4> = InlineVec::new();
//! small.extend([1, 2, 3]);
//! assert!(small.is_inline());            // three items, no heap
//! ```
//!
//! Which number comes from where, in the demo:
//! - *sizes* — `size_of`, the compiler's layout;
//! - *capacities, allocations, moves* — `capacity()` and the buffer's
//!   address, observed after every push;
//! - *peak, retained* — the kit's counting allocator (only when it is
//!   installed; a library test runs without it, and the demo says so);
//! - *sites* — dhat's ad hoc profile;
//! - *CPython* — `sys.getsizeof` run by `python3` in the same run, when
//!   it is installed.
//!
//! ## When to use which
//! - `size_of` for layout questions (and `core/descriptors` for field order
//!   and niches); it never includes the heap a value owns.
//! - The counting allocator for "how much does this scope hold, at most and
//!   at the end" — process-wide (other threads count too), and not free:
//!   every `alloc` does **four** atomic read-modify-writes (sequentially
//!   consistent) on counters the whole process shares — `stats_alloc`'s
//!   call count and byte count, then `peakmem-alloc`'s live-byte count and a
//!   `fetch_max` on its high-water mark; a `dealloc` does three, a growing
//!   `realloc` five. Threads that allocate at once contend for those cache
//!   lines.
//! - dhat when you need *where*: allocation sites by backtrace, block
//!   counts, lifetimes; it is slow (a backtrace per allocation), so run it
//!   in a profiling build or a test, and use `dhat::HeapStats` to assert an
//!   allocation budget in tests. Valgrind's DHAT or `heaptrack` profile an
//!   unmodified binary.
//! - `Vec::with_capacity` when the size is known: one allocation, no copy.
//!   `&str` over `String` when the text already lives somewhere; `Box<[T]>`
//!   (or `Box<str>`) for a collection that will not grow: one word smaller
//!   and no spare capacity. A small-vector (here [`InlineVec`]; the
//!   `smallvec` and `arrayvec` crates) when most collections are tiny:
//!   no allocation until it spills.
//!
//! ## What it costs
//! The demo measures each pair in the run, bytes from the allocator (or
//! from `capacity()` when it is not installed) and time per item:
//! - **`Vec<u64>` against a CPython `list`**: the bytes of an empty one
//!   (`size_of` against `sys.getsizeof`), and how many times each grew
//!   over the same appends;
//! - **`with_capacity` against `Vec::new()` + `push`**: allocation calls,
//!   and the time to fill;
//! - **`Vec<&str>` against `Vec<String>`**: heap held by a word list, and
//!   the time to split a text into it;
//! - **`Box<[u64]>` against `Vec<u64>`**: heap held after growing, and the
//!   size of the handle;
//! - **`InlineVec<u32, 4>` against `Vec<u32>`** for many small lists: heap
//!   held and time to build;
//! - **streaming against collect-then-sum**: the peak of the scope, and
//!   the time.
//!
//! What each choice gives up: a borrow (`&str`) ties the list to the text
//! it points into; a `Box<[T]>` cannot grow; an inline small vector is a
//! bigger value, copied whole when it moves, with a branch on every access;
//! reserving guesses the size up front. The tools cost too: the counting
//! allocator's atomics on every allocation, dhat's backtrace on every
//! allocation, and a `python3` start for the CPython figures.
//!
//! ## Run it
//! `mastery run perf/memory-profiling` (sizes beside CPython's, `Vec`
//! growth against `with_capacity` and against a Python list, a dhat ad hoc
//! profile summarised, `String` vs `&str`, `Box<[T]>` vs `Vec<T>`, small
//! vectors, the peak of a scope — each with its time; `mastery run
//! perf/memory-profiling --deep` runs every section at four to ten times
//! the size, and the byte counts scale with it while the conclusions stay),
//! and
//! `cargo test -p mastery-perf memory` (unit tests, plus the integration
//! tests that install the counting allocator and dhat's allocator so the
//! figures are real).

mod cpython;
mod demo;
mod dhat_profile;
mod inline_vec;
mod sizes;
#[cfg(test)]
mod tests;
mod words;

pub use dhat_profile::{DhatSite, DhatSummary, ProfileError, profile_growth_ad_hoc};
pub use inline_vec::InlineVec;
pub use sizes::{SizeFact, size_facts};
pub use words::{sample_text, words_borrowed, words_owned};

use std::hint::black_box;

// ANCHOR: core
/// How a `Vec<u64>` grew while `pushes` items were pushed, as seen from the
/// outside: `capacity()` and the buffer's address after every push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Growth {
    /// Items pushed.
    pub pushes: usize,
    /// The capacity after each allocation (the first is the initial one
    /// when it was reserved up front).
    pub capacities: Vec<usize>,
    /// Reallocations that moved the buffer to a new address; the others
    /// grew it in place.
    pub moves: usize,
    /// Bytes the buffer held when it moved, summed over those moves: what
    /// copying moves copy. An upper bound on bytes really copied, because a
    /// large block that `realloc` moves with `mremap` changes address with
    /// its pages remapped, not copied.
    pub bytes_copied: usize,
}

impl Growth {
    /// Allocation calls: the first allocation and every reallocation.
    pub fn allocations(&self) -> usize {
        self.capacities.len()
    }

    /// The capacity at the end.
    pub fn final_capacity(&self) -> usize {
        self.capacities.last().copied().unwrap_or(0)
    }

    /// Bytes asked of the allocator over the whole run (each new buffer size).
    pub fn bytes_requested(&self) -> usize {
        self.capacities.iter().sum::<usize>() * size_of::<u64>()
    }

    /// Capacity reserved but never used at the end, in bytes.
    pub fn spare_bytes(&self) -> usize {
        (self.final_capacity() - self.pushes.min(self.final_capacity())) * size_of::<u64>()
    }
}

/// Pushes `pushes` numbers into a `Vec<u64>` created with capacity `reserve`
/// (0 is `Vec::new()`), and reports each allocation to `on_allocation` with
/// its size in bytes as it happens. Returns what it saw.
///
/// `on_allocation` is how the dhat profile attributes each allocation to
/// the strategy that made it; pass `|_| {}` to just watch.
pub fn trace_growth(pushes: usize, reserve: usize, mut on_allocation: impl FnMut(usize)) -> Growth {
    let mut v: Vec<u64> = Vec::with_capacity(reserve);
    let mut growth = Growth {
        pushes,
        ..Growth::default()
    };
    if v.capacity() > 0 {
        growth.capacities.push(v.capacity());
        on_allocation(v.capacity() * size_of::<u64>());
    }
    let mut at = v.as_ptr() as usize;
    for i in 0..pushes {
        let before = v.capacity();
        v.push(i as u64);
        if v.capacity() == before {
            continue;
        }
        let now = v.as_ptr() as usize;
        if before > 0 && now != at {
            growth.moves += 1;
            growth.bytes_copied += before * size_of::<u64>();
        }
        at = now;
        growth.capacities.push(v.capacity());
        on_allocation(v.capacity() * size_of::<u64>());
    }
    black_box(&v);
    growth
}
// ANCHOR_END: core
