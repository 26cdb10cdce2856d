//! Feeding and finishing: [`CsvParser`]'s methods, the byte order mark,
//! and the record count behind strict field counts.

use super::record::Record;
use super::scan::{Dialect, FieldState, RecordScan, find_record_end, scan_record};
use super::{CsvEvent, CsvOptions, CsvParser, OwnedCsvEvent};
use crate::streaming_parsers::input::{BOM, Bom};
use crate::streaming_parsers::{
    ErrorKind, Fail, Format, Input, Lifecycle, ParseError, Position, PushParser, Where, pending,
    work,
};

/// Record numbering and the strict field-count check.
#[derive(Debug, Clone, Copy)]
pub(super) struct Counter {
    /// Records completed, the header included.
    records: u64,
    /// The first record's field count (strict mode).
    expected: Option<usize>,
    has_header: bool,
    flexible: bool,
}

impl Counter {
    /// The count before the first record.
    pub(super) fn new(options: &CsvOptions) -> Self {
        Counter {
            records: 0,
            expected: None,
            has_header: options.has_header,
            flexible: options.flexible,
        }
    }

    /// Counts a record of `fields` fields: returns its number and whether
    /// it is the header, or the field-count error.
    #[inline]
    fn admit(&mut self, fields: usize) -> Result<(u64, bool), ErrorKind> {
        let number = self.records + 1;
        if !self.flexible {
            match self.expected {
                None => self.expected = Some(fields),
                Some(expected) if expected != fields => {
                    return Err(ErrorKind::FieldCount {
                        record: number,
                        expected,
                        found: fields,
                    });
                }
                Some(_) => {}
            }
        }
        self.records = number;
        Ok((number, number == 1 && self.has_header))
    }
}

impl CsvParser {
    /// A parser at the start of its input. Options that fail
    /// [`CsvOptions::validate`] make the first `feed` or `finish` return
    /// [`ErrorKind::InvalidDialect`].
    pub fn new(options: CsvOptions) -> Self {
        CsvParser::start(options)
    }
}

impl CsvParser<false> {
    /// [`CsvParser::new`] without the eight-bytes-at-a-time scan: plain
    /// runs are scanned byte by byte. The same parser otherwise, kept as a
    /// rung of the demo's ladder so the scan's share can be measured.
    pub fn bytewise(options: CsvOptions) -> Self {
        CsvParser::start(options)
    }
}

impl<const SWAR: bool> CsvParser<SWAR> {
    fn start(options: CsvOptions) -> Self {
        let life = match options.validate() {
            Ok(()) => Lifecycle::new(),
            Err(kind) => Lifecycle::failed(ParseError::new(Format::Csv, kind, Position::START)),
        };
        Self {
            options,
            dialect: Dialect::new(&options),
            spans: Vec::new(),
            scratch: String::new(),
            pending: Vec::new(),
            pending_pos: Position::START,
            partial: None,
            counter: Counter::new(&options),
            pos: Position::START,
            bom: if options.skip_bom {
                Bom::Looking(0)
            } else {
                Bom::Done
            },
            life,
        }
    }

    /// The options this parser was built with.
    pub fn options(&self) -> CsvOptions {
        self.options
    }

    /// Starts over on a new input, keeping the buffers' capacity.
    pub fn reset(&mut self) {
        let mut spans = std::mem::take(&mut self.spans);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut pending = std::mem::take(&mut self.pending);
        spans.clear();
        scratch.clear();
        pending.clear();
        *self = Self {
            spans,
            scratch,
            pending,
            ..Self::start(self.options)
        };
    }

    /// The position of the next byte to be fed.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// Records reported so far, the header included.
    pub fn records(&self) -> u64 {
        self.counter.records
    }

    /// Parses the next chunk of input, calling `on_event` for every record
    /// it completes. A record cut by the end of `chunk` is kept and
    /// completed by a later `feed` or by [`finish`](Self::finish).
    pub fn feed<F>(&mut self, chunk: &[u8], mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        // `None`: nothing is known about the bytes, so `feed_chunk`
        // validates their UTF-8 once, for the whole chunk.
        self.feed_chunk(chunk, None, &mut on_event)
    }

