//! The `interview/streaming-parsers` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! the same events for any chunking, strict errors with line and column,
//! memory that stays flat while hundreds of megabytes stream through, and
//! throughput side by side with `serde_json`, `csv` and `quick-xml`.

use std::io::{self, Read};

use anyhow::Context as _;
use mastery_kit::{Area, Narrator, Topic};

use super::ParseError;
use super::csv::{self as csv_parser, CsvOptions};
use super::json::{self, JsonEvent, JsonOptions, JsonParser};
use super::xml::{self, XmlOptions};

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/streaming-parsers",
        area: Area::Interview,
        rank: 5,
        title: "Streaming parsers (JSON/CSV/XML)",
        python: "ijson.items(f, 'item'), csv.reader(f), ElementTree.iterparse(f) + elem.clear()",
        rust: "strict push parsers (feed chunks, borrow events) for RFC 8259 JSON, RFC 4180 CSV and XML 1.0; constant memory; vs serde_json, csv, quick-xml",
        path: "interview/src/streaming_parsers/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    any_chunking_same_events(n)?;
    strict_errors(n);
    constant_memory(n)?;
    throughput(n)?;
    let mut python = ladder::start_ladder_python(n)?;
    ladder::json_ladder(n, python.as_mut())?;
    ladder::climb_csv_ladder(n, python.as_mut(), None)?;
    ladder::xml_ladder(n, python.as_mut())
}

fn any_chunking_same_events(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Any chunking gives the same events");
    let doc = br#"{"name": "Ad\u00e9le", "tags": ["x", "\ud83d\ude00"], "age": 36}"#;
    n.say(
        "The same document fed whole, then one byte at a time (every token cut \
         by a chunk boundary): the events are identical, and the strings that \
         spanned chunks were assembled in the parser's reusable buffer.",
    );
    let whole = json_events(&[&doc[..]])?;
    let bytes: Vec<&[u8]> = doc.chunks(1).collect();
    let by_byte = json_events(&bytes)?;
    for event in &whole {
        n.show(event);
    }
    anyhow::ensure!(whole == by_byte, "chunking changed the events");
    n.record_count("events, whole = events, byte by byte", whole.len());
    Ok(())
}

/// The events of `chunks` fed in order, rendered as text.
fn json_events(chunks: &[&[u8]]) -> Result<Vec<String>, ParseError> {
    let mut parser = JsonParser::new(JsonOptions::default());
    let mut events = Vec::new();
    let mut push = |e: JsonEvent<'_>| events.push(format!("{e:?}"));
    for chunk in chunks {
        parser.feed(chunk, &mut push)?;
    }
    parser.finish(&mut push)?;
    Ok(events)
}

fn strict_errors(n: &mut Narrator) {
    n.section("Strict: malformed input is an error with line and column");
    let cases: [(&str, &[u8]); 9] = [
        ("json", b"{\"a\": [1, 2,]}"),
        ("json", b"[01]"),
        ("json", b"\"\\ud800\""),
        ("csv", b"id,name\n1,Ada\n2\n"),
        ("csv", b"a,b\"c\n"),
        ("csv", b"\"open,quote\n"),
        ("xml", b"<a><b></a>"),
        ("xml", b"<a x='1' x='2'/>"),
        ("xml", b"<a>&undefined;</a>"),
    ];
    let mut rejected = 0u32;
    for (format, input) in cases {
        let result = match format {
            "json" => json::count_events(input, JsonOptions::default()).map(|_| ()),
            "csv" => csv_parser::count_records(input, CsvOptions::default()).map(|_| ()),
            _ => xml::count_events(input, XmlOptions::default()).map(|_| ()),
        };
        let shown = String::from_utf8_lossy(input).replace('\n', "\\n");
        match result {
            Ok(()) => n.show(format!("{format:<4} {shown:<22} accepted (unexpected!)")),
            Err(e) => {
                rejected += 1;
                let at = e.position();
                n.show(format!(
                    "{format:<4} {shown:<22} {}:{}: {}",
                    at.line,
                    at.column,
                    e.kind()
                ));
            }
        }
    }
    n.record_count("malformed inputs rejected (of 9)", rejected);
}

