//! [`LruCache`]: the production cache. The same idea as
//! [`SimpleLru`](super::SimpleLru), with each entry's key stored once, the
//! links in an array of their own ([`RecencyList`]), and a hash table that
//! holds only `u32` slot indices.
//!
//! # When user code runs
//! A key's `Hash` and `Eq` (and the `BuildHasher`) are user code, and user
//! code may panic. The cache calls it only while nothing has changed yet:
//! `Hash` once, on the key passed in, at the start of an operation, and `Eq`
//! while probing the table for it. Everything after that — relinking,
//! evicting, moving an entry, growing the table — works from stored hashes
//! and indices and calls no user code, so it cannot be interrupted halfway.
//! A panic in `Hash` or `Eq` therefore leaves the cache exactly as it was,
//! which is what lets [`ShardedLruCache`](super::ShardedLruCache) keep using
//! a shard whose lock such a panic poisoned. (Values and keys handed back
//! are dropped by the caller; `clear` drops the entries last, after the
//! cache is already empty.)

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};

use hashbrown::{DefaultHashBuilder, HashTable};

use super::list::RecencyList;

/// Why a capacity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// A cache of capacity 0 would evict every entry as it is inserted.
    #[error(
        "an LRU cache needs a capacity of at least 1 (capacity 0 would evict every entry on insert)"
    )]
    Zero,
    /// Nodes are linked by `u32` indices.
    #[error(
        "capacity {requested} exceeds the maximum of {max} entries (nodes are linked by u32 indices)"
    )]
    TooLarge {
        /// What was asked for.
        requested: usize,
        /// The largest capacity supported.
        max: usize,
    },
}

/// The largest capacity an [`LruCache`] supports: slots are `u32` indices,
/// and `u32::MAX` itself marks the end of the recency list.
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

pub(super) fn check_capacity(capacity: usize) -> Result<usize, CapacityError> {
    match capacity {
        0 => Err(CapacityError::Zero),
        c if c > MAX_CAPACITY => Err(CapacityError::TooLarge {
            requested: c,
            max: MAX_CAPACITY,
        }),
        c => Ok(c),
    }
}

// ANCHOR: layout
/// One cached entry: only the key and the value, so that the lookup a hit
/// makes (compare the key, read the value) touches as few bytes as possible.
#[derive(Clone)]
pub(super) struct Node<K, V> {
    pub(super) key: K,
    pub(super) value: V,
}

/// A fixed-capacity map that evicts the least recently used entry; every
/// operation is O(1). See the [module docs](super) for the design.
#[derive(Clone)]
pub struct LruCache<K, V, S = DefaultHashBuilder> {
    /// Indices into `nodes`, found by the hash of the node's key.
    table: HashTable<u32>,
    /// The slab. Dense: `nodes.len()` is the number of entries, and slot `i`
    /// is `nodes[i]` here, `hashes[i]` below and `list.links[i]` in the
    /// recency list.
    nodes: Vec<Node<K, V>>,
    /// The hash of each slot's key, computed once when it was inserted.
    /// Evicting, moving an entry and growing the table need a key's hash;
    /// reading it here instead of hashing the key again means none of them
    /// calls user code (see "When user code runs" above), and a long key is
    /// hashed once. Kept apart from `nodes` so that hits never touch it.
    hashes: Vec<u64>,
    /// The slots from most to least recently used.
    list: RecencyList,
    capacity: usize,
    hasher: S,
}
// ANCHOR_END: layout

impl<K: Hash + Eq, V> LruCache<K, V> {
    /// An empty cache holding at most `capacity` entries.
    ///
    /// # Errors
    /// [`CapacityError::Zero`] for 0, [`CapacityError::TooLarge`] above
    /// [`MAX_CAPACITY`].
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Self::with_hasher(capacity, DefaultHashBuilder::default())
    }
}

