//! The `interview/lru-cache` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! eviction order on a tiny cache, ours against the `lru` crate, the ladder
//! from Python to the `lru` crate (`climb.rs`), the sharded cache against
//! `quick_cache` on two threads, and `memoize` on a recursive function.

use std::cell::Cell;

use mastery_kit::{Area, Narrator, Topic, Unit, workload};

use super::climb::{DEEP_STREAM, capacities, stream_length};
use super::{
    CapacityError, LruCache, ShardedLruCache, ZIPF_EXPONENT, climb_ladder, memoize_recursive,
    on_threads, run_workload, run_workload_lru_crate, run_workload_quick_cache,
    run_workload_sharded,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/lru-cache",
        area: Area::Interview,
        rank: 1,
        title: "A custom LRU cache (vs functools.lru_cache)",
        python: "@functools.lru_cache(maxsize=N); an OrderedDict with move_to_end",
        rust: "LruCache<K, V>: slab of index-linked nodes + hashbrown HashTable, safe and O(1); memoize; sharded for threads",
        path: "interview/src/lru_cache/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    eviction_order(n)?;
    versus_lru_crate(n)?;
    climb_ladder(n, None)?;
    sharded_versus_quick_cache(n)?;
    memoized_recursion(n)
}

fn eviction_order(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Eviction order on a cache of capacity 3");
    let mut cache = LruCache::new(3)?;
    let order = |cache: &LruCache<&str, i32>| {
        cache
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(" > ")
    };
    for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
        cache.put(k, v);
    }
    n.show(format!("put a, b, c          recency: {}", order(&cache)));
    cache.get(&"a");
    n.show(format!("get a                recency: {}", order(&cache)));
    let evicted = cache.put("d", 4);
    n.show(format!(
        "put d → evicts {:?}  recency: {}",
        evicted,
        order(&cache)
    ));
    n.say("Reading `a` made it most recent, so `b` — the least recently used — went first.");
    Ok(())
}

/// How many slices a timed sample walks the key stream in. The whole stream
/// runs once first (it warms the cache and checks the hit counts); each
/// timed call then runs the next slice, wrapping around, so the cache stays
/// in the state the stream leaves it in — full, evicting on every miss —
/// while a sample lasts a fraction of a pass. The time per operation is a
/// property of that state, not of the pass length.
const SLICES: usize = 4;

/// `keys` cut into [`SLICES`] equal parts (a remainder shorter than a part
/// is left out of the timing).
fn slices(keys: &[u64]) -> Vec<&[u64]> {
    keys.chunks_exact((keys.len() / SLICES).max(1)).collect()
}

/// A closure that calls `work` on the next of `parts` each time, wrapping
/// around: what a timed sample runs.
fn part_by_part<'p, T, R>(parts: &'p [T], mut work: impl FnMut(&'p T) -> R) -> impl FnMut() -> R {
    let mut next = parts.iter().cycle();
    move || {
        work(
            next.next()
                .expect("the demo's streams hold at least SLICES keys"),
        )
    }
}

fn versus_lru_crate(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Ours vs the `lru` crate: get, and put on a miss, Zipf keys");
    // Half a million keys still overflow the larger cache (it evicts on
    // every miss once full).
    let deep_ops = DEEP_STREAM;
    let ops = stream_length(n.mode());
    for capacity in capacities(n.mode()) {
        let universe = capacity as u64 * 10;
        let keys = workload::zipf_keys(ops, universe, ZIPF_EXPONENT, 42)?;
        let parts = slices(&keys);
        let per_sample = parts[0].len();
        n.say(&format!(
            "capacity {capacity}, a stream of {ops} operations over {universe} distinct keys \
             (Zipf s = {ZIPF_EXPONENT}). Both caches run the whole stream once, which warms \
             them; each timed sample then runs the next {per_sample} operations of it \
             (`--deep` streams {deep_ops})."
        ));
        let mut ours = LruCache::new(capacity)?;
        let mut peer =
            lru::LruCache::new(std::num::NonZeroUsize::new(capacity).ok_or(CapacityError::Zero)?);
        // The warm-up pass doubles as a check: two exact LRUs fed the same
        // keys hit and miss alike.
        let ours_hits = run_workload(&mut ours, &keys);
        let peer_hits = run_workload_lru_crate(&mut peer, &keys);
        anyhow::ensure!(
            ours_hits == peer_hits,
            "both caches are exact LRUs and must hit alike: ours {ours_hits}, lru crate {peer_hits}"
        );
        let hit_ratio = 100.0 * ours_hits as f64 / ops as f64;
        n.record(
            &format!("hit ratio at capacity {capacity} (identical for both)"),
            hit_ratio,
            Unit::Percent,
        );
        n.compare_timed(
            &format!("get/put, capacity {capacity}"),
            per_sample as u64,
            part_by_part(&parts, |keys| run_workload(&mut ours, keys)),
            "lru crate",
            part_by_part(&parts, |keys| run_workload_lru_crate(&mut peer, keys)),
        );
    }
    Ok(())
}

