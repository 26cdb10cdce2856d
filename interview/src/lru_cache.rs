//! # LRU cache
//!
//! ## Python idiom
//! `@functools.lru_cache(maxsize=128)` memoizes a function; an interview asks
//! for the class behind it: `get` and `put` in O(1), evicting the least
//! recently used entry when full — usually an `OrderedDict` with
//! `move_to_end`, or a dict plus a hand-made doubly linked list.
//!
//! ## Rust answer
//! [`LruCache`] keeps its entries in a **slab** (`Vec` of nodes) linked into a
//! recency list by `u32` indices instead of pointers, and finds them through a
//! [`hashbrown::HashTable`] that stores only those indices. No `unsafe`, no
//! `Rc<RefCell<…>>`, one allocation for all nodes, and each key stored once.
//! A node holds only key and value (16 bytes for `u64 → u64`); the links
//! live in an array of their own, and an evicted key is rehashed rather
//! than caching every key's hash — cachegrind showed the smaller nodes
//! missing the cache less, which pays for the extra hash. A full cache
//! recycles the evicted node in place for the new entry.
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
//!   crate — same semantics; ours measures at least as fast on a Zipf
//!   workload (see the demo and `benches/lru.rs`) and needs no `unsafe`.
//! - Shared between threads: [`ShardedLruCache`] when exact per-shard LRU is
//!   what you want and values are cheap to clone; `quick_cache` or `moka` when
//!   you want a better hit ratio than LRU (S3-FIFO / TinyLFU admission),
//!   weights, TTLs or async loaders. Exact global LRU order across threads
//!   needs one lock around one list — that is the contention sharding avoids,
//!   at the price of LRU order being exact only within a shard.
//!
//! Costs: an index-linked slab moves nodes when one is removed from the middle
//! (`swap_remove` plus one table fix-up); capacity is capped at `u32::MAX - 1`
//! entries by the index width — 8 bytes of links per entry instead of 16.
//!
//! ## Run it
//! `mastery run interview/lru-cache` (eviction order, ours vs the `lru` crate,
//! hit ratio on Zipf keys, the sharded cache vs `quick_cache` on 2 threads,
//! memoized recursion), `cargo bench -p mastery-interview --bench lru`, and
//! `cargo test -p mastery-interview lru` (unit, model-based property tests,
//! doctests).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::iter::FusedIterator;
use std::sync::{Mutex, PoisonError};

use hashbrown::{DefaultHashBuilder, HashTable};
use mastery_kit::{Area, Narrator, Topic, Unit, workload};

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

/// The largest capacity an [`LruCache`] supports.
pub const MAX_CAPACITY: usize = (u32::MAX - 1) as usize;

/// "No node": the end of the recency list.
const NIL: u32 = u32::MAX;

