//! The workload the demo and `benches/lru.rs` run on every cache: `get`,
//! and `put` on a miss, over Zipf-distributed keys. The loop is written
//! once, in [`count_hits`]; each `run_workload*` only says how its cache
//! looks a key up and how it stores one.

use super::cache::LruCache;
use super::sharded::ShardedLruCache;

/// Zipf exponent of the demo and bench workloads: a few hot keys, a long tail.
pub const ZIPF_EXPONENT: f64 = 1.0;

/// The workload on any cache: for each key, `lookup` (true on a hit), and
/// `store` it, mapped to itself, on a miss. Returns the number of hits.
///
/// `cache` is whatever handle the cache is driven through — `&mut` for a
/// single-threaded cache, `&` for a shared one — and both callbacks get it.
pub fn count_hits<C, R>(
    mut cache: C,
    keys: &[u64],
    mut lookup: impl FnMut(&mut C, u64) -> bool,
    mut store: impl FnMut(&mut C, u64) -> R,
) -> u64 {
    let mut hits = 0;
    for &key in keys {
        if lookup(&mut cache, key) {
            hits += 1;
        } else {
            store(&mut cache, key);
        }
    }
    hits
}

/// [`count_hits`] on our [`LruCache`].
pub fn run_workload(cache: &mut LruCache<u64, u64>, keys: &[u64]) -> u64 {
    count_hits(cache, keys, |c, k| c.get(&k).is_some(), |c, k| c.put(k, k))
}

/// [`count_hits`] on the `lru` crate, for comparison.
pub fn run_workload_lru_crate(cache: &mut lru::LruCache<u64, u64>, keys: &[u64]) -> u64 {
    count_hits(cache, keys, |c, k| c.get(&k).is_some(), |c, k| c.put(k, k))
}

/// [`count_hits`] on the sharded cache, callable from many threads at once.
pub fn run_workload_sharded(cache: &ShardedLruCache<u64, u64>, keys: &[u64]) -> u64 {
    count_hits(cache, keys, |c, k| c.get(&k).is_some(), |c, k| c.put(k, k))
}

/// [`count_hits`] on `quick_cache`, for comparison.
pub fn run_workload_quick_cache(cache: &quick_cache::sync::Cache<u64, u64>, keys: &[u64]) -> u64 {
    count_hits(
        cache,
        keys,
        |c, k| c.get(&k).is_some(),
        |c, k| c.insert(k, k),
    )
}

/// Runs `work` on one thread per key stream and sums what they return.
pub fn on_threads<S: AsRef<[u64]> + Sync>(
    streams: &[S],
    work: impl Fn(&[u64]) -> u64 + Sync,
) -> u64 {
    std::thread::scope(|s| {
        let handles: Vec<_> = streams
            .iter()
            .map(|keys| s.spawn(|| work(keys.as_ref())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .sum()
    })
}
