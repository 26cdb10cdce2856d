//! Fixed delimiters: [`starts`] tests for a keyword or opening delimiter
//! (`<!--`, `SYSTEM`, `#REQUIRED`), and [`content_until`] scans comment,
//! PI and CDATA content up to its closing delimiter (`-->`, `?>`, `]]>`).
//! Tags and the DOCTYPE's declarations both use them, so they sit below
//! both, needing nothing but the character classes and [`Stop`].

use super::chars::invalid_char;
use super::stop::{Step, Stop, fail, misplaced};
use crate::streaming_parsers::ErrorKind;

/// Whether `b[i..]` starts with `word`; incomplete if `b` ends inside it.
pub(super) fn starts(b: &[u8], i: usize, word: &[u8]) -> Step<bool> {
    let rest = b.get(i..).unwrap_or_default();
    if rest.starts_with(word) {
        Ok(true)
    } else if rest.len() < word.len() && word.starts_with(rest) {
        Err(Stop::Incomplete)
    } else {
        Ok(false)
    }
}

/// Comment, PI or CDATA content from `s[start]` to `close`: checks every
/// character (and, in comments, `--`), normalizes line ends into `scratch`
/// if there are any `\r`. Returns the index of `close` and whether the
/// content is in `scratch`.
pub(super) fn content_until(
    s: &str,
    start: usize,
    close: &[u8],
    comment: bool,
    scratch: &mut String,
) -> Step<(usize, bool)> {
    let b = s.as_bytes();
    let mut i = start;
    let mut run = start;
    let mut decoded = false;
    loop {
        let Some(&c) = b.get(i) else {
            return Err(Stop::Incomplete);
        };
        if c == close[0] {
            let rest = &b[i..];
            if rest.starts_with(close) {
                if decoded {
                    scratch.push_str(&s[run..i]);
                }
                return Ok((i, decoded));
            }
            if rest.len() < close.len() && close.starts_with(rest) {
                return Err(Stop::Incomplete);
            }
            if comment && rest.get(1) == Some(&b'-') {
                return misplaced(
                    i,
                    "`--` inside a comment (a comment may not contain `--` nor end with `-`)",
                );
            }
        }
        if c == b'\r' {
            if !decoded {
                scratch.clear();
                decoded = true;
            }
            scratch.push_str(&s[run..i]);
            scratch.push('\n');
            i += 1;
            if b.get(i) == Some(&b'\n') {
                i += 1;
            }
            run = i;
            continue;
        }
        if let Some(code) = invalid_char(b, i) {
            return fail(i, ErrorKind::XmlInvalidChar { code });
        }
        i += 1;
    }
}
