//! # LRU cache
//!
//! ## Python idiom
//! `@functools.lru_cache(maxsize=128)` memoizes a function; an interview asks
//! for the class behind it: `get` and `put` in O(1), evicting the least
//! recently used entry when full — usually an `OrderedDict` with
//! `move_to_end` and `popitem(last=False)`, or a dict plus a hand-made doubly
//! linked list (what `functools` keeps inside: a dict whose values are the
//! links of a circular doubly linked list).
//!
//! ## Rust answer
//! The idea fits on a page, and [`SimpleLru`] below is that page: a hash map
//! finds a key's *slot*, and the slots are linked from most to least
//! recently used **by index** — indices into a `Vec` take the place of
//! pointers, so there is no `unsafe` and no `Rc<RefCell<…>>`. `get` looks
//! the slot up and moves it to the front of the list; `put` on a full cache
//! takes the slot at the back, forgets its key and reuses it. Each is a
//! hash lookup plus a few index writes: O(1).
//!
//! [`LruCache`] is the production cache, the same idea in steps:
//! 1. Each key is stored once. The table is a [`hashbrown::HashTable`]
//!    holding only `u32` slot indices, and it compares keys by looking
//!    through those indices into the slab (`cache.rs`), so a `String` key is
//!    never cloned into a map.
//! 2. The recency links live in an array of their own (`list.rs`), 8 bytes
//!    per entry: a hit rewrites its neighbours' links, and those writes
//!    touch that small array rather than whole entries.
//! 3. A full cache recycles the evicted slot in place, so a busy cache's
//!    steady state allocates nothing; `remove` keeps the slab dense with
//!    `swap_remove` and re-points the one entry it moved.
//! 4. Each key's hash is stored (in another array hits never read), so
//!    evicting, moving an entry or growing the table never hashes a key
//!    again. That makes the cache safe against a panicking `Hash` or `Eq`:
//!    user code runs only before anything changes, so such a panic leaves
//!    the cache as it was, and a shard of the sharded cache stays usable
//!    after a panic poisoned its lock. A test panics at every point where
//!    user code runs and checks the cache after each.
//!
//! Around it: [`memoize`] and [`memoize_recursive`] are the
//! `functools.lru_cache` analogue with `cache_info()`-style [`CacheInfo`],
//! and [`ShardedLruCache`] is a thread-safe variant: N independent LRUs
//! behind their own mutexes, picked by hash, so two threads rarely contend.
//!
//! ```
//! use mastery_interview::lru_cache::LruCache;
//!
//! let mut cache = LruCache::new(2)?;
//! cache.put("a", 1);
//! cache.put("b", 2);
//! cache.get(&"a");                                  // "a" is now most recent
//! assert_eq!(cache.put("c", 3), Some(("b", 2)));   // so "b" is evicted
//! assert_eq!(cache.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["c", "a"]);
//! # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
//! ```
//!
//! ## When to use which
//! - Memoizing a pure function in one thread: [`memoize`] (or the `cached`
//!   crate's attribute macro when you want it declarative).
//! - A single-threaded cache with exact LRU order: [`LruCache`], or the `lru`
//!   crate — same semantics, and the demo times both on the same workload;
//!   ours needs no `unsafe`.
//! - Shared between threads: [`ShardedLruCache`] when exact per-shard LRU is
//!   what you want and values are cheap to clone; `quick_cache` or `moka` when
//!   you want a better hit ratio than LRU (S3-FIFO / TinyLFU admission),
//!   weights, TTLs or async loaders. Exact global LRU order across threads
//!   needs one lock around one list — that is the contention sharding avoids,
//!   at the price of LRU order being exact only within a shard.
//! - Reading, or writing one in an interview: [`SimpleLru`]. It stores each
//!   key twice (in the map and in its slot) and only does `get` and `put`;
//!   a test checks it agrees with [`LruCache`] on any sequence of both.
//!   [`VecDequeLru`] is shorter still, but O(n) per hit: the first thing an
//!   interviewer asks you to fix.
//!
//! ## What it costs
//! What the demo measures:
//! - **Ours vs the `lru` crate**, one thread: time per `get` (and `put` on a
//!   miss) over Zipf-distributed keys with ten times more distinct keys
//!   than capacity, at two capacities. Both are exact LRUs, so their hit
//!   ratios must be identical — the demo checks that before it times them.
//!   The whole key stream runs once to warm each cache; a timed sample then
//!   runs the next slice of it, so every sample sees a full cache that
//!   evicts on each miss, without replaying the whole stream each time.
//! - **[`ShardedLruCache`] vs `quick_cache`**, two threads on one cache, each
//!   with its own key stream: warm hit ratio and time. `quick_cache` admits
//!   keys by frequency rather than recency, so its hit ratio differs; that
//!   is the trade it makes, and both sides are printed.
//! - **[`memoize_recursive`] vs plain recursion** on Fibonacci: calls counted
//!   on both paths, and time with the cache emptied before every call.
//!
//! **The ladder** times every step from the reader's starting point to the
//! `lru` crate on the same workload, all rungs in the same rounds, each one
//! compared with the rung below it, so each idea shows what it buys — or
//! ties, when it buys nothing this run can see:
//! 0. Python: the `OrderedDict` class (`move_to_end`, `popitem(last=False)`)
//!    and `functools.lru_cache`, timed inside CPython on the same keys (a
//!    skip line without a `python3`; `--quick` leaves them out).
//! 1. [`VecDequeLru`]: a `HashMap` of values and a `VecDeque` of keys, what
//!    most candidates write first; a hit searches the queue, O(n), so it
//!    runs at the small capacity only, on a shorter stream.
//! 2. [`SimpleLru`]: slots linked by index, O(1) per operation; a full
//!    cache already reuses the evicted tail's slot (step 3 above), so no rung
//!    separates recycling from it.
//! 3. `SimpleLru` with foldhash (`SimpleLru::with_hasher`): only the hasher
//!    changes, from std's SipHash to the one hashbrown uses, so the next
//!    rungs do not take its credit.
//! 4. [`TableLru`]: step 1 above, a `HashTable` of `u32` slot indices; each
//!    key stored once.
//! 5. [`LruCache`]: steps 2 and 4, links in their own array and stored
//!    hashes; then the `lru` crate, the peer.
//!
//! Every rung first runs the whole stream and must hit exactly as often as
//! [`LruCache`] (a property test checks the same on any sequence of `get`
//! and `put`); [`climb_ladder`] also places a reader's own cache on it.
//!
//! What you give up:
//! - Memory per entry: the key and value, 8 bytes of links, the 8-byte
//!   stored hash, and one `u32` table slot plus its control byte, at
//!   hashbrown's load factor of at most 7/8.
//! - Capacity is capped at `u32::MAX - 1` entries ([`MAX_CAPACITY`]) by the
//!   index width — the price of 8-byte links instead of 16.
//! - Removing an entry moves the last one into its slot: O(1), but slots
//!   are not stable, so nothing outside the cache may hold one.
//! - The sharded cache keeps LRU order only within a shard, and `get`
//!   returns a clone (a reference cannot outlive the shard's lock), so
//!   values should be cheap to clone — an `Arc` for large ones.
//! - [`memoize`] clones each argument (it is the key) and each result.
//!
//! Measure it: `mastery run interview/lru-cache`; `mastery run
//! interview/lru-cache --deep` makes every key stream twice as long and
//! takes more samples of every timing; `cargo bench -p
//! mastery-interview --bench lru` times the same pairs with criterion
//! (`lru-zipf/{ours/lru, peer/lru-crate}`, the Rust rungs as
//! `lru-zipf/ladder/{vecdeque, simple, simple-foldhash, table}` and
//! `lru-sharded-2-threads/{ours/sharded, peer/quick_cache}`).
//!
//! ## Run it
//! `mastery run interview/lru-cache` (eviction order, ours vs the `lru` crate,
//! hit ratio on Zipf keys, the ladder from Python to the `lru` crate, the
//! sharded cache vs `quick_cache` on 2 threads, memoized recursion), `cargo bench -p mastery-interview --bench lru`, and
//! `cargo test -p mastery-interview lru_cache` (unit, model-based and
//! differential property tests, doctests).
//!
//! ## Follow-ups
//! - **Is it thread-safe?** Not alone: even `get` relinks the entry, so it
//!   takes `&mut self` (`interview/src/lru_cache/cache.rs`). `ShardedLruCache`
//!   (`interview/src/lru_cache/sharded.rs`) puts shards, picked by hash, behind
//!   their own `Mutex`; its `get` takes `&self` and returns a clone.
//! - **What bounds its memory?** The entry count, not bytes: `capacity`, at
//!   most `MAX_CAPACITY` (`interview/src/lru_cache/cache.rs`); a full cache
//!   reuses the evicted slot. Nothing weighs an entry, so bytes follow value
//!   sizes; to bound bytes, use a weighted cache (`quick_cache`, `moka`).
//! - **What breaks at 10× load?** Hot keys: a hit writes recency, so readers of
//!   one hot key queue on its shard's lock (`shard` in
//!   `interview/src/lru_cache/sharded.rs`). Callers missing one key all compute
//!   it (the kit has no single-flight loader), and a scan of more cold keys
//!   than the capacity evicts every hot one.
//! - **How do you test it?** Against a model: `behaves_like_the_vec_model`
//!   (`interview/src/lru_cache/tests/model.rs`) runs random operations on the
//!   cache and on a recency-ordered `Vec`, with `check_invariants` after each;
//!   `simple_lru_agrees_with_lru_cache` holds it to `SimpleLru`.
//! - **What if `Hash` or `Eq` panics?** The cache runs user code only before it
//!   changes anything, so it stays as it was and a poisoned shard stays usable
//!   ("When user code runs" in `interview/src/lru_cache/cache.rs`);
//!   `interview/src/lru_cache/tests/panic_safety.rs` panics at every such call.
//! - **Why indices, not pointers?** `u32` slot indices play the pointers, so
//!   the linked list needs no `unsafe` and no `Rc<RefCell<…>>`: `RecencyList`
//!   in `interview/src/lru_cache/list.rs` keeps the links in an array of their
//!   own.

