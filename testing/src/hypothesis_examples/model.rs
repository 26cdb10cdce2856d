//! The model-based test: the interview crate's [`LruCache`] against a `Vec`
//! kept in recency order, on any sequence of operations — and the second
//! planted bug, an LRU whose `get` forgets to refresh.
//!
//! The same [`Scenario`] comes from a proptest strategy ([`scenario`]) or
//! from raw bytes through `arbitrary` ([`Scenario::from_bytes`]), which is
//! what a `cargo fuzz` target would hand it.

use std::fmt;

use arbitrary::{Arbitrary, Unstructured};
use mastery_interview::lru_cache::LruCache;
use proptest::prelude::*;

/// Keys are drawn from this few, so that operations hit each other.
pub const KEYS: u8 = 6;

/// The largest capacity a scenario asks for.
pub const MAX_CAPACITY: usize = 4;

/// One operation on a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOp {
    /// `get(key)`: the value, and the key becomes most recent.
    Get(u8),
    /// `put(key, value)`: the displaced entry, if any.
    Put(u8, u32),
    /// `remove(key)`: the value it held.
    Remove(u8),
}

/// What an operation returned, comparable between cache and model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// From `get` and `remove`.
    Value(Option<u32>),
    /// From `put`: the entry it displaced.
    Displaced(Option<(u8, u32)>),
}

/// A capacity and the operations to run on a cache of that capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// At least 1.
    pub capacity: usize,
    /// Run in order.
    pub ops: Vec<CacheOp>,
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capacity {}:", self.capacity)?;
        for op in &self.ops {
            match op {
                CacheOp::Get(k) => write!(f, " get({k})")?,
                CacheOp::Put(k, v) => write!(f, " put({k}, {v})")?,
                CacheOp::Remove(k) => write!(f, " remove({k})")?,
            }
        }
        Ok(())
    }
}

/// The proptest strategy: a capacity, then up to 40 operations on a few keys.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    let key = 0..KEYS;
    let op = prop_oneof![
        3 => key.clone().prop_map(CacheOp::Get),
        3 => (key.clone(), 0_u32..100).prop_map(|(k, v)| CacheOp::Put(k, v)),
        1 => key.prop_map(CacheOp::Remove),
    ];
    (1..=MAX_CAPACITY, proptest::collection::vec(op, 0..40))
        .prop_map(|(capacity, ops)| Scenario { capacity, ops })
}

// The same generator for raw bytes: what a coverage-guided fuzzer drives.
impl<'a> Arbitrary<'a> for CacheOp {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let key = u.int_in_range(0..=KEYS - 1)?;
        Ok(match u.int_in_range(0..=6_u8)? {
            0..=2 => CacheOp::Get(key),
            3..=5 => CacheOp::Put(key, u.int_in_range(0..=99)?),
            _ => CacheOp::Remove(key),
        })
    }
}

impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Scenario {
            capacity: u.int_in_range(1..=MAX_CAPACITY)?,
            ops: u.arbitrary()?,
        })
    }
}

impl Scenario {
    /// Reads a scenario out of raw bytes, as a `cargo fuzz` target receives
    /// them: every byte string gives some scenario (a short one ends early).
    ///
    /// # Errors
    /// Only if `arbitrary` itself reports one; short input is not an error.
    pub fn from_bytes(bytes: &[u8]) -> arbitrary::Result<Self> {
        Scenario::arbitrary_take_rest(Unstructured::new(bytes))
    }
}

/// The operations a cache under test answers, keys and values fixed to the
/// scenario's types.
pub trait CacheUnderTest {
    /// `get`, returning a copy of the value.
    fn get(&mut self, key: u8) -> Option<u32>;
    /// `put`, returning the displaced entry.
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)>;
    /// `remove`, returning the value.
    fn remove(&mut self, key: u8) -> Option<u32>;
}

impl CacheUnderTest for LruCache<u8, u32> {
    fn get(&mut self, key: u8) -> Option<u32> {
        LruCache::get(self, &key).copied()
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        LruCache::put(self, key, value)
    }
    fn remove(&mut self, key: u8) -> Option<u32> {
        LruCache::remove(self, &key)
    }
}