    /// [`feed`](Self::feed) for input that is already text: the same records
    /// and errors, without checking its UTF-8 again.
    pub fn feed_str<F>(&mut self, chunk: &str, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        self.feed_chunk(chunk.as_bytes(), Some(chunk), &mut on_event)
    }

    /// Ends the input: reports the last record if it had no line end, and
    /// checks that no quoted field is left open.
    pub fn finish<F>(&mut self, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        // A failed parser repeats its error; a second `finish` does nothing.
        if !self.life.start_finish()? {
            return Ok(());
        }
        self.finish_input(&mut on_event).map_err(|fail| {
            let error = self.locate(fail, &[]);
            self.life.fail(error)
        })
    }

    /// `fail` as a [`ParseError`], `chunk` being the bytes fed last.
    fn locate(&self, fail: Fail, chunk: &[u8]) -> ParseError {
        let pending = (self.pending_pos, &self.pending[..]);
        fail.locate(Format::Csv, (self.pos, chunk), pending)
    }

    /// The body of `feed` and `feed_str`: `known` is the chunk as text when
    /// the caller already had it.
    fn feed_chunk<F>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        on_event: &mut F,
    ) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        self.life.check_feed(Format::Csv, self.pos)?;
        match self.run(chunk, known, on_event) {
            Ok(()) => {
                self.pos = self.pos.advanced(chunk);
                Ok(())
            }
            Err(fail) => {
                let error = self.locate(fail, chunk);
                Err(self.life.fail(error))
            }
        }
    }

    fn run<F: FnMut(CsvEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let mut i = 0;
        if let Bom::Looking(_) = self.bom {
            i = self.skip_bom(chunk);
            if let Bom::Looking(_) = self.bom {
                return Ok(());
            }
        }
        if self.partial.is_some() {
            i += self.resume(&chunk[i..], on_event)?;
        }
        if i == chunk.len() {
            return Ok(());
        }
        self.scan(chunk, known, i, on_event)
    }

    /// Matches a byte order mark at the start of the input; returns where
    /// the CSV starts in `chunk`. A partial match followed by something
    /// else is data: the start of the first record.
    fn skip_bom(&mut self, chunk: &[u8]) -> usize {
        let Bom::Looking(before) = self.bom else {
            return 0;
        };
        let mut matched = before;
        for (i, &b) in chunk.iter().enumerate() {
            if b != BOM[usize::from(matched)] {
                self.bom = Bom::Done;
                // The bytes matched in earlier chunks are data; those in
                // this chunk are scanned again as part of it.
                self.open_with_bom_bytes(before);
                return 0;
            }
            matched += 1;
            if usize::from(matched) == BOM.len() {
                self.bom = Bom::Done;
                return i + 1;
            }
        }
        self.bom = Bom::Looking(matched);
        chunk.len()
    }

    /// Starts the first record with the first `n` bytes of a BOM that
    /// turned out not to be one.
    fn open_with_bom_bytes(&mut self, n: u8) {
        if n > 0 {
            pending::restart(&mut self.pending, &BOM[..usize::from(n)]);
            self.pending_pos = Position::START;
            self.partial = Some(FieldState::Unquoted);
        }
    }

    /// The main loop over `chunk[from..]`: skip empty lines, parse a
    /// record, report it; keep a record cut by the end as `pending`.
    fn scan<F: FnMut(CsvEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        from: usize,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let input = Input::new(chunk, known, from);
        let buf = input.bytes;
        let n = buf.len();
        let mut i = 0;
        loop {
            while i < n && matches!(buf[i], b'\n' | b'\r') {
                i += 1;
            }
            if i == n {
                return Ok(());
            }
            let scan = scan_record::<SWAR>(
                &input,
                i,
                false,
                self.dialect,
                &mut self.spans,
                &mut self.scratch,
            );
            match scan {
                RecordScan::Done(end) => {
                    let (number, header) =
                        self.counter.admit(self.spans.len()).map_err(|kind| Fail {
                            at: Where::Chunk(from + i),
                            kind,
                        })?;
                    let record = Record {
                        source: input.text,
                        scratch: &self.scratch,
                        spans: &self.spans,
                        number,
                    };
                    on_event(event(record, header));
                    i = end;
                }
                RecordScan::Incomplete(state) => {
                    // `scan_record` went through to the end of the chunk.
                    work::charge(n - i);
                    pending::restart(&mut self.pending, &buf[i..]);
                    self.pending_pos = self.pos.advanced(&chunk[..from + i]);
                    self.partial = Some(state);
                    return Ok(());
                }
                RecordScan::Error(at, kind) => {
                    return Err(Fail {
                        at: Where::Chunk(from + at),
                        kind,
                    });
                }
            }
        }
    }

    /// Continues the record cut by the end of the previous chunk; returns
    /// where the rest of `chunk` starts.
    fn resume<F: FnMut(CsvEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let Some(state) = self.partial else {
            return Ok(0);
        };
        match find_record_end::<SWAR>(chunk, state, self.dialect) {
            Err(state) => {
                work::charge(chunk.len());
                pending::extend(&mut self.pending, chunk);
                self.partial = Some(state);
                Ok(chunk.len())
            }
            Ok(end) => {
                work::charge(end + 1);
                pending::extend(&mut self.pending, &chunk[..=end]);
                self.partial = None;
                self.parse_pending(false, on_event)?;
                Ok(end + 1)
            }
        }
    }

    /// Parses the record in `pending`, which ends with the byte that
    /// decides it (a line end or an error) or with the end of the input.
    fn parse_pending<F: FnMut(CsvEvent<'_>)>(
        &mut self,
        at_end: bool,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        // The whole record, parsed once by the in-chunk scanner.
        work::charge(self.pending.len());
        let input = Input::new(&self.pending, None, 0);
        let scan = scan_record::<SWAR>(
            &input,
            0,
            at_end,
            self.dialect,
            &mut self.spans,
            &mut self.scratch,
        );
        match scan {
            RecordScan::Done(_) => {
                let (number, header) =
                    self.counter.admit(self.spans.len()).map_err(|kind| Fail {
                        at: Where::Pending(0),
                        kind,
                    })?;
                let record = Record {
                    source: input.text,
                    scratch: &self.scratch,
                    spans: &self.spans,
                    number,
                };
                on_event(event(record, header));
                Ok(())
            }
            RecordScan::Error(at, kind) => Err(Fail {
                at: Where::Pending(at),
                kind,
            }),
            // Unreachable: `find_record_end` stopped at a byte that decides
            // the record, or the input has ended.
            RecordScan::Incomplete(_) => Err(Fail {
                at: Where::Pending(self.pending.len()),
                kind: ErrorKind::UnexpectedEnd {
                    expected: "the end of the record",
                },
            }),
        }
    }

    fn finish_input<F: FnMut(CsvEvent<'_>)>(&mut self, on_event: &mut F) -> Result<(), Fail> {
        if let Bom::Looking(matched) = self.bom {
            self.bom = Bom::Done;
            self.open_with_bom_bytes(matched);
        }
        if self.partial.take().is_some() {
            self.parse_pending(true, on_event)?;
        }
        Ok(())
    }
}

