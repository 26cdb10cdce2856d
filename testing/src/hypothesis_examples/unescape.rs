//! The third planted bug: decoding the escapes of a JSON string's body fed
//! in chunks. [`Unescaper`] keeps "inside an escape" in its state, as the
//! interview parsers do, so a chunk may end anywhere;
//! [`unescape_chunks_broken`] looks for an escape's second half only in the
//! chunk at hand, the classic bug of a parser first written for whole
//! documents.

/// Why a string body could not be decoded. Offsets count bytes from the
/// start of the body, across chunks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnescapeError {
    /// A backslash followed by a byte that starts no JSON escape.
    #[error(
        "byte {offset}: `\\{found}` is not a JSON escape (use one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
    )]
    UnknownEscape {
        /// Where the byte after the backslash is.
        offset: usize,
        /// That byte, as a character.
        found: char,
    },
    /// `\u` followed by something other than four hex digits.
    #[error("byte {offset}: `\\u` needs four hex digits, found `{found}`")]
    BadHexDigit {
        /// Where the offending byte is.
        offset: usize,
        /// That byte, as a character.
        found: char,
    },
    /// `\uD800`–`\uDFFF`: half of a surrogate pair, which this small
    /// decoder does not join (the interview crate's JSON parser does).
    #[error(
        "byte {offset}: `\\u{code:04X}` is half of a surrogate pair, which this decoder does not join; use the interview crate's JsonParser"
    )]
    Surrogate {
        /// Where the escape starts.
        offset: usize,
        /// The code unit.
        code: u32,
    },
    /// The input ended inside an escape.
    #[error("the input ended inside an escape (byte {offset}): the string body is cut short")]
    Unfinished {
        /// Where the input ended.
        offset: usize,
    },
    /// The decoded bytes are not UTF-8.
    #[error("the decoded text is not UTF-8 (first bad byte at {offset} of the output)")]
    InvalidUtf8 {
        /// The first invalid byte of the decoded text.
        offset: usize,
    },
}

/// Where the scan is; all a chunk boundary has to remember.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Text,
    /// Just after a backslash.
    Escape,
    /// Inside `\uXXXX`: the digits read so far and their value.
    Unicode { digits: u8, code: u32, start: usize },
}

/// A push decoder for the body of a JSON string (the text between the
/// quotes): feed chunks cut anywhere, then [`finish`](Unescaper::finish).
///
/// ```
/// use mastery_testing::hypothesis_examples::Unescaper;
///
/// let mut decoder = Unescaper::new();
/// decoder.feed(br#"say \"hi\"\"#)?; // the chunk ends after a backslash
/// decoder.feed(br#"n\u00e9"#)?;
/// assert_eq!(decoder.finish()?, "say \"hi\"\né");
/// # Ok::<(), mastery_testing::hypothesis_examples::UnescapeError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Unescaper {
    state: State,
    out: Vec<u8>,
    /// Bytes consumed so far, for error offsets.
    offset: usize,
}

impl Unescaper {
    /// A decoder at the start of a string body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes the next chunk.
    ///
    /// # Errors
    /// An unknown escape, a bad `\u` digit or a surrogate, with its offset.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), UnescapeError> {
        for &byte in chunk {
            self.step(byte)?;
            self.offset += 1;
        }
        Ok(())
    }

    /// Ends the body and hands back the text.
    ///
    /// # Errors
    /// [`UnescapeError::Unfinished`] inside an escape,
    /// [`UnescapeError::InvalidUtf8`] when the bytes do not decode.
    pub fn finish(self) -> Result<String, UnescapeError> {
        if self.state != State::Text {
            return Err(UnescapeError::Unfinished {
                offset: self.offset,
            });
        }
        String::from_utf8(self.out).map_err(|e| UnescapeError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to(),
        })
    }

    fn step(&mut self, byte: u8) -> Result<(), UnescapeError> {
        self.state = match (self.state, byte) {
            (State::Text, b'\\') => State::Escape,
            (State::Text, _) => {
                self.out.push(byte);
                State::Text
            }
            (State::Escape, b'u') => State::Unicode {
                digits: 0,
                code: 0,
                start: self.offset - 1,
            },
            (State::Escape, _) => {
                self.out.push(simple_escape(byte, self.offset)?);
                State::Text
            }
            (
                State::Unicode {
                    digits,
                    code,
                    start,
                },
                _,
            ) => {
                let code = code << 4 | hex_digit(byte, self.offset)?;
                if digits < 3 {
                    State::Unicode {
                        digits: digits + 1,
                        code,
                        start,
                    }
                } else {
                    push_code(&mut self.out, code, start)?;
                    State::Text
                }
            }
        };
        Ok(())
    }
}

