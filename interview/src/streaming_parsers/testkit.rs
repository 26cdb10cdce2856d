//! Test helpers shared by the three parsers' suites.
//!
//! Every format promises the same things — any chunking gives the same
//! outcome, errors stick, `finish` ends the input, `reset` starts over,
//! errors say where, the pull adapter reads any reader — so each promise is
//! checked here once, generic over [`PushParser`], and each format's tests
//! hand it data: their inputs and the events or errors they expect — the
//! conformance cases as files under `interview/conformance/`, one case
//! each, the rest as tables. A failing case is named in the failure.
//!
//! # Layout
//! - Feeding: [`feed_all`], [`parse`], [`parse_split`], [`parse_bytewise`],
//!   and the options that make a parser ([`ParserOptions`]).
//! - Conformance cases, read from `interview/conformance/`:
//!   [`load_case_folder`], [`check_case_folder`].
//! - Promises every parser keeps: [`check_lifecycle`],
//!   [`check_error_positions`], [`check_messages`],
//!   [`check_default_depth_limit`], [`check_pull_adapter`],
//!   [`check_huge_tokens_cost_linear_work`].
//! - Property tests: [`cuts`], [`parse_cut`],
//!   [`check_chunking_never_matters`], [`token_soup`], [`edits`],
//!   [`mutate`].
//! - Readers that misbehave ([`Trickle`], [`Broken`]) and the bench-input
//!   and counting checks.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;

use super::conformance::{CASES_DIR, ConformanceCase, case_files};
use super::csv::{CsvOptions, CsvParser};
use super::json::{JsonOptions, JsonParser};
use super::work::charged_by;
use super::xml::{XmlOptions, XmlParser};
use super::{ErrorKind, Events, ParseError, Position, PushParser, Summary, count_in_chunks};

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

/// An owned event as the tests use it: compared, shown when a check fails,
/// and rendered as compact text so that a table row states a whole parse
/// in one line. Each format's tests implement it in their own notation.
pub(crate) trait TestEvent: PartialEq + fmt::Debug + Sized {
    /// `events` as one line of text.
    fn render(events: &[Self]) -> String;
}

/// `events` as one line of text, in their format's notation.
pub(crate) fn render<E: TestEvent>(events: &[E]) -> String {
    E::render(events)
}

/// A format's options, which make its parser: the helpers below take the
/// options, as each format's tests do, and know the parser from them.
pub(crate) trait ParserOptions: Copy + fmt::Debug {
    type Parser: PushParser<OwnedEvent: TestEvent>;
    /// A new parser with these options (the format's `new`).
    fn parser(self) -> Self::Parser;
    /// The format's pull adapter over `reader` (its `events_from_reader`).
    fn events<R: io::Read>(self, reader: R) -> Events<Self::Parser, R>;
}

/// Implements [`ParserOptions`] for each format: the three differ only in
/// the names, which the macro takes.
macro_rules! parser_options {
    ($($options:ty => $parser:ident from $format:ident),* $(,)?) => {$(
        impl ParserOptions for $options {
            type Parser = $parser;
            fn parser(self) -> $parser {
                $parser::new(self)
            }
            fn events<R: io::Read>(self, reader: R) -> Events<$parser, R> {
                super::$format::events_from_reader(reader, self)
            }
        }
    )*};
}

parser_options! {
    JsonOptions => JsonParser from json,
    CsvOptions => CsvParser from csv,
    XmlOptions => XmlParser from xml,
}

/// The owned event of the parser that options `O` make.
pub(crate) type EventOf<O> = <<O as ParserOptions>::Parser as PushParser>::OwnedEvent;

/// What a parse with options `O` produced.
pub(crate) type OutcomeOf<O> = Outcome<EventOf<O>>;

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

pub(crate) use super::conformance::kind_name;

/// `input` as text for a failure message.
fn shown(input: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(input))
}

/// Fails with every entry of `failures`, one per line, if there are any:
/// a table check reports all its failing cases at once.
fn assert_no_failures(what: &str, failures: &[String]) {
    assert!(failures.is_empty(), "{what}:\n{}", failures.join("\n"));
}

/// The case files of one folder of `interview/conformance/` (such as
/// `json/accepted`); fails if there are none.
pub(crate) fn load_case_folder(folder: &str) -> Vec<(PathBuf, ConformanceCase)> {
    let dir = Path::new(CASES_DIR).join(folder);
    let files = case_files(&dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    assert!(!files.is_empty(), "no case files in {}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let case = ConformanceCase::load(&path).unwrap_or_else(|e| panic!("{e}"));
            (path, case)
        })
        .collect()
}

