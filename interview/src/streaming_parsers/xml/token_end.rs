//! Where a token cut by a chunk boundary ends.
//!
//! Markup and text are parsed in place from the chunk. A token the chunk
//! cuts short is collected in `pending` while [`find_end`], a small
//! resumable scanner, looks through each new chunk for where it ends; the
//! whole token is then parsed by the same functions as a token inside one
//! chunk. `find_end` must never stop before the byte where that parse
//! would end or fail — that is what makes chunking invisible.

use super::stop::{Step, fail};
use crate::streaming_parsers::{ErrorKind, work};

/// A token cut by the end of a chunk, and the state of the scan for its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Partial {
    None,
    /// Character data, until `<`.
    Text,
    /// After `<`, not yet known which markup.
    Markup,
    /// A start or end tag: `>` outside quotes ends it, `<` stops it.
    Tag {
        quote: u8,
    },
    /// A comment after `<!--`: how many `-` in a row.
    Comment {
        dashes: u8,
    },
    /// A processing instruction after `<?`: whether the last byte was `?`.
    Pi {
        question: bool,
    },
    /// A CDATA section after `<![CDATA[`: how many `]` in a row (max 2).
    CData {
        brackets: u8,
    },
    /// A DOCTYPE after `<!DOCTYPE`.
    Doctype(DoctypeScan),
}

/// Where the end-of-DOCTYPE scan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DoctypeScan {
    /// Inside a quoted literal: its quote.
    quote: u8,
    /// Inside `[...]`.
    subset: bool,
    /// Inside the subset: a comment (`dashes` after `<!--`, as for
    /// [`Partial::Comment`]) or PI, or how much of `<!--` / `<?` is seen.
    inner: Inner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inner {
    /// Plain declaration text; `opened` bytes of `<!--` seen (or 1 for `<`).
    Plain {
        opened: u8,
    },
    Comment {
        dashes: u8,
    },
    Pi {
        question: bool,
    },
}

/// The kinds of markup, from the bytes after `<`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Markup {
    StartTag,
    EndTag,
    Pi,
    Comment,
    CData,
    Doctype,
}

pub(super) enum Classified {
    NeedMore,
    /// The kind and the length of its opening (`<!--` is 4).
    Kind(Markup, usize),
    /// No markup starts like this: the error is at this index.
    Bad(usize),
}

const EXPECTED_BANG: &str = "`<!--`, `<![CDATA[` or `<!DOCTYPE`";

/// The error for `<!` followed by none of the markup it may start: the
/// offending byte, judged as a byte so the error does not depend on
/// whether the character it starts is complete.
#[cold]
pub(super) fn bad_markup<T>(token: &[u8], at: usize) -> Step<T> {
    let found = token.get(at).copied().unwrap_or(b'!');
    fail(
        at,
        ErrorKind::UnexpectedByte {
            found,
            expected: EXPECTED_BANG,
        },
    )
}

/// Which markup `token` (starting with `<`) opens.
pub(super) fn classify(token: &[u8]) -> Classified {
    match token.get(1) {
        None => Classified::NeedMore,
        Some(b'/') => Classified::Kind(Markup::EndTag, 2),
        Some(b'?') => Classified::Kind(Markup::Pi, 2),
        Some(b'!') => {
            for (opening, kind) in [
                (&b"<!--"[..], Markup::Comment),
                (b"<![CDATA[", Markup::CData),
                (b"<!DOCTYPE", Markup::Doctype),
            ] {
                if token.starts_with(opening) {
                    return Classified::Kind(kind, opening.len());
                }
            }
            let matched = |opening: &[u8]| {
                opening
                    .iter()
                    .zip(token)
                    .take_while(|(a, b)| a == b)
                    .count()
            };
            let best = [&b"<!--"[..], b"<![CDATA[", b"<!DOCTYPE"]
                .iter()
                .map(|o| matched(o))
                .max()
                .unwrap_or(2);
            if best >= token.len() {
                Classified::NeedMore
            } else {
                Classified::Bad(best)
            }
        }
        Some(_) => Classified::Kind(Markup::StartTag, 1),
    }
}

impl Partial {
    /// The scan state just after the opening of `kind`.
    fn after_opening(kind: Markup) -> Partial {
        match kind {
            Markup::StartTag | Markup::EndTag => Partial::Tag { quote: 0 },
            Markup::Pi => Partial::Pi { question: false },
            Markup::Comment => Partial::Comment { dashes: 0 },
            Markup::CData => Partial::CData { brackets: 0 },
            Markup::Doctype => Partial::Doctype(DoctypeScan {
                quote: 0,
                subset: false,
                inner: Inner::Plain { opened: 0 },
            }),
        }
    }

    /// What the input still needed when it ended inside this token.
    pub(super) fn expected(self) -> &'static str {
        match self {
            Partial::None | Partial::Text => "the end tags of the open elements",
            Partial::Markup | Partial::Tag { .. } => "the rest of the tag, up to `>`",
            Partial::Comment { .. } => "`-->` to close the comment",
            Partial::Pi { .. } => "`?>` to close the processing instruction",
            Partial::CData { .. } => "`]]>` to close the CDATA section",
            Partial::Doctype(_) => "`>` to close the DOCTYPE",
        }
    }
}

