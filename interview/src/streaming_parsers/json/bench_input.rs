//! The benchmark and demo input: [`bench_input_json`].

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::streaming_parsers::sample_text::push_words;

/// A deterministic JSON document of at least `size_bytes` bytes, varied the
/// way real data is: an array of records with nested objects and arrays,
/// integers, decimals and exponents, ASCII and non-ASCII text, escapes
/// (`\"`, `\n`, `\u00e9`, surrogate pairs), booleans and nulls. The same
/// `seed` gives the same bytes.
pub fn bench_input_json(size_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = String::with_capacity(size_bytes + 1024);
    out.push_str("[\n");
    let mut id = 0u64;
    while out.len() < size_bytes || id == 0 {
        if id > 0 {
            out.push_str(",\n");
        }
        write_record(&mut rng, &mut out, id).expect("writing to a String cannot fail");
        id += 1;
    }
    out.push_str("\n]\n");
    out.into_bytes()
}

/// One record of [`bench_input_json`].
fn write_record(rng: &mut SmallRng, out: &mut String, id: u64) -> std::fmt::Result {
    use std::fmt::Write as _;
    write!(out, "{{\"id\":{id},\"name\":")?;
    push_text(rng, out, 1..4);
    let active = rng.random_bool(0.5);
    let score = rng.random_range(-1000.0..1000.0f64);
    let ratio = 10f64.powf(rng.random_range(-9.0..9.0));
    write!(
        out,
        ",\"active\":{active},\"score\":{score:.3},\"ratio\":{ratio:.2e},\"tags\":["
    )?;
    for t in 0..rng.random_range(0..5) {
        if t > 0 {
            out.push(',');
        }
        push_text(rng, out, 1..2);
    }
    let lat = rng.random_range(-90.0..90.0f64);
    let lon = rng.random_range(-180.0..180.0f64);
    write!(
        out,
        "],\"geo\":{{\"lat\":{lat:.5},\"lon\":{lon:.5}}},\"history\":["
    )?;
    for h in 0..rng.random_range(0..4) {
        if h > 0 {
            out.push(',');
        }
        let count = rng.random_range(0..100_000u32);
        let delta = rng.random_range(-50..50i32);
        write!(out, "[{count},{delta},null]")?;
    }
    out.push_str("],\"note\":");
    if rng.random_ratio(1, 3) {
        out.push_str("null");
    } else {
        push_text(rng, out, 3..12);
    }
    out.push('}');
    Ok(())
}

/// A JSON string of a few words, some non-ASCII, some after an escape.
fn push_text(rng: &mut SmallRng, out: &mut String, words: std::ops::Range<usize>) {
    const ESCAPES: [&str; 6] = ["\\\"", "\\n", "\\u00e9", "\\ud83d\\ude00", "\\\\", "\\t"];
    out.push('"');
    push_words(rng, out, words, &ESCAPES);
    out.push('"');
}