/// Runs every case file of one folder of `interview/conformance/` under
/// every feeding; reports every failing file at once.
pub(crate) fn check_case_folder(folder: &str) {
    let mut failures = Vec::new();
    for (path, case) in load_case_folder(folder) {
        if let Err(mismatch) = case.check() {
            failures.push(format!("{}:\n{mismatch}", path.display()));
        }
    }
    assert_no_failures(&format!("case files in {folder}"), &failures);
}

/// One huge token and the document around it: what the token is, and
/// the document with the token about `len` bytes long.
pub(crate) type HugeToken = (&'static str, fn(usize) -> Vec<u8>);

/// The most work the work meter ([`charged_by`]) may count per byte of
/// input. A byte of a token cut by chunk boundaries is scanned for the
/// token's end, copied into `pending` (and again, a bounded number of
/// times, as the buffer grows), validated as UTF-8, parsed once the token
/// is whole, and counted for the line and column: about ten passes. Work
/// proportional to the bytes already pending, on every feed, exceeds it by
/// far.
pub(crate) const MAX_WORK_PER_BYTE: u64 = 16;

/// Chunk sizes, each with the token length it is tried at: one byte (a
/// feed per byte), seven (never aligned with an eight-byte scan), and the
/// 64 KiB of a file read, where the token spans 64 chunks. Small enough
/// for an unoptimized test build; large enough that a cost of the bytes
/// already pending on each feed shows as hundreds of bytes of work per
/// byte (tens at 64 KiB).
const CHUNKINGS: [(usize, usize); 3] = [(1, 8 << 10), (7, 64 << 10), (64 << 10, 4 << 20)];

/// `open`, then `unit` repeated to about `len` bytes, then `close`: a
/// document around one huge token.
pub(crate) fn around(open: &str, unit: &str, close: &str, len: usize) -> Vec<u8> {
    let mut doc = open.as_bytes().to_vec();
    doc.extend(unit.as_bytes().repeat(len.div_ceil(unit.len())));
    doc.extend_from_slice(close.as_bytes());
    doc
}

/// Parses each document of `table` in each of [`CHUNKINGS`] and checks that
/// it succeeds and costs at most [`MAX_WORK_PER_BYTE`] bytes of work per
/// byte of input: a token cut by many chunk boundaries costs O(its
/// length) in total. Reports every failing case at once, with its work
/// per byte.
pub(crate) fn check_huge_tokens_cost_linear_work<O: ParserOptions>(
    table: &[HugeToken],
    options: O,
) {
    let mut failures = Vec::new();
    for &(token, document) in table {
        for (chunk, len) in CHUNKINGS {
            let input = document(len);
            let mut parser = options.parser();
            let (parsed, work) = charged_by(|| count_in_chunks(&mut parser, &input, chunk));
            let case = format!("{token} ({} bytes) in {chunk}-byte chunks", input.len());
            if let Err(e) = parsed {
                failures.push(format!("{case}: {e}"));
            } else if work > MAX_WORK_PER_BYTE * input.len() as u64 {
                let per_byte = work as f64 / input.len() as f64;
                failures.push(format!("{case}: {per_byte:.1} bytes of work per byte"));
            }
        }
    }
    assert_no_failures(
        &format!("more than {MAX_WORK_PER_BYTE} bytes of work per byte of input"),
        &failures,
    );
}

/// A document fed as one chunk, then finished: its input, the events
/// `feed` delivers and the events only `finish` can (a last token that
/// only the end of input completes), as the format renders them.
pub(crate) type Document = (&'static [u8], &'static str, &'static str);

/// One parser's life, as data for [`check_lifecycle`].
pub(crate) struct Lifecycle {
    /// An input the parser rejects.
    pub(crate) rejected: &'static [u8],
    /// Valid input fed after the error: the parser must repeat the error.
    pub(crate) after_error: &'static [u8],
    /// A complete document.
    pub(crate) complete: Document,
    /// Input fed after `finish`: refused with `FeedAfterFinish`.
    pub(crate) after_finish: &'static [u8],
    /// A document parsed after `reset`.
    pub(crate) after_reset: Document,
}

/// Checks the contract's life cycle: an error sticks (a later `feed` and
/// `finish` return it again); `finish` delivers the last events, may be
/// called twice, and input after it is refused at the position where the
/// input ended; `reset` starts over on a new document. Returns the parser,
/// finished after the document parsed past `reset`, for the format's own
/// checks of what `reset` must clear.
pub(crate) fn check_lifecycle<O: ParserOptions>(options: O, life: &Lifecycle) -> O::Parser {
    let mut parser = options.parser();
    let first = parser
        .feed(life.rejected, |_| {})
        .expect_err("the rejected input is rejected");
    assert_eq!(
        parser.feed(life.after_error, |_| {}),
        Err(first.clone()),
        "a feed after an error repeats it"
    );
    assert_eq!(
        parser.finish(|_| {}),
        Err(first),
        "finish repeats the error"
    );

    let mut parser = options.parser();
    check_document(&mut parser, life.complete, "");
    let mut after = 0;
    parser.finish(|_| after += 1).expect("finish is idempotent");
    assert_eq!(after, 0, "a second finish delivers nothing");
    let err = parser
        .feed(life.after_finish, |_| {})
        .expect_err("input after finish is refused");
    assert_eq!(err.kind(), &ErrorKind::FeedAfterFinish);
    assert_eq!(
        err.position().offset,
        life.complete.0.len() as u64,
        "refused where the input ended"
    );

    parser.reset();
    check_document(&mut parser, life.after_reset, "after reset ");
    parser
}

/// Feeds `document` to `parser` as one chunk and finishes, checking the
/// events each of the two delivers.
fn check_document<P>(parser: &mut P, (input, from_feed, from_finish): Document, when: &str)
where
    P: PushParser<OwnedEvent: TestEvent>,
{
    let mut events = Vec::new();
    parser
        .feed(input, |e| events.push(P::to_owned_event(&e)))
        .expect("a valid document");
    let fed = render(&events);
    events.clear();
    parser
        .finish(|e| events.push(P::to_owned_event(&e)))
        .expect("a complete document");
    let finished = render(&events);
    let shown = shown(input);
    assert_eq!(fed, from_feed, "the events {when}feed gives for {shown}");
    assert_eq!(
        finished, from_finish,
        "the events {when}finish gives for {shown}"
    );
}

/// An error position case: input, where to cut it, and the error's
/// `(line, column, offset)`.
pub(crate) type PositionCase = (&'static [u8], &'static [usize], (u64, u64, u64));

/// Checks that each input's error is at its `(line, column, offset)` — the
/// column counted in characters — and that cutting the input at the case's
/// points (inside the bad token) gives the identical error.
pub(crate) fn check_error_positions<O: ParserOptions>(table: &[PositionCase], options: O) {
    let mut failures = Vec::new();
    for &(input, cuts, expected) in table {
        let shown = shown(input);
        let Some(whole) = parse(input, options).1 else {
            failures.push(format!("input {shown} accepted"));
            continue;
        };
        let Position {
            offset,
            line,
            column,
        } = whole.position();
        if (line, column, offset) != expected {
            let got = (line, column, offset);
            failures.push(format!(
                "input {shown}: error at {got:?}, expected {expected:?}"
            ));
        }
        let split = parse_split(input, cuts, options).1;
        if split.as_ref() != Some(&whole) {
            failures.push(format!("input {shown} cut at {cuts:?}: {split:?}"));
        }
    }
    assert_no_failures(&format!("error positions with {options:?}"), &failures);
}

/// What an error message must say: all of it, or a part.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Says {
    /// The whole message, word for word.
    Exactly(&'static str),
    /// A phrase the message contains.
    Part(&'static str),
}

/// Checks each input's error message against what it must say.
pub(crate) fn check_messages<O: ParserOptions>(table: &[(&[u8], Says)], options: O) {
    let mut failures = Vec::new();
    for &(input, says) in table {
        let message = parse(input, options)
            .1
            .map(|e| e.to_string())
            .unwrap_or_default();
        let ok = match says {
            Says::Exactly(text) => message == text,
            Says::Part(text) => message.contains(text),
        };
        if !ok {
            failures.push(format!(
                "input {}: {message:?} is not {says:?}",
                shown(input)
            ));
        }
    }
    assert_no_failures(&format!("error messages with {options:?}"), &failures);
}

/// Checks the default nesting limit of 1024 levels of `open` … `close`:
/// the limit itself parses, one more level is `TooDeep` at the `open` that
/// goes past it.
pub(crate) fn check_default_depth_limit<O: ParserOptions>(options: O, open: &str, close: &str) {
    let nested = |depth: usize| format!("{}{}", open.repeat(depth), close.repeat(depth));
    let (events, err) = parse(nested(1024).as_bytes(), options);
    assert_eq!((events.len(), err), (2048, None));
    let (_, err) = parse(nested(1025).as_bytes(), options);
    let err = err.expect("deeper than 1024");
    assert_eq!(err.kind(), &ErrorKind::TooDeep { limit: 1024 });
    assert_eq!(err.position().offset, 1024 * open.len() as u64);
}

/// How the bytes of a [`ReadCase`] reach the pull adapter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reader {
    /// A plain `&[u8]`, all at once.
    Whole,
    /// A [`Trickle`]: one byte per read, interrupted now and then.
    Trickle,
    /// [`Broken`]: the bytes, then an I/O error.
    Broken,
}

/// A pull-adapter case: options, the reader, its bytes, the events before
/// the end or the error, and the error (byte offset, `ErrorKind` variant
/// name) if there is one.
pub(crate) type ReadCase<O> = (
    O,
    Reader,
    &'static [u8],
    &'static str,
    Option<(u64, &'static str)>,
);

/// Checks the format's pull adapter over each case's reader: the events
/// as expected, then the error if the case has one, then nothing more.
pub(crate) fn check_pull_adapter<O: ParserOptions>(table: &[ReadCase<O>]) {
    let mut failures = Vec::new();
    for &(options, reader, input, expected, error) in table {
        let name = format!("{reader:?} reader of {} with {options:?}", shown(input));
        let (mut items, after_end) = match reader {
            Reader::Whole => drain(options.events(input)),
            Reader::Trickle => drain(options.events(Trickle::new(input))),
            Reader::Broken => drain(options.events(Broken(input))),
        };
        // The error, if any, must be the last item.
        let got_error = match items.last() {
            Some(Err(_)) => items.pop().and_then(Result::err),
            _ => None,
        };
        let got_error = got_error.map(|e| (e.position().offset, kind_name(e.kind())));
        match items.into_iter().collect::<Result<Vec<_>, _>>() {
            Ok(events) if render(&events) != expected => {
                failures.push(format!("{name}: got {}", render(&events)));
            }
            Ok(_) => {}
            Err(e) => failures.push(format!("{name}: events after the error {e}")),
        }
        if got_error != error.map(|(offset, kind)| (offset, kind.to_owned())) {
            failures.push(format!("{name}: error {got_error:?}, expected {error:?}"));
        }
        if after_end.is_some() {
            failures.push(format!("{name}: {after_end:?} after the end"));
        }
    }
    assert_no_failures("pull adapter", &failures);
}

/// Every item of `iter`, and what one more `next` after its end gives
/// (`None` for a fused iterator).
fn drain<I: Iterator>(mut iter: I) -> (Vec<I::Item>, Option<I::Item>) {
    let items = iter.by_ref().collect();
    (items, iter.next())
}

// ---------------------------------------------------------------------------
// Property tests.

/// Split points, as fractions of whatever the input's length turns out to be.
pub(crate) fn cuts() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..12)
}

/// `cuts` as byte offsets into an input of `len` bytes (both ends allowed).
pub(crate) fn cut_points(cuts: &[Index], len: usize) -> Vec<usize> {
    cuts.iter().map(|c| c.index(len + 1)).collect()
}

/// Feeds `input` cut at `cuts` (from [`cuts`]), then finishes.
pub(crate) fn parse_cut<O: ParserOptions>(
    input: &[u8],
    cuts: &[Index],
    options: O,
) -> OutcomeOf<O> {
    parse_split(input, &cut_points(cuts, input.len()), options)
}

/// Property: `input`, whatever it is, gives the same outcome — events and
/// error — whole, cut at `cuts`, and one byte at a time (and no panic).
pub(crate) fn check_chunking_never_matters<O: ParserOptions>(
    input: &[u8],
    cuts: &[Index],
    options: O,
) -> Result<(), TestCaseError> {
    let whole = parse(input, options);
    prop_assert_eq!(&parse_cut(input, cuts, options), &whole);
    prop_assert_eq!(&parse_bytewise(input, options), &whole);
    Ok(())
}

/// Up to `max` of `tokens`, in any order, concatenated: a format's tokens,
/// valid and not, make inputs near the grammar's edges more often than
/// random bytes do.
pub(crate) fn token_soup<T: AsRef<[u8]>>(
    tokens: &'static [T],
    max: usize,
) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0..tokens.len(), 0..max).prop_map(move |ids| {
        ids.iter()
            .flat_map(|&i| tokens[i].as_ref())
            .copied()
            .collect()
    })
}

/// A byte edit: where, which (insert, remove, replace), and the byte.
pub(crate) type Edit = (Index, u8, u8);

/// One to three byte edits, for [`mutate`].
pub(crate) fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec((any::<Index>(), 0u8..3, any::<u8>()), 1..4)
}

/// Applies `edits` to a valid document: inputs near the grammar's edges.
pub(crate) fn mutate(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for &(at, op, byte) in edits {
        let i = at.index(bytes.len() + 1);
        match op {
            0 => bytes.insert(i, byte),
            1 if i < bytes.len() => {
                bytes.remove(i);
            }
            _ if i < bytes.len() => bytes[i] = byte,
            _ => bytes.push(byte),
        }
    }
    bytes
}

// ---------------------------------------------------------------------------
// Readers, bench inputs, counters.

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
