//! Reading inputs as chunks of text: [`ChunkReader`] reads the pieces of
//! the inputs one after the other and cuts them into chunks at whitespace,
//! holding one chunk (plus at most one word) at a time, whatever the size
//! of the input.
//!
//! Three rules make every engine count the words the one-thread reference
//! counts on the same files:
//! - **Chunks are cut after ASCII whitespace**, so a word is never split.
//!   A chunk grows to the target size, then ends at its last whitespace;
//!   the partial word after it starts the next chunk.
//! - **A file's end is a word's end**: a chunk never spans two inputs, so
//!   the last word of a file without a trailing newline is not glued to the
//!   first word of the next file.
//! - **Bytes that are not UTF-8 are read as U+FFFD** (`�`), as
//!   `String::from_utf8_lossy` reads them: a file is never rejected for its
//!   encoding, words are still cut at ASCII whitespace only (so a Latin-1
//!   `café` is one word, `caf�`), and the reader records which files were
//!   not UTF-8 and the offset of their first invalid byte, for a warning.
//!   Cutting after ASCII whitespace never cuts a UTF-8 sequence, so
//!   decoding chunk by chunk gives the text decoding the whole file would.
//!
//! One limit keeps the memory bounded for any input: a word longer than
//! [`MAX_WORD_BYTES`] is an error ([`InputError::WordTooLong`]) rather
//! than a buffer that grows with the file.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use super::inputs::{InputError, InputPiece, InputSource};

/// The longest word the reader accepts (16 MiB). A longer run of bytes
/// without whitespace is not text, and buffering it whole would make the
/// reader's memory grow with the input.
pub const MAX_WORD_BYTES: usize = 16 << 20;

/// Bytes asked of an input per read once a chunk is full but its last word
/// is not finished, and the buffer of each opened input.
const READ_BLOCK: usize = 64 << 10;

/// The most bytes a fresh chunk buffer reserves up front; a larger
/// `--chunk-bytes` grows the buffer as bytes arrive.
const MAX_RESERVE: usize = 1 << 20;

/// How many files that are not UTF-8 the statistics name (the rest are
/// only counted).
const NOT_UTF8_NAMED: usize = 10;

/// A file whose bytes are not all UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// The input.
    pub source: InputSource,
    /// The offset of its first byte that is not UTF-8.
    pub offset: u64,
}

/// What a [`ChunkReader`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Bytes read from the inputs (a share's pieces, plus the word finished
    /// past a piece's end and the partial word skipped at its start).
    pub bytes: u64,
    /// Pieces opened and read to their end.
    pub pieces: usize,
    /// Chunks handed out.
    pub chunks: u64,
    /// The largest chunk handed out, in bytes.
    pub largest_chunk: usize,
    /// The most bytes the reader's chunk buffer ever reserved — with a
    /// fixed 64 KiB read buffer for the open input, the reader's memory —
    /// which stays about the chunk size (or the longest word, if longer),
    /// never the size of an input.
    pub largest_buffer: usize,
    /// The first few inputs that were not UTF-8.
    pub not_utf8: Vec<NotUtf8>,
    /// How many inputs were not UTF-8.
    pub not_utf8_inputs: usize,
}

/// Where a piece's reading stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Skipping the end of a word that starts before the piece's range.
    Skipping,
    /// Reading the piece's bytes.
    Reading,
    /// The range is read but ends inside a word: reading to its end.
    Finishing,
    /// Nothing more to read.
    Done,
}

/// The piece being read.
struct OpenPiece {
    source: InputSource,
    input: Box<dyn Read + Send>,
    /// Offset in the input of the next byte `input` gives.
    pos: u64,
    /// Where reading stops (then finishes the last word); `None`: at the end.
    end: Option<u64>,
    phase: Phase,
    /// Bytes skipped so far in [`Phase::Skipping`].
    skipped: u64,
    /// Whether this input's first invalid byte has been recorded.
    reported_not_utf8: bool,
}

/// Reads [`InputPiece`]s one after the other and hands out their text in
/// chunks of about `target` bytes, cut after whitespace (the rules are in
/// this module's docs). It holds one chunk and at most one word beyond it.
pub struct ChunkReader {
    pieces: std::vec::IntoIter<InputPiece>,
    target: usize,
    max_word: usize,
    current: Option<OpenPiece>,
    /// Bytes of the current piece read but not yet handed out.
    buf: Vec<u8>,
    /// Offset in the input of `buf[0]`.
    buf_offset: u64,
    /// Index in `buf` just past its last whitespace byte (0: none): where
    /// the unfinished word, if any, starts.
    word_start: usize,
    /// Where the chunk in `buf` ends, once known: just past the first
    /// whitespace byte at or after the target size.
    cut: Option<usize>,
    stats: ReadStats,
}

