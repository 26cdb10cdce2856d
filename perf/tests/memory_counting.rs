//! The kit's counting allocator installed for real, so the scope figures
//! of `mastery_kit::memory` and of the memory-profiling topic are the
//! allocator's own numbers, not estimates.
//!
//! The counters are process-wide, so this file holds a single test: no
//! other test thread allocates while a scope is measured.

use std::hint::black_box;

use mastery_kit::memory::{COUNTING, CountingAlloc, HeapUse, counting_installed, heap_use_during};
use mastery_perf::memory_profiling::{InlineVec, trace_growth, words_borrowed, words_owned};

// ANCHOR: counting_allocator
#[global_allocator]
static ALLOC: &CountingAlloc = &COUNTING;
// ANCHOR_END: counting_allocator

fn used<R>(work: impl FnOnce() -> R) -> (R, HeapUse) {
    let (result, used) = heap_use_during(work);
    (
        result,
        used.expect("the counting allocator is installed above"),
    )
}

#[test]
fn memory_counting_allocator_attributes_heap_to_a_scope() {
    assert!(counting_installed());

    // N boxes: retained is exactly the boxes plus the Vec holding them.
    let (boxes, u) = used(|| (0..1_000u64).map(Box::new).collect::<Vec<_>>());
    assert_eq!(u.retained_bytes, 1_000 * 8 + boxes.capacity() * 8, "{u:?}");
    assert_eq!(u.peak_bytes, u.retained_bytes, "nothing temporary");
    // One call per box, one for the Vec (collect knows the length).
    assert_eq!(
        (u.allocations, u.reallocations, u.deallocations),
        (1_001, 0, 0)
    );
    drop(boxes);

    // A temporary: peak sees it, retained does not (tracemalloc's pair).
    let (len, u) = used(|| black_box(vec![1u8; 1 << 20]).len());
    assert_eq!(len, 1 << 20);
    assert_eq!((u.peak_bytes, u.retained_bytes), (1 << 20, 0));

    // Freeing what was allocated before the scope does not go below zero.
    let old = vec![0u8; 4096];
    let (_, u) = used(move || drop(old));
    assert_eq!((u.peak_bytes, u.retained_bytes), (0, 0));
    assert_eq!((u.allocations, u.deallocations), (0, 1));

    // Vec growth: realloc is counted as growth, so the peak of a push loop
    // is its final capacity, and with_capacity asks for exactly n.
    let (v, u) = used(|| {
        let mut v = Vec::new();
        for i in 0..1_000u64 {
            v.push(i);
        }
        v
    });
    assert_eq!(v.capacity(), 1_024);
    assert_eq!((u.peak_bytes, u.retained_bytes), (8_192, 8_192));
    // Capacity 4, then eight doublings to 1024: one alloc, eight reallocs.
    assert_eq!((u.allocations, u.reallocations), (1, 8));
    assert_eq!(u.bytes_allocated, 8_192);
    let (v, u) = used(|| {
        let mut v = Vec::with_capacity(1_000);
        for i in 0..1_000u64 {
            v.push(i);
        }
        v
    });
    assert_eq!((u.peak_bytes, u.retained_bytes), (8_000, 8_000));
    assert_eq!((u.allocations, u.reallocations), (1, 0));
    drop(v);
    // trace_growth sees the same doubling (and keeps 9 capacities: 72 bytes).
    let (growth, u) = used(|| trace_growth(1_000, 0, |_| {}));
    assert_eq!(growth.final_capacity(), 1_024);
    assert_eq!(u.retained_bytes, growth.capacities.capacity() * 8);

    // Box<[T]> gives the spare capacity back.
    let (boxed, u) = used(|| {
        let mut v: Vec<u64> = Vec::with_capacity(1_024);
        v.extend(0..1_000);
        v.into_boxed_slice()
    });
    assert_eq!((u.peak_bytes, u.retained_bytes), (8_192, 8_000));
    drop(boxed);

    // &str borrows, String copies: the difference is exactly the words'
    // bytes plus the bigger handles.
    let text = "alpha beta gamma delta epsilon";
    let (borrowed, b) = used(|| words_borrowed(text));
    let (owned, o) = used(|| words_owned(text));
    assert_eq!(b.retained_bytes, borrowed.capacity() * 16);
    let word_bytes: usize = owned.iter().map(String::capacity).sum();
    assert_eq!(o.retained_bytes, owned.capacity() * 24 + word_bytes);

    // An inline small vector allocates nothing until it spills.
    let (small, u) = used(|| (0..4u32).collect::<InlineVec<u32, 4>>());
    assert!(small.is_inline());
    assert_eq!(u, HeapUse::default());
    let (spilled, u) = used(|| (0..5u32).collect::<InlineVec<u32, 4>>());
    assert!(!spilled.is_inline());
    assert_eq!(u.retained_bytes, 8 * 4, "spilled to twice the inline room");
}
