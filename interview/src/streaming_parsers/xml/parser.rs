//! Feeding and finishing: [`XmlParser`]'s methods, the byte order mark,
//! the main loop and the tokens cut by a chunk boundary.

use super::dtd::Dtd;
use super::events::NsRef;
use super::stop::{Step, Stop, fail};
use super::token_end::{Classified, Partial, bad_markup, classify, find_end};
use super::utf16::{Encoding, Utf16State};
use super::{OwnedXmlEvent, XmlEvent, XmlOptions, XmlParser};
use crate::streaming_parsers::input::{BOM, Bom};
use crate::streaming_parsers::{
    ErrorKind, Fail, Format, Input, Lifecycle, ParseError, Position, PushParser, Where, pending,
    work,
};

impl XmlParser {
    /// A parser at the start of its input.
    pub fn new(options: XmlOptions) -> Self {
        XmlParser {
            options,
            at_start: true,
            root_seen: false,
            doctype_seen: false,
            stack: Vec::new(),
            names: Vec::new(),
            bindings: Vec::new(),
            ns_text: String::new(),
            default_ns: NsRef::None,
            scratch: String::new(),
            attrs: Vec::new(),
            attr_text: String::new(),
            dtd: Dtd::default(),
            expanded: 0,
            entity_frames: Vec::new(),
            partial: Partial::None,
            pending: Vec::new(),
            pending_pos: Position::START,
            suspended_at: None,
            pos: Position::START,
            bom: Bom::Looking(0),
            encoding: Encoding::Sniffing(None),
            utf16: Utf16State::default(),
            decoded: String::new(),
            life: Lifecycle::new(),
        }
    }

    /// The options this parser was built with.
    pub fn options(&self) -> XmlOptions {
        self.options
    }

    /// Starts over on a new input, keeping the buffers' capacity.
    pub fn reset(&mut self) {
        let mut fresh = XmlParser::new(self.options);
        macro_rules! keep {
            ($($field:ident),*) => {$(
                fresh.$field = std::mem::take(&mut self.$field);
                fresh.$field.clear();
            )*};
        }
        keep!(
            stack,
            names,
            bindings,
            ns_text,
            scratch,
            attrs,
            attr_text,
            entity_frames,
            pending,
            decoded
        );
        *self = fresh;
    }

    /// The position of the next byte to be fed (the offset counts the
    /// input's bytes, UTF-16 too).
    pub fn position(&self) -> Position {
        self.input_position()
    }

    /// The current nesting depth (open elements).
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Parses the next chunk of input, calling `on_event` for every event
    /// it completes. A token cut by the end of `chunk` is kept and completed
    /// by a later `feed` or by [`finish`](Self::finish).
    pub fn feed<F>(&mut self, chunk: &[u8], mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        self.life.check_feed(Format::Xml, self.position())?;
        // `None`: nothing is known about the bytes, so `feed_chunk`
        // validates their UTF-8 once, for the whole chunk.
        let fed = self.feed_any(chunk, None, &mut on_event);
        fed.map_err(|error| self.life.fail(error))
    }

    /// [`feed`](Self::feed) for input that is already text: the same events
    /// and errors, without checking its UTF-8 again.
    pub fn feed_str<F>(&mut self, chunk: &str, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        self.life.check_feed(Format::Xml, self.position())?;
        let fed = self.feed_any(chunk.as_bytes(), Some(chunk), &mut on_event);
        fed.map_err(|error| self.life.fail(error))
    }

    /// Ends the input: checks that no token is left open and that the root
    /// element has been closed.
    pub fn finish<F>(&mut self, mut on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        // A failed parser repeats its error; a second `finish` does nothing.
        if !self.life.start_finish()? {
            return Ok(());
        }
        let finished = self.finish_encoding(&mut on_event).and_then(|()| {
            self.finish_input(&mut on_event)
                .map_err(|fail| self.in_input(self.locate(fail, &[]), self.decoded.as_bytes()))
        });
        finished.map_err(|error| self.life.fail(error))
    }

    /// `fail` as a [`ParseError`], `chunk` being the bytes fed last.
    pub(super) fn locate(&self, fail: Fail, chunk: &[u8]) -> ParseError {
        let pending = (self.pending_pos, &self.pending[..]);
        fail.locate(Format::Xml, (self.pos, chunk), pending)
    }

