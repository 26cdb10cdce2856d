//! XML's character classes — `Char`, `NameStartChar`, `NameChar`,
//! whitespace. Plain predicates on characters and bytes, so everything
//! else, down to the error constructors of `stop.rs`, can build on them;
//! `names.rs` scans a name with them.

/// XML 1.0's `Char` production.
pub(super) fn is_xml_char(c: char) -> bool {
    matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The code point at `b[i]` if it is not an XML `Char`, for valid UTF-8
/// `b`: a control byte, or U+FFFE / U+FFFF (`EF BF BE` / `EF BF BF`).
#[inline]
pub(super) fn invalid_char(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i)? {
        &c if c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') => Some(u32::from(c)),
        0xEF if b.get(i + 1) == Some(&0xBF) => match b.get(i + 2)? {
            0xBE => Some(0xFFFE),
            0xBF => Some(0xFFFF),
            _ => None,
        },
        _ => None,
    }
}

/// `NameStartChar` (XML 1.0 5th edition, production \[4\]).
pub(super) fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar` (production \[4a\]).
pub(super) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[inline]
pub(super) fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}