fn check_capacity(capacity: usize) -> Result<usize, CapacityError> {
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
/// One cached entry.
#[derive(Clone)]
struct Node<K, V> {
    key: K,
    value: V,
}

/// A node's place in the recency list. Kept in an array of its own: a hit
/// relinks two *other* random entries, and 8-byte links for 100k entries
/// (800 KB) stay in a core's L2 cache where whole nodes (3.2 MB) would not.
#[derive(Clone, Copy)]
struct Link {
    /// Towards the most recently used end (`NIL` at the head).
    prev: u32,
    /// Towards the least recently used end (`NIL` at the tail).
    next: u32,
}

/// A fixed-capacity map that evicts the least recently used entry; every
/// operation is O(1). See the [module docs](self) for the design.
#[derive(Clone)]
pub struct LruCache<K, V, S = DefaultHashBuilder> {
    /// Indices into `nodes`, found by the hash of the node's key.
    table: HashTable<u32>,
    /// Dense: `nodes.len()` is the number of entries.
    nodes: Vec<Node<K, V>>,
    /// `links[i]` is the place of `nodes[i]` in the recency list.
    links: Vec<Link>,
    /// Most recently used.
    head: u32,
    /// Least recently used: the next to be evicted.
    tail: u32,
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
            links: Vec::new(),
            head: NIL,
            tail: NIL,
            capacity: check_capacity(capacity)?,
            hasher,
        })
    }

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
        self.touch(index);
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
        if self.tail == NIL {
            return None;
        }
        let index = self.tail;
        self.table_remove_index(index);
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
        self.capacity = check_capacity(capacity)?;
        let excess = self.len().saturating_sub(capacity);
        let evicted = (0..excess).filter_map(|_| self.pop_lru()).collect();
        self.nodes.shrink_to(capacity);
        self.links.shrink_to(capacity);
        Ok(evicted)
    }

    /// Removes every entry; the capacity stays.
    pub fn clear(&mut self) {
        self.table.clear();
        self.nodes.clear();
        self.links.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    /// The entries from most to least recently used (the eviction order
    /// reversed); iterating does not change recency.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            nodes: &self.nodes,
            links: &self.links,
            front: self.head,
            back: self.tail,
            remaining: self.nodes.len(),
        }
    }

    // ANCHOR: get_hashed
    /// `get` with the hash already computed (the sharded cache hashes once to
    /// pick the shard and reuses the hash here).
    #[inline]
    fn get_hashed<Q>(&mut self, hash: u64, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let index = self.find(hash, key)?;
        self.touch(index);
        Some(&self.nodes[index as usize].value)
    }
    // ANCHOR_END: get_hashed

    // ANCHOR: put_hashed
    #[inline]
    fn put_hashed(&mut self, hash: u64, key: K, value: V) -> Option<(K, V)> {
        if let Some(index) = self.find(hash, &key) {
            self.touch(index);
            let old = std::mem::replace(&mut self.nodes[index as usize].value, value);
            return Some((key, old));
        }
        if self.nodes.len() < self.capacity {
            let index =
                u32::try_from(self.nodes.len()).expect("len < capacity <= MAX_CAPACITY fits u32");
            self.nodes.push(Node { key, value });
            self.links.push(Link {
                prev: NIL,
                next: NIL,
            });
            self.table_insert(hash, index);
            self.push_front(index);
            return None;
        }
        // Full: recycle the least recently used node for the new entry, so
        // the steady state of a busy cache allocates nothing.
        let index = self.tail;
        self.table_remove_index(index);
        let node = &mut self.nodes[index as usize];
        let old_key = std::mem::replace(&mut node.key, key);
        let old_value = std::mem::replace(&mut node.value, value);
        self.table_insert(hash, index);
        self.touch(index);
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

    fn table_insert(&mut self, hash: u64, index: u32) {
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.table
            .insert_unique(hash, index, |&i| hasher.hash_one(&nodes[i as usize].key));
    }

    /// Removes the table entry pointing at `index`, matching by index so no
    /// key comparison is needed.
    fn table_remove_index(&mut self, index: u32) {
        let hash = self.hasher.hash_one(&self.nodes[index as usize].key);
        if let Ok(entry) = self.table.find_entry(hash, |&i| i == index) {
            entry.remove();
        } else {
            unreachable!("every live node has exactly one table entry");
        }
    }
}

impl<K: Hash + Eq, V, S: BuildHasher> LruCache<K, V, S> {
    /// Unlinks node `index` (whose table entry is already gone) and removes
    /// it from the slab by `swap_remove`, re-pointing the moved last node's
    /// neighbours and table entry at its new index.
    fn remove_node(&mut self, index: u32) -> Node<K, V> {
        self.unlink(index);
        let last = u32::try_from(self.nodes.len() - 1).expect("slab indices fit u32");
        if last != index {
            let hash = self.hasher.hash_one(&self.nodes[last as usize].key);
            let Link { prev, next } = self.links[last as usize];
            match self.table.find_entry(hash, |&i| i == last) {
                Ok(mut entry) => *entry.get_mut() = index,
                Err(_) => unreachable!("every live node has exactly one table entry"),
            }
            match prev {
                NIL => self.head = index,
                p => self.links[p as usize].next = index,
            }
            match next {
                NIL => self.tail = index,
                n => self.links[n as usize].prev = index,
            }
        }
        self.links.swap_remove(index as usize);
        self.nodes.swap_remove(index as usize)
    }
}