impl ChunkReader {
    /// A reader of `pieces`, in order, in chunks of about `target` bytes.
    pub fn new(pieces: Vec<InputPiece>, target: usize) -> Self {
        ChunkReader {
            pieces: pieces.into_iter(),
            target: target.max(1),
            max_word: MAX_WORD_BYTES,
            current: None,
            buf: Vec::new(),
            buf_offset: 0,
            word_start: 0,
            cut: None,
            stats: ReadStats::default(),
        }
    }

    /// The same reader with a word limit of `max_word` bytes instead of
    /// [`MAX_WORD_BYTES`].
    pub fn with_max_word(mut self, max_word: usize) -> Self {
        self.max_word = max_word.max(1);
        self
    }

    /// What has been read so far.
    pub fn stats(&self) -> &ReadStats {
        &self.stats
    }

    /// Consumes the reader into its statistics.
    pub fn into_stats(self) -> ReadStats {
        self.stats
    }

    /// The next chunk of text: never empty, never splitting a word, never
    /// spanning two inputs. `None` once every piece is read.
    ///
    /// # Errors
    /// [`InputError`] naming the input: it cannot be opened, a read fails,
    /// or a word is longer than the limit.
    pub fn next_chunk(&mut self) -> Result<Option<String>, InputError> {
        loop {
            let Some(piece) = self.current.as_mut() else {
                let Some(next) = self.pieces.next() else {
                    return Ok(None);
                };
                self.current = Some(open(next)?);
                // A small file should not cost a chunk-sized buffer: the
                // buffer grows with the reads (see `fill`).
                self.buf = Vec::new();
                self.word_start = 0;
                self.cut = None;
                self.buf_offset = self.current.as_ref().map_or(0, |p| p.pos);
                continue;
            };
            let done = piece.phase == Phase::Done;
            if let Some(cut) = self.cut {
                if let Some(text) = self.take_chunk(cut) {
                    return Ok(Some(text));
                }
            }
            if done {
                let rest = std::mem::take(&mut self.buf);
                let chunk = (!rest.is_empty()).then(|| self.hand_out(rest));
                self.current = None;
                self.stats.pieces += 1;
                match chunk {
                    Some(text) => return Ok(Some(text)),
                    None => continue,
                }
            }
            self.fill()?;
        }
    }

    /// One read from the current piece into the buffer, as its phase
    /// allows, then the word-length check.
    fn fill(&mut self) -> Result<(), InputError> {
        let Some(piece) = self.current.as_mut() else {
            return Ok(());
        };
        // Up to the target, in reads that at most double the buffer (so a
        // small file gets a small buffer); past it, while the last word is
        // unfinished, a block at a time.
        let want = if self.buf.len() < self.target {
            (self.target - self.buf.len()).min(self.buf.len().max(READ_BLOCK))
        } else {
            READ_BLOCK.min(self.target).max(1)
        };
        match piece.phase {
            Phase::Done => {}
            Phase::Skipping => {
                let mut block = [0u8; 4096];
                let limit = piece.end.map_or(block.len() as u64, |end| {
                    (end - piece.pos).min(block.len() as u64)
                });
                let limit = usize::try_from(limit).expect("a limit no larger than the block");
                let n = read_some(piece, &mut block[..limit], &mut self.stats)?;
                piece.skipped += n as u64;
                match block[..n].iter().position(u8::is_ascii_whitespace) {
                    Some(i) => {
                        // The skipped word ends at `i`: the piece's own
                        // words start after it.
                        piece.phase = Phase::Reading;
                        self.buf_offset = piece.pos - (n - i - 1) as u64;
                        self.append(&block[i + 1..n]);
                        self.after_read();
                    }
                    None if n == 0 || piece.end == Some(piece.pos) => piece.phase = Phase::Done,
                    None if piece.skipped > self.max_word as u64 => {
                        return Err(InputError::WordTooLong {
                            source_name: piece.source.clone(),
                            offset: piece.pos - piece.skipped,
                            limit: self.max_word,
                        });
                    }
                    None => {}
                }
            }
            Phase::Reading => {
                let limit = piece
                    .end
                    .map_or(want as u64, |end| (want as u64).min(end - piece.pos));
                let limit = usize::try_from(limit).expect("a limit no larger than `want`");
                if self.read_into_buf(limit)? == 0 {
                    piece_done(&mut self.current);
                } else {
                    self.after_read();
                }
            }
            Phase::Finishing => {
                let mut block = [0u8; 4096];
                let n = read_some(piece, &mut block, &mut self.stats)?;
                let word_end = block[..n].iter().position(u8::is_ascii_whitespace);
                if n == 0 || word_end.is_some() {
                    piece.phase = Phase::Done;
                }
                self.append(&block[..word_end.unwrap_or(n)]);
            }
        }
        self.check_word_length()
    }

