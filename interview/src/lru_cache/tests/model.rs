//! Property tests: [`LruCache`] against a `Vec` ordered by recency (the
//! obviously right model), and the readable [`SimpleLru`] against
//! [`LruCache`] (the differential test that keeps the lesson's version and
//! the production one equal).

use std::hash::Hash;

use proptest::prelude::*;

use super::super::{CapacityError, LruCache, SimpleLru, TableLru, VecDequeLru};

/// The reference: a Vec ordered most → least recently used.
#[derive(Debug)]
pub(super) struct Model {
    pub(super) entries: Vec<(u8, u32)>,
    capacity: usize,
}

impl Model {
    pub(super) fn new(capacity: usize) -> Self {
        Model {
            entries: Vec::new(),
            capacity,
        }
    }

    fn position(&self, k: u8) -> Option<usize> {
        self.entries.iter().position(|(key, _)| *key == k)
    }

    /// Moves `k` to the front; its value.
    fn touch(&mut self, k: u8) -> Option<&mut u32> {
        let i = self.position(k)?;
        let entry = self.entries.remove(i);
        self.entries.insert(0, entry);
        Some(&mut self.entries[0].1)
    }
}

/// A key the model test can run on: the `u8` it stands for, and back.
/// `u8` itself, and in `panic_safety.rs` a key whose `Hash` and `Eq` panic
/// on demand.
pub(super) trait TestKey: Hash + Eq + Clone {
    fn from_id(id: u8) -> Self;
    fn id(&self) -> u8;
}

impl TestKey for u8 {
    fn from_id(id: u8) -> Self {
        id
    }
    fn id(&self) -> u8 {
        *self
    }
}

#[derive(Debug, Clone)]
pub(super) enum Op {
    Get(u8),
    /// `get_mut`, then add 1 to the value.
    GetMut(u8),
    Peek(u8),
    Contains(u8),
    Put(u8, u32),
    PopLru,
    Remove(u8),
    Resize(usize),
    Clear,
}

/// What an operation returned, keys as their `u8`, so that the cache and
/// the model can be compared.
#[derive(Debug, PartialEq)]
pub(super) enum Outcome {
    Value(Option<u32>),
    Contains(bool),
    Entry(Option<(u8, u32)>),
    Resized(Result<Vec<(u8, u32)>, CapacityError>),
    Cleared,
}

impl Op {
    pub(super) fn on_cache<K: TestKey>(&self, cache: &mut LruCache<K, u32>) -> Outcome {
        let entry = |(k, v): (K, u32)| (k.id(), v);
        match *self {
            Op::Get(k) => Outcome::Value(cache.get(&K::from_id(k)).copied()),
            Op::GetMut(k) => Outcome::Value(cache.get_mut(&K::from_id(k)).map(|v| {
                *v = v.wrapping_add(1);
                *v
            })),
            Op::Peek(k) => Outcome::Value(cache.peek(&K::from_id(k)).copied()),
            Op::Contains(k) => Outcome::Contains(cache.contains(&K::from_id(k))),
            Op::Put(k, v) => Outcome::Entry(cache.put(K::from_id(k), v).map(entry)),
            Op::PopLru => Outcome::Entry(cache.pop_lru().map(entry)),
            Op::Remove(k) => Outcome::Value(cache.remove(&K::from_id(k))),
            Op::Resize(c) => Outcome::Resized(
                cache
                    .resize(c)
                    .map(|evicted| evicted.into_iter().map(entry).collect()),
            ),
            Op::Clear => {
                cache.clear();
                Outcome::Cleared
            }
        }
    }