impl<K, V, S> LruCache<K, V, S> {
    /// Marks `index` most recently used. The hot path of every hit, so it
    /// is written out rather than as `unlink` + `push_front`: a node that is
    /// not the head always has a `prev`, and a non-empty list always has a
    /// head, which saves two branches.
    #[inline]
    fn touch(&mut self, index: u32) {
        let head = self.head;
        if head == index {
            return;
        }
        let links = &mut self.links;
        let Link { prev, next } = links[index as usize];
        links[prev as usize].next = next;
        match next {
            NIL => self.tail = prev,
            n => links[n as usize].prev = prev,
        }
        links[index as usize] = Link {
            prev: NIL,
            next: head,
        };
        links[head as usize].prev = index;
        self.head = index;
    }

    fn unlink(&mut self, index: u32) {
        let Link { prev, next } = self.links[index as usize];
        match prev {
            NIL => self.head = next,
            p => self.links[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.links[n as usize].prev = prev,
        }
    }

    fn push_front(&mut self, index: u32) {
        let old_head = self.head;
        self.links[index as usize] = Link {
            prev: NIL,
            next: old_head,
        };
        match old_head {
            NIL => self.tail = index,
            h => self.links[h as usize].prev = index,
        }
        self.head = index;
    }
}

impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for LruCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iter = Iter {
            nodes: &self.nodes,
            links: &self.links,
            front: self.head,
            back: self.tail,
            remaining: self.nodes.len(),
        };
        f.debug_map().entries(iter).finish()
    }
}

/// Iterator over an [`LruCache`] from most to least recently used.
#[derive(Debug, Clone)]
pub struct Iter<'a, K, V> {
    nodes: &'a [Node<K, V>],
    links: &'a [Link],
    front: u32,
    back: u32,
    remaining: usize,
}

impl<K, V> fmt::Debug for Node<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Link")
            .field("prev", &self.prev)
            .field("next", &self.next)
            .finish()
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let node = &self.nodes[self.front as usize];
        self.front = self.links[self.front as usize].next;
        self.remaining -= 1;
        Some((&node.key, &node.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let node = &self.nodes[self.back as usize];
        self.back = self.links[self.back as usize].prev;
        self.remaining -= 1;
        Some((&node.key, &node.value))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}
impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<'a, K: Hash + Eq, V, S: BuildHasher> IntoIterator for &'a LruCache<K, V, S> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

// ---------------------------------------------------------------------------
// memoize: the functools.lru_cache analogue
// ---------------------------------------------------------------------------

/// Hit and miss counts, like `functools`' `cache_info()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheInfo {
    /// Calls answered from the cache.
    pub hits: u64,
    /// Calls that ran the function.
    pub misses: u64,
    /// The cache's capacity (`maxsize`).
    pub capacity: usize,
    /// Entries cached now (`currsize`).
    pub len: usize,
}

/// A function that recurses through a callback instead of calling itself, so
/// a cache can sit between the calls: `|recurse, n| ... recurse(n - 1) ...`.
/// Implemented for every such closure.
pub trait Recursive<A, R>: Fn(&mut dyn FnMut(A) -> R, A) -> R {}

impl<A, R, F: Fn(&mut dyn FnMut(A) -> R, A) -> R> Recursive<A, R> for F {}

/// A function wrapped with an LRU cache of its results; made by [`memoize`]
/// or [`memoize_recursive`].
pub struct Memoized<A, R, F> {
    cache: LruCache<A, R>,
    function: F,
    hits: u64,
    misses: u64,
}

impl<A, R, F> fmt::Debug for Memoized<A, R, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memoized")
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish_non_exhaustive()
    }
}

