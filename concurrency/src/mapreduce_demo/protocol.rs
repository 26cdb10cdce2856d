//! The parent–worker protocol: length-prefixed frames over a pipe, checked
//! as they are read, so that a wrong program or a corrupted stream is an
//! error that says what arrived — never a panic or a giant allocation.

use std::fmt;
use std::io::{self, Read, Write};

use hashbrown::HashMap;

use super::counts::WordCounts;

/// Version of the parent–worker protocol; a worker speaking another one is
/// refused at the handshake.
pub const PROTOCOL_VERSION: u32 = 1;
/// The first bytes of every `Hello`: not a mastery worker otherwise.
pub const HELLO_MAGIC: &[u8; 16] = b"mastery-wordcnt\0";
/// The largest payload a frame may announce (1 GiB). A bigger length is an
/// error before anything is allocated.
pub const MAX_FRAME_PAYLOAD: usize = 1 << 30;
/// Frame header: kind (1 byte) and payload length (`u32`, little-endian).
const HEADER_BYTES: usize = 5;

/// The kinds of frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// Worker → parent, first: magic, protocol version, pid.
    Hello,
    /// Parent → worker: UTF-8 text to count.
    Chunk,
    /// Parent → worker: the job's chunks are all sent; reply with `Counts`.
    End,
    /// Worker → parent: the partial counts of the job.
    Counts,
    /// Worker → parent: why the worker is giving up.
    Failure,
}

impl FrameKind {
    const ALL: [FrameKind; 5] = [
        FrameKind::Hello,
        FrameKind::Chunk,
        FrameKind::End,
        FrameKind::Counts,
        FrameKind::Failure,
    ];

    /// The kind's byte on the wire.
    pub fn byte(self) -> u8 {
        match self {
            FrameKind::Hello => 1,
            FrameKind::Chunk => 2,
            FrameKind::End => 3,
            FrameKind::Counts => 4,
            FrameKind::Failure => 5,
        }
    }

    /// The kind of a wire byte, if any.
    pub fn from_byte(byte: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.byte() == byte)
    }

    /// The kind's name, as errors print it.
    pub fn name(self) -> &'static str {
        match self {
            FrameKind::Hello => "hello",
            FrameKind::Chunk => "chunk",
            FrameKind::End => "end",
            FrameKind::Counts => "counts",
            FrameKind::Failure => "failure",
        }
    }
}

impl fmt::Display for FrameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// The worker's greeting.
    Hello {
        /// The worker's [`PROTOCOL_VERSION`].
        version: u32,
        /// The worker's process id, as it sees it.
        pid: u32,
    },
    /// Text to count.
    Chunk(String),
    /// No more chunks in this job.
    End,
    /// A worker's counts for the job.
    Counts(WordCounts),
    /// A worker's last words.
    Failure(String),
}

/// A frame that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream itself failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The stream ended inside a frame.
    #[error("the stream ended inside a frame: the {what} needs {needed} bytes, {got} arrived")]
    Truncated {
        /// What was being read: the header or a kind's payload.
        what: &'static str,
        /// Bytes announced.
        needed: usize,
        /// Bytes that arrived.
        got: usize,
    },
    /// The first byte is no known kind.
    #[error("unknown frame kind 0x{0:02x}")]
    UnknownKind(u8),
    /// The announced length is over [`MAX_FRAME_PAYLOAD`].
    #[error("a {kind} frame of {len} bytes is over the limit of {MAX_FRAME_PAYLOAD} bytes")]
    TooLarge {
        /// The frame's kind.
        kind: FrameKind,
        /// The announced payload length.
        len: usize,
    },
    /// The payload does not decode.
    #[error("malformed {kind} frame: {reason}")]
    Malformed {
        /// The frame's kind.
        kind: FrameKind,
        /// What is wrong with it.
        reason: String,
    },
}

impl Message {
    /// This message's frame kind.
    pub fn kind(&self) -> FrameKind {
        match self {
            Message::Hello { .. } => FrameKind::Hello,
            Message::Chunk(_) => FrameKind::Chunk,
            Message::End => FrameKind::End,
            Message::Counts(_) => FrameKind::Counts,
            Message::Failure(_) => FrameKind::Failure,
        }
    }

    /// Writes the message as one frame (the caller flushes).
    ///
    /// # Errors
    /// When `out` fails, or the payload is over [`MAX_FRAME_PAYLOAD`].
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        match self {
            Message::Hello { version, pid } => {
                let mut payload = HELLO_MAGIC.to_vec();
                payload.extend_from_slice(&version.to_le_bytes());
                payload.extend_from_slice(&pid.to_le_bytes());
                write_frame(out, FrameKind::Hello, &payload)
            }
            Message::Chunk(text) => write_chunk(out, text),
            Message::End => write_frame(out, FrameKind::End, &[]),
            Message::Counts(counts) => write_frame(out, FrameKind::Counts, &encode_counts(counts)),
            Message::Failure(why) => write_frame(out, FrameKind::Failure, why.as_bytes()),
        }
    }

    /// Reads one frame. `Ok(None)` is a clean end of stream: it ended
    /// between frames.
    ///
    /// # Errors
    /// [`FrameError`]: I/O, a frame cut short, an unknown kind, a length
    /// over the limit, or a payload that does not decode.
    pub fn read_from(input: &mut impl Read) -> Result<Option<Message>, FrameError> {
        let mut header = [0u8; HEADER_BYTES];
        match read_full(input, &mut header)? {
            0 => return Ok(None),
            HEADER_BYTES => {}
            got => {
                return Err(FrameError::Truncated {
                    what: "frame header",
                    needed: HEADER_BYTES,
                    got,
                });
            }
        }
        let kind = FrameKind::from_byte(header[0]).ok_or(FrameError::UnknownKind(header[0]))?;
        let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        if len > MAX_FRAME_PAYLOAD {
            return Err(FrameError::TooLarge { kind, len });
        }
        // Grows as bytes arrive: a lying length costs nothing until the
        // bytes are really there.
        let mut payload = Vec::new();
        let got = input.take(len as u64).read_to_end(&mut payload)?;
        if got < len {
            return Err(FrameError::Truncated {
                what: kind.name(),
                needed: len,
                got,
            });
        }
        decode_payload(kind, payload).map(Some)
    }
}