    /// Parses a chunk of UTF-8: `known` is the chunk as text when the
    /// caller already had it. The error is located (in the UTF-8 read) but
    /// not yet remembered.
    pub(super) fn feed_chunk<F>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        on_event: &mut F,
    ) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        let mut skipped = 0;
        let result = self.run(chunk, known, &mut skipped, on_event);
        // `run` has moved `pos` past the bytes it skipped.
        let rest = &chunk[skipped..];
        match result {
            Ok(()) => {
                // A token suspended in this chunk already knows where it
                // starts: count only the bytes after it.
                self.pos = match self.suspended_at.take() {
                    Some(i) => self.pending_pos.advanced(&rest[i..]),
                    None => self.pos.advanced(rest),
                };
                Ok(())
            }
            Err(fail) => Err(self.locate(fail, rest)),
        }
    }

    /// Parses `chunk`. Errors from the byte order mark and from the token
    /// resumed from the last chunk are placed in `chunk`; the bytes after
    /// them are then scanned as a chunk of their own: `pos` moves past the
    /// bytes before, `skipped` says how many, and later errors are placed
    /// in `chunk[skipped..]`.
    fn run<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        known: Option<&str>,
        skipped: &mut usize,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let mut i = 0;
        if let Bom::Looking(_) = self.bom {
            i = self.skip_bom(chunk)?;
            if i == chunk.len() {
                return Ok(());
            }
        }
        if self.partial != Partial::None {
            i += self.resume(&chunk[i..], i, on_event)?;
        }
        if i > 0 {
            // The resumed token may end with the rest of a character cut
            // by the chunk boundary: validating the UTF-8 from the chunk's
            // first byte would fail there and leave every token of the
            // chunk to the slow path. Validate from the first new token.
            self.pos = self.pos.advanced(&chunk[..i]);
            *skipped = i;
        }
        self.scan(&Input::new(chunk, known, i), 0, on_event)
    }

    /// Skips a UTF-8 byte order mark at the very start (a UTF-16 one has
    /// been decoded into it).
    fn skip_bom(&mut self, chunk: &[u8]) -> Result<usize, Fail> {
        let Bom::Looking(mut matched) = self.bom else {
            return Ok(0);
        };
        for (i, &b) in chunk.iter().enumerate() {
            if matched == 0 && (b == 0xFE || b == 0xFF) {
                // Half a UTF-16 byte order mark: never UTF-8.
                return Err(Self::broken_bom());
            }
            if b == BOM[usize::from(matched)] {
                matched += 1;
                if usize::from(matched) == BOM.len() {
                    self.bom = Bom::Done;
                    return Ok(i + 1);
                }
            } else if matched == 0 {
                self.bom = Bom::Done;
                return Ok(0);
            } else {
                return Err(Self::broken_bom());
            }
        }
        self.bom = Bom::Looking(matched);
        Ok(chunk.len())
    }

    fn broken_bom() -> Fail {
        Fail {
            at: Where::At(Position::START),
            kind: ErrorKind::InvalidUtf8,
        }
    }

    /// The main loop: top-level whitespace, text runs, one dispatch per
    /// piece of markup.
    fn scan<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        mut i: usize,
        on_event: &mut F,
    ) -> Result<(), Fail> {
        let bytes = input.bytes;
        let n = bytes.len();
        while i < n {
            if bytes[i] == b'<' {
                i = self.markup_in_chunk(input, i, on_event)?;
            } else if self.stack.is_empty() {
                i = self.top_level_space(bytes, i)?;
            } else {
                i = self.text_in_chunk(input, i, on_event)?;
            }
        }
        Ok(())
    }

    /// Whitespace outside the root element; anything else but `<` is an
    /// error.
    fn top_level_space(&mut self, bytes: &[u8], mut i: usize) -> Result<usize, Fail> {
        self.at_start = false;
        while let Some(&b) = bytes.get(i) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                b'<' => return Ok(i),
                _ => {
                    let reason = if self.root_seen {
                        "text after the root element: only whitespace, comments and processing instructions may follow it"
                    } else {
                        "text before the root element: only whitespace, comments, processing instructions and a DOCTYPE may precede it"
                    };
                    return Err(Fail {
                        at: Where::Chunk(i),
                        kind: ErrorKind::XmlMisplaced { reason },
                    });
                }
            }
        }
        Ok(i)
    }

    /// Character data starting at `input.bytes[i]` inside an element.
    #[inline]
    fn text_in_chunk<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        i: usize,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        if i < input.text.len() {
            match self.text(input.text, i, on_event) {
                Ok(end) => return Ok(end),
                Err(Stop::Error(at, kind)) => return Err(Self::in_chunk(at, kind)),
                Err(Stop::Incomplete) => {}
            }
        }
        self.slow_token(input, i, Partial::Text, on_event)
    }

    /// Markup starting with the `<` at `input.bytes[i]`.
    #[inline]
    fn markup_in_chunk<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        i: usize,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        // Markup is parsed in place; only a DOCTYPE (nested quotes,
        // comments and brackets) is first delimited by `find_end`.
        let bytes = input.bytes;
        if let Some(&next) = bytes.get(i + 1) {
            let doctype = next == b'!' && bytes.get(i + 2) == Some(&b'D');
            if !doctype && i < input.text.len() {
                let s = &input.text[i..];
                let result = match next {
                    b'/' => {
                        self.at_start = false;
                        self.end_tag(s, on_event)
                    }
                    b'!' | b'?' => self.markup(s, on_event),
                    _ => {
                        self.at_start = false;
                        self.start_tag(s, on_event)
                    }
                };
                match result {
                    Ok(len) => return Ok(i + len),
                    Err(Stop::Error(at, kind)) => return Err(Self::in_chunk(i + at, kind)),
                    Err(Stop::Incomplete) => {}
                }
            }
        }
        self.slow_token(input, i, Partial::Markup, on_event)
    }

    fn in_chunk(at: usize, kind: ErrorKind) -> Fail {
        Fail {
            at: Where::Chunk(at),
            kind,
        }
    }

    /// A token at `input.bytes[i]` delimited by [`find_end`]: parsed at once
    /// if it ends in this chunk, else kept in `pending`.
    fn slow_token<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        input: &Input<'_>,
        i: usize,
        mut partial: Partial,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let bytes = input.bytes;
        let is_text = partial == Partial::Text;
        let Some(len) = find_end(&mut partial, &[], &bytes[i..]) else {
            // The in-place parse that found the token cut went through to
            // the end of the chunk.
            work::charge(bytes.len() - i);
            pending::restart(&mut self.pending, &bytes[i..]);
            self.pending_pos = self.pos.advanced(&bytes[..i]);
            self.suspended_at = Some(i);
            self.partial = partial;
            return Ok(bytes.len());
        };
        let end = i + len;
        // A text token includes the `<` that ends it, so the scan sees it.
        let token_end = if is_text { end + 1 } else { end };
        work::charge(token_end - i);
        let result = match input.text.get(i..token_end) {
            Some(text) => self.token(text, is_text, on_event),
            None => self.raw_token(&bytes[i..token_end], is_text, on_event),
        };
        match result {
            Ok(_) => Ok(end),
            Err(Stop::Error(at, kind)) => Err(Self::in_chunk(i + at, kind)),
            Err(Stop::Incomplete) => Err(Self::in_chunk(end, Self::cut_short(partial))),
        }
    }

    /// The error for a delimited token that its parse found incomplete
    /// (only a mismatch between `find_end` and the parser could cause it).
    fn cut_short(partial: Partial) -> ErrorKind {
        ErrorKind::UnexpectedEnd {
            expected: partial.expected(),
        }
    }

    /// Parses one whole token (text ending with its `<`, or markup).
    fn token<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        text: &str,
        is_text: bool,
        on_event: &mut F,
    ) -> Step<usize> {
        if is_text {
            self.text(text, 0, on_event)
        } else {
            self.markup(text, on_event)
        }
    }

    /// A whole token that is not valid UTF-8 throughout: parses its valid
    /// prefix, so a syntax error before the bad byte is reported first.
    fn raw_token<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        bytes: &[u8],
        is_text: bool,
        on_event: &mut F,
    ) -> Step<usize> {
        if let (false, Classified::Bad(at)) = (is_text, classify(bytes)) {
            return bad_markup(bytes, at);
        }
        // The UTF-8 check, then the parse of the whole token.
        work::charge(2 * bytes.len());
        let (text, bad) = utf8_prefix(bytes);
        match self.token(text, is_text, on_event) {
            Err(Stop::Incomplete) if bad.is_some() => {
                // A character cut by the token's end (the byte after `--`
                // in a comment ends it): judge it as the non-ASCII
                // character it starts, as one chunk would.
                let cut = bytes.get(text.len()..).unwrap_or_default();
                if std::str::from_utf8(cut).is_err_and(|e| e.error_len().is_none()) {
                    work::charge(2 * text.len());
                    let mut patched = String::with_capacity(text.len() + 3);
                    patched.push_str(text);
                    patched.push('\u{FFFD}');
                    if let Err(Stop::Error(at, kind)) = self.token(&patched, is_text, on_event) {
                        if at < text.len() {
                            return fail(at, kind);
                        }
                    }
                }
                fail(text.len(), ErrorKind::InvalidUtf8)
            }
            other => other,
        }
    }

    /// Continues the token cut by the end of the previous chunk; returns
    /// how many bytes of `chunk` it took. (`skipped`: bytes of the chunk
    /// before `chunk`, for error positions.)
    fn resume<F: FnMut(XmlEvent<'_>)>(
        &mut self,
        chunk: &[u8],
        skipped: usize,
        on_event: &mut F,
    ) -> Result<usize, Fail> {
        let mut partial = self.partial;
        let is_text = partial == Partial::Text;
        let Some(end) = find_end(&mut partial, &self.pending, chunk) else {
            pending::extend(&mut self.pending, chunk);
            self.partial = partial;
            return Ok(chunk.len());
        };
        pending::extend(&mut self.pending, &chunk[..end]);
        if is_text {
            pending::extend(&mut self.pending, b"<");
        }
        self.partial = Partial::None;
        let pending = std::mem::take(&mut self.pending);
        let result = self.raw_token(&pending, is_text, on_event);
        self.pending = pending;
        match result {
            Ok(_) => {
                self.pending.clear();
                Ok(end)
            }
            Err(Stop::Error(at, kind)) => Err(Fail {
                at: Where::Pending(at),
                kind,
            }),
            Err(Stop::Incomplete) => Err(Fail {
                at: Where::Chunk(skipped + end),
                kind: Self::cut_short(partial),
            }),
        }
    }

    /// Parses the token cut by the end of the last chunk as if the input
    /// ended there: the error inside it, if any. (Its parse is then over.)
    pub(super) fn cut_token_error<F>(&mut self, on_event: &mut F) -> Option<Fail>
    where
        F: FnMut(XmlEvent<'_>),
    {
        let partial = std::mem::replace(&mut self.partial, Partial::None);
        if partial == Partial::None {
            return None;
        }
        let pending = std::mem::take(&mut self.pending);
        let result = self.raw_token(&pending, partial == Partial::Text, on_event);
        self.pending = pending;
        match result {
            Err(Stop::Error(at, kind)) => Some(Fail {
                at: Where::Pending(at),
                kind,
            }),
            _ => None,
        }
    }

    fn finish_input<F: FnMut(XmlEvent<'_>)>(&mut self, on_event: &mut F) -> Result<(), Fail> {
        let end = Where::At(self.pos);
        if let Bom::Looking(matched) = self.bom {
            if matched > 0 {
                return Err(Self::broken_bom());
            }
        }
        let partial = self.partial;
        if partial != Partial::None {
            // Report an error inside the cut token before "ended early".
            if let Some(fail) = self.cut_token_error(on_event) {
                return Err(fail);
            }
            return Err(Fail {
                at: end,
                kind: ErrorKind::UnexpectedEnd {
                    expected: partial.expected(),
                },
            });
        }
        if !self.stack.is_empty() {
            return Err(Fail {
                at: end,
                kind: ErrorKind::UnexpectedEnd {
                    expected: "the end tags of the open elements",
                },
            });
        }
        if !self.root_seen {
            return Err(Fail {
                at: end,
                kind: ErrorKind::UnexpectedEnd {
                    expected: "a root element (an XML document has exactly one)",
                },
            });
        }
        Ok(())
    }
}

