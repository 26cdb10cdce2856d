//! Streaming XML parsing: ours vs `quick-xml`, on the same generated
//! document (`xml::bench_input_xml`: records of nested elements, prefixed
//! and plain attributes, text with predefined and character references,
//! non-ASCII text, CDATA sections, comments, empty elements).
//!
//! - `xml/ours` — `XmlParser::feed` over the whole input, counting events
//!   (the borrowed-event fast path). Every event is complete: text with its
//!   references expanded and line ends normalized, attributes normalized
//!   and unescaped, namespaces resolved, every well-formedness constraint
//!   checked (names per the XML 1.0 productions, every character in the
//!   `Char` production, UTF-8 validated, matching end tags, unique
//!   attributes, one root).
//! - `xml/ours-64KiB-chunks` — the same input fed in 64 KiB chunks, the way
//!   a file or socket delivers it (tokens cut at chunk boundaries included).
//! - `xml/quick-xml` — `quick_xml::Reader::from_reader(&input[..])` and
//!   `read_event_into` with one reused buffer, counting events. With its
//!   default configuration quick-xml checks much less: end tags against
//!   start tags, and little else — it does not validate UTF-8 or names,
//!   does not look inside attributes (not even for duplicates) unless asked,
//!   does not unescape text or resolve namespaces, and splits text at every
//!   reference (`&amp;` is its own `GeneralRef` event). So it counts more
//!   events for the same input and does less per byte.
//! - `xml/quick-xml-attributes` — the same, plus what a caller must add to
//!   get what ours hands out: iterate every attribute (duplicate check on)
//!   and unescape its value, and unescape text (`xml10_content`, which also
//!   normalizes line ends). Still no UTF-8 check of the whole input, no
//!   name checks, no namespace resolution.
//!
//! Throughput is in bytes of input, so criterion prints MB/s.
//! Run: `cargo bench -p mastery-interview --bench streaming_xml`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mastery_interview::streaming_parsers::count_in_chunks;
use mastery_interview::streaming_parsers::xml::{XmlOptions, XmlParser, bench_input_xml};
use quick_xml::events::Event;

const INPUT_BYTES: usize = 50_000_000;
const CHUNK: usize = 64 * 1024;

/// Events of `input` fed in `chunk`-byte pieces to a reused parser.
fn count_ours(parser: &mut XmlParser, input: &[u8], chunk: usize) -> u64 {
    count_in_chunks(parser, input, chunk).expect("the bench input is valid XML")
}

/// quick-xml's events, with one reused buffer.
fn count_quick_xml(input: &[u8]) -> u64 {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut events = 0u64;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => return events,
            Ok(event) => {
                black_box(&event);
                events += 1;
            }
            Err(e) => panic!("quick-xml rejects the bench input: {e}"),
        }
        buf.clear();
    }
}

/// quick-xml's events, with every attribute unescaped and every text
/// decoded, as a caller would to get what ours hands out.
fn count_quick_xml_attributes(input: &[u8]) -> u64 {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut events = 0u64;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => return events,
            Ok(Event::Start(e) | Event::Empty(e)) => {
                for attribute in e.attributes() {
                    let attribute = attribute.expect("well-formed attributes");
                    black_box(attribute.unescape_value().expect("valid references"));
                }
                events += 1;
            }
            Ok(Event::Text(t)) => {
                black_box(t.xml10_content().expect("UTF-8 text"));
                events += 1;
            }
            Ok(event) => {
                black_box(&event);
                events += 1;
            }
            Err(e) => panic!("quick-xml rejects the bench input: {e}"),
        }
        buf.clear();
    }
}

fn xml(c: &mut Criterion) {
    let input = bench_input_xml(INPUT_BYTES, 2024);
    let mut parser = XmlParser::new(XmlOptions::default());
    let events = count_ours(&mut parser, &input, input.len());
    assert_eq!(count_ours(&mut parser, &input, CHUNK), events);
    let theirs = count_quick_xml(&input);
    assert_eq!(count_quick_xml_attributes(&input), theirs);
    eprintln!(
        "xml input: {:.1} MB; ours {events} events, quick-xml {theirs} (it splits text at references)",
        input.len() as f64 / 1e6
    );

    let mut group = c.benchmark_group("xml");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(10);
    group.bench_function("ours", |b| {
        b.iter(|| count_ours(&mut parser, black_box(&input), input.len()))
    });
    group.bench_function("ours-64KiB-chunks", |b| {
        b.iter(|| count_ours(&mut parser, black_box(&input), CHUNK))
    });
    group.bench_function("quick-xml", |b| {
        b.iter(|| count_quick_xml(black_box(&input)))
    });
    group.bench_function("quick-xml-attributes", |b| {
        b.iter(|| count_quick_xml_attributes(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, xml);
criterion_main!(benches);
