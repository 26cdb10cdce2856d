//! A small vector: a few items inline, the heap only when they spill.

// ANCHOR: inline_vec
/// A vector that keeps up to `N` items inline — no heap allocation at all —
/// and moves them to a `Vec` when the `N + 1`-th arrives: the idea of the
/// `smallvec` crate, in safe code (items are `Copy + Default`, so the
/// inline array can be filled up front). `N` is at most 255.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineVec<T: Copy + Default, const N: usize> {
    /// Up to `N` items in place.
    Inline {
        /// How many of `items` are in use.
        len: u8,
        /// The storage; items past `len` are `T::default()`.
        items: [T; N],
    },
    /// Spilled to the heap.
    Heap(Vec<T>),
}
// ANCHOR_END: inline_vec

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    /// An empty vector, inline.
    pub fn new() -> Self {
        const {
            assert!(
                N <= u8::MAX as usize,
                "InlineVec holds at most 255 items inline"
            )
        };
        InlineVec::Inline {
            len: 0,
            items: [T::default(); N],
        }
    }

    /// Appends `value`; the `N + 1`-th push moves everything to the heap.
    pub fn push(&mut self, value: T) {
        let spilled = match self {
            InlineVec::Heap(v) => {
                v.push(value);
                return;
            }
            InlineVec::Inline { len, items } => {
                let at = usize::from(*len);
                if at < N {
                    items[at] = value;
                    *len += 1;
                    return;
                }
                let mut v = Vec::with_capacity(2 * N.max(1));
                v.extend_from_slice(items);
                v.push(value);
                v
            }
        };
        *self = InlineVec::Heap(spilled);
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        match self {
            InlineVec::Inline { len, items } => &items[..usize::from(*len)],
            InlineVec::Heap(v) => v,
        }
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the items are still inline (nothing allocated).
    pub fn is_inline(&self) -> bool {
        matches!(self, InlineVec::Inline { .. })
    }
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Extend<T> for InlineVec<T, N> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            self.push(item);
        }
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for InlineVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = Self::new();
        v.extend(iter);
        v
    }
}