/// Wraps `function` with an LRU cache of `capacity` results.
///
/// ```
/// # use mastery_interview::lru_cache::memoize;
/// let mut square = memoize(16, |x: u64| x * x)?;
/// assert_eq!(square.call(12), 144);
/// assert_eq!(square.call(12), 144);
/// assert_eq!((square.info().hits, square.info().misses), (1, 1));
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
///
/// # Errors
/// As [`LruCache::new`].
pub fn memoize<A, R>(
    capacity: usize,
    function: impl Fn(A) -> R,
) -> Result<Memoized<A, R, impl Recursive<A, R>>, CapacityError>
where
    A: Hash + Eq + Clone,
    R: Clone,
{
    memoize_recursive(capacity, move |_recurse: &mut dyn FnMut(A) -> R, arg: A| {
        function(arg)
    })
}

/// Wraps a recursive `function`, which receives a `recurse` callback to call
/// instead of itself, so that inner calls hit the cache too — what decorating
/// a recursive function with `@lru_cache` does in Python.
///
/// ```
/// # use mastery_interview::lru_cache::memoize_recursive;
/// let mut fib = memoize_recursive(128, |fib, n: u64| if n < 2 { n } else { fib(n - 1) + fib(n - 2) })?;
/// assert_eq!(fib.call(90), 2_880_067_194_370_816_120);
/// assert_eq!(fib.info().misses, 91); // each n computed once
/// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
/// ```
///
/// # Errors
/// As [`LruCache::new`].
pub fn memoize_recursive<A, R, F>(
    capacity: usize,
    function: F,
) -> Result<Memoized<A, R, F>, CapacityError>
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    Ok(Memoized {
        cache: LruCache::new(capacity)?,
        function,
        hits: 0,
        misses: 0,
    })
}

impl<A, R, F> Memoized<A, R, F>
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    /// Calls the function, or answers from the cache.
    pub fn call(&mut self, arg: A) -> R {
        let Memoized {
            cache,
            function,
            hits,
            misses,
        } = self;
        call_cached(function, cache, hits, misses, arg)
    }

    /// Hits, misses, capacity and current size.
    pub fn info(&self) -> CacheInfo {
        CacheInfo {
            hits: self.hits,
            misses: self.misses,
            capacity: self.cache.capacity(),
            len: self.cache.len(),
        }
    }

    /// Empties the cache and resets the statistics (`cache_clear()`).
    pub fn clear(&mut self) {
        self.cache.clear();
        self.hits = 0;
        self.misses = 0;
    }
}

fn call_cached<A, R, F>(
    function: &F,
    cache: &mut LruCache<A, R>,
    hits: &mut u64,
    misses: &mut u64,
    arg: A,
) -> R
where
    A: Hash + Eq + Clone,
    R: Clone,
    F: Recursive<A, R>,
{
    if let Some(hit) = cache.get(&arg) {
        *hits += 1;
        return hit.clone();
    }
    *misses += 1;
    let result = function(
        &mut |inner| call_cached(function, cache, hits, misses, inner),
        arg.clone(),
    );
    cache.put(arg, result.clone());
    result
}

// ---------------------------------------------------------------------------
// ShardedLruCache: thread-safe by sharding
// ---------------------------------------------------------------------------

/// A thread-safe LRU cache: `shards` independent [`LruCache`]s, each behind
/// its own mutex, chosen by the key's hash. LRU order is exact within a
/// shard and approximate across the whole cache.
pub struct ShardedLruCache<K, V, S = DefaultHashBuilder> {
    shards: Box<[Shard<K, V, S>]>,
    hasher: S,
    mask: u64,
}

/// Puts each shard on its own pair of cache lines (128 bytes covers the
/// adjacent-line prefetch of x86 and the 128-byte lines of Apple silicon),
/// so threads locking *different* shards never write to the same line —
/// without it, neighbouring mutexes share a line and every lock bounces it
/// between cores (false sharing).
#[repr(align(128))]
struct CacheLinePadded<T>(T);

type Shard<K, V, S> = CacheLinePadded<Mutex<LruCache<K, V, S>>>;

