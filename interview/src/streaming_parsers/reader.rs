//! Running a push parser over a [`Read`]: the borrowed-event loop
//! [`for_each_event`], the counters built on it, and [`Events`], a pull
//! adapter for when owned events are what you want.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::iter::FusedIterator;

use super::{ParseError, PushParser, READ_CHUNK_SIZE};

/// Counts of a parse: how many events, how many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Events delivered.
    pub events: u64,
    /// Bytes of input read.
    pub bytes: u64,
}

/// Runs `parser` over everything `reader` yields, [`READ_CHUNK_SIZE`] bytes
/// at a time, calling `on_event` with borrowed events (the fast path: no
/// allocation per event). Returns the number of bytes read.
pub fn for_each_event<P, R, F>(
    parser: &mut P,
    mut reader: R,
    mut on_event: F,
) -> Result<u64, ParseError>
where
    P: PushParser,
    R: Read,
    F: FnMut(P::Event<'_>),
{
    let mut buf = vec![0u8; READ_CHUNK_SIZE];
    let mut bytes = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ParseError::io(parser.format(), parser.position(), &e)),
        };
        bytes += n as u64;
        parser.feed(&buf[..n], &mut on_event)?;
    }
    parser.finish(&mut on_event)?;
    Ok(bytes)
}

/// Counts the events of everything `reader` yields (the fast path).
pub fn count_events<P: PushParser, R: Read>(
    parser: &mut P,
    reader: R,
) -> Result<Summary, ParseError> {
    let mut events = 0u64;
    let bytes = for_each_event(parser, reader, |_| events += 1)?;
    Ok(Summary { events, bytes })
}

/// Counts the events of `input` fed to `parser` — reset first, so its
/// buffers stay warm across calls — in pieces of `chunk` bytes (the whole
/// input in one piece when `chunk` is `input.len()` or more): what the
/// benchmarks and the demo time.
pub fn count_in_chunks<P: PushParser>(
    parser: &mut P,
    input: &[u8],
    chunk: usize,
) -> Result<u64, ParseError> {
    parser.reset();
    let mut events = 0u64;
    for piece in input.chunks(chunk.max(1)) {
        parser.feed(piece, |_| events += 1)?;
    }
    parser.finish(|_| events += 1)?;
    Ok(events)
}

/// A pull adapter: an iterator of owned events over any [`Read`] (a file,
/// stdin, a socket).
///
/// It reads [`READ_CHUNK_SIZE`] bytes at a time and queues that chunk's
/// events, so memory stays bounded by the chunk, not the input. After an
/// error (syntax or I/O) it yields the events before it, then the error,
/// then nothing.
pub struct Events<P: PushParser, R> {
    parser: P,
    reader: R,
    buf: Vec<u8>,
    queue: VecDeque<P::OwnedEvent>,
    error: Option<ParseError>,
    done: bool,
}

impl<P: PushParser, R: Read> Events<P, R> {
    /// Iterates over the events `parser` finds in `reader`.
    pub fn new(parser: P, reader: R) -> Self {
        Events {
            parser,
            reader,
            buf: vec![0u8; READ_CHUNK_SIZE],
            queue: VecDeque::new(),
            error: None,
            done: false,
        }
    }

    /// Reads the next chunk and queues its events (or the error).
    fn fill(&mut self) {
        let queue = &mut self.queue;
        let result = match self.reader.read(&mut self.buf) {
            Ok(0) => {
                self.done = true;
                self.parser
                    .finish(|e| queue.push_back(P::to_owned_event(&e)))
            }
            Ok(n) => self
                .parser
                .feed(&self.buf[..n], |e| queue.push_back(P::to_owned_event(&e))),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(ParseError::io(
                self.parser.format(),
                self.parser.position(),
                &e,
            )),
        };
        if let Err(error) = result {
            self.error = Some(error);
            self.done = true;
        }
    }
}

// ANCHOR: events_iterator
impl<P: PushParser, R: Read> Iterator for Events<P, R> {
    type Item = Result<P::OwnedEvent, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(Ok(event));
            }
            if let Some(error) = self.error.take() {
                return Some(Err(error));
            }
            if self.done {
                return None;
            }
            self.fill();
        }
    }
}
// ANCHOR_END: events_iterator

impl<P: PushParser, R: Read> FusedIterator for Events<P, R> {}

impl<P: PushParser, R> fmt::Debug for Events<P, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("queued", &self.queue.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
