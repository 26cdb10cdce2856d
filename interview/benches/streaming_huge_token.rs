//! One huge token, fed 64 KiB at a time: a JSON string, an XML text node
//! and a CSV field of 4 MB and of 16 MB, so that linear scaling is visible
//! at a glance — the 16 MB parse should take about four times as long as
//! the 4 MB one, and the MB/s criterion prints should be about the same.
//!
//! A token cut by many chunk boundaries is the slow path of every parser
//! (its bytes are collected in `pending` until its end arrives); before the
//! fix a JSON string cost O(chunks × length). The deterministic proof is
//! the work-counting test (`check_huge_tokens_cost_linear_work`); this
//! bench shows the same thing in time.
//!
//! - `huge-token/json-string/<size>` — `"…"`, one string event.
//! - `huge-token/xml-text/<size>` — `<a>…</a>`, one text event.
//! - `huge-token/csv-field/<size>` — one unquoted field and a line end.
//!
//! The token's text repeats a short phrase with a two-byte character in
//! it, so chunk boundaries also cut characters. Throughput is in bytes of
//! input, so criterion prints MB/s.
//! Run: `cargo bench -p mastery-interview --bench streaming_huge_token`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser};
use mastery_interview::streaming_parsers::json::{JsonOptions, JsonParser};
use mastery_interview::streaming_parsers::xml::{XmlOptions, XmlParser};
use mastery_interview::streaming_parsers::{PushParser, READ_CHUNK_SIZE, count_in_chunks};

/// The two token sizes: far enough apart (×4) that a quadratic parser
/// would show a sixteen-fold time and a linear one a four-fold time.
const SIZES: [usize; 2] = [4_000_000, 16_000_000];

/// `size` bytes of text with no byte any of the three formats treats as
/// markup (no quote, backslash, `<`, `&`, comma or line end).
fn token_text(size: usize) -> Vec<u8> {
    const PHRASE: &[u8] = "one huge token, café ".as_bytes();
    let phrase: Vec<u8> = PHRASE.iter().copied().filter(|&b| b != b',').collect();
    let mut text: Vec<u8> = phrase.iter().copied().cycle().take(size).collect();
    // The cut may fall inside `é`; end on whole characters.
    while std::str::from_utf8(&text).is_err() {
        text.pop();
    }
    text
}

/// `text` between `open` and `close`.
fn wrapped(open: &[u8], text: &[u8], close: &[u8]) -> Vec<u8> {
    [open, text, close].concat()
}

/// Adds `<format>/<size>` to the group: `parser` over `input`, in
/// [`READ_CHUNK_SIZE`] pieces, after checking it gives `events` events.
fn bench_one<P: PushParser>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    format: &str,
    mut parser: P,
    input: &[u8],
    events: u64,
) {
    let parsed = count_in_chunks(&mut parser, input, READ_CHUNK_SIZE);
    assert_eq!(parsed, Ok(events), "{format}: the huge token parses");
    group.throughput(Throughput::Bytes(input.len() as u64));
    let size = format!("{}MB", input.len() / 1_000_000);
    group.bench_with_input(BenchmarkId::new(format, size), input, |b, input| {
        b.iter(|| count_in_chunks(&mut parser, black_box(input), READ_CHUNK_SIZE))
    });
}

fn huge_token(c: &mut Criterion) {
    let mut group = c.benchmark_group("huge-token");
    // Each sample parses megabytes; ten are enough to see a four-fold step.
    group.sample_size(10);
    for size in SIZES {
        let text = token_text(size);
        let json = wrapped(b"\"", &text, b"\"");
        bench_one(
            &mut group,
            "json-string",
            JsonParser::new(JsonOptions::default()),
            &json,
            1,
        );
        let xml = wrapped(b"<a>", &text, b"</a>");
        bench_one(
            &mut group,
            "xml-text",
            XmlParser::new(XmlOptions::default()),
            &xml,
            3,
        );
        let csv = wrapped(b"", &text, b"\n");
        bench_one(
            &mut group,
            "csv-field",
            CsvParser::new(CsvOptions::default()),
            &csv,
            1,
        );
    }
    group.finish();
}

criterion_group!(benches, huge_token);
criterion_main!(benches);