impl<K, V, S> fmt::Debug for ShardedLruCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedLruCache")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl<K: Hash + Eq, V: Clone> ShardedLruCache<K, V> {
    /// A cache of at least `capacity` entries, with four shards per CPU
    /// (rounded to a power of two, and never more shards than entries).
    ///
    /// # Errors
    /// As [`LruCache::new`].
    pub fn new(capacity: usize) -> Result<Self, CapacityError> {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_shards(capacity, 4 * cpus)
    }

    /// A cache of at least `capacity` entries split over `shards` shards
    /// (rounded up to a power of two, at most `capacity`).
    ///
    /// ```
    /// # use mastery_interview::lru_cache::ShardedLruCache;
    /// let cache = ShardedLruCache::with_shards(1000, 8)?;
    /// std::thread::scope(|s| {
    ///     for t in 0..2u64 {
    ///         let cache = &cache;
    ///         s.spawn(move || for k in 0..100 { cache.put(t * 1000 + k, k); });
    ///     }
    /// });
    /// assert_eq!(cache.len(), 200);
    /// assert_eq!(cache.get(&1042), Some(42));
    /// # Ok::<(), mastery_interview::lru_cache::CapacityError>(())
    /// ```
    ///
    /// # Errors
    /// As [`LruCache::new`].
    pub fn with_shards(capacity: usize, shards: usize) -> Result<Self, CapacityError> {
        check_capacity(capacity)?;
        // At most 2^16 shards keeps the shard bits (32..48 of the hash) clear
        // of the bits hashbrown uses inside each shard (low bits pick the
        // bucket, the top 7 are the tag), so every shard's table stays well
        // spread.
        let shards = shards
            .clamp(1, capacity.min(1 << 16))
            .next_power_of_two()
            .min(1 << 16);
        let per_shard = capacity.div_ceil(shards);
        let hasher = DefaultHashBuilder::default();
        let shards = (0..shards)
            .map(|_| {
                LruCache::with_hasher(per_shard, hasher.clone())
                    .map(|c| CacheLinePadded(Mutex::new(c)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mask = shards.len() as u64 - 1;
        Ok(ShardedLruCache {
            shards: shards.into_boxed_slice(),
            hasher,
            mask,
        })
    }
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher> ShardedLruCache<K, V, S> {
    fn shard(&self, hash: u64) -> std::sync::MutexGuard<'_, LruCache<K, V, S>> {
        // The shard's state is consistent even if another thread panicked
        // while holding the lock: the only user code run under it is the
        // key's `Hash`/`Eq`, which runs before any mutation.
        self.shards[((hash >> 32) & self.mask) as usize]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A clone of the value for `key`, marking it most recently used in its shard.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.shard(hash).get_hashed(hash, key).cloned()
    }

    /// Inserts `key`; returns the displaced entry as [`LruCache::put`] does.
    pub fn put(&self, key: K, value: V) -> Option<(K, V)> {
        let hash = self.hasher.hash_one(&key);
        self.shard(hash).put_hashed(hash, key, value)
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shard(self.hasher.hash_one(key)).remove(key)
    }

    /// Whether `key` is cached (recency unchanged).
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shard(self.hasher.hash_one(key)).contains(key)
    }

    /// Entries across all shards (a snapshot: other threads may change it).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.0.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether no shard holds an entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total capacity: shards × per-shard capacity (at least what was asked).
    pub fn capacity(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.0.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .capacity()
            })
            .sum()
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// Empties every shard.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            shard
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
        }
    }
}

// ---------------------------------------------------------------------------
// The demo
// ---------------------------------------------------------------------------

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/lru-cache",
        area: Area::Interview,
        rank: 1,
        title: "A custom LRU cache (vs functools.lru_cache)",
        python: "@functools.lru_cache(maxsize=N); an OrderedDict with move_to_end",
        rust: "LruCache<K, V>: slab of index-linked nodes + hashbrown HashTable, safe and O(1); memoize; sharded for threads",
        path: "interview/src/lru_cache.rs",
        source: include_str!("lru_cache.rs"),
        run: demo,
    }
}