/// The event for `record`.
#[inline(always)]
fn event(record: Record<'_>, header: bool) -> CsvEvent<'_> {
    if header {
        CsvEvent::Header(record)
    } else {
        CsvEvent::Record(record)
    }
}

/// The contract shared with the other parsers, for code generic over the
/// format ([`for_each_event`](crate::streaming_parsers::for_each_event),
/// [`Events`](crate::streaming_parsers::Events)): each method is the
/// inherent one above.
impl<const SWAR: bool> PushParser for CsvParser<SWAR> {
    type Event<'a> = CsvEvent<'a>;
    type OwnedEvent = OwnedCsvEvent;

    fn feed<F>(&mut self, chunk: &[u8], on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        Self::feed(self, chunk, on_event)
    }

    fn feed_str<F>(&mut self, chunk: &str, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        Self::feed_str(self, chunk, on_event)
    }

    fn finish<F>(&mut self, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(CsvEvent<'_>),
    {
        Self::finish(self, on_event)
    }

    fn position(&self) -> Position {
        self.pos
    }

    fn format(&self) -> Format {
        Format::Csv
    }

    fn to_owned_event(event: &CsvEvent<'_>) -> OwnedCsvEvent {
        event.to_owned_event()
    }

    fn reset(&mut self) {
        Self::reset(self)
    }
}
