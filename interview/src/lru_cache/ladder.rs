//! The rungs of the LRU ladder that are not the lesson's two caches: the
//! answer most candidates write first, and the step between [`SimpleLru`]
//! and [`LruCache`] that changes only the table.
//!
//! Each rung changes one thing from the rung below, so the demo's ladder
//! (`climb_ladder`) can say what each idea buys:
//!
//! | rung | what it changes |
//! |---|---|
//! | [`VecDequeLru`] | a `HashMap` of values and a `VecDeque` of keys: O(n) touch |
//! | [`SimpleLru`] | slots linked by index: O(1) touch, the tail's slot reused |
//! | `SimpleLru` with foldhash | only the hasher (SipHash → foldhash) |
//! | [`TableLru`] | a `HashTable` of `u32` slot indices: each key stored once |
//! | [`LruCache`] | links in their own array, stored hashes |
//!
//! They are exact LRUs: on any sequence of `get` and `put` every rung
//! answers as [`LruCache`] does (a property test checks it), so the ladder
//! times the same work on every rung.
//!
//! [`SimpleLru`]: super::SimpleLru
//! [`LruCache`]: super::LruCache

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash};
use std::mem;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::cache::{CapacityError, check_capacity};

/// The LRU most candidates write first, and Python's `dict` + `list`
/// answer: a `HashMap` holds the values, a `VecDeque` the keys from least
/// to most recently used. Correct and short, but touching a key searches
/// the queue for it and removes it from the middle: O(n) per hit, where the
/// rungs above it are O(1). The ladder shows at which capacity that starts
/// to dominate.
///
/// ```
/// # use mastery_interview::lru_cache::VecDequeLru;
/// let mut cache = VecDequeLru::new(2)?;
/// cache.put("a", 1);
/// cache.put("b", 2);
/// cache.get(&"a");
/// assert_eq!(cache.put("c", 3), Some(("b", 2))); // "b" was least recently used
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
#[derive(Debug, Clone)]
pub struct VecDequeLru<K, V> {
    values: HashMap<K, V>,
    /// Least recently used at the front, most recently used at the back.
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> VecDequeLru<K, V> {
    /// An empty cache holding at most `capacity` entries.
    ///
    /// # Errors
    /// [`CapacityError::Zero`] for a capacity of 0.
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        if capacity == 0 {
            return Err(CapacityError::Zero);
        }
        Ok(VecDequeLru {
            values: HashMap::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
            capacity,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value for `key`, marking it most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        if !self.values.contains_key(key) {
            return None;
        }
        self.touch(key);
        self.values.get(key)
    }

    /// Inserts `key` as the most recently used entry; returns the entry it
    /// displaced: the old value of the same key, or the least recently used
    /// entry when the cache was full.
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if let Some(old) = self.values.get_mut(&key) {
            let old = mem::replace(old, value);
            self.touch(&key);
            return Some((key, old));
        }
        let evicted = if self.values.len() == self.capacity {
            self.order
                .pop_front()
                .and_then(|lru| self.values.remove_entry(&lru))
        } else {
            None
        };
        self.order.push_back(key.clone());
        self.values.insert(key, value);
        evicted
    }

    /// Moves `key` (which is cached) to the back of the queue. The linear
    /// search and the removal from the middle are the O(n) this rung is
    /// about.
    fn touch(&mut self, key: &K) {
        let Some(i) = self.order.iter().position(|k| k == key) else {
            return;
        };
        if let Some(k) = self.order.remove(i) {
            self.order.push_back(k);
        }
    }

    /// The entries from most to least recently used (for the tests).
    #[cfg(test)]
    pub(super) fn recency(&self) -> Vec<(K, V)>
    where
        V: Clone,
    {
        self.order
            .iter()
            .rev()
            .filter_map(|k| self.values.get(k).map(|v| (k.clone(), v.clone())))
            .collect()
    }
}

/// "No slot": the end of [`TableLru`]'s list in either direction.
const NIL: u32 = u32::MAX;

/// One entry of [`TableLru`]: the key (its only copy), the value and the
/// links, together, as in [`SimpleLru`](super::SimpleLru).
#[derive(Debug, Clone)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// Towards the most recently used end.
    prev: u32,
    /// Towards the least recently used end.
    next: u32,
}

/// [`SimpleLru`](super::SimpleLru) with the step that changes the table: a
/// [`hashbrown::HashTable`] that holds only `u32` slot indices and compares
/// keys by looking through them into the slab. Each key is stored once (no
/// clone into a map, a 4-byte table slot instead of key + index), and the
/// hasher is foldhash, as in the rung below it.
///
/// What it still lacks of [`LruCache`](super::LruCache): the links sit in
/// each slot, beside the key and value, and no hash is stored, so evicting
/// hashes the old key again to find its table entry.
///
/// ```
/// # use mastery_interview::lru_cache::TableLru;
/// let mut cache = TableLru::new(2)?;
/// cache.put("a", 1);
/// cache.put("b", 2);
/// cache.get(&"a");
/// assert_eq!(cache.put("c", 3), Some(("b", 2))); // "b" was least recently used
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TableLru<K, V, S = DefaultHashBuilder> {
    /// Indices into `slots`, found by the hash of the slot's key.
    table: HashTable<u32>,
    slots: Vec<Slot<K, V>>,
    /// The most recently used slot (`NIL` when empty).
    head: u32,
    /// The least recently used slot: the next to be evicted.
    tail: u32,
    capacity: usize,
    hasher: S,
}

