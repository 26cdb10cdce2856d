//! Ours vs the crates people reach for, on the demo's workload: `get`, and
//! `put` on a miss, over Zipf-distributed keys (s = 1.0, 10× more distinct
//! keys than capacity).
//!
//! - `lru-zipf/{ours/lru, peer/lru-crate}/<capacity>` — single thread, warm caches.
//! - `lru-zipf/ladder/{vecdeque, simple, simple-foldhash, table}/<capacity>` —
//!   the rungs between the textbook and `LruCache`, as the demo's ladder
//!   names them (`vecdeque`, O(n) per hit, at the small capacity only).
//! - `lru-sharded-2-threads/{ours/sharded, peer/quick_cache}` — two threads
//!   sharing one cache, each on its own key stream.
//!
//! Run: `cargo bench -p mastery-interview --bench lru`.

use std::hint::black_box;
use std::num::NonZeroUsize;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mastery_interview::lru_cache::{
    LruCache, ShardedLruCache, SimpleLru, TableLru, VecDequeLru, ZIPF_EXPONENT, count_hits,
    on_threads, run_workload, run_workload_lru_crate, run_workload_quick_cache,
    run_workload_sharded,
};
use mastery_kit::workload::zipf_keys;

const OPS: usize = 200_000;

fn single_thread(c: &mut Criterion) {
    let mut group = c.benchmark_group("lru-zipf");
    group.throughput(Throughput::Elements(OPS as u64));
    for capacity in [1_000usize, 100_000] {
        let keys =
            zipf_keys(OPS, capacity as u64 * 10, ZIPF_EXPONENT, 42).expect("valid zipf parameters");
        let mut ours = LruCache::new(capacity).expect("capacity >= 1");
        let mut peer = lru::LruCache::new(NonZeroUsize::new(capacity).expect("capacity >= 1"));
        // Warm both, and check they agree: both are exact LRUs.
        for _ in 0..3 {
            assert_eq!(
                run_workload(&mut ours, &keys),
                run_workload_lru_crate(&mut peer, &keys)
            );
        }
        group.bench_function(BenchmarkId::new("ours/lru", capacity), |b| {
            b.iter(|| run_workload(&mut ours, black_box(&keys)))
        });
        group.bench_function(BenchmarkId::new("peer/lru-crate", capacity), |b| {
            b.iter(|| run_workload_lru_crate(&mut peer, black_box(&keys)))
        });
        let fresh = &mut LruCache::new(capacity).expect("capacity >= 1");
        ladder(&mut group, capacity, &keys, run_workload(fresh, &keys));
    }
    group.finish();
}

/// The ladder's Rust rungs on the same keys, each warmed by one pass that
/// must hit as often as a fresh `LruCache`'s first pass (`expected`): all
/// are exact LRUs.
fn ladder(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    capacity: usize,
    keys: &[u64],
    expected: u64,
) {
    let mut bench = |name: &str, run: &mut dyn FnMut(&[u64]) -> u64| {
        assert_eq!(run(keys), expected, "{name} is an exact LRU");
        group.bench_function(BenchmarkId::new(name, capacity), |b| {
            b.iter(|| run(black_box(keys)))
        });
    };
    if capacity <= 1_000 {
        let mut cache = VecDequeLru::new(capacity).expect("capacity >= 1");
        bench("ladder/vecdeque", &mut |keys| {
            count_hits(
                &mut cache,
                keys,
                |c, k| c.get(&k).is_some(),
                |c, k| c.put(k, k),
            )
        });
    }
    let mut cache = SimpleLru::new(capacity).expect("capacity >= 1");
    bench("ladder/simple", &mut |keys| {
        count_hits(
            &mut cache,
            keys,
            |c, k| c.get(&k).is_some(),
            |c, k| c.put(k, k),
        )
    });
    let mut cache = SimpleLru::with_hasher(capacity, hashbrown::DefaultHashBuilder::default())
        .expect("capacity >= 1");
    bench("ladder/simple-foldhash", &mut |keys| {
        count_hits(
            &mut cache,
            keys,
            |c, k| c.get(&k).is_some(),
            |c, k| c.put(k, k),
        )
    });
    let mut cache = TableLru::new(capacity).expect("capacity >= 1");
    bench("ladder/table", &mut |keys| {
        count_hits(
            &mut cache,
            keys,
            |c, k| c.get(&k).is_some(),
            |c, k| c.put(k, k),
        )
    });
}

fn two_threads(c: &mut Criterion) {
    let capacity = 100_000usize;
    let streams: Vec<Vec<u64>> = (0..2)
        .map(|t| {
            zipf_keys(OPS, capacity as u64 * 10, ZIPF_EXPONENT, 7 + t)
                .expect("valid zipf parameters")
        })
        .collect();
    let ours = ShardedLruCache::new(capacity).expect("capacity >= 1");
    let peer = quick_cache::sync::Cache::new(capacity);
    on_threads(&streams, |keys| run_workload_sharded(&ours, keys));
    on_threads(&streams, |keys| run_workload_quick_cache(&peer, keys));

    let mut group = c.benchmark_group("lru-sharded-2-threads");
    group.throughput(Throughput::Elements(2 * OPS as u64));
    group.bench_function("ours/sharded", |b| {
        b.iter(|| on_threads(&streams, |keys| run_workload_sharded(&ours, keys)))
    });
    group.bench_function("peer/quick_cache", |b| {
        b.iter(|| on_threads(&streams, |keys| run_workload_quick_cache(&peer, keys)))
    });
    group.finish();
}

criterion_group!(benches, single_thread, two_threads);
criterion_main!(benches);
