//! Engine 2 as it runs in production: rayon with one table per thread.
//! The textbook `fold`/`reduce` version is the core in `mod.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::chunking::split_chunks;
use super::counts::WordCounts;

// ANCHOR: count_rayon
/// Engine 2: rayon on the current thread pool, one table per thread.
/// The text is cut into chunks of about `chunk_bytes` at whitespace;
/// `rayon::broadcast` runs one task on every thread of the pool, each task
/// takes the next chunk from a shared counter until none are left
/// (dynamic load balancing: a thread slowed down takes fewer chunks) and
/// counts into its own table; the tables are merged pairwise at the end.
///
/// Why not the textbook [`count_rayon_fold`](super::count_rayon_fold)?
/// `fold` starts a fresh table per *piece* of rayon's splitting, not per
/// thread, and each fresh table must learn the whole vocabulary again —
/// tens of thousands of inserts and allocations — before it merely counts,
/// then be merged. When the accumulator is that expensive to build, make
/// one per thread. The benchmark `cargo bench -p mastery-concurrency
/// --bench mapreduce` runs both (`ours/rayon-table-per-thread`,
/// `ours/rayon-fold-reduce`).
pub fn count_rayon(text: &str, chunk_bytes: usize) -> WordCounts {
    let chunks = split_chunks(text, chunk_bytes);
    let next = AtomicUsize::new(0);
    let tables = rayon::broadcast(|_| {
        let mut counts = WordCounts::new();
        while let Some(chunk) = chunks.get(next.fetch_add(1, Ordering::Relaxed)) {
            counts.tally(chunk);
        }
        counts
    });
    tables
        .into_iter()
        .reduce(WordCounts::merged)
        .unwrap_or_default()
}
// ANCHOR_END: count_rayon

/// [`count_rayon`] on a pool of its own with `threads` threads.
///
/// # Errors
/// When rayon cannot start the threads.
pub fn count_rayon_on(
    text: &str,
    chunk_bytes: usize,
    threads: usize,
) -> Result<WordCounts, rayon::ThreadPoolBuildError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(|i| format!("wordcount-{i}"))
        .build()?;
    Ok(pool.install(|| count_rayon(text, chunk_bytes)))
}
