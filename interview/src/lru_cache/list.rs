//! The recency list: a doubly linked list whose "pointers" are `u32` slot
//! indices, stored in an array of their own.
//!
//! `links[i]` is the place of the cache's slot `i` in the list. Nothing here
//! knows about keys or values, and nothing here calls user code, so every
//! method runs to completion or not at all.

/// "No slot": the end of the list in either direction.
pub(super) const NIL: u32 = u32::MAX;

/// A slot's neighbours in the recency list.
#[derive(Clone, Copy, Debug)]
pub(super) struct Link {
    /// Towards the most recently used end (`NIL` at the head).
    pub(super) prev: u32,
    /// Towards the least recently used end (`NIL` at the tail).
    pub(super) next: u32,
}

/// The slots of a cache ordered from most to least recently used.
///
/// The links live apart from the keys and values: a hit rewrites the links
/// of two *other* entries (its neighbours) and of the head, and those writes
/// then touch a dense array of 8-byte links instead of whole entries. The
/// `lru-zipf` group of `cargo bench -p mastery-interview --bench lru` is the
/// workload this layout is for.
#[derive(Clone, Debug)]
pub(super) struct RecencyList {
    pub(super) links: Vec<Link>,
    /// Most recently used.
    pub(super) head: u32,
    /// Least recently used: the next to be evicted.
    pub(super) tail: u32,
}

impl RecencyList {
    pub(super) fn new() -> Self {
        RecencyList {
            links: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    pub(super) fn clear(&mut self) {
        self.links.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    /// Adds slot `index` (which must be `links.len()`, the next free one) as
    /// the most recently used.
    pub(super) fn push_new_front(&mut self, index: u32) {
        debug_assert_eq!(index as usize, self.links.len(), "slots are dense");
        let old_head = self.head;
        self.links.push(Link {
            prev: NIL,
            next: old_head,
        });
        self.set_prev(old_head, index);
        self.head = index;
    }

    /// Marks `index` most recently used: the hot path of every hit.
    ///
    /// Written out rather than as "unlink, then push to the front": a slot
    /// that is not the head always has a `prev`, and a list holding it always
    /// has a head, so neither needs the `NIL` check the general case makes.
    #[inline]
    pub(super) fn touch(&mut self, index: u32) {
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

    /// Takes slot `index` out of the list; its link is left stale, for
    /// [`RecencyList::swap_remove`] to drop.
    pub(super) fn unlink(&mut self, index: u32) {
        let Link { prev, next } = self.links[index as usize];
        self.set_next(prev, next);
        self.set_prev(next, prev);
    }

    /// Drops the (already unlinked) slot `index` the way `Vec::swap_remove`
    /// does: the last slot moves into `index`, and its neighbours (or
    /// `head`/`tail`) are re-pointed at its new place. The cache moves its
    /// entry and fixes its table the same way.
    pub(super) fn swap_remove(&mut self, index: u32) {
        let last = u32::try_from(self.links.len() - 1).expect("slot indices fit u32");
        if last != index {
            let Link { prev, next } = self.links[last as usize];
            self.set_next(prev, index);
            self.set_prev(next, index);
        }
        self.links.swap_remove(index as usize);
    }

    /// Makes `to` follow `slot`; a `slot` of `NIL` (before the first)
    /// makes `to` the head.
    fn set_next(&mut self, slot: u32, to: u32) {
        match slot {
            NIL => self.head = to,
            s => self.links[s as usize].next = to,
        }
    }

    /// Makes `to` precede `slot`; a `slot` of `NIL` (after the last) makes
    /// `to` the tail.
    fn set_prev(&mut self, slot: u32, to: u32) {
        match slot {
            NIL => self.tail = to,
            s => self.links[s as usize].prev = to,
        }
    }
}