/// Zipf exponent of the demo and bench workloads: a few hot keys, a long tail.
pub const ZIPF_EXPONENT: f64 = 1.0;

/// The workload of the demo and the bench: `get`, and `put` on a miss.
/// Returns the number of hits.
pub fn run_workload(cache: &mut LruCache<u64, u64>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.put(k, k);
        }
    }
    hits
}

/// [`run_workload`] on the `lru` crate, for comparison.
pub fn run_workload_lru_crate(cache: &mut lru::LruCache<u64, u64>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.put(k, k);
        }
    }
    hits
}

/// [`run_workload`] on the sharded cache, callable from many threads.
pub fn run_workload_sharded(cache: &ShardedLruCache<u64, u64>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.put(k, k);
        }
    }
    hits
}

/// [`run_workload`] on `quick_cache`, for comparison.
pub fn run_workload_quick_cache(cache: &quick_cache::sync::Cache<u64, u64>, keys: &[u64]) -> u64 {
    let mut hits = 0;
    for &k in keys {
        if cache.get(&k).is_some() {
            hits += 1;
        } else {
            cache.insert(k, k);
        }
    }
    hits
}

/// Runs `work` on one thread per key stream and sums what they return.
pub fn on_threads(streams: &[Vec<u64>], work: impl Fn(&[u64]) -> u64 + Sync) -> u64 {
    std::thread::scope(|s| {
        let handles: Vec<_> = streams.iter().map(|keys| s.spawn(|| work(keys))).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .sum()
    })
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    eviction_order(n)?;
    versus_lru_crate(n)?;
    sharded_versus_quick_cache(n)?;
    memoized_recursion(n)
}

fn eviction_order(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Eviction order on a cache of capacity 3");
    let mut cache = LruCache::new(3)?;
    let order = |cache: &LruCache<&str, i32>| {
        cache
            .iter()
            .map(|(k, _)| *k)
            .collect::<Vec<_>>()
            .join(" > ")
    };
    for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
        cache.put(k, v);
    }
    n.show(format!("put a, b, c          recency: {}", order(&cache)));
    cache.get(&"a");
    n.show(format!("get a                recency: {}", order(&cache)));
    let evicted = cache.put("d", 4);
    n.show(format!(
        "put d → evicts {:?}  recency: {}",
        evicted,
        order(&cache)
    ));
    n.say("Reading `a` made it most recent, so `b` — the least recently used — went first.");
    Ok(())
}

fn versus_lru_crate(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Ours vs the `lru` crate: get, and put on a miss, Zipf keys");
    let ops = n.mode().pick(20_000, 1_000_000);
    for capacity in n.mode().pick([100, 1_000], [1_000, 100_000]) {
        let universe = capacity as u64 * 10;
        let keys = workload::zipf_keys(ops, universe, ZIPF_EXPONENT, 42)?;
        n.say(&format!(
            "capacity {capacity}, {ops} operations over {universe} distinct keys (Zipf s = {ZIPF_EXPONENT}); both caches warmed by one pass first."
        ));
        let mut ours = LruCache::new(capacity)?;
        let mut peer =
            lru::LruCache::new(std::num::NonZeroUsize::new(capacity).ok_or(CapacityError::Zero)?);
        let ours_hits = run_workload(&mut ours, &keys);
        let peer_hits = run_workload_lru_crate(&mut peer, &keys);
        anyhow::ensure!(
            ours_hits == peer_hits,
            "both caches are exact LRUs and must hit alike: ours {ours_hits}, lru crate {peer_hits}"
        );
        let hit_ratio = 100.0 * ours_hits as f64 / ops as f64;
        n.record(
            &format!("hit ratio at capacity {capacity} (identical for both)"),
            hit_ratio,
            Unit::Percent,
        );
        n.compare_timed(
            &format!("get/put, capacity {capacity}"),
            ops as u64,
            || run_workload(&mut ours, &keys),
            "lru crate",
            || run_workload_lru_crate(&mut peer, &keys),
        );
    }
    Ok(())
}