/// **Broken on purpose**: an LRU whose `get` forgets to refresh the entry
/// (it answers with `peek`), so a key read often is evicted as if it were
/// never used. Every single answer it gives is right; only the *order* of
/// later evictions is wrong, which is why a model that remembers order
/// catches it and a test of single calls does not. Never use it.
#[derive(Debug)]
pub struct LruCacheBroken(pub LruCache<u8, u32>);

impl CacheUnderTest for LruCacheBroken {
    fn get(&mut self, key: u8) -> Option<u32> {
        self.0.peek(&key).copied()
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        self.0.put(key, value)
    }
    fn remove(&mut self, key: u8) -> Option<u32> {
        self.0.remove(&key)
    }
}

/// The obviously right LRU: entries from most to least recently used, in a
/// `Vec`. O(n) per operation, and too simple to be wrong.
#[derive(Debug, Clone, Default)]
pub struct RecencyModel {
    entries: Vec<(u8, u32)>,
    capacity: usize,
}

impl RecencyModel {
    /// An empty model of a cache of `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        RecencyModel {
            entries: Vec::new(),
            capacity,
        }
    }

    fn take(&mut self, key: u8) -> Option<(u8, u32)> {
        let i = self.entries.iter().position(|&(k, _)| k == key)?;
        Some(self.entries.remove(i))
    }
}

impl CacheUnderTest for RecencyModel {
    fn get(&mut self, key: u8) -> Option<u32> {
        let entry = self.take(key)?;
        self.entries.insert(0, entry);
        Some(entry.1)
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        let displaced = match self.take(key) {
            Some(old) => Some(old),
            None if self.entries.len() >= self.capacity => self.entries.pop(),
            None => None,
        };
        self.entries.insert(0, (key, value));
        displaced
    }
    fn remove(&mut self, key: u8) -> Option<u32> {
        self.take(key).map(|(_, v)| v)
    }
}

impl CacheOp {
    /// Runs the operation on `cache`.
    pub fn apply(self, cache: &mut impl CacheUnderTest) -> Answer {
        match self {
            CacheOp::Get(k) => Answer::Value(cache.get(k)),
            CacheOp::Put(k, v) => Answer::Displaced(cache.put(k, v)),
            CacheOp::Remove(k) => Answer::Value(cache.remove(k)),
        }
    }
}

/// The first operation on which the cache and the model disagreed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation {step} ({op:?}): the cache answered {cache:?}, the model {model:?}")]
pub struct Divergence {
    /// Its index in the scenario (0-based).
    pub step: usize,
    /// The operation.
    pub op: CacheOp,
    /// What the cache under test answered.
    pub cache: Answer,
    /// What the model answered.
    pub model: Answer,
}

// ANCHOR: driver
/// The state-machine driver: runs every operation on a fresh cache from
/// `new_cache` and on a fresh [`RecencyModel`], and stops at the first
/// answer on which they differ.
///
/// # Errors
/// The first [`Divergence`].
pub fn check_against_model<C: CacheUnderTest>(
    scenario: &Scenario,
    new_cache: impl FnOnce(usize) -> C,
) -> Result<(), Divergence> {
    let mut cache = new_cache(scenario.capacity);
    let mut model = RecencyModel::new(scenario.capacity);
    for (step, &op) in scenario.ops.iter().enumerate() {
        let (cache, model) = (op.apply(&mut cache), op.apply(&mut model));
        if cache != model {
            return Err(Divergence {
                step,
                op,
                cache,
                model,
            });
        }
    }
    Ok(())
}
// ANCHOR_END: driver

/// A fresh [`LruCache`] for the driver.
///
/// # Panics
/// Never for a scenario's capacity (at least 1, at most [`MAX_CAPACITY`]).
pub fn new_lru(capacity: usize) -> LruCache<u8, u32> {
    LruCache::new(capacity).expect("a scenario's capacity is between 1 and MAX_CAPACITY")
}

/// A fresh [`LruCacheBroken`] for the driver.
pub fn new_lru_broken(capacity: usize) -> LruCacheBroken {
    LruCacheBroken(new_lru(capacity))
}
