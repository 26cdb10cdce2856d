//! Strategies: composed (CSV documents), recursive (JSON values), and the
//! same sorted `Vec` built by filtering and by mapping.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::Value;

/// Characters that need escaping in JSON or quoting in CSV, and a few that
/// do not (one of them two bytes long, so chunk cuts can fall inside it).
const TRICKY: [char; 9] = ['a', 'Z', ' ', 'é', '"', '\\', ',', '\n', '\u{1}'];

/// Short strings over [`TRICKY`]; shrinks towards `"a"`s and the empty
/// string.
fn tricky_string(max_len: usize) -> impl Strategy<Value = String> {
    vec(select(TRICKY.to_vec()), 0..=max_len).prop_map(|chars| chars.into_iter().collect())
}

// ANCHOR: strategies
/// Any JSON value: a recursive strategy. Leaves are `null`, booleans,
/// integers, finite floats and strings (of any Unicode); arrays and objects
/// nest up to four levels.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Only finite floats: JSON has no NaN or infinity.
        (prop::num::f64::NORMAL | prop::num::f64::ZERO).prop_map(Value::from),
        prop_oneof![tricky_string(8), any::<String>()].prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(tricky_string(6), inner, 0..6)
                .prop_map(|m: BTreeMap<String, Value>| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A CSV document as records: a composed strategy. First a field count,
/// then records of exactly that many fields (strict CSV needs every record
/// as wide as the first).
pub fn csv_records() -> impl Strategy<Value = Vec<Vec<String>>> {
    (1_usize..5).prop_flat_map(|fields| vec(vec(tricky_string(6), fields), 0..8))
}
// ANCHOR_END: strategies

/// A string and where to cut its JSON encoding into chunks.
#[derive(Debug, Clone)]
pub struct ChunkedString {
    /// The text.
    pub text: String,
    /// Cut points, each an [`Index`] into the encoded body's offsets.
    pub cuts: Vec<Index>,
}

impl ChunkedString {
    /// The body of the text's JSON encoding (without the quotes), as
    /// `serde_json` writes it.
    pub fn encoded(&self) -> String {
        let quoted = serde_json::Value::String(self.text.clone()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    }
}

/// Strings over [`TRICKY`] with one to three cut points.
pub fn chunked_string() -> impl Strategy<Value = ChunkedString> {
    (tricky_string(12), vec(any::<Index>(), 1..4))
        .prop_map(|(text, cuts)| ChunkedString { text, cuts })
}

/// Counts what a filter looked at: every draw, and the ones it kept.
#[derive(Debug, Clone, Default)]
pub struct DrawCount {
    drawn: Arc<AtomicU64>,
}

impl DrawCount {
    /// Draws the filter has looked at so far.
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }
}

/// Sorted vectors of 2 to 7 bytes by **filtering**: draw any vector, keep
/// it if it happens to be sorted. A vector of length n is sorted with a
/// chance of about 1 in n!, so most draws are thrown away, and the ones
/// kept are mostly the shortest. `count` sees every draw.
pub fn sorted_by_filter(count: &DrawCount) -> impl Strategy<Value = Vec<u8>> + use<> {
    let drawn = Arc::clone(&count.drawn);
    vec(any::<u8>(), 2..8).prop_filter("sorted", move |v| {
        drawn.fetch_add(1, Ordering::Relaxed);
        v.is_sorted()
    })
}

/// Sorted vectors of 2 to 7 bytes by **mapping**: draw any vector and sort
/// it. Every draw is kept, lengths stay uniform, and shrinking still works
/// (it shrinks the drawn vector, then sorts again).
pub fn sorted_by_map() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 2..8).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}