mod cache;
mod climb;
mod demo;
mod iter;
mod ladder;
mod list;
mod memoize;
mod sharded;
mod workload;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::mem;

pub use cache::{CapacityError, LruCache, MAX_CAPACITY};
pub use climb::{Driven, ReaderCache, climb_ladder};
pub use iter::Iter;
pub use ladder::{TableLru, VecDequeLru};
pub use memoize::{CacheInfo, Memoized, Recursive, memoize, memoize_recursive};
pub use sharded::ShardedLruCache;
pub use workload::{
    ZIPF_EXPONENT, count_hits, on_threads, run_workload, run_workload_lru_crate,
    run_workload_quick_cache, run_workload_sharded,
};

// ANCHOR: core
/// The textbook O(1) LRU cache, written to be read: a `HashMap` from each key
/// to its slot, and the slots linked from most to least recently used by
/// index. [`LruCache`] is the same idea tuned (see the module docs).
///
/// `S` is the map's hasher, std's SipHash unless a rung of the demo's ladder
/// swaps it (`SimpleLru::with_hasher`), so that the hasher's share of a
/// tuned cache's lead is measured on its own.
///
/// ```
/// # use mastery_interview::lru_cache::SimpleLru;
/// let mut cache = SimpleLru::new(2)?;
/// cache.put("a", 1);
/// cache.put("b", 2);
/// cache.get(&"a");
/// assert_eq!(cache.put("c", 3), Some(("b", 2))); // "b" was least recently used
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimpleLru<K, V, S = RandomState> {
    /// Where each key's entry lives in `slots`.
    slot_of: HashMap<K, usize, S>,
    slots: Vec<Slot<K, V>>,
    /// The most recently used slot (`END` when empty).
    head: usize,
    /// The least recently used slot: the next to be evicted.
    tail: usize,
    capacity: usize,
}