/// Writes a `Chunk` frame straight from borrowed text (the parent's hot
/// path: no copy into a message).
///
/// # Errors
/// When `out` fails, or the text is over [`MAX_FRAME_PAYLOAD`].
pub fn write_chunk(out: &mut impl Write, text: &str) -> io::Result<()> {
    write_frame(out, FrameKind::Chunk, text.as_bytes())
}

fn write_frame(out: &mut impl Write, kind: FrameKind, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&len| len as usize <= MAX_FRAME_PAYLOAD)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a {kind} frame of {} bytes is over the limit of {MAX_FRAME_PAYLOAD} bytes",
                    payload.len()
                ),
            )
        })?;
    let mut header = [0u8; HEADER_BYTES];
    header[0] = kind.byte();
    header[1..].copy_from_slice(&len.to_le_bytes());
    out.write_all(&header)?;
    out.write_all(payload)
}

/// Reads until `buf` is full or the stream ends; how many bytes arrived.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn decode_payload(kind: FrameKind, payload: Vec<u8>) -> Result<Message, FrameError> {
    let malformed = |reason: String| FrameError::Malformed { kind, reason };
    match kind {
        FrameKind::Hello => {
            let want = HELLO_MAGIC.len() + 8;
            if payload.len() != want || !payload.starts_with(HELLO_MAGIC) {
                return Err(malformed(format!(
                    "expected the {}-byte magic {:?} and two u32s ({want} bytes), got {} bytes",
                    HELLO_MAGIC.len(),
                    String::from_utf8_lossy(HELLO_MAGIC),
                    payload.len()
                )));
            }
            let mut cursor = Cursor::new(&payload[HELLO_MAGIC.len()..]);
            let version = cursor.u32().map_err(malformed)?;
            let pid = cursor.u32().map_err(malformed)?;
            Ok(Message::Hello { version, pid })
        }
        FrameKind::Chunk => String::from_utf8(payload)
            .map(Message::Chunk)
            .map_err(|e| malformed(format!("not UTF-8: {}", e.utf8_error()))),
        FrameKind::End if payload.is_empty() => Ok(Message::End),
        FrameKind::End => Err(malformed(format!(
            "an end frame carries no payload, this one has {} bytes",
            payload.len()
        ))),
        FrameKind::Counts => decode_counts(&payload)
            .map(Message::Counts)
            .map_err(malformed),
        FrameKind::Failure => Ok(Message::Failure(
            String::from_utf8_lossy(&payload).into_owned(),
        )),
    }
}

/// Counts payload: `u64` entry count, then per entry a `u32` word length,
/// the word's bytes and a `u64` count; all integers little-endian.
fn encode_counts(counts: &WordCounts) -> Vec<u8> {
    let size: usize = counts.iter().map(|(w, _)| 12 + w.len()).sum();
    let mut out = Vec::with_capacity(8 + size);
    out.extend_from_slice(&(counts.distinct() as u64).to_le_bytes());
    for (word, count) in counts.iter() {
        // Words come from frames under MAX_FRAME_PAYLOAD, so they fit a u32.
        let len = u32::try_from(word.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(word.as_bytes());
        out.extend_from_slice(&count.to_le_bytes());
    }
    out
}

fn decode_counts(payload: &[u8]) -> Result<WordCounts, String> {
    let mut cursor = Cursor::new(payload);
    let entries = cursor.u64()?;
    // Every entry takes at least 12 bytes: a count that cannot fit is a lie
    // to be caught before reserving memory for it.
    if entries > (payload.len() / 12) as u64 {
        return Err(format!(
            "announces {entries} entries in {} bytes",
            payload.len()
        ));
    }
    let mut counts = HashMap::with_capacity(entries as usize);
    for entry in 0..entries {
        let len = cursor.u32()? as usize;
        let word = std::str::from_utf8(cursor.bytes(len)?)
            .map_err(|e| format!("entry {entry}: the word is not UTF-8: {e}"))?;
        let count = cursor.u64()?;
        if counts.insert(word.to_owned(), count).is_some() {
            return Err(format!("entry {entry}: the word `{word}` appears twice"));
        }
    }
    if cursor.remaining() > 0 {
        return Err(format!(
            "{} bytes left over after {entries} entries",
            cursor.remaining()
        ));
    }
    Ok(WordCounts::from_map(counts))
}

/// A bounds-checked reader over a payload.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, at: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!(
                "needs {n} bytes at offset {}, only {} remain",
                self.at,
                self.remaining()
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let b = self.bytes(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(b);
        Ok(u64::from_le_bytes(array))
    }
}