/// The longest valid UTF-8 prefix of `bytes`, and where it stops if not
/// at the end.
fn utf8_prefix(bytes: &[u8]) -> (&str, Option<usize>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let valid = e.valid_up_to();
            (
                std::str::from_utf8(&bytes[..valid]).unwrap_or_default(),
                Some(valid),
            )
        }
    }
}

/// The contract shared with the other parsers, for code generic over the
/// format ([`for_each_event`](crate::streaming_parsers::for_each_event),
/// [`Events`](crate::streaming_parsers::Events)): each method is the
/// inherent one above.
impl PushParser for XmlParser {
    type Event<'a> = XmlEvent<'a>;
    type OwnedEvent = OwnedXmlEvent;

    fn feed<F>(&mut self, chunk: &[u8], on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        XmlParser::feed(self, chunk, on_event)
    }

    fn feed_str<F>(&mut self, chunk: &str, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        XmlParser::feed_str(self, chunk, on_event)
    }

    fn finish<F>(&mut self, on_event: F) -> Result<(), ParseError>
    where
        F: FnMut(XmlEvent<'_>),
    {
        XmlParser::finish(self, on_event)
    }

    fn position(&self) -> Position {
        self.input_position()
    }

    fn format(&self) -> Format {
        Format::Xml
    }

    fn to_owned_event(event: &XmlEvent<'_>) -> OwnedXmlEvent {
        event.to_owned_event()
    }

    fn reset(&mut self) {
        XmlParser::reset(self)
    }
}