/// A generated input of `count` copies of `body` between `prefix` and
/// `suffix`, `separator` between copies, produced as it is read: the
/// bytes never exist in memory all at once.
struct Repeated {
    parts: [Vec<u8>; 4],
    count: u64,
    /// Which part is being read: prefix, body or separator (alternating),
    /// suffix, then done.
    stage: Stage,
    offset: usize,
    emitted: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Prefix,
    Body,
    Separator,
    Suffix,
    Done,
}

impl Repeated {
    fn new(prefix: &[u8], body: &[u8], separator: &[u8], suffix: &[u8], count: u64) -> Self {
        Repeated {
            parts: [
                prefix.to_vec(),
                body.to_vec(),
                separator.to_vec(),
                suffix.to_vec(),
            ],
            count,
            stage: Stage::Prefix,
            offset: 0,
            emitted: 0,
        }
    }

    fn total_len(&self) -> u64 {
        let [p, b, s, x] = &self.parts;
        p.len() as u64
            + self.count * b.len() as u64
            + self.count.saturating_sub(1) * s.len() as u64
            + x.len() as u64
    }

    fn next_stage(&mut self) {
        self.offset = 0;
        self.stage = match self.stage {
            Stage::Prefix => {
                if self.count == 0 {
                    Stage::Suffix
                } else {
                    Stage::Body
                }
            }
            Stage::Body => {
                self.emitted += 1;
                if self.emitted == self.count {
                    Stage::Suffix
                } else {
                    Stage::Separator
                }
            }
            Stage::Separator => Stage::Body,
            Stage::Suffix | Stage::Done => Stage::Done,
        };
    }
}

impl Read for Repeated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let part = match self.stage {
                Stage::Prefix => &self.parts[0],
                Stage::Body => &self.parts[1],
                Stage::Separator => &self.parts[2],
                Stage::Suffix => &self.parts[3],
                Stage::Done => return Ok(0),
            };
            let rest = &part[self.offset..];
            if rest.is_empty() {
                self.next_stage();
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.offset += n;
            return Ok(n);
        }
    }
}

