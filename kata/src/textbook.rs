//! The kit's own answers as kata implementations: the lesson's textbook
//! code with the kata's trait, the very block `mastery kata new ID
//! --solution` writes after it (`kata/solutions/<id>.rs`). The kit's check
//! that every kata's tests are real starts here: the textbook passes them.

use std::hash::Hash;
use std::num::NonZeroUsize;

use crate::lru_cache::{LruFamily, LruKata};
pub use mastery_interview::lru_cache::SimpleLru;

include!("../solutions/lru_cache.rs");

/// `SimpleLru` at every key and value type.
#[derive(Debug)]
pub struct TextbookLru;

impl LruFamily for TextbookLru {
    type Of<K: Hash + Eq + Clone, V> = SimpleLru<K, V>;
}
