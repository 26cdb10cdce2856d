//! The record scanner and its helpers. [`scan_record`] is the one authority
//! on what a record means: it runs over records inside a chunk and over
//! records reassembled in `pending`, and reports "need more input" instead
//! of guessing at the end of the slice.

use super::CsvOptions;
use super::record::Span;
use crate::streaming_parsers::{ErrorKind, Input, swar};

/// The dialect's special bytes, and each repeated in all eight bytes of a
/// `u64` for the SWAR scans.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dialect {
    delimiter: u8,
    quote: u8,
    delimiters: u64,
    quotes: u64,
}

impl Dialect {
    /// The dialect `options` describe.
    pub(super) fn new(options: &CsvOptions) -> Self {
        Dialect {
            delimiter: options.delimiter,
            quote: options.quote,
            delimiters: swar::splat(options.delimiter),
            quotes: swar::splat(options.quote),
        }
    }
}

/// Where the scan of a record cut by a chunk boundary stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FieldState {
    /// At the first byte of a field.
    Start,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: it closes the field, or
    /// the next byte is a quote and the two are one quote of text.
    QuoteInQuoted,
}

/// What a record's scan found.
pub(super) enum RecordScan {
    /// The record is complete; the next one may start at this index (just
    /// past its line end, or the end of the input).
    Done(usize),
    /// The slice ended inside the record, in this state.
    Incomplete(FieldState),
    /// An error at this index.
    Error(usize, ErrorKind),
}

/// Parses the record that starts at `input.bytes[start]` (not a line end)
/// into `spans` (and `scratch` for fields with doubled quotes). With
/// `at_end`, the end of the slice is the end of the input.
#[inline(always)]
pub(super) fn scan_record<const SWAR: bool>(
    input: &Input<'_>,
    start: usize,
    at_end: bool,
    d: Dialect,
    spans: &mut Vec<Span>,
    scratch: &mut String,
) -> RecordScan {
    let buf = input.bytes;
    spans.clear();
    scratch.clear();
    let mut i = start;
    loop {
        // At the first byte of a field.
        if buf.get(i) != Some(&d.quote) {
            let end = find_special::<SWAR>(buf, i, d);
            let Some(&b) = buf.get(end) else {
                if !at_end {
                    let state = if end == i {
                        FieldState::Start
                    } else {
                        FieldState::Unquoted
                    };
                    return RecordScan::Incomplete(state);
                }
                if let Err(at) = input.validated(i..end) {
                    return RecordScan::Error(at, ErrorKind::InvalidUtf8);
                }
                spans.push(Span {
                    start: i,
                    end,
                    unescaped: false,
                });
                return RecordScan::Done(end);
            };
            // Validate the field before judging the byte after it, so
            // errors come out in input order.
            if let Err(at) = input.validated(i..end) {
                return RecordScan::Error(at, ErrorKind::InvalidUtf8);
            }
            if b == d.quote {
                let kind = ErrorKind::QuoteInUnquotedField { quote: d.quote };
                return RecordScan::Error(end, kind);
            }
            spans.push(Span {
                start: i,
                end,
                unescaped: false,
            });
            if b != d.delimiter {
                // `\r` or `\n`: a `\n` after a `\r` is an empty line, skipped.
                return RecordScan::Done(end + 1);
            }
            i = end + 1;
            continue;
        }
        // A quoted field: find its closing quote.
        let open = i;
        let mut run = i + 1;
        let mut unescaped_from = None;
        let close = loop {
            let q = find_byte::<SWAR>(buf, run, d.quote, d.quotes);
            if q == buf.len() {
                if !at_end {
                    return RecordScan::Incomplete(FieldState::Quoted);
                }
                if let Err(at) = input.validated(run..q) {
                    return RecordScan::Error(at, ErrorKind::InvalidUtf8);
                }
                return RecordScan::Error(open, ErrorKind::UnclosedQuote { quote: d.quote });
            }
            match buf.get(q + 1) {
                Some(&b) if b == d.quote => {
                    // A doubled quote: one quote of text. Keep the text so
                    // far, the first quote included.
                    let text = match input.validated(run..q + 1) {
                        Ok(text) => text,
                        Err(at) => return RecordScan::Error(at, ErrorKind::InvalidUtf8),
                    };
                    unescaped_from.get_or_insert(scratch.len());
                    scratch.push_str(text);
                    run = q + 2;
                }
                None if !at_end => return RecordScan::Incomplete(FieldState::QuoteInQuoted),
                _ => break q,
            }
        };
        let text = match input.validated(run..close) {
            Ok(text) => text,
            Err(at) => return RecordScan::Error(at, ErrorKind::InvalidUtf8),
        };
        spans.push(match unescaped_from {
            None => Span {
                start: run,
                end: close,
                unescaped: false,
            },
            Some(from) => {
                scratch.push_str(text);
                Span {
                    start: from,
                    end: scratch.len(),
                    unescaped: true,
                }
            }
        });
        i = close + 1;
        match buf.get(i) {
            // Only at the end of the input: otherwise the quote would have
            // been `QuoteInQuoted`.
            None => return RecordScan::Done(i),
            Some(&b) if b == d.delimiter => i += 1,
            Some(b'\r' | b'\n') => return RecordScan::Done(i + 1),
            Some(&found) => {
                return RecordScan::Error(i, ErrorKind::TextAfterClosingQuote { found });
            }
        }
    }
}

