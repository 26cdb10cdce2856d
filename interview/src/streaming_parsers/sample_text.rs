//! The words the generated JSON and XML inputs are made of
//! ([`json::bench_input_json`](super::json::bench_input_json),
//! [`xml::bench_input_xml`](super::xml::bench_input_xml)).

use std::ops::Range;

use rand::Rng;
use rand::rngs::SmallRng;

/// ASCII, accented Latin, CJK and an emoji: UTF-8 sequences of every
/// length, so the parsers' UTF-8 handling is on the measured path.
pub(crate) const WORDS: [&str; 12] = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "streaming",
    "parser",
    "chunk",
    "event",
    "naïve",
    "Größe",
    "東京",
    "😀",
];

/// A number of words drawn from `count`, separated by spaces, and before a
/// word, one time in eight, one of `specials` (escapes in JSON,
/// references in XML): what a format must decode.
pub(crate) fn push_words(
    rng: &mut SmallRng,
    out: &mut String,
    count: Range<usize>,
    specials: &[&str],
) {
    for w in 0..rng.random_range(count) {
        if w > 0 {
            out.push(' ');
        }
        if rng.random_ratio(1, 8) {
            out.push_str(specials[rng.random_range(0..specials.len())]);
        }
        out.push_str(WORDS[rng.random_range(0..WORDS.len())]);
    }
}
