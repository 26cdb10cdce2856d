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

mod streaming_common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mastery_interview::streaming_parsers::xml::{XmlOptions, XmlParser, bench_input_xml};
use quick_xml::events::Event;
use streaming_common::{INPUT_BYTES, count_ours_both_ways, group_with_ours};

/// quick-xml's events, with one reused buffer, each handed to `inspect`.
/// `inspect` is a type parameter, so each caller gets its own copy of the
/// loop, compiled as if written out there.
fn count_quick_xml_with(input: &[u8], mut inspect: impl FnMut(Event<'_>)) -> u64 {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut events = 0u64;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => return events,
            Ok(event) => {
                inspect(event);
                events += 1;
            }
            Err(e) => panic!("quick-xml rejects the bench input: {e}"),
        }
        buf.clear();
    }
}

/// quick-xml's events, with one reused buffer.
fn count_quick_xml(input: &[u8]) -> u64 {
    count_quick_xml_with(input, |event| {
        black_box(&event);
    })
}

/// quick-xml's events, with every attribute unescaped and every text
/// decoded, as a caller would to get what ours hands out.
fn count_quick_xml_attributes(input: &[u8]) -> u64 {
    count_quick_xml_with(input, |event| match event {
        Event::Start(e) | Event::Empty(e) => {
            for attribute in e.attributes() {
                let attribute = attribute.expect("well-formed attributes");
                black_box(attribute.unescape_value().expect("valid references"));
            }
        }
        Event::Text(t) => {
            black_box(t.xml10_content().expect("UTF-8 text"));
        }
        event => {
            black_box(&event);
        }
    })
}

fn xml(c: &mut Criterion) {
    let input = bench_input_xml(INPUT_BYTES, 2024);
    let mut parser = XmlParser::new(XmlOptions::default());
    let events = count_ours_both_ways(&mut parser, &input);
    let theirs = count_quick_xml(&input);
    assert_eq!(count_quick_xml_attributes(&input), theirs);
    eprintln!(
        "xml input: {:.1} MB; ours {events} events, quick-xml {theirs} (it splits text at references)",
        input.len() as f64 / 1e6
    );

    let mut group = group_with_ours(c, "xml", &mut parser, &input);
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