fn sharded_versus_quick_cache(n: &mut Narrator) -> anyhow::Result<()> {
    const THREADS: usize = 2;
    n.section("Sharded cache vs `quick_cache`, 2 threads");
    let capacity = n.mode().pick(1_000, 100_000);
    let ops_per_thread = n.mode().pick(10_000, 500_000);
    let universe = capacity as u64 * 10;
    let streams: Vec<Vec<u64>> = (0..THREADS)
        .map(|t| workload::zipf_keys(ops_per_thread, universe, ZIPF_EXPONENT, 7 + t as u64))
        .collect::<anyhow::Result<_>>()?;
    n.say(&format!(
        "capacity {capacity}; each of {THREADS} threads runs get-or-put on its own Zipf stream of {ops_per_thread} keys. \
         quick_cache uses S3-FIFO-style admission rather than LRU, so its hit ratio differs — both are measured."
    ));
    let ours = ShardedLruCache::new(capacity)?;
    let peer: quick_cache::sync::Cache<u64, u64> = quick_cache::sync::Cache::new(capacity);
    let ours_hits = || on_threads(&streams, |keys| run_workload_sharded(&ours, keys));
    let peer_hits = || on_threads(&streams, |keys| run_workload_quick_cache(&peer, keys));
    let total = (THREADS * ops_per_thread) as f64;
    // First pass warms both caches; the second measures their hit ratio warm.
    ours_hits();
    peer_hits();
    n.compare(
        "hit ratio, warm",
        100.0 * ours_hits() as f64 / total,
        100.0 * peer_hits() as f64 / total,
        "quick_cache",
        Unit::Percent,
    );
    n.compare_timed(
        "get/put, 2 threads",
        (THREADS * ops_per_thread) as u64,
        ours_hits,
        "quick_cache",
        peer_hits,
    );
    n.record(
        "shards in our cache",
        ours.shard_count() as f64,
        Unit::Count,
    );
    Ok(())
}

fn memoized_recursion(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("memoize: @lru_cache on a recursive function");
    let arg: u64 = n.mode().pick(20, 27);
    let calls = std::cell::Cell::new(0u64);
    let plain = |arg| {
        fn fib(n: u64, calls: &std::cell::Cell<u64>) -> u64 {
            calls.set(calls.get() + 1);
            if n < 2 {
                n
            } else {
                fib(n - 1, calls) + fib(n - 2, calls)
            }
        }
        fib(arg, &calls)
    };
    let plain_result = plain(arg);
    let plain_calls = calls.get();
    let mut memo = memoize_recursive(
        128,
        |fib, n: u64| if n < 2 { n } else { fib(n - 1) + fib(n - 2) },
    )?;
    let memo_result = memo.call(arg);
    anyhow::ensure!(
        plain_result == memo_result,
        "memoized fib({arg}) = {memo_result}, plain = {plain_result}"
    );
    let info = memo.info();
    n.say(&format!(
        "fib({arg}) = {memo_result}, counted on both paths:"
    ));
    n.record(
        &format!("function calls, plain recursion fib({arg})"),
        plain_calls as f64,
        Unit::Count,
    );
    n.record(
        &format!("function calls (misses), memoized fib({arg})"),
        info.misses as f64,
        Unit::Count,
    );
    n.record(
        &format!("cache hits, memoized fib({arg})"),
        info.hits as f64,
        Unit::Count,
    );
    n.compare_timed(
        &format!("fib({arg}), cold cache each call"),
        1,
        || {
            memo.clear();
            memo.call(arg)
        },
        "plain recursion",
        || plain(arg),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mastery_kit::Mode;
    use proptest::prelude::*;

    fn keys<K: Clone + Hash + Eq, V, S: BuildHasher>(cache: &LruCache<K, V, S>) -> Vec<K> {
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
        let mut n = Narrator::silent("interview/lru-cache", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        assert!(n.comparisons().iter().any(|c| c.peer_name == "lru crate"));
        assert!(n.comparisons().iter().any(|c| c.peer_name == "quick_cache"));
    }

    // ---- model-based property test -------------------------------------

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
}
