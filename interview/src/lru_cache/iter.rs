//! Iterating an [`LruCache`](super::LruCache) in recency order
//! ([`LruCache::iter`] and its [`Iter`]), and its `Debug` output, which is
//! that order.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::iter::FusedIterator;

use super::cache::{LruCache, Node};
use super::list::{Link, RecencyList};

/// Iterator over an [`LruCache`] from most to least recently used; made by
/// [`LruCache::iter`]. Double-ended: `.rev()` walks the eviction order.
#[derive(Debug, Clone)]
pub struct Iter<'a, K, V> {
    nodes: &'a [Node<K, V>],
    links: &'a [Link],
    front: u32,
    back: u32,
    remaining: usize,
}

impl<K, V, S> LruCache<K, V, S> {
    /// The entries from most to least recently used (the eviction order
    /// reversed); iterating does not change recency.
    pub fn iter(&self) -> Iter<'_, K, V> {
        let (nodes, list) = self.slab_and_list();
        Iter::new(nodes, list)
    }
}

impl<'a, K, V> Iter<'a, K, V> {
    fn new(nodes: &'a [Node<K, V>], list: &'a RecencyList) -> Self {
        Iter {
            nodes,
            links: &list.links,
            front: list.head,
            back: list.tail,
            remaining: nodes.len(),
        }
    }

    /// The entry in `slot`, counted off; `None` once every entry has been
    /// yielded, from either end (the two cursors then have crossed).
    fn take(&mut self, slot: u32) -> Option<(&'a K, &'a V)> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        let node = &self.nodes[slot as usize];
        Some((&node.key, &node.value))
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let entry = self.take(self.front)?;
        self.front = self.links[self.front as usize].next;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> DoubleEndedIterator for Iter<'_, K, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let entry = self.take(self.back)?;
        self.back = self.links[self.back as usize].prev;
        Some(entry)
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

/// Prints the entries as a map, most recently used first.
impl<K: fmt::Debug, V: fmt::Debug, S> fmt::Debug for LruCache<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Entries are not printed inside an iterator's `Debug` (it may be a view
/// of a large cache); the cache's own `Debug` prints them.
impl<K, V> fmt::Debug for Node<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}