    pub(super) fn on_model(&self, model: &mut Model) -> Outcome {
        match *self {
            Op::Get(k) => Outcome::Value(model.touch(k).copied()),
            Op::GetMut(k) => Outcome::Value(model.touch(k).map(|v| {
                *v = v.wrapping_add(1);
                *v
            })),
            Op::Peek(k) => Outcome::Value(model.position(k).map(|i| model.entries[i].1)),
            Op::Contains(k) => Outcome::Contains(model.position(k).is_some()),
            Op::Put(k, v) => {
                let displaced = match model.position(k) {
                    Some(i) => Some((k, model.entries.remove(i).1)),
                    None if model.entries.len() == model.capacity => model.entries.pop(),
                    None => None,
                };
                model.entries.insert(0, (k, v));
                Outcome::Entry(displaced)
            }
            Op::PopLru => Outcome::Entry(model.entries.pop()),
            Op::Remove(k) => Outcome::Value(model.position(k).map(|i| model.entries.remove(i).1)),
            Op::Resize(0) => Outcome::Resized(Err(CapacityError::Zero)),
            Op::Resize(c) => {
                let keep = model.entries.len().min(c);
                let evicted = model.entries.split_off(keep).into_iter().rev().collect();
                model.capacity = c;
                Outcome::Resized(Ok(evicted))
            }
            Op::Clear => {
                model.entries.clear();
                Outcome::Cleared
            }
        }
    }
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..12;
    prop_oneof![
        4 => key.clone().prop_map(Op::Get),
        1 => key.clone().prop_map(Op::GetMut),
        1 => key.clone().prop_map(Op::Peek),
        1 => key.clone().prop_map(Op::Contains),
        6 => (key.clone(), any::<u32>()).prop_map(|(k, v)| Op::Put(k, v)),
        1 => Just(Op::PopLru),
        2 => key.prop_map(Op::Remove),
        1 => (0usize..8).prop_map(Op::Resize),
        1 => Just(Op::Clear),
    ]
}

