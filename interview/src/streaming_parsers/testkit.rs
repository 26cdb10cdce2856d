//! Test helpers shared by the three parsers' suites: feed an input whole,
//! cut at given points, byte by byte or as text, and collect owned events
//! and the error — so every format's chunking tests run the same way.

use std::io;

use super::csv::{CsvOptions, CsvParser};
use super::json::{JsonOptions, JsonParser};
use super::xml::{XmlOptions, XmlParser};
use super::{ParseError, PushParser, Summary};

/// What a parse produced: the events before the error, and the error.
pub(crate) type Outcome<E> = (Vec<E>, Option<ParseError>);

/// A chunk a parser can be fed: bytes through `feed`, text through
/// `feed_str`.
pub(crate) trait Chunk {
    fn feed_to<P: PushParser, F: FnMut(P::Event<'_>)>(
        &self,
        parser: &mut P,
        on_event: F,
    ) -> Result<(), ParseError>;
}

impl Chunk for &[u8] {
    fn feed_to<P: PushParser, F: FnMut(P::Event<'_>)>(
        &self,
        parser: &mut P,
        on_event: F,
    ) -> Result<(), ParseError> {
        parser.feed(self, on_event)
    }
}

impl Chunk for &str {
    fn feed_to<P: PushParser, F: FnMut(P::Event<'_>)>(
        &self,
        parser: &mut P,
        on_event: F,
    ) -> Result<(), ParseError> {
        parser.feed_str(self, on_event)
    }
}

/// Feeds `chunks` one after another to `parser`, then finishes.
pub(crate) fn feed_all<P: PushParser, C: Chunk>(
    mut parser: P,
    chunks: &[C],
) -> Outcome<P::OwnedEvent> {
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = chunk.feed_to(&mut parser, |e| events.push(P::to_owned_event(&e))) {
            return (events, Some(e));
        }
    }
    let end = parser.finish(|e| events.push(P::to_owned_event(&e)));
    (events, end.err())
}

/// A format's options, which make its parser: the helpers below take the
/// options, as each format's tests do, and know the parser from them.
pub(crate) trait ParserOptions: Copy {
    type Parser: PushParser;
    fn parser(self) -> Self::Parser;
}

impl ParserOptions for JsonOptions {
    type Parser = JsonParser;
    fn parser(self) -> JsonParser {
        JsonParser::new(self)
    }
}

impl ParserOptions for CsvOptions {
    type Parser = CsvParser;
    fn parser(self) -> CsvParser {
        CsvParser::new(self)
    }
}

impl ParserOptions for XmlOptions {
    type Parser = XmlParser;
    fn parser(self) -> XmlParser {
        XmlParser::new(self)
    }
}

/// What a parse with options `O` produced.
pub(crate) type OutcomeOf<O> = Outcome<<<O as ParserOptions>::Parser as PushParser>::OwnedEvent>;

/// Feeds `chunks` one after another to a new parser, then finishes.
pub(crate) fn parse_chunks<O: ParserOptions>(chunks: &[&[u8]], options: O) -> OutcomeOf<O> {
    feed_all(options.parser(), chunks)
}

/// Feeds `input` as one chunk, then finishes.
pub(crate) fn parse<O: ParserOptions>(input: &[u8], options: O) -> OutcomeOf<O> {
    parse_chunks(&[input], options)
}

/// Feeds `input` cut at `cuts` (any order, duplicates and empty chunks fine).
pub(crate) fn parse_split<O: ParserOptions>(
    input: &[u8],
    cuts: &[usize],
    options: O,
) -> OutcomeOf<O> {
    parse_chunks(&split_at(input, cuts), options)
}

/// Feeds `input` one byte per chunk.
pub(crate) fn parse_bytewise<O: ParserOptions>(input: &[u8], options: O) -> OutcomeOf<O> {
    parse_chunks(&bytewise(input), options)
}

/// `text` cut at those of `cuts` that fall on character boundaries.
pub(crate) fn split_str_at<'a>(text: &'a str, cuts: &[usize]) -> Vec<&'a str> {
    let cuts: Vec<usize> = cuts
        .iter()
        .map(|&c| c.min(text.len()))
        .filter(|&c| text.is_char_boundary(c))
        .collect();
    split_at(text.as_bytes(), &cuts)
        .into_iter()
        .map(|chunk| std::str::from_utf8(chunk).unwrap_or_default())
        .collect()
}

/// `input` cut at `cuts` (any order; duplicates and empty chunks fine).
pub(crate) fn split_at<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