/// Decodes a string body given in chunks.
///
/// # Errors
/// As [`Unescaper::feed`] and [`Unescaper::finish`].
pub fn unescape_chunks<C: AsRef<[u8]>>(chunks: &[C]) -> Result<String, UnescapeError> {
    let mut decoder = Unescaper::new();
    for chunk in chunks {
        decoder.feed(chunk.as_ref())?;
    }
    decoder.finish()
}

/// **Broken on purpose**: decodes each chunk on its own, looking for an
/// escape's second half (`n` after `\`, the four digits after `\u`) only in
/// the chunk at hand. A backslash that ends a chunk is kept as text and the
/// next chunk starts as if no escape were open. Correct whenever no chunk
/// boundary falls inside an escape, which is why tests that feed whole
/// strings never see it. Kept next to [`unescape_chunks`]; never call it.
///
/// # Errors
/// As [`unescape_chunks`], for the escapes it does see.
pub fn unescape_chunks_broken<C: AsRef<[u8]>>(chunks: &[C]) -> Result<String, UnescapeError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for chunk in chunks {
        let chunk = chunk.as_ref();
        let mut i = 0;
        while i < chunk.len() {
            let at = offset + i;
            match (chunk[i], chunk.get(i + 1)) {
                (b'\\', Some(b'u')) => match chunk.get(i + 2..i + 6) {
                    Some(hex) => {
                        let mut code = 0;
                        for (k, &digit) in hex.iter().enumerate() {
                            code = code << 4 | hex_digit(digit, at + 2 + k)?;
                        }
                        push_code(&mut out, code, at)?;
                        i += 6;
                    }
                    // The digits are in the next chunk: keep `\u` as text.
                    None => {
                        out.extend_from_slice(b"\\u");
                        i += 2;
                    }
                },
                (b'\\', Some(&escaped)) => {
                    out.push(simple_escape(escaped, at + 1)?);
                    i += 2;
                }
                // The bug: the escaped byte is in the next chunk.
                (byte, _) => {
                    out.push(byte);
                    i += 1;
                }
            }
        }
        offset += chunk.len();
    }
    String::from_utf8(out).map_err(|e| UnescapeError::InvalidUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The byte a one-letter escape stands for.
fn simple_escape(byte: u8, offset: usize) -> Result<u8, UnescapeError> {
    Ok(match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0C,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        _ => {
            return Err(UnescapeError::UnknownEscape {
                offset,
                found: char::from(byte),
            });
        }
    })
}

fn hex_digit(byte: u8, offset: usize) -> Result<u32, UnescapeError> {
    char::from(byte)
        .to_digit(16)
        .ok_or(UnescapeError::BadHexDigit {
            offset,
            found: char::from(byte),
        })
}

/// Appends the UTF-8 of a `\uXXXX` escape.
fn push_code(out: &mut Vec<u8>, code: u32, start: usize) -> Result<(), UnescapeError> {
    let c = char::from_u32(code).ok_or(UnescapeError::Surrogate {
        offset: start,
        code,
    })?;
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    Ok(())
}