/// One entry and its place in the recency list.
#[derive(Debug, Clone)]
struct Slot<K, V> {
    /// A copy of the key: evicting this slot must remove it from `slot_of`.
    key: K,
    value: V,
    /// Towards the most recently used end.
    prev: usize,
    /// Towards the least recently used end.
    next: usize,
}

/// "No slot": the end of the list in either direction.
const END: usize = usize::MAX;

impl<K: Hash + Eq + Clone, V> SimpleLru<K, V> {
    /// An empty cache holding at most `capacity` entries.
    ///
    /// # Errors
    /// [`CapacityError::Zero`] for a capacity of 0.
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        Self::with_hasher(capacity, RandomState::new())
    }
}

impl<K: Hash + Eq + Clone, V, S: BuildHasher> SimpleLru<K, V, S> {
    /// An empty cache whose map hashes keys with `hasher`.
    ///
    /// # Errors
    /// [`CapacityError::Zero`] for a capacity of 0.
    pub fn with_hasher(capacity: usize, hasher: S) -> Result<Self, CapacityError> {
        if capacity == 0 {
            return Err(CapacityError::Zero);
        }
        Ok(SimpleLru {
            slot_of: HashMap::with_capacity_and_hasher(capacity, hasher),
            slots: Vec::with_capacity(capacity),
            head: END,
            tail: END,
            capacity,
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
        let slot = *self.slot_of.get(key)?;
        self.move_to_front(slot);
        Some(&self.slots[slot].value)
    }

    /// Inserts `key` as the most recently used entry; returns the entry it
    /// displaced: the old value of the same key, or the least recently used
    /// entry when the cache was full.
    pub fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if let Some(&slot) = self.slot_of.get(&key) {
            self.move_to_front(slot);
            let old = mem::replace(&mut self.slots[slot].value, value);
            return Some((key, old));
        }
        if self.slots.len() < self.capacity {
            let slot = self.slots.len();
            self.slot_of.insert(key.clone(), slot);
            self.slots.push(Slot {
                key,
                value,
                prev: END,
                next: END,
            });
            self.push_front(slot);
            return None;
        }
        // Full: the tail is the least recently used. Reuse its slot.
        let slot = self.tail;
        self.unlink(slot);
        let old_key = mem::replace(&mut self.slots[slot].key, key.clone());
        let old_value = mem::replace(&mut self.slots[slot].value, value);
        self.slot_of.remove(&old_key);
        self.slot_of.insert(key, slot);
        self.push_front(slot);
        Some((old_key, old_value))
    }

    fn move_to_front(&mut self, slot: usize) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    /// Joins the slot's neighbours to each other (or moves `head`/`tail`).
    fn unlink(&mut self, slot: usize) {
        let Slot { prev, next, .. } = self.slots[slot];
        match prev {
            END => self.head = next,
            p => self.slots[p].next = next,
        }
        match next {
            END => self.tail = prev,
            n => self.slots[n].prev = prev,
        }
    }

    fn push_front(&mut self, slot: usize) {
        self.slots[slot].prev = END;
        self.slots[slot].next = self.head;
        match self.head {
            END => self.tail = slot,
            old_head => self.slots[old_head].prev = slot,
        }
        self.head = slot;
    }
}
// ANCHOR_END: core