/// `input` one byte per chunk: every token is cut.
pub(crate) fn bytewise(input: &[u8]) -> Vec<&[u8]> {
    input.chunks(1).collect()
}

/// A conformance case: input, and either the rendered events or the error
/// (byte offset, `ErrorKind` variant name).
pub(crate) type Case = (&'static [u8], Result<&'static str, (u64, &'static str)>);

/// The variant name of an error kind (`TooDeep`, `InvalidUtf8`, …).
pub(crate) fn kind_name(kind: &super::ErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Runs a conformance table: the one-chunk result must match the case, and
/// every two-way split and byte-by-byte feeding must give the identical
/// outcome. Reports every failing case at once.
pub(crate) fn check_table<O: ParserOptions>(
    table: &[Case],
    options: O,
    render: impl Fn(&[<O::Parser as PushParser>::OwnedEvent]) -> String,
) where
    <O::Parser as PushParser>::OwnedEvent: PartialEq,
{
    let new_parser = || options.parser();
    let mut failures = Vec::new();
    for (input, expected) in table {
        let shown = String::from_utf8_lossy(input);
        let whole = feed_all(new_parser(), &[*input]);
        match (expected, &whole) {
            (Ok(events), (got, None)) if render(got) != *events => {
                failures.push(format!("input {shown:?}: got {}", render(got)));
            }
            (Err((offset, kind)), (_, Some(err)))
                if (err.position().offset, kind_name(err.kind()).as_str()) != (*offset, *kind) =>
            {
                failures.push(format!("input {shown:?}: got {err:?}: {err}"));
            }
            (Ok(_), (_, Some(err))) => failures.push(format!("input {shown:?} rejected: {err}")),
            (Err(_), (got, None)) => {
                failures.push(format!("input {shown:?} accepted: {}", render(got)));
            }
            _ => {}
        }
        for cut in 0..=input.len() {
            if feed_all(new_parser(), &split_at(input, &[cut])) != whole {
                failures.push(format!("input {shown:?} differs when cut at {cut}"));
            }
        }
        if feed_all(new_parser(), &bytewise(input)) != whole {
            failures.push(format!("input {shown:?} differs byte by byte"));
        }
        // Text fed as `&str` is not validated again: the same outcome.
        if let Ok(text) = std::str::from_utf8(input) {
            for cut in 0..=text.len() {
                if text.is_char_boundary(cut)
                    && feed_all(new_parser(), &split_str_at(text, &[cut])) != whole
                {
                    failures.push(format!("input {shown:?} differs as text cut at {cut}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A reader that yields one byte per call, with an `Interrupted` every
/// third call: the worst a pull adapter has to put up with.
pub(crate) struct Trickle<'a> {
    data: &'a [u8],
    calls: usize,
}

impl<'a> Trickle<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Trickle { data, calls: 0 }
    }
}

impl io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = self.data.len().min(buf.len()).min(1);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A reader that yields its data, then fails.
pub(crate) struct Broken<'a>(pub(crate) &'a [u8]);

impl io::Read for Broken<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("cable unplugged"));
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Checks a format's bench-input generator: about 100 kB when asked for
/// 100 000 bytes, the same for the same seed, different for another seed,
/// and containing every one of `needles` (the shapes it promises). Returns
/// the input for the format's own checks.
pub(crate) fn check_bench_input(
    generate: impl Fn(usize, u64) -> Vec<u8>,
    needles: &[&str],
) -> Vec<u8> {
    let input = generate(100_000, 42);
    assert!(
        input.len() >= 100_000 && input.len() < 101_000,
        "{}",
        input.len()
    );
    assert_eq!(input, generate(100_000, 42));
    assert_ne!(input, generate(100_000, 43));
    let text = String::from_utf8_lossy(&input);
    for needle in needles {
        assert!(text.contains(needle), "{needle}");
    }
    input
}

/// Checks a format's `count_events` shortcut (`summary`, over `input`)
/// against the events a full parse with `options` delivers, and against
/// the generic [`super::count_events`].
pub(crate) fn check_count_events<O: ParserOptions>(input: &[u8], summary: Summary, options: O) {
    let (events, err) = parse(input, options);
    assert_eq!(err, None);
    let expected = Summary {
        events: events.len() as u64,
        bytes: input.len() as u64,
    };
    assert_eq!(summary, expected);
    let generic = super::count_events(&mut options.parser(), input).expect("valid");
    assert_eq!(generic, summary);
}