impl<K: Hash + Eq, V> TableLru<K, V> {
    /// An empty cache holding at most `capacity` entries.
    ///
    /// # Errors
    /// [`CapacityError::Zero`] for 0, [`CapacityError::TooLarge`] above
    /// [`MAX_CAPACITY`](super::MAX_CAPACITY) (slots are `u32` indices).
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Self::with_hasher(capacity, DefaultHashBuilder::default())
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> TableLru<K, V, S> {
    /// An empty cache hashing keys with `hasher`.
    ///
    /// # Errors
    /// As [`TableLru::new`].
    pub fn with_hasher(capacity: usize, hasher: S) -> Result<Self, CapacityError> {
        let capacity = check_capacity(capacity)?;
        Ok(TableLru {
            // Sized for the capacity up front: like the rungs below, the
            // table never grows while the ladder times it.
            table: HashTable::with_capacity(capacity),
            slots: Vec::with_capacity(capacity),
            head: NIL,
            tail: NIL,
            capacity,
            hasher,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The value for `key`, marking it most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        let slot = self.find(key)?;
        self.move_to_front(slot);
        Some(&self.slots[slot as usize].value)
    }

    /// Inserts `key` as the most recently used entry; returns the entry it
    /// displaced: the old value of the same key, or the least recently used
    /// entry when the cache was full.
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if let Some(slot) = self.find(&key) {
            self.move_to_front(slot);
            let old = mem::replace(&mut self.slots[slot as usize].value, value);
            return Some((key, old));
        }
        let hash = self.hasher.hash_one(&key);
        if self.slots.len() < self.capacity {
            let slot =
                u32::try_from(self.slots.len()).expect("len < capacity <= MAX_CAPACITY fits u32");
            self.slots.push(Slot {
                key,
                value,
                prev: NIL,
                next: NIL,
            });
            self.table_insert(hash, slot);
            self.push_front(slot);
            return None;
        }
        // Full: the tail is the least recently used. Its table entry is
        // found by hashing its key again (no hash is stored on this rung),
        // then its slot is reused for the new entry.
        let slot = self.tail;
        let old_hash = self.hasher.hash_one(&self.slots[slot as usize].key);
        if let Ok(entry) = self.table.find_entry(old_hash, |&i| i == slot) {
            entry.remove();
        }
        self.unlink(slot);
        let entry = &mut self.slots[slot as usize];
        let old_key = mem::replace(&mut entry.key, key);
        let old_value = mem::replace(&mut entry.value, value);
        self.table_insert(hash, slot);
        self.push_front(slot);
        Some((old_key, old_value))
    }

    fn find(&self, key: &K) -> Option<u32> {
        let slots = &self.slots;
        self.table
            .find(self.hasher.hash_one(key), |&i| {
                slots[i as usize].key == *key
            })
            .copied()
    }

    fn table_insert(&mut self, hash: u64, slot: u32) {
        let (slots, hasher) = (&self.slots, &self.hasher);
        // The closure re-hashes keys only if the table grows, which the
        // capacity reserved in `with_hasher` rules out.
        self.table
            .insert_unique(hash, slot, |&i| hasher.hash_one(&slots[i as usize].key));
    }

    fn move_to_front(&mut self, slot: u32) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    /// Joins the slot's neighbours to each other (or moves `head`/`tail`).
    fn unlink(&mut self, slot: u32) {
        let Slot { prev, next, .. } = self.slots[slot as usize];
        match prev {
            NIL => self.head = next,
            p => self.slots[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.slots[n as usize].prev = prev,
        }
    }

    fn push_front(&mut self, slot: u32) {
        let old_head = self.head;
        let entry = &mut self.slots[slot as usize];
        entry.prev = NIL;
        entry.next = old_head;
        match old_head {
            NIL => self.tail = slot,
            h => self.slots[h as usize].prev = slot,
        }
        self.head = slot;
    }

    /// The entries from most to least recently used (for the tests).
    #[cfg(test)]
    pub(super) fn recency(&self) -> Vec<(K, V)>
    where
        K: Clone,
        V: Clone,
    {
        let mut order = Vec::with_capacity(self.slots.len());
        let mut slot = self.head;
        while slot != NIL {
            let entry = &self.slots[slot as usize];
            order.push((entry.key.clone(), entry.value.clone()));
            slot = entry.next;
        }
        order
    }
}