    /// After bytes of the range were read: once the range is read, the
    /// piece is done, unless the range ends inside a word — that word
    /// started in the range, so it is the piece's, and is read to its end.
    fn after_read(&mut self) {
        let Some(piece) = self.current.as_mut() else {
            return;
        };
        if piece.end == Some(piece.pos) {
            let inside_word = self.buf.last().is_some_and(|b| !b.is_ascii_whitespace());
            piece.phase = if inside_word {
                Phase::Finishing
            } else {
                Phase::Done
            };
        }
    }

    /// Reads up to `limit` bytes of the current piece straight into the
    /// buffer; how many arrived.
    fn read_into_buf(&mut self, limit: usize) -> Result<usize, InputError> {
        let Some(piece) = self.current.as_mut() else {
            return Ok(0);
        };
        let old = self.buf.len();
        self.buf.resize(old + limit, 0);
        let read = read_some(piece, &mut self.buf[old..], &mut self.stats);
        let n = *read.as_ref().unwrap_or(&0);
        self.buf.truncate(old + n);
        read?;
        self.note_new_bytes(old);
        Ok(n)
    }

    /// Appends bytes read elsewhere to the buffer.
    fn append(&mut self, bytes: &[u8]) {
        let old = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.note_new_bytes(old);
    }

    /// Updates the marks — where the last word starts, where the chunk
    /// ends — and the memory high-water mark after bytes were added from
    /// `old` on. Only the new bytes are scanned, so a long word costs its
    /// length once, not once per read.
    fn note_new_bytes(&mut self, old: usize) {
        if let Some(i) = self.buf[old..].iter().rposition(u8::is_ascii_whitespace) {
            self.word_start = old + i + 1;
        }
        if self.cut.is_none() && self.buf.len() >= self.target {
            // The chunk ends after the first whitespace at or after the
            // target: `split_ranges`' rule, so a chunk is at most the target
            // plus one word.
            let from = old.max(self.target - 1);
            self.cut = self.buf[from..]
                .iter()
                .position(u8::is_ascii_whitespace)
                .map(|i| from + i + 1);
        }
        self.stats.largest_buffer = self.stats.largest_buffer.max(self.buf.capacity());
    }

    fn check_word_length(&self) -> Result<(), InputError> {
        let word = self.buf.len() - self.word_start;
        if word <= self.max_word {
            return Ok(());
        }
        let source_name = self
            .current
            .as_ref()
            .map_or(InputSource::Stdin, |p| p.source.clone());
        Err(InputError::WordTooLong {
            source_name,
            offset: self.buf_offset + self.word_start as u64,
            limit: self.max_word,
        })
    }

    /// Hands out `buf[..cut]` as text (`None` if it is empty) and keeps the
    /// rest, the start of the next chunk, in a fresh buffer.
    fn take_chunk(&mut self, cut: usize) -> Option<String> {
        if cut == 0 {
            return None;
        }
        let rest = &self.buf[cut..];
        let mut next = Vec::with_capacity(self.target.min(MAX_RESERVE).max(rest.len()));
        next.extend_from_slice(rest);
        self.buf.truncate(cut);
        let bytes = std::mem::replace(&mut self.buf, next);
        let text = self.hand_out(bytes);
        self.word_start = 0;
        self.cut = None;
        self.note_new_bytes(0);
        Some(text)
    }

    /// Counts the chunk `bytes`, which starts at `buf_offset`, decodes it,
    /// and moves `buf_offset` past it.
    fn hand_out(&mut self, bytes: Vec<u8>) -> String {
        let chunk_offset = self.buf_offset;
        self.buf_offset += bytes.len() as u64;
        self.stats.chunks += 1;
        self.stats.largest_chunk = self.stats.largest_chunk.max(bytes.len());
        self.decode(bytes, chunk_offset)
    }