/// Where a record cut by a chunk boundary ends in the next chunk: the index
/// of the byte that decides it (its line end, or a byte that is an error
/// wherever it is) — or, if it goes on past `chunk`, the state to resume in.
/// The same automaton as [`scan_record`], without the fields.
pub(super) fn find_record_end<const SWAR: bool>(
    chunk: &[u8],
    mut state: FieldState,
    d: Dialect,
) -> Result<usize, FieldState> {
    let mut i = 0;
    loop {
        match state {
            FieldState::Start | FieldState::QuoteInQuoted => {
                let Some(&b) = chunk.get(i) else {
                    return Err(state);
                };
                state = match (state, b) {
                    (_, b'\r' | b'\n') => return Ok(i),
                    (_, b) if b == d.delimiter => FieldState::Start,
                    (FieldState::Start, b) if b == d.quote => FieldState::Quoted,
                    (FieldState::Start, _) => FieldState::Unquoted,
                    (_, b) if b == d.quote => FieldState::Quoted,
                    // Text after a closing quote: an error.
                    _ => return Ok(i),
                };
                i += 1;
            }
            FieldState::Unquoted => {
                i = find_special::<SWAR>(chunk, i, d);
                let Some(&b) = chunk.get(i) else {
                    return Err(state);
                };
                if b != d.delimiter {
                    // A line end, or a quote: an error.
                    return Ok(i);
                }
                state = FieldState::Start;
                i += 1;
            }
            FieldState::Quoted => {
                i = find_byte::<SWAR>(chunk, i, d.quote, d.quotes);
                if i == chunk.len() {
                    return Err(state);
                }
                state = FieldState::QuoteInQuoted;
                i += 1;
            }
        }
    }
}

/// The index of the first delimiter, quote, `\r` or `\n` at or after `i`
/// (or `buf.len()`), eight bytes at a time (see [`swar`]) when `SWAR`,
/// else one at a time — the ladder's rung without the trick. `SWAR` is a
/// constant, so each parser type compiles only its own loop.
#[inline(always)]
fn find_special<const SWAR: bool>(buf: &[u8], mut i: usize, d: Dialect) -> usize {
    while let Some(x) = swar::load(buf, i).filter(|_| SWAR) {
        let found = (swar::zero_bytes(x ^ d.delimiters)
            | swar::zero_bytes(x ^ d.quotes)
            | swar::bytes_equal(x, b'\r')
            | swar::bytes_equal(x, b'\n'))
            & swar::HIGHS;
        if found != 0 {
            return i + swar::first_flagged(found);
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if b == d.delimiter || b == d.quote || b == b'\r' || b == b'\n' {
            return i;
        }
        i += 1;
    }
    i
}

/// The index of the first `byte` at or after `i` (or `buf.len()`), eight
/// bytes at a time when `SWAR`; `splat` is `byte` in all eight bytes.
#[inline(always)]
fn find_byte<const SWAR: bool>(buf: &[u8], mut i: usize, byte: u8, splat: u64) -> usize {
    while let Some(x) = swar::load(buf, i).filter(|_| SWAR) {
        let found = swar::zero_bytes(x ^ splat) & swar::HIGHS;
        if found != 0 {
            return i + swar::first_flagged(found);
        }
        i += 8;
    }
    while let Some(&b) = buf.get(i) {
        if b == byte {
            return i;
        }
        i += 1;
    }
    i
}
