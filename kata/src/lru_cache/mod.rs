//! # Kata `lru-cache`: an LRU cache with O(1) `get` and `put`
//!
//! The reader implements [`LruKata`] for their own `Lru<K, V>`; the kit
//! runs the same tests it runs on its textbook `SimpleLru`
//! (`interview/lru-cache`): a table of edge cases, each a script of calls
//! with the expected answer of every call ([`script`]), `String` keys, and a
//! property test against the obviously right model — a `Vec` ordered from
//! most to least recently used ([`model`]) — whose shrunk failing case is
//! printed as the calls that reproduce it.
//!
//! Generic tests need the reader's type at every key and value type, so
//! they take a *family* ([`LruFamily`]): `kata_tests!(lru_cache,
//! kata_lru_cache::Lru)` writes one for the reader's `Lru`.

use std::hash::Hash;
use std::num::NonZeroUsize;

use crate::failure::{KataFailure, KitTest};

pub mod ladder;
pub mod model;
pub mod script;

pub use mastery_interview::lru_cache::CapacityError;
use script::{Step, run_script};

/// What the reader implements: a cache of at most `capacity` entries that,
/// when full, evicts the least recently used one. Both `get` and `put`
/// count as a use.
pub trait LruKata<K, V> {
    /// An empty cache holding at most `capacity` entries.
    fn new(capacity: NonZeroUsize) -> Self
    where
        Self: Sized;

    /// The value for `key`, marking `key` most recently used; `None` (and
    /// no change) when absent.
    fn get(&mut self, key: &K) -> Option<&V>;

    /// Inserts `key` as the most recently used entry. Returns what it
    /// displaced: `Some((key, old_value))` when `key` was present, else
    /// `Some(least recently used entry)` when the cache was full, else
    /// `None`.
    fn put(&mut self, key: K, value: V) -> Option<(K, V)>;

    /// Number of entries (never more than the capacity).
    fn len(&self) -> usize;

    /// Whether the cache holds no entry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The reader's cache at any key and value type: `kata_tests!` writes the
/// impl, e.g. `type Of<K: Hash + Eq + Clone, V> = kata_lru_cache::Lru<K, V>;`.
pub trait LruFamily {
    /// The cache for keys `K` and values `V`.
    type Of<K: Hash + Eq + Clone, V>: LruKata<K, V>;
}

/// A capacity for the tests (never 0).
fn cap(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

/// Capacity 1: every new key evicts the previous one.
pub fn capacity_one_keeps_only_the_newest<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    run_script::<F::Of<u8, u32>, _, _>(
        "capacity_one_keeps_only_the_newest",
        cap(1),
        &[
            Put(1, 10, None),
            Len(1),
            Put(2, 20, Some((1, 10))),
            Get(1, None),
            Get(2, Some(20)),
            Len(1),
        ],
    )
}

/// The entry `put` evicts is the least recently used one, in insertion order
/// when nothing is read.
pub fn eviction_reports_the_least_recently_used_entry<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    run_script::<F::Of<u8, u32>, _, _>(
        "eviction_reports_the_least_recently_used_entry",
        cap(3),
        &[
            Put(1, 10, None),
            Put(2, 20, None),
            Put(3, 30, None),
            Put(4, 40, Some((1, 10))),
            Put(5, 50, Some((2, 20))),
            Len(3),
            Get(3, Some(30)),
            Get(1, None),
        ],
    )
}

/// A `get` is a use: the key read survives the next eviction.
pub fn get_refreshes_recency<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    run_script::<F::Of<u8, u32>, _, _>(
        "get_refreshes_recency",
        cap(2),
        &[
            Put(1, 10, None),
            Put(2, 20, None),
            Get(1, Some(10)),
            Put(3, 30, Some((2, 20))),
            Get(2, None),
            Get(1, Some(10)),
            Get(3, Some(30)),
        ],
    )
}

/// `put` of a present key replaces its value, returns the old one, makes it
/// most recently used and does not grow the cache.
pub fn put_of_a_present_key_replaces_and_refreshes<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    run_script::<F::Of<u8, u32>, _, _>(
        "put_of_a_present_key_replaces_and_refreshes",
        cap(2),
        &[
            Put(1, 10, None),
            Put(1, 11, Some((1, 10))),
            Len(1),
            Put(2, 20, None),
            Put(1, 12, Some((1, 11))),
            Len(2),
            Put(3, 30, Some((2, 20))),
            Get(1, Some(12)),
        ],
    )
}

/// A `get` that misses changes nothing: not the length, not the order.
pub fn a_missing_key_changes_nothing<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    run_script::<F::Of<u8, u32>, _, _>(
        "a_missing_key_changes_nothing",
        cap(2),
        &[
            Len(0),
            Get(9, None),
            Len(0),
            Put(1, 10, None),
            Put(2, 20, None),
            Get(9, None),
            Len(2),
            Put(3, 30, Some((1, 10))),
        ],
    )
}

/// Owned keys (`String`): the cache must give back the very key evicted.
pub fn string_keys_come_back_on_eviction<F: LruFamily>() -> Result<(), KataFailure> {
    use Step::*;
    let s = |text: &str| text.to_owned();
    run_script::<F::Of<String, u32>, _, _>(
        "string_keys_come_back_on_eviction",
        cap(2),
        &[
            Put(s("alpha"), 1, None),
            Put(s("beta"), 2, None),
            Get(s("alpha"), Some(1)),
            Put(s("gamma"), 3, Some((s("beta"), 2))),
            Put(s("alpha"), 4, Some((s("alpha"), 1))),
            Put(s("delta"), 5, Some((s("gamma"), 3))),
            Get(s("alpha"), Some(4)),
            Len(2),
        ],
    )
}

/// 250 keys through a cache of 100: each put past the 100th evicts the key
/// put 100 before it, and the last 100 are all there.
pub fn many_keys_evict_in_order<F: LruFamily>() -> Result<(), KataFailure> {
    let mut steps = Vec::new();
    for k in 0..250u32 {
        let evicted = k.checked_sub(100).map(|old| (old, old * 2));
        steps.push(Step::Put(k, k * 2, evicted));
    }
    steps.push(Step::Len(100));
    for k in (150..250u32).rev() {
        steps.push(Step::Get(k, Some(k * 2)));
    }
    steps.push(Step::Get(149, None));
    run_script::<F::Of<u32, u32>, _, _>("many_keys_evict_in_order", cap(100), &steps)
}

pub use ladder::ladder;
pub use model::behaves_like_the_vec_model;

// ANCHOR: kit_tests
/// Every kit test of this kata, for the family `F`: what `run_all` and the
/// kit's own checks run; `kata_tests!` writes the same list as `#[test]`s.
pub fn tests<F: LruFamily>() -> Vec<KitTest> {
    crate::__kata_lru_cache!(table, F)
}

/// The list of kit tests, written once: `table` builds [`tests`], `tests`
/// writes the `#[test]` functions in the reader's crate.
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_lru_cache {
    ($mode:ident, $family:ty) => {
        $crate::__kata_emit! {$mode, lru_cache, $family;
            capacity_one_keeps_only_the_newest,
            eviction_reports_the_least_recently_used_entry,
            get_refreshes_recency,
            put_of_a_present_key_replaces_and_refreshes,
            a_missing_key_changes_nothing,
            string_keys_come_back_on_eviction,
            many_keys_evict_in_order,
            behaves_like_the_vec_model,
        }
    };
}
// ANCHOR_END: kit_tests
