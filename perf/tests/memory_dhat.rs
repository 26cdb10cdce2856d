//! dhat's own allocator installed: every allocation counted by dhat, so the
//! block counts the memory-profiling topic talks about are asserted here,
//! and a real heap profile is written and read back.
//!
//! dhat runs one profiler per process and counts every thread, so this file
//! holds a single test.

use std::hint::black_box;

use mastery_perf::memory_profiling::{
    DhatSummary, InlineVec, trace_growth, words_borrowed, words_owned,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Blocks and bytes `work` allocated (reallocations count as blocks, as in
/// dhat's totals), with its result.
fn blocks<R>(work: impl FnOnce() -> R) -> (R, u64, u64) {
    let before = dhat::HeapStats::get();
    let result = work();
    let after = dhat::HeapStats::get();
    (
        result,
        after.total_blocks - before.total_blocks,
        after.total_bytes - before.total_bytes,
    )
}

#[test]
fn memory_dhat_counts_every_allocation_and_writes_a_profile() {
    {
        let _profiler = dhat::Profiler::builder().testing().build();

        // What capacity() observes is what the allocator saw.
        let growth = trace_growth(1_000, 0, |_| {});
        let (pushed, count, bytes) = blocks(|| {
            let mut v = Vec::new();
            for i in 0..1_000u64 {
                v.push(i);
            }
            v
        });
        assert_eq!(pushed.capacity(), growth.final_capacity());
        assert_eq!(count, growth.allocations() as u64, "{growth:?}");
        assert_eq!(bytes, growth.bytes_requested() as u64);
        let (_, count, bytes) = blocks(|| {
            let mut v = Vec::with_capacity(1_000);
            v.extend(0..1_000u64);
            v
        });
        assert_eq!((count, bytes), (1, 8_000));

        // One allocation per owned word, none per borrowed one.
        let text = "one two three four five six seven eight";
        let (borrowed, borrowed_blocks, _) = blocks(|| words_borrowed(text));
        let (owned, owned_blocks, _) = blocks(|| words_owned(text));
        assert_eq!(owned, borrowed);
        assert_eq!(borrowed.len(), 8);
        assert_eq!(
            owned_blocks - borrowed_blocks,
            8,
            "one String buffer per word"
        );

        // Small vectors: four items inline, no block; the fifth spills.
        let (_, inline_blocks, _) = blocks(|| black_box((0..4u32).collect::<InlineVec<u32, 4>>()));
        let (_, vec_blocks, _) = blocks(|| black_box((0..4u32).collect::<Vec<u32>>()));
        let (_, spill_blocks, _) = blocks(|| black_box((0..5u32).collect::<InlineVec<u32, 4>>()));
        assert_eq!((inline_blocks, vec_blocks, spill_blocks), (0, 1, 1));

        // into_boxed_slice is one shrinking reallocation.
        let mut v: Vec<u64> = Vec::with_capacity(1_024);
        v.extend(0..1_000);
        let (boxed, count, _) = blocks(|| v.into_boxed_slice());
        assert_eq!((boxed.len(), count), (1_000, 1));
    }

    // A heap profile, written where we say and read back.
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("dhat-heap.json");
    {
        let _profiler = dhat::Profiler::builder().file_name(&path).build();
        let growth = trace_growth(10_000, 0, |_| {});
        black_box(growth);
    }
    let text = std::fs::read_to_string(&path).expect("dhat wrote the profile");
    let summary = DhatSummary::from_json(&text).expect("a dhat profile");
    assert_eq!(summary.mode, "rust-heap");
    let top = &summary.sites[0];
    assert!(
        top.frame_matching("trace_growth").is_some(),
        "the Vec's growth is the biggest site: {top:?}"
    );
    assert!(top.units >= 8 * 16_384, "{top:?}");
}