impl<K, V, S> LruCache<K, V, S> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The most entries the cache holds before it evicts.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The slab and the recency list, read-only: what [`LruCache::iter`]
    /// walks (`iter.rs`) without being able to change either.
    pub(super) fn slab_and_list(&self) -> (&[Node<K, V>], &RecencyList) {
        (&self.nodes, &self.list)
    }

    /// Removes every entry; the capacity stays.
    pub fn clear(&mut self) {
        self.table.clear();
        self.hashes.clear();
        self.list.clear();
        // Last: dropping the entries runs their `Drop`, and should that
        // panic, the cache is already empty and consistent. (`Vec::clear`
        // sets the length to 0 before it drops anything.)
        self.nodes.clear();
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> LruCache<K, V, S> {
    /// An empty cache using `hasher` for its keys (e.g. a seeded or
    /// DoS-resistant `BuildHasher`).
    ///
    /// # Errors
    /// As [`LruCache::new`].
    pub fn with_hasher(capacity: usize, hasher: S) -> Result<Self, CapacityError> {
        Ok(LruCache {
            table: HashTable::new(),
            nodes: Vec::new(),
            hashes: Vec::new(),
            list: RecencyList::new(),
            capacity: check_capacity(capacity)?,
            hasher,
        })
    }

    /// The value for `key`, marking it most recently used.
    ///
    /// ```
    /// # use mastery_interview::lru_cache::LruCache;
    /// let mut cache = LruCache::new(2)?;
    /// cache.put(1, "one");
    /// cache.put(2, "two");
    /// assert_eq!(cache.get(&1), Some(&"one"));
    /// cache.put(3, "three"); // evicts 2, not the recently read 1
    /// assert!(cache.contains(&1) && !cache.contains(&2));
    /// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
    /// ```
    #[inline]
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.get_hashed(hash, key)
    }

    /// The value for `key`, mutably, marking it most recently used.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = self.find(self.hasher.hash_one(key), key)?;
        self.list.touch(index);
        Some(&mut self.nodes[index as usize].value)
    }

    /// The value for `key` without changing its recency.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = self.find(self.hasher.hash_one(key), key)?;
        Some(&self.nodes[index as usize].value)
    }

    /// Whether `key` is cached, without changing its recency.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.find(self.hasher.hash_one(key), key).is_some()
    }

    /// Inserts `key` as the most recently used entry and returns the entry it
    /// displaced, if any: `(key, old value)` when the key was already cached
    /// (the stored key is kept), or the least recently used entry when the
    /// cache was full.
    ///
    /// ```
    /// # use mastery_interview::lru_cache::LruCache;
    /// let mut cache = LruCache::new(1)?;
    /// assert_eq!(cache.put("k", 1), None);
    /// assert_eq!(cache.put("k", 2), Some(("k", 1)));   // replaced
    /// assert_eq!(cache.put("j", 3), Some(("k", 2)));   // evicted
    /// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
    /// ```
    #[inline]
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        let hash = self.hasher.hash_one(&key);
        self.put_hashed(hash, key, value)
    }

    /// Removes and returns the least recently used entry.
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        if self.nodes.is_empty() {
            return None;
        }
        let index = self.list.tail;
        self.table_remove(index);
        let node = self.remove_node(index);
        Some((node.key, node.value))
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        let nodes = &self.nodes;
        // `Eq` runs while probing; the entry is removed only once found.
        let entry = self
            .table
            .find_entry(hash, |&i| nodes[i as usize].key.borrow() == key)
            .ok()?;
        let (index, _) = entry.remove();
        Some(self.remove_node(index).value)
    }

    /// Changes the capacity; when it shrinks below the number of entries, the
    /// least recently used ones are evicted and returned, oldest first.
    ///
    /// # Errors
    /// As [`LruCache::new`]; the cache is unchanged then.
    pub fn resize(&mut self, capacity: usize) -> Result<Vec<(K, V)>, CapacityError> {
        let capacity = check_capacity(capacity)?;
        let excess = self.len().saturating_sub(capacity);
        let evicted = (0..excess).filter_map(|_| self.pop_lru()).collect();
        self.capacity = capacity;
        self.nodes.shrink_to(capacity);
        self.hashes.shrink_to(capacity);
        self.list.links.shrink_to(capacity);
        Ok(evicted)
    }

    // ANCHOR: get_hashed
    /// `get` with the hash already computed (the sharded cache hashes once to
    /// pick the shard and reuses the hash here).
    #[inline]
    pub(super) fn get_hashed<Q>(&mut self, hash: u64, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(hash, key)?;
        self.list.touch(index);
        Some(&self.nodes[index as usize].value)
    }
    // ANCHOR_END: get_hashed

    // ANCHOR: put_hashed
    /// `put` with the hash already computed.
    #[inline]
    pub(super) fn put_hashed(&mut self, hash: u64, key: K, value: V) -> Option<(K, V)> {
        // The last call into user code (`Eq`): from here on the cache
        // changes, and only its own code runs.
        if let Some(index) = self.find(hash, &key) {
            self.list.touch(index);
            let old = std::mem::replace(&mut self.nodes[index as usize].value, value);
            return Some((key, old));
        }
        if self.nodes.len() < self.capacity {
            let index =
                u32::try_from(self.nodes.len()).expect("len < capacity <= MAX_CAPACITY fits u32");
            self.nodes.push(Node { key, value });
            self.hashes.push(hash);
            self.table_insert(hash, index);
            self.list.push_new_front(index);
            return None;
        }
        // Full: recycle the least recently used node for the new entry, so
        // the steady state of a busy cache allocates nothing.
        let index = self.list.tail;
        self.table_remove(index);
        let node = &mut self.nodes[index as usize];
        let old_key = std::mem::replace(&mut node.key, key);
        let old_value = std::mem::replace(&mut node.value, value);
        self.hashes[index as usize] = hash;
        self.table_insert(hash, index);
        self.list.touch(index);
        Some((old_key, old_value))
    }
    // ANCHOR_END: put_hashed

    #[inline]
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let nodes = &self.nodes;
        self.table
            .find(hash, |&i| nodes[i as usize].key.borrow() == key)
            .copied()
    }

    /// Adds the table entry for slot `index`. When the table grows, it
    /// re-places every entry by its stored hash: no key is hashed again.
    fn table_insert(&mut self, hash: u64, index: u32) {
        let hashes = &self.hashes;
        self.table
            .insert_unique(hash, index, |&i| hashes[i as usize]);
    }

    /// Removes the table entry pointing at slot `index`, found by its stored
    /// hash and matched by index, so no key is hashed or compared.
    fn table_remove(&mut self, index: u32) {
        let hash = self.hashes[index as usize];
        match self.table.find_entry(hash, |&i| i == index) {
            Ok(entry) => {
                entry.remove();
            }
            Err(_) => unreachable!("every live slot has exactly one table entry"),
        }
    }

    /// Unlinks slot `index` (whose table entry is already gone) and removes
    /// it from the slab by `swap_remove`: the last slot moves into `index`,
    /// and its neighbours and table entry are re-pointed at its new place.
    fn remove_node(&mut self, index: u32) -> Node<K, V> {
        self.list.unlink(index);
        let last = u32::try_from(self.nodes.len() - 1).expect("slab indices fit u32");
        if last != index {
            let hash = self.hashes[last as usize];
            match self.table.find_entry(hash, |&i| i == last) {
                Ok(mut entry) => *entry.get_mut() = index,
                Err(_) => unreachable!("every live slot has exactly one table entry"),
            }
        }
        self.list.swap_remove(index);
        self.hashes.swap_remove(index as usize);
        self.nodes.swap_remove(index as usize)
    }
}

