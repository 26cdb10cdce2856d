//! Planted bugs, kept on purpose and named as broken (STYLE: `*_broken`
//! next to the test that catches it). Each is a plausible first attempt
//! with one mistake; `kata/tests/katas.rs` checks that a named kit test
//! fails on it with a message that says what was expected.
//!
//! The LRU ones keep entries in a `Vec`, most recently used first: O(n)
//! per call, which no test times — the bugs are in *what* they answer.

use std::hash::Hash;

use crate::lru_cache::LruFamily;

pub mod batching;
pub mod csv_parser;
pub mod dag_order;
pub mod lru_cache_evicts_the_newest;
pub mod lru_cache_get_does_not_refresh;
pub mod lru_cache_reput_adds_an_entry;
pub mod retry_backoff;
pub mod safe_counters;

macro_rules! lru_family {
    ($family:ident, $module:ident) => {
        /// This broken cache at every key and value type.
        #[derive(Debug)]
        pub struct $family;

        impl LruFamily for $family {
            type Of<K: Hash + Eq + Clone, V> = $module::BrokenLru<K, V>;
        }
    };
}

lru_family!(LruGetDoesNotRefresh, lru_cache_get_does_not_refresh);
lru_family!(LruEvictsTheNewest, lru_cache_evicts_the_newest);
lru_family!(LruReputAddsAnEntry, lru_cache_reput_adds_an_entry);