/// Splits a generated document into prefix, repeatable body and suffix
/// around the first `open` marker's end and the last `close` marker.
fn split_document<'a>(
    doc: &'a [u8],
    open: &[u8],
    close: &[u8],
) -> anyhow::Result<(&'a [u8], &'a [u8], &'a [u8])> {
    let start = find(doc, open).context("the generated document has its opening")? + open.len();
    let end = rfind(doc, close).context("the generated document has its closing")?;
    anyhow::ensure!(
        start <= end,
        "opening after closing in the generated document"
    );
    Ok((&doc[..start], &doc[start..end], &doc[end..]))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn constant_memory(n: &mut Narrator) -> anyhow::Result<()> {
    // The peak heap is the parser's buffers and one read chunk at every
    // size, so a full run streams 50 MB (a thousand times the heap) and
    // leaves the long streams to deep mode.
    let total_mb = n.mode().pick_deep(4u64, 50, 200);
    n.section(&format!(
        "Constant memory: {total_mb} MB per format, streamed through a reader"
    ));
    n.say(
        "Each input is generated while it is read (a 1 MB block repeated), so \
         the document never exists in memory; the parser reads it 64 KiB at a \
         time. Peak heap is what the process held at once during the parse, \
         from the counting allocator the `mastery` binary installs. The peak \
         does not grow with the stream: `--deep` streams 200 MB per format.",
    );
    let block = 1_000_000;
    let copies = total_mb;

    let doc = json::bench_input_json(block, 1);
    let (prefix, body, suffix) = split_document(&doc, b"[\n", b"\n]")?;
    let input = Repeated::new(prefix, body, b",\n", suffix, copies);
    stream(n, "json", "events", input, |r| {
        json::count_events(r, JsonOptions::default()).map(|s| (s.events, s.bytes))
    })?;

    let doc = csv_parser::bench_input_csv(block, 2);
    let header_end = find(&doc, b"\n").context("the generated CSV has a header line")? + 1;
    let input = Repeated::new(&doc[..header_end], &doc[header_end..], b"", b"", copies);
    let options = CsvOptions {
        has_header: true,
        ..CsvOptions::default()
    };
    stream(n, "csv", "records", input, |r| {
        csv_parser::count_records(r, options).map(|s| (s.records, s.bytes))
    })?;

    let doc = xml::bench_input_xml(block, 3);
    let (prefix, body, suffix) = split_document(&doc, b"\">\n", b"</catalog>")?;
    let input = Repeated::new(prefix, body, b"", suffix, copies);
    stream(n, "xml", "events", input, |r| {
        xml::count_events(r, XmlOptions::default()).map(|s| (s.events, s.bytes))
    })
}

/// Streams `input` through `count` (which returns items and bytes read),
/// checks it was read to its end, and reports items and peak heap.
fn stream(
    n: &mut Narrator,
    format: &str,
    what: &str,
    input: Repeated,
    count: impl FnOnce(Repeated) -> Result<(u64, u64), ParseError>,
) -> anyhow::Result<()> {
    let bytes = input.total_len();
    let (result, peak) = mastery_kit::memory::peak_heap_during(|| count(input));
    let (items, read) = result?;
    anyhow::ensure!(read == bytes, "the {format} stream was not read to its end");
    report_stream(n, format, items, what, bytes, peak);
    Ok(())
}

fn report_stream(
    n: &mut Narrator,
    format: &str,
    items: u64,
    what: &str,
    bytes: u64,
    peak: Option<usize>,
) {
    n.record_count(&format!("{format}: {what} in the stream"), items);
    match peak {
        Some(peak) => {
            n.record_bytes(&format!("{format}: peak heap while streaming"), peak);
            n.show(format!(
                "{format}: {:.0} MB streamed, peak heap {:.2} MB ({:.4}% of the input)",
                bytes as f64 / 1e6,
                peak as f64 / 1e6,
                100.0 * peak as f64 / bytes as f64
            ));
        }
        None => n.show(format!(
            "{format}: {:.0} MB streamed; peak heap not measured here (run \
             `mastery run interview/streaming-parsers`, which installs the counting allocator)",
            bytes as f64 / 1e6
        )),
    }
}

fn throughput(n: &mut Narrator) -> anyhow::Result<()> {
    // 8 MB is far beyond L2, so the per-byte rates of a full run match the
    // 20 MB of deep mode; the smaller input only means less waiting.
    let size = n.mode().pick_deep(1usize << 20, 8 << 20, 20 << 20);
    n.section(&format!(
        "Throughput on {} MB of generated input, in memory",
        size >> 20
    ));
    n.say(
        "Ours is fed the whole input as one chunk and counts events; serde_json \
         does its cheapest complete pass. It checks less: IgnoredAny skips \
         string contents without decoding escapes or (for ignored strings) \
         validating UTF-8 — a pass over the whole input that ours must make \
         to hand out `&str`, so here both are given a `&str` (`feed_str`). \
         Each format from bytes against its peer is the last step of its \
         ladder, after this section. `--deep` runs 20 MB and more samples.",
    );

    // Text that is already a `&str` needs no UTF-8 check: the race with
    // the one pass serde_json skips taken out of ours too. From bytes, the
    // race is the last step of the JSON ladder.
    let text = String::from_utf8(json::bench_input_json(size, 11))?;
    let mut parser = JsonParser::new(JsonOptions::default());
    n.compare_throughput(
        "json from a &str: our events vs serde_json::from_str into IgnoredAny",
        text.len() as u64,
        || {
            let mut events = 0u64;
            parser.reset();
            let fed = parser.feed_str(&text, |_| events += 1);
            let done = fed.and_then(|()| parser.finish(|_| events += 1));
            done.map_or(0, |()| events)
        },
        "serde_json",
        || serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok(),
    );

    Ok(())
}

pub(super) mod ladder;

#[cfg(test)]
mod tests;
