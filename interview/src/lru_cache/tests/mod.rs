//! The LRU topic's tests: behaviour of each part here, the property tests
//! (against a `Vec` model, and `SimpleLru` against `LruCache`) in `model.rs`.

use super::demo::demo;
use super::*;

mod ladder;
mod model;
mod panic_safety;

/// The keys from most to least recently used.
fn keys<K: Clone, V, S>(cache: &LruCache<K, V, S>) -> Vec<K> {
    cache.iter().map(|(k, _)| k.clone()).collect()
}

#[test]
fn capacity_zero_and_too_large_are_errors() {
    assert_eq!(LruCache::<u8, u8>::new(0).err(), Some(CapacityError::Zero));
    assert!(matches!(
        LruCache::<u8, u8>::new(MAX_CAPACITY + 1),
        Err(CapacityError::TooLarge { .. })
    ));
    assert!(CapacityError::Zero.to_string().contains("at least 1"));
    let mut cache = LruCache::<u8, u8>::new(2).expect("valid");
    assert_eq!(cache.resize(0), Err(CapacityError::Zero));
    assert_eq!(
        cache.capacity(),
        2,
        "a refused resize leaves the cache unchanged"
    );
    assert!(ShardedLruCache::<u8, u8>::new(0).is_err());
}

#[test]
fn evicts_least_recently_used_and_reports_it() {
    let mut cache = LruCache::new(3).expect("valid");
    for k in 1..=3 {
        assert_eq!(cache.put(k, k * 10), None);
    }
    assert_eq!(cache.get(&1), Some(&10));
    assert_eq!(cache.put(4, 40), Some((2, 20)));
    assert_eq!(keys(&cache), [4, 1, 3]);
    assert_eq!(cache.peek(&3), Some(&30));
    assert_eq!(keys(&cache), [4, 1, 3], "peek does not touch");
    assert_eq!(cache.put(5, 50), Some((3, 30)));
}

#[test]
fn put_on_existing_key_replaces_and_touches() {
    let mut cache = LruCache::new(2).expect("valid");
    cache.put("a", 1);
    cache.put("b", 2);
    assert_eq!(cache.put("a", 3), Some(("a", 1)));
    assert_eq!(keys(&cache), ["a", "b"]);
    assert_eq!(cache.len(), 2);
}

#[test]
fn get_mut_changes_value_and_recency() {
    let mut cache = LruCache::new(2).expect("valid");
    cache.put(1, String::from("x"));
    cache.put(2, String::from("y"));
    cache.get_mut(&1).expect("present").push('!');
    assert_eq!(cache.pop_lru(), Some((2, "y".to_owned())));
    assert_eq!(cache.peek(&1).map(String::as_str), Some("x!"));
}

#[test]
fn borrowed_lookups_work_for_string_keys() {
    let mut cache = LruCache::new(2).expect("valid");
    cache.put(String::from("key"), 1);
    assert_eq!(cache.get("key"), Some(&1));
    assert!(cache.contains("key"));
    assert_eq!(cache.remove("key"), Some(1));
}

#[test]
fn removing_from_head_middle_and_tail_keeps_links_intact() {
    for victim in [1, 3, 5] {
        let mut cache = LruCache::new(5).expect("valid");
        for k in 1..=5 {
            cache.put(k, k);
        }
        assert_eq!(cache.remove(&victim), Some(victim));
        let expected: Vec<i32> = (1..=5).rev().filter(|&k| k != victim).collect();
        assert_eq!(keys(&cache), expected);
        let backwards: Vec<i32> = cache.iter().rev().map(|(k, _)| *k).collect();
        assert_eq!(
            backwards,
            expected.iter().rev().copied().collect::<Vec<_>>()
        );
        for k in &expected {
            assert_eq!(
                cache.peek(k),
                Some(k),
                "every survivor still found after the slab moved nodes"
            );
        }
        assert_eq!(cache.remove(&victim), None);
    }
}