/// Scans `new` for the end of the token that `partial` describes, whose
/// first bytes are `seen`. Returns the index in `new` just past the token
/// (for text: the index of the `<` that ends it), updating `partial` as it
/// goes. Never stops before the byte where a parse of the token would end
/// or fail, so the token it delimits parses exactly as it would in one
/// chunk.
pub(super) fn find_end(partial: &mut Partial, seen: &[u8], new: &[u8]) -> Option<usize> {
    // The opening of markup not yet classified: at most nine bytes of
    // `seen` are looked at again.
    if *partial == Partial::Markup {
        work::charge(seen.len().min(9));
    }
    let end = scan_for_end(partial, seen, new);
    // `new` up to the token's end (for text, up to its `<`).
    work::charge(end.map_or(new.len(), |end| (end + 1).min(new.len())));
    end
}

/// The body of [`find_end`].
fn scan_for_end(partial: &mut Partial, seen: &[u8], new: &[u8]) -> Option<usize> {
    let mut i = 0;
    if *partial == Partial::Markup {
        // Classify with up to nine bytes: `<![CDATA[` and `<!DOCTYPE`.
        let mut head = [0u8; 9];
        let mut len = seen.len().min(9);
        head[..len].copy_from_slice(&seen[..len]);
        loop {
            match classify(&head[..len]) {
                Classified::Kind(kind, opening) => {
                    *partial = Partial::after_opening(kind);
                    // Resume after the opening, counted from the token start.
                    i = opening.saturating_sub(seen.len());
                    break;
                }
                Classified::Bad(at) => return Some(at + 1 - seen.len().min(at + 1)),
                Classified::NeedMore => {}
            }
            let at = len - seen.len().min(len);
            let &b = new.get(at)?;
            head[len] = b;
            len += 1;
        }
    }
    match partial {
        Partial::None => Some(0),
        Partial::Markup => None,
        Partial::Text => memchr(b'<', &new[i..]).map(|k| i + k),
        Partial::Tag { quote } => loop {
            let &b = new.get(i)?;
            i += 1;
            match b {
                b'<' => return Some(i),
                b'"' | b'\'' if *quote == 0 => *quote = b,
                b'>' if *quote == 0 => return Some(i),
                _ if b == *quote => *quote = 0,
                _ => {}
            }
        },
        Partial::Comment { dashes } => loop {
            let &b = new.get(i)?;
            i += 1;
            if *dashes >= 2 {
                return Some(i);
            }
            *dashes = if b == b'-' { *dashes + 1 } else { 0 };
        },
        Partial::Pi { question } => loop {
            let &b = new.get(i)?;
            i += 1;
            if b == b'>' && *question {
                return Some(i);
            }
            *question = b == b'?';
        },
        Partial::CData { brackets } => loop {
            let &b = new.get(i)?;
            i += 1;
            match b {
                b']' => *brackets = (*brackets + 1).min(2),
                b'>' if *brackets == 2 => return Some(i),
                _ => *brackets = 0,
            }
        },
        Partial::Doctype(scan) => loop {
            let &b = new.get(i)?;
            i += 1;
            if scan.step(b) {
                return Some(i);
            }
        },
    }
}

impl DoctypeScan {
    /// Takes one byte; true when it is the DOCTYPE's closing `>`.
    fn step(&mut self, b: u8) -> bool {
        if self.quote != 0 {
            if b == self.quote {
                self.quote = 0;
            }
            return false;
        }
        match self.inner {
            Inner::Comment { dashes } => {
                self.inner = if dashes >= 2 {
                    // `--` must be followed by `>`; either way the comment
                    // is over (an error is reported by the parser).
                    Inner::Plain { opened: 0 }
                } else {
                    Inner::Comment {
                        dashes: if b == b'-' { dashes + 1 } else { 0 },
                    }
                };
                return false;
            }
            Inner::Pi { question } => {
                self.inner = if question && b == b'>' {
                    Inner::Plain { opened: 0 }
                } else {
                    Inner::Pi {
                        question: b == b'?',
                    }
                };
                return false;
            }
            Inner::Plain { opened } => {
                let next = match (opened, b) {
                    (_, b'<') if self.subset => 1,
                    (1, b'!') => 2,
                    (1, b'?') => {
                        self.inner = Inner::Pi { question: false };
                        return false;
                    }
                    (2 | 3, b'-') => opened + 1,
                    _ => 0,
                };
                if next == 4 {
                    self.inner = Inner::Comment { dashes: 0 };
                    return false;
                }
                self.inner = Inner::Plain { opened: next };
            }
        }
        match b {
            b'"' | b'\'' => self.quote = b,
            b'[' if !self.subset => self.subset = true,
            b']' if self.subset => self.subset = false,
            b'>' if !self.subset => return true,
            _ => {}
        }
        false
    }
}

pub(super) fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}
