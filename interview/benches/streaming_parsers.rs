//! Streaming JSON parsing: ours vs `serde_json`, on the same ~50 MB of
//! varied JSON (`json::bench_input_json`: records with nested objects and
//! arrays, escapes, non-ASCII text, integers, decimals, exponents).
//!
//! - `json/ours` — `JsonParser::feed` over the whole input, counting events
//!   (the borrowed-event fast path).
//! - `json/ours-64KiB-chunks` — the same input fed in 64 KiB chunks, the way
//!   a file or socket delivers it (tokens cut at chunk boundaries included).
//! - `json/serde_json` — `serde_json::from_slice::<IgnoredAny>`: a full
//!   syntax check that builds nothing. It neither checks UTF-8 inside
//!   strings nor decodes escapes, both of which ours must do to hand out
//!   `&str` events.
//! - `json/ours-str` and `json/serde_json-str` — the same two given the
//!   input as `&str` (`JsonParser::feed_str`, `serde_json::from_str`):
//!   UTF-8 is then known and neither checks it, which takes the one pass
//!   serde_json skips above out of ours as well.
//! - `json/serde_json-visitor` — the same job as ours as far as serde allows:
//!   a visitor that counts every value and receives every string and key as
//!   `&str` (UTF-8 checked, escapes decoded, borrowed when possible). Unlike
//!   ours it also converts every number to `u64`/`i64`/`f64`.
//!
//! Throughput is in bytes of input, so criterion prints MB/s.
//! Run: `cargo bench -p mastery-interview --bench streaming_parsers`.

mod streaming_common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mastery_interview::streaming_parsers::json::{JsonOptions, JsonParser, bench_input_json};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use streaming_common::{INPUT_BYTES, count_ours_both_ways, group_with_ours};

/// Events of `text` fed whole through `feed_str` to a reused parser.
fn count_ours_str(parser: &mut JsonParser, text: &str) -> u64 {
    let mut events = 0;
    parser.reset();
    parser
        .feed_str(text, |_| events += 1)
        .and_then(|()| parser.finish(|_| events += 1))
        .expect("the bench input is valid JSON");
    events
}

/// Counts the "events" serde_json delivers: scalars, strings and keys as
/// `&str`, and two per array or object.
struct Counted(u64);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CountVisitor)
    }
}

struct CountVisitor;

impl<'de> Visitor<'de> for CountVisitor {
    type Value = Counted;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Counted, E> {
        Ok(Counted(1))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Counted, E> {
        Ok(Counted(1))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Counted, E> {
        Ok(Counted(1))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Counted, E> {
        Ok(Counted(1))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Counted, E> {
        black_box(s);
        Ok(Counted(1))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Counted, E> {
        black_box(s);
        Ok(Counted(1))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Counted, E> {
        Ok(Counted(1))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Counted, A::Error> {
        let mut n = 2;
        while let Some(Counted(k)) = seq.next_element()? {
            n += k;
        }
        Ok(Counted(n))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counted, A::Error> {
        let mut n = 2;
        while let Some(Counted(k)) = map.next_key()? {
            let Counted(v) = map.next_value()?;
            n += k + v;
        }
        Ok(Counted(n))
    }
}

fn json(c: &mut Criterion) {
    let input = bench_input_json(INPUT_BYTES, 2024);
    let mut parser = JsonParser::new(JsonOptions::default());
    let events = count_ours_both_ways(&mut parser, &input);
    let text = std::str::from_utf8(&input).expect("the bench input is UTF-8");
    assert_eq!(count_ours_str(&mut parser, text), events);
    serde_json::from_slice::<IgnoredAny>(&input).expect("serde_json accepts the bench input");
    let counted =
        serde_json::from_slice::<Counted>(&input).expect("serde_json accepts the bench input");
    assert_eq!(counted.0, events, "both count the same events");
    eprintln!(
        "json input: {:.1} MB, {events} events",
        input.len() as f64 / 1e6
    );

    let mut group = group_with_ours(c, "json", &mut parser, &input);
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<IgnoredAny>(black_box(&input)))
    });
    group.bench_function("ours-str", |b| {
        b.iter(|| count_ours_str(&mut parser, black_box(text)))
    });
    group.bench_function("serde_json-str", |b| {
        b.iter(|| serde_json::from_str::<IgnoredAny>(black_box(text)))
    });
    group.bench_function("serde_json-visitor", |b| {
        b.iter(|| serde_json::from_slice::<Counted>(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, json);
criterion_main!(benches);