#[test]
fn resize_evicts_oldest_first_and_clear_resets() {
    let mut cache = LruCache::new(4).expect("valid");
    for k in 1..=4 {
        cache.put(k, ());
    }
    let evicted: Vec<_> = cache
        .resize(2)
        .expect("valid")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(evicted, [1, 2]);
    assert_eq!(keys(&cache), [4, 3]);
    cache.clear();
    assert!(cache.is_empty());
    assert_eq!(cache.iter().next(), None);
    cache.put(9, ());
    assert_eq!(keys(&cache), [9]);
}

#[test]
fn iterator_is_exact_size_and_double_ended() {
    let mut cache = LruCache::new(3).expect("valid");
    for k in 1..=3 {
        cache.put(k, ());
    }
    let mut it = cache.iter();
    assert_eq!(it.len(), 3);
    assert_eq!(it.next().map(|(k, _)| *k), Some(3));
    assert_eq!(it.next_back().map(|(k, _)| *k), Some(1));
    assert_eq!(it.next().map(|(k, _)| *k), Some(2));
    assert_eq!(it.next(), None);
    assert_eq!(it.next_back(), None);
    assert_eq!(format!("{cache:?}"), "{3: (), 2: (), 1: ()}");
}

#[test]
fn memoize_counts_hits_misses_and_evicts() {
    let calls = std::cell::Cell::new(0);
    let mut double = memoize(2, |x: u32| {
        calls.set(calls.get() + 1);
        x * 2
    })
    .expect("valid");
    assert_eq!(double.call(1), 2);
    assert_eq!(double.call(1), 2);
    assert_eq!(double.call(2), 4);
    assert_eq!(double.call(3), 6); // evicts 1
    assert_eq!(double.call(1), 2); // miss again
    assert_eq!(calls.get(), 4);
    assert_eq!(
        double.info(),
        CacheInfo {
            hits: 1,
            misses: 4,
            capacity: 2,
            len: 2
        }
    );
    double.clear();
    assert_eq!(
        double.info(),
        CacheInfo {
            hits: 0,
            misses: 0,
            capacity: 2,
            len: 0
        }
    );
}

#[test]
fn memoized_recursion_computes_each_argument_once() {
    let mut fib = memoize_recursive(
        100,
        |fib, n: u64| if n < 2 { n } else { fib(n - 1) + fib(n - 2) },
    )
    .expect("valid");
    assert_eq!(fib.call(50), 12_586_269_025);
    assert_eq!(fib.info().misses, 51);
    assert_eq!(fib.info().hits, 48);
}

#[test]
fn sharded_cache_is_exact_under_concurrent_disjoint_writers() {
    let cache = ShardedLruCache::with_shards(8_000, 8).expect("valid");
    assert_eq!(cache.shard_count(), 8);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let cache = &cache;
            s.spawn(move || {
                for k in 0..1_000 {
                    assert_eq!(cache.put(t * 10_000 + k, t), None);
                }
            });
        }
    });
    assert_eq!(cache.len(), 4_000);
    for t in 0..4u64 {
        assert_eq!(cache.get(&(t * 10_000 + 999)), Some(t));
    }
    assert_eq!(cache.remove(&0), Some(0));
    assert!(!cache.contains(&0));
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn sharded_cache_never_exceeds_capacity() {
    let cache = ShardedLruCache::with_shards(64, 4).expect("valid");
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let cache = &cache;
            s.spawn(move || {
                for k in 0..10_000 {
                    cache.put(k * 2 + t, k);
                }
            });
        }
    });
    assert!(cache.len() <= cache.capacity());
    assert_eq!(cache.capacity(), 64);
    assert_eq!(
        ShardedLruCache::<u8, u8>::with_shards(3, 100)
            .expect("valid")
            .shard_count(),
        4
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("interview/lru-cache", demo);
    assert!(n.comparison_with("lru crate").is_some());
    assert!(n.comparison_with("quick_cache").is_some());
    assert!(
        n.comparison_with("TableLru").is_some(),
        "the ladder's steps are recorded"
    );
}