fn sharded_versus_quick_cache(n: &mut Narrator) -> anyhow::Result<()> {
    const THREADS: usize = 2;
    n.section("Sharded cache vs `quick_cache`, 2 threads");
    let capacity = n.mode().pick(1_000, 100_000);
    let deep_ops_per_thread = 500_000;
    let ops_per_thread = n.mode().pick_deep(10_000, 250_000, deep_ops_per_thread);
    let universe = capacity as u64 * 10;
    let streams: Vec<Vec<u64>> = (0..THREADS)
        .map(|t| workload::zipf_keys(ops_per_thread, universe, ZIPF_EXPONENT, 7 + t as u64))
        .collect::<anyhow::Result<_>>()?;
    // Part j of every thread's stream, for the timed samples.
    let per_thread: Vec<Vec<&[u64]>> = streams.iter().map(|keys| slices(keys)).collect();
    let parts: Vec<Vec<&[u64]>> = (0..per_thread[0].len())
        .map(|j| per_thread.iter().map(|thread| thread[j]).collect())
        .collect();
    let per_sample = THREADS * parts[0][0].len();
    n.say(&format!(
        "capacity {capacity}; each of {THREADS} threads runs get-or-put on its own Zipf stream of \
         {ops_per_thread} keys (`--deep`: {deep_ops_per_thread}), once to warm the cache and \
         once to count its hits; each timed sample then runs the next {per_sample} operations \
         of the two streams. quick_cache uses \
         S3-FIFO-style admission rather than LRU, so its hit ratio differs — both are measured."
    ));
    let ours = ShardedLruCache::new(capacity)?;
    let peer: quick_cache::sync::Cache<u64, u64> = quick_cache::sync::Cache::new(capacity);
    let ours_on =
        |streams: &[&[u64]]| on_threads(streams, |keys| run_workload_sharded(&ours, keys));
    let peer_on =
        |streams: &[&[u64]]| on_threads(streams, |keys| run_workload_quick_cache(&peer, keys));
    let whole: Vec<&[u64]> = streams.iter().map(Vec::as_slice).collect();
    let total = (THREADS * ops_per_thread) as f64;
    // First pass warms both caches; the second measures their hit ratio warm.
    ours_on(&whole);
    peer_on(&whole);
    n.compare(
        "hit ratio, warm",
        100.0 * ours_on(&whole) as f64 / total,
        100.0 * peer_on(&whole) as f64 / total,
        "quick_cache",
        Unit::Percent,
    );
    n.compare_timed(
        "get/put, 2 threads",
        per_sample as u64,
        part_by_part(&parts, |part| ours_on(part)),
        "quick_cache",
        part_by_part(&parts, |part| peer_on(part)),
    );
    n.record_count("shards in our cache", ours.shard_count());
    Ok(())
}

fn memoized_recursion(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("memoize: @lru_cache on a recursive function");
    let arg: u64 = n.mode().pick(20, 27);
    let calls = Cell::new(0u64);
    let plain = |arg| fib_counting_calls(arg, &calls);
    let plain_result = plain(arg);
    let plain_calls = calls.get();
    let mut memo = memoize_recursive(
        128,
        |fib, n: u64| if n < 2 { n } else { fib(n - 1) + fib(n - 2) },
    )?;
    let memo_result = memo.call(arg);
    anyhow::ensure!(
        plain_result == memo_result,
        "memoized fib({arg}) = {memo_result}, plain = {plain_result}"
    );
    let info = memo.info();
    n.say(&format!(
        "fib({arg}) = {memo_result}, counted on both paths:"
    ));
    n.record_count(
        &format!("function calls, plain recursion fib({arg})"),
        plain_calls,
    );
    n.record_count(
        &format!("function calls (misses), memoized fib({arg})"),
        info.misses,
    );
    n.record_count(&format!("cache hits, memoized fib({arg})"), info.hits);
    n.compare_timed(
        &format!("fib({arg}), cold cache each call"),
        1,
        || {
            memo.clear();
            memo.call(arg)
        },
        "plain recursion",
        || plain(arg),
    );
    Ok(())
}

/// Plain recursive Fibonacci — exponential, the thing `@lru_cache` fixes —
/// counting its calls in `calls`.
fn fib_counting_calls(n: u64, calls: &Cell<u64>) -> u64 {
    calls.set(calls.get() + 1);
    if n < 2 {
        n
    } else {
        fib_counting_calls(n - 1, calls) + fib_counting_calls(n - 2, calls)
    }
}
