//! How a token parser stops early: [`Stop`], and the constructors of its
//! errors.
//!
//! The token parsers (`text.rs`, `markup.rs` and the scanners they call)
//! each take a `&str` that starts at its token and may go on past it,
//! return the index just past the token, and report [`Stop::Incomplete`]
//! instead of guessing when the slice ends first: the caller then waits
//! for more input and parses the whole token again. They emit their event
//! only once the whole token is known to be good, so a token parsed twice
//! reports once. The error constructors are `#[cold]`, so the compiler
//! lays the error paths out of the way of the scanning loops.

use super::chars::invalid_char;
use crate::streaming_parsers::ErrorKind;

/// Why a token scan stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// The slice ended before the token did.
    Incomplete,
    /// An error at this index of the slice.
    Error(usize, ErrorKind),
}

pub(super) type Step<T> = Result<T, Stop>;

#[cold]
pub(super) fn fail<T>(at: usize, kind: ErrorKind) -> Step<T> {
    Err(Stop::Error(at, kind))
}

#[cold]
#[inline(never)]
pub(super) fn unexpected<T>(s: &str, at: usize, expected: &'static str) -> Step<T> {
    let b = s.as_bytes();
    match b.get(at) {
        None => Err(Stop::Incomplete),
        Some(&c) if c < 0x80 => {
            if let Some(code) = invalid_char(b, at) {
                return fail(at, ErrorKind::XmlInvalidChar { code });
            }
            fail(at, ErrorKind::UnexpectedByte { found: c, expected })
        }
        Some(_) => {
            if let Some(code) = invalid_char(b, at) {
                return fail(at, ErrorKind::XmlInvalidChar { code });
            }
            let found = s
                .get(at..)
                .and_then(|t| t.chars().next())
                .unwrap_or('\u{FFFD}');
            fail(at, ErrorKind::XmlUnexpectedChar { found, expected })
        }
    }
}

#[cold]
pub(super) fn misplaced<T>(at: usize, reason: &'static str) -> Step<T> {
    fail(at, ErrorKind::XmlMisplaced { reason })
}