/// The cache's entries from most to least recently used, keys as `u8`.
pub(super) fn order<K: TestKey>(cache: &LruCache<K, u32>) -> Vec<(u8, u32)> {
    cache.iter().map(|(k, v)| (k.id(), *v)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn behaves_like_the_vec_model(capacity in 1usize..8, ops in proptest::collection::vec(op(), 0..200)) {
        let mut cache = LruCache::<u8, u32>::new(capacity).expect("capacity >= 1");
        let mut model = Model::new(capacity);
        for op in ops {
            prop_assert_eq!(op.on_cache(&mut cache), op.on_model(&mut model), "{:?}", op);
            prop_assert_eq!(order(&cache), model.entries.clone());
            prop_assert!(cache.len() <= cache.capacity());
            prop_assert_eq!(cache.check_invariants(), Ok(()));
        }
    }
}

/// `SimpleLru`'s keys from most to least recently used, by walking its links.
fn simple_order<S: std::hash::BuildHasher>(cache: &SimpleLru<u8, u32, S>) -> Vec<(u8, u32)> {
    let mut order = Vec::with_capacity(cache.len());
    let mut slot = cache.head;
    while slot != super::super::END {
        let entry = &cache.slots[slot];
        order.push((entry.key, entry.value));
        slot = entry.next;
    }
    order
}

#[derive(Debug, Clone)]
enum GetPut {
    Get(u8),
    Put(u8, u32),
}

fn get_put() -> impl Strategy<Value = GetPut> {
    let key = 0u8..12;
    prop_oneof![
        key.clone().prop_map(GetPut::Get),
        (key, any::<u32>()).prop_map(|(k, v)| GetPut::Put(k, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The lesson's `SimpleLru` and the production `LruCache` answer every
    /// `get` and `put` alike and keep the same recency order.
    #[test]
    fn simple_lru_agrees_with_lru_cache(capacity in 1usize..8, ops in proptest::collection::vec(get_put(), 0..200)) {
        let mut simple = SimpleLru::new(capacity).expect("capacity >= 1");
        let mut production = LruCache::new(capacity).expect("capacity >= 1");
        for op in ops {
            match op {
                GetPut::Get(k) => prop_assert_eq!(simple.get(&k), production.get(&k)),
                GetPut::Put(k, v) => prop_assert_eq!(simple.put(k, v), production.put(k, v)),
            }
            let production_order: Vec<(u8, u32)> = production.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(simple_order(&simple), production_order);
            prop_assert_eq!(simple.len(), production.len());
        }
    }
}

/// What the ladder's differential test asks of a rung: the two operations
/// the ladder times, and its entries in recency order to compare after each.
trait Rung {
    fn get(&mut self, key: u8) -> Option<u32>;
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)>;
    fn len(&self) -> usize;
    /// Entries from most to least recently used.
    fn recency(&self) -> Vec<(u8, u32)>;
}

impl Rung for VecDequeLru<u8, u32> {
    fn get(&mut self, key: u8) -> Option<u32> {
        VecDequeLru::get(self, &key).copied()
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        VecDequeLru::put(self, key, value)
    }
    fn len(&self) -> usize {
        VecDequeLru::len(self)
    }
    fn recency(&self) -> Vec<(u8, u32)> {
        VecDequeLru::recency(self)
    }
}

impl<S: std::hash::BuildHasher> Rung for SimpleLru<u8, u32, S> {
    fn get(&mut self, key: u8) -> Option<u32> {
        SimpleLru::get(self, &key).copied()
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        SimpleLru::put(self, key, value)
    }
    fn len(&self) -> usize {
        SimpleLru::len(self)
    }
    fn recency(&self) -> Vec<(u8, u32)> {
        simple_order(self)
    }
}

impl Rung for TableLru<u8, u32> {
    fn get(&mut self, key: u8) -> Option<u32> {
        TableLru::get(self, &key).copied()
    }
    fn put(&mut self, key: u8, value: u32) -> Option<(u8, u32)> {
        TableLru::put(self, key, value)
    }
    fn len(&self) -> usize {
        TableLru::len(self)
    }
    fn recency(&self) -> Vec<(u8, u32)> {
        TableLru::recency(self)
    }
}

/// Runs `ops` on `rung` and on an [`LruCache`], failing at the first answer
/// or recency order where they differ.
fn agrees_with_lru_cache(
    name: &str,
    mut rung: impl Rung,
    capacity: usize,
    ops: &[GetPut],
) -> Result<(), TestCaseError> {
    let mut production = LruCache::new(capacity).expect("capacity >= 1");
    for (i, op) in ops.iter().enumerate() {
        match *op {
            GetPut::Get(k) => {
                prop_assert_eq!(
                    rung.get(k),
                    production.get(&k).copied(),
                    "{} at op {}: {:?}",
                    name,
                    i,
                    op
                )
            }
            GetPut::Put(k, v) => {
                prop_assert_eq!(
                    rung.put(k, v),
                    production.put(k, v),
                    "{} at op {}: {:?}",
                    name,
                    i,
                    op
                )
            }
        }
        let production_order: Vec<(u8, u32)> = production.iter().map(|(k, v)| (*k, *v)).collect();
        prop_assert_eq!(
            rung.recency(),
            production_order,
            "{} after op {}: {:?}",
            name,
            i,
            op
        );
        prop_assert_eq!(rung.len(), production.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every rung of the demo's ladder is an exact LRU: it answers every
    /// `get` and `put` as `LruCache` does and keeps the same recency order,
    /// so the ladder times the same work on each.
    #[test]
    fn every_ladder_rung_agrees_with_lru_cache(capacity in 1usize..8, ops in proptest::collection::vec(get_put(), 0..200)) {
        agrees_with_lru_cache("VecDequeLru", VecDequeLru::new(capacity).expect("capacity >= 1"), capacity, &ops)?;
        agrees_with_lru_cache("SimpleLru", SimpleLru::new(capacity).expect("capacity >= 1"), capacity, &ops)?;
        agrees_with_lru_cache(
            "SimpleLru with foldhash",
            SimpleLru::with_hasher(capacity, hashbrown::DefaultHashBuilder::default()).expect("capacity >= 1"),
            capacity,
            &ops,
        )?;
        agrees_with_lru_cache("TableLru", TableLru::new(capacity).expect("capacity >= 1"), capacity, &ops)?;
    }
}