    /// The chunk as text: as it is when it is UTF-8, else with U+FFFD for
    /// every invalid sequence, recording the input's first invalid byte.
    fn decode(&mut self, bytes: Vec<u8>, chunk_offset: u64) -> String {
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                if let Some(piece) = self.current.as_mut().filter(|p| !p.reported_not_utf8) {
                    piece.reported_not_utf8 = true;
                    self.stats.not_utf8_inputs += 1;
                    if self.stats.not_utf8.len() < NOT_UTF8_NAMED {
                        self.stats.not_utf8.push(NotUtf8 {
                            source: piece.source.clone(),
                            offset: chunk_offset + e.utf8_error().valid_up_to() as u64,
                        });
                    }
                }
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        }
    }
}

impl std::fmt::Debug for ChunkReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkReader")
            .field("target", &self.target)
            .field("max_word", &self.max_word)
            .field("pieces_left", &self.pieces.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Iterator for ChunkReader {
    type Item = Result<String, InputError>;

    /// [`ChunkReader::next_chunk`], as an iterator; it ends after an error.
    fn next(&mut self) -> Option<Self::Item> {
        match self.next_chunk() {
            Ok(chunk) => chunk.map(Ok),
            Err(e) => {
                self.current = None;
                self.pieces = Vec::new().into_iter();
                Some(Err(e))
            }
        }
    }
}

/// Opens a piece; for a range that starts inside the input, positions the
/// reader at its start and decides whether the first word is the piece's.
fn open(piece: InputPiece) -> Result<OpenPiece, InputError> {
    let InputPiece { source, range } = piece;
    let open_error = |error| InputError::Open {
        source_name: source.clone(),
        error,
    };
    let path = match &source {
        InputSource::Stdin => {
            return Ok(OpenPiece::new(
                source,
                Box::new(io::stdin()),
                0,
                None,
                Phase::Reading,
            ));
        }
        InputSource::File(path) => path,
    };
    let mut file = File::open(path).map_err(open_error)?;
    let Some(range) = range else {
        let input = Box::new(BufReader::with_capacity(READ_BLOCK, file));
        return Ok(OpenPiece::new(source, input, 0, None, Phase::Reading));
    };
    if range.start == 0 {
        let input = Box::new(BufReader::with_capacity(READ_BLOCK, file));
        return Ok(OpenPiece::new(
            source,
            input,
            0,
            Some(range.end),
            Phase::Reading,
        ));
    }
    // Look at the byte before the range: if it is not whitespace, the range
    // starts inside a word that belongs to the range before, and is skipped.
    let before_at = range.start - 1;
    file.seek(SeekFrom::Start(before_at))
        .map_err(|error| read_error(&source, before_at, error))?;
    let mut input = BufReader::with_capacity(READ_BLOCK, file);
    let mut before = [0u8; 1];
    let n = read_retrying(&mut input, &mut before)
        .map_err(|error| read_error(&source, before_at, error))?;
    let phase = match n {
        0 => Phase::Done, // the file shrank since it was listed
        _ if range.start >= range.end => Phase::Done,
        _ if before[0].is_ascii_whitespace() => Phase::Reading,
        _ => Phase::Skipping,
    };
    let pos = before_at + n as u64;
    Ok(OpenPiece::new(
        source,
        Box::new(input),
        pos,
        Some(range.end),
        phase,
    ))
}

impl OpenPiece {
    fn new(
        source: InputSource,
        input: Box<dyn Read + Send>,
        pos: u64,
        end: Option<u64>,
        phase: Phase,
    ) -> Self {
        OpenPiece {
            source,
            input,
            pos,
            end,
            phase,
            skipped: 0,
            reported_not_utf8: false,
        }
    }
}

fn piece_done(current: &mut Option<OpenPiece>) {
    if let Some(piece) = current.as_mut() {
        piece.phase = Phase::Done;
    }
}

/// One read from `piece`, retried on `Interrupted`, counted in `stats`.
fn read_some(
    piece: &mut OpenPiece,
    into: &mut [u8],
    stats: &mut ReadStats,
) -> Result<usize, InputError> {
    let n = read_retrying(&mut piece.input, into)
        .map_err(|e| read_error(&piece.source, piece.pos, e))?;
    piece.pos += n as u64;
    stats.bytes += n as u64;
    Ok(n)
}

fn read_retrying(input: &mut impl Read, into: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(into) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn read_error(source: &InputSource, offset: u64, error: io::Error) -> InputError {
    InputError::Read {
        source_name: source.clone(),
        offset,
        error,
    }
}
