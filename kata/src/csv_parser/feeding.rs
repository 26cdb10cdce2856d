//! Feeding a parser: the same input fed whole, cut in two at every byte,
//! and one byte at a time, must give the same records and the same error.
//! A difference becomes a [`KataFailure`] whose replay is the feeding as
//! Rust calls.

use std::fmt;

use mastery_interview::streaming_parsers::conformance::kind_name;

use super::{CsvKata, ErrorKind};
use crate::failure::KataFailure;

/// What a parse gave: the records, in order, then the end — `Ok`, or the
/// kind of the error that stopped it (its variant: positions are not
/// compared, and the textbook parser reports none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Every record reported before the parse ended.
    pub records: Vec<Vec<String>>,
    /// The error's kind, as its variant name (`UnclosedQuote`), or `None`.
    pub error: Option<String>,
}

impl Parsed {
    /// The expected outcome from a table row.
    pub fn of(records: &[&[&str]], error: Option<ErrorKind>) -> Parsed {
        Parsed {
            records: records
                .iter()
                .map(|r| r.iter().map(|f| (*f).to_owned()).collect())
                .collect(),
            error: error.as_ref().map(kind_name),
        }
    }
}

impl fmt::Display for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "records {:?}, then ", self.records)?;
        match &self.error {
            None => write!(f, "Ok(())"),
            Some(kind) => write!(f, "Err({kind})"),
        }
    }
}

/// The outcome a test accepts: one, or — when one field breaks two rules,
/// bad UTF-8 and a misplaced quote, and the kit's two parsers report them
/// in a different order — the same records with either error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The outcome.
    pub outcome: Parsed,
    /// The other error accepted in place of `outcome.error`, if any.
    pub or_error: Option<String>,
}

impl Expected {
    /// Exactly `outcome`.
    pub fn exactly(outcome: Parsed) -> Expected {
        Expected {
            outcome,
            or_error: None,
        }
    }

    /// `first`, or `second` when it has the same records and another
    /// error (see [`Expected`]).
    pub fn either(first: Parsed, second: Parsed) -> Expected {
        let or_error = match (&first.error, &second.error) {
            (Some(a), Some(b)) if a != b && first.records == second.records => Some(b.clone()),
            _ => None,
        };
        Expected {
            outcome: first,
            or_error,
        }
    }

    /// Whether `got` is an accepted outcome.
    pub fn accepts(&self, got: &Parsed) -> bool {
        *got == self.outcome
            || (got.records == self.outcome.records
                && got.error.is_some()
                && got.error == self.or_error)
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        if let Some(other) = &self.or_error {
            write!(
                f,
                " (or Err({other}): this field breaks two rules, either may be reported)"
            )?;
        }
        Ok(())
    }
}

/// Feeds `chunks` to a new `P`, in order, then finishes; stops at the
/// first error.
pub fn parse<P: CsvKata>(chunks: &[&[u8]]) -> Parsed {
    let mut parser = P::new();
    let mut records = Vec::new();
    for chunk in chunks {
        if let Err(kind) = parser.feed(chunk, |r| records.push(r.to_vec())) {
            return Parsed {
                records,
                error: Some(kind_name(&kind)),
            };
        }
    }
    let end = parser.finish(|r| records.push(r.to_vec()));
    Parsed {
        records,
        error: end.err().as_ref().map(kind_name),
    }
}

/// How an input is cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feeding {
    /// One chunk.
    Whole,
    /// Two chunks, the first `n` bytes long (either may be empty).
    CutAfter(usize),
    /// One chunk per byte.
    ByteByByte,
}

impl Feeding {
    /// Every feeding the edge tests try on an input of `len` bytes: whole,
    /// each two-way cut, byte by byte.
    pub fn all(len: usize) -> impl Iterator<Item = Feeding> {
        std::iter::once(Feeding::Whole)
            .chain((0..=len).map(Feeding::CutAfter))
            .chain(std::iter::once(Feeding::ByteByByte))
    }

    /// `input` cut this way.
    pub fn chunks(self, input: &[u8]) -> Vec<&[u8]> {
        match self {
            Feeding::Whole => vec![input],
            Feeding::CutAfter(n) => {
                let (a, b) = input.split_at(n.min(input.len()));
                vec![a, b]
            }
            Feeding::ByteByByte => input.chunks(1).collect(),
        }
    }
}

impl fmt::Display for Feeding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Feeding::Whole => write!(f, "fed whole"),
            Feeding::CutAfter(n) => write!(f, "fed as two chunks, cut after byte {n}"),
            Feeding::ByteByByte => write!(f, "fed one byte at a time"),
        }
    }
}

/// `bytes` as a Rust byte-string literal: `b"a,\"b\"\r\n\xFF"`.
pub fn literal(bytes: &[u8]) -> String {
    let mut text = String::from("b\"");
    for &b in bytes {
        match b {
            b'"' => text.push_str("\\\""),
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            0x20..=0x7e => text.push(char::from(b)),
            _ => text.push_str(&format!("\\x{b:02X}")),
        }
    }
    text.push('"');
    text
}

const FEED_CALL: &str = "|r| records.push(r.to_vec()))?;";

/// The calls that feed `input` this way, for a test body that returns
/// `Result<(), ErrorKind>`.
pub fn replay(input: &[u8], feeding: Feeding) -> Vec<String> {
    let mut lines = vec![
        "let mut p = Parser::new();".to_owned(),
        "let mut records: Vec<Vec<String>> = Vec::new();".to_owned(),
    ];
    if feeding == Feeding::ByteByByte {
        lines.push(format!(
            "for byte in {}.chunks(1) {{ p.feed(byte, {FEED_CALL} }}",
            literal(input)
        ));
    } else {
        lines.extend(replay_chunks(&feeding.chunks(input)));
    }
    lines.push(format!("p.finish({FEED_CALL}"));
    lines
}

/// One `feed` line per chunk.
pub fn replay_chunks(chunks: &[&[u8]]) -> Vec<String> {
    chunks
        .iter()
        .map(|chunk| format!("p.feed({}, {FEED_CALL}", literal(chunk)))
        .collect()
}

/// Feeds `input` to `P` every way ([`Feeding::all`]); the first feeding
/// whose outcome is not `expected` fails the test named `test`. `about`
/// says where the case comes from, for the message (may be empty).
///
/// # Errors
/// The failure: the feeding, what was expected, what came, the calls.
pub fn check_every_feeding<P: CsvKata>(
    test: &'static str,
    input: &[u8],
    expected: &Expected,
    about: &str,
) -> Result<(), KataFailure> {
    for feeding in Feeding::all(input.len()) {
        let got = parse::<P>(&feeding.chunks(input));
        if !expected.accepts(&got) {
            let mut replay = replay(input, feeding);
            replay.push(format!("// expected {expected}"));
            return Err(KataFailure {
                test,
                expected: format!("{} {feeding}{about}: {expected}", literal(input)),
                got: got.to_string(),
                replay,
            });
        }
    }
    Ok(())
}