#[cfg(test)]
impl<K: Hash + Eq, V, S: BuildHasher> LruCache<K, V, S> {
    /// Checks every invariant the cache relies on, naming the first broken
    /// one: the slab, the list and the table agree on the entries; the list
    /// visits each slot once, forwards and backwards; every key is found in
    /// the table, under its hash, at its own slot.
    pub(super) fn check_invariants(&self) -> Result<(), String> {
        use super::list::NIL;
        let len = self.nodes.len();
        if self.list.links.len() != len || self.hashes.len() != len || self.table.len() != len {
            return Err(format!(
                "{len} nodes, {} links, {} hashes, {} table entries",
                self.list.links.len(),
                self.hashes.len(),
                self.table.len()
            ));
        }
        if len > self.capacity {
            return Err(format!("{len} entries over capacity {}", self.capacity));
        }
        let mut seen = vec![false; len];
        let (mut prev, mut slot) = (NIL, self.list.head);
        while slot != NIL {
            let i = slot as usize;
            if i >= len || std::mem::replace(&mut seen[i], true) {
                return Err(format!("the list revisits or leaves the slab at {slot}"));
            }
            if self.list.links[i].prev != prev {
                return Err(format!("slot {slot}'s prev is not {prev}"));
            }
            (prev, slot) = (slot, self.list.links[i].next);
        }
        if prev != self.list.tail || seen.contains(&false) {
            return Err("the list does not end at the tail or misses a slot".to_owned());
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let hash = self.hasher.hash_one(&node.key);
            if self.hashes[i] != hash {
                return Err(format!("slot {i}'s stored hash is not its key's hash"));
            }
            if self.table.find(hash, |&j| j as usize == i).is_none() {
                return Err(format!("slot {i}'s key is not in the table under its hash"));
            }
        }
        Ok(())
    }
}
