//! Property tests: [`LruCache`] against a `Vec` ordered by recency (the
//! obviously right model), and the readable [`SimpleLru`] against
//! [`LruCache`] (the differential test that keeps the lesson's version and
//! the production one equal).

use proptest::prelude::*;

use super::super::{CapacityError, LruCache, SimpleLru};

/// The reference: a Vec ordered most → least recently used.
#[derive(Debug)]
struct Model {
    entries: Vec<(u8, u32)>,
    capacity: usize,
}

impl Model {
    fn position(&self, k: u8) -> Option<usize> {
        self.entries.iter().position(|(key, _)| *key == k)
    }
    fn touch(&mut self, k: u8) -> Option<u32> {
        let i = self.position(k)?;
        let entry = self.entries.remove(i);
        self.entries.insert(0, entry);
        Some(entry.1)
    }
}

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    GetMut(u8),
    Peek(u8),
    Contains(u8),
    Put(u8, u32),
    PopLru,
    Remove(u8),
    Resize(usize),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn behaves_like_the_vec_model(capacity in 1usize..8, ops in proptest::collection::vec(op(), 0..200)) {
        let mut cache = LruCache::new(capacity).expect("capacity >= 1");
        let mut model = Model { entries: Vec::new(), capacity };
        for op in ops {
            match op {
                Op::Get(k) => prop_assert_eq!(cache.get(&k).copied(), model.touch(k)),
                Op::GetMut(k) => {
                    let ours = cache.get_mut(&k).map(|v| { *v = v.wrapping_add(1); *v });
                    let theirs = model.touch(k).map(|_| { let v = &mut model.entries[0].1; *v = v.wrapping_add(1); *v });
                    prop_assert_eq!(ours, theirs);
                }
                Op::Peek(k) => prop_assert_eq!(cache.peek(&k).copied(), model.position(k).map(|i| model.entries[i].1)),
                Op::Contains(k) => prop_assert_eq!(cache.contains(&k), model.position(k).is_some()),
                Op::Put(k, v) => {
                    let expected = if let Some(i) = model.position(k) {
                        let old = model.entries.remove(i).1;
                        model.entries.insert(0, (k, v));
                        Some((k, old))
                    } else {
                        let evicted = (model.entries.len() == model.capacity).then(|| model.entries.pop()).flatten();
                        model.entries.insert(0, (k, v));
                        evicted
                    };
                    prop_assert_eq!(cache.put(k, v), expected);
                }
                Op::PopLru => prop_assert_eq!(cache.pop_lru(), model.entries.pop()),
                Op::Remove(k) => prop_assert_eq!(cache.remove(&k), model.position(k).map(|i| model.entries.remove(i).1)),
                Op::Resize(c) => {
                    let result = cache.resize(c);
                    if c == 0 {
                        prop_assert_eq!(result, Err(CapacityError::Zero));
                    } else {
                        let mut evicted = Vec::new();
                        while model.entries.len() > c {
                            evicted.extend(model.entries.pop());
                        }
                        model.capacity = c;
                        prop_assert_eq!(result, Ok(evicted));
                    }
                }
                Op::Clear => { cache.clear(); model.entries.clear(); }
            }
            let order: Vec<(u8, u32)> = cache.iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(&order, &model.entries);
            prop_assert_eq!(cache.len(), model.entries.len());
            prop_assert!(cache.len() <= cache.capacity());
        }
    }
}

/// `SimpleLru`'s keys from most to least recently used, by walking its links.
fn simple_order(cache: &SimpleLru<u8, u32>) -> Vec<(u8, u32)> {
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
