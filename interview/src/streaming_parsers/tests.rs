//! Tests of the shared plumbing (positions, errors, the UTF-8 prefix, the
//! SWAR tests, the reader helpers) and of the lesson's [`SimpleCsvParser`]
//! against the production CSV parser.

use std::io;

use proptest::prelude::*;

use super::input::valid_utf8_prefix;
use super::testkit::split_at;
use super::*;

#[test]
fn position_counts_lines_and_characters() {
    let p = Position::START.advanced("ab\ncé日x".as_bytes());
    assert_eq!(
        p,
        Position {
            offset: 10,
            line: 2,
            column: 5
        }
    );
    let q = p.advanced(b"yz");
    assert_eq!((q.line, q.column, q.offset), (2, 7, 12));
    let r = q.advanced(b"\n\n");
    assert_eq!((r.line, r.column), (4, 1));
}

#[test]
fn errors_say_what_and_where() {
    let err = ParseError::new(
        Format::Json,
        ErrorKind::ControlCharacter { byte: b'\n' },
        Position {
            offset: 4,
            line: 1,
            column: 5,
        },
    );
    assert_eq!(
        err.to_string(),
        "JSON error at line 1, column 5 (byte 4): control character byte 0x0A inside a string: escape it (\\n, \\t, \\u00XX)"
    );
    let escape = ErrorKind::InvalidEscape { found: b'x' };
    assert!(escape.to_string().starts_with("invalid escape `\\x`"));
}

/// What std says: the bytes before the first invalid or cut sequence.
fn std_prefix(bytes: &[u8]) -> &[u8] {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes,
        Err(e) => &bytes[..e.valid_up_to()],
    }
}

#[test]
fn valid_utf8_prefix_stops_before_cut_and_invalid_sequences() {
    let text = "aé日😀".as_bytes(); // 1-, 2-, 3- and 4-byte characters
    for end in 0..=text.len() {
        let got = valid_utf8_prefix(&text[..end]);
        assert_eq!(got.as_bytes(), std_prefix(&text[..end]), "cut at {end}");
    }
    // A lone continuation byte, an overlong form, a surrogate, a lead
    // byte followed by ASCII: invalid, never mistaken for a cut.
    for bad in [
        &b"ab\x80"[..],
        b"a\xC0\xAF",
        b"\xED\xA0\x80",
        b"x\xE6a",
        b"\xF8",
    ] {
        assert_eq!(valid_utf8_prefix(bad).as_bytes(), std_prefix(bad));
    }
}

proptest::proptest! {
    #[test]
    fn valid_utf8_prefix_agrees_with_std(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        text in "\\PC{0,24}",
        cut in 0usize..200,
    ) {
        let mut mixed = text.into_bytes();
        mixed.truncate(cut.min(mixed.len()));
        for input in [&bytes[..], &mixed[..]] {
            proptest::prop_assert_eq!(valid_utf8_prefix(input).as_bytes(), std_prefix(input));
        }
    }
}

#[test]
fn count_in_chunks_resets_and_ignores_the_chunk_size() {
    let mut parser = json::JsonParser::new(json::JsonOptions::default());
    let input = br#"{"a": [1, 2.5, "x\u00e9"], "b": null}"#;
    let whole = count_in_chunks(&mut parser, input, input.len());
    assert_eq!(whole, Ok(10));
    for chunk in [0, 1, 3, 7, 64] {
        assert_eq!(
            count_in_chunks(&mut parser, input, chunk),
            whole,
            "chunk {chunk}"
        );
    }
    let err = count_in_chunks(&mut parser, b"[1,]", 2).expect_err("trailing comma");
    assert_eq!(err.position().offset, 3);
    // The error does not stick across inputs: reset starts over.
    assert_eq!(count_in_chunks(&mut parser, input, 5), whole);
}

#[test]
fn io_errors_carry_the_position_reached() {
    let err = ParseError::io(
        Format::Csv,
        Position::START,
        &io::Error::other("disk on fire"),
    );
    assert_eq!(err.format(), Format::Csv);
    assert!(matches!(
        err.kind(),
        ErrorKind::Io {
            kind: io::ErrorKind::Other,
            ..
        }
    ));
    assert!(err.to_string().contains("disk on fire"));
}

/// Each SWAR test's lowest flag is the first byte a byte-at-a-time scan
/// would stop at.
#[test]
fn swar_tests_flag_the_first_matching_byte() {
    let words: [[u8; 8]; 5] = [
        *b"abcdefgh",
        *b"ab\"d\\f\x01h",
        [0x01, 0x00, 0x20, 0x21, 0x80, 0xFF, b'"', b'\\'],
        [0xEF, 0xBF, b'<', b']', b'&', 0x1F, 0x7F, 0x00],
        *b"\x00\x00\x00\x00\x00\x00\x00\x00",
    ];
    for word in words {
        let x = u64::from_le_bytes(word);
        let first = |found: u64| {
            let found = found & swar::HIGHS;
            (found != 0).then(|| swar::first_flagged(found))
        };
        assert_eq!(
            first(swar::zero_bytes(x)),
            word.iter().position(|&b| b == 0)
        );
        for n in [0x01, 0x20, 0x21, 0x80] {
            let want = word.iter().position(|&b| b < n);
            assert_eq!(first(swar::bytes_below(x, n)), want, "{word:?} below {n}");
        }
        for byte in [b'"', b'\\', 0xEF, 0x00] {
            let want = word.iter().position(|&b| b == byte);
            assert_eq!(
                first(swar::bytes_equal(x, byte)),
                want,
                "{word:?} == {byte}"
            );
        }
    }
    assert_eq!(swar::load(b"1234567", 0), None);
    assert_eq!(
        swar::load(b"123456789", 1),
        Some(u64::from_le_bytes(*b"23456789"))
    );
}

/// What a parse gave: the records before the error, and the error's kind.
type CsvOutcome = (Vec<Vec<String>>, Option<ErrorKind>);

/// [`SimpleCsvParser`] over `chunks`.
fn simple_csv(chunks: &[&[u8]]) -> CsvOutcome {
    let mut parser = SimpleCsvParser::new();
    let mut records = Vec::new();
    for chunk in chunks {
        if let Err(kind) = parser.feed(chunk, |r| records.push(r.to_vec())) {
            return (records, Some(kind));
        }
    }
    let end = parser.finish(|r| records.push(r.to_vec()));
    (records, end.err())
}

/// The production parser over `chunks`, in the dialect [`SimpleCsvParser`]
/// reads: RFC 4180, ragged records allowed, no byte order mark skipped.
fn production_csv(chunks: &[&[u8]]) -> CsvOutcome {
    production_csv_with(csv::CsvParser::new(SIMPLE_DIALECT), chunks)
}

/// The dialect [`SimpleCsvParser`] reads, in the production parser's terms.
const SIMPLE_DIALECT: csv::CsvOptions = csv::CsvOptions {
    flexible: true,
    skip_bom: false,
    ..csv::CsvOptions::new()
};

/// [`production_csv`] without the SWAR scan: the ladder's middle rung.
fn bytewise_csv(chunks: &[&[u8]]) -> CsvOutcome {
    production_csv_with(csv::CsvParser::bytewise(SIMPLE_DIALECT), chunks)
}

fn production_csv_with<const SWAR: bool>(
    mut parser: csv::CsvParser<SWAR>,
    chunks: &[&[u8]],
) -> CsvOutcome {
    let mut records = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, |e| records.push(e.record().to_vec())) {
            return (records, Some(e.kind().clone()));
        }
    }
    let end = parser.finish(|e| records.push(e.record().to_vec()));
    (records, end.err().map(|e| e.kind().clone()))
}

#[test]
fn simple_csv_parser_reads_the_rfc_cases() {
    let cases: [(&[u8], CsvOutcome); 7] = [
        (
            b"a,b\r\n\r\n\"c,\"\"d\"\"\",\n",
            (
                vec![
                    vec!["a".into(), "b".into()],
                    vec!["c,\"d\"".into(), String::new()],
                ],
                None,
            ),
        ),
        (b"\n\"\"", (vec![vec![String::new()]], None)),
        (b"x\ny", (vec![vec!["x".into()], vec!["y".into()]], None)),
        (
            b"ok\nab\"c\n",
            (
                vec![vec!["ok".into()]],
                Some(ErrorKind::QuoteInUnquotedField { quote: b'"' }),
            ),
        ),
        (
            b"\"ab\"c",
            (
                vec![],
                Some(ErrorKind::TextAfterClosingQuote { found: b'c' }),
            ),
        ),
        (
            b"\"open\n",
            (vec![], Some(ErrorKind::UnclosedQuote { quote: b'"' })),
        ),
        (b"a\xFF", (vec![], Some(ErrorKind::InvalidUtf8))),
    ];
    for (input, expected) in cases {
        let shown = String::from_utf8_lossy(input);
        assert_eq!(simple_csv(&[input]), expected, "{shown:?}");
        assert_eq!(production_csv(&[input]), expected, "{shown:?}");
    }
}

proptest! {
    /// The lesson's parser and the production one agree on CSV-ish text
    /// (records, and the kind of the first error) under any chunking.
    #[test]
    fn simple_csv_parser_agrees_with_csv_parser(
        text in "[ab,\"\r\né]{0,40}",
        cuts in prop::collection::vec(0usize..48, 0..4),
    ) {
        let bytes = text.as_bytes();
        let simple = simple_csv(&split_at(bytes, &cuts));
        prop_assert_eq!(&simple, &production_csv(&[bytes]));
        prop_assert_eq!(&simple, &production_csv(&split_at(bytes, &cuts)));
        prop_assert_eq!(&simple, &bytewise_csv(&split_at(bytes, &cuts)));
    }

    /// On arbitrary bytes the two accept the same inputs and report the
    /// same records before an error (which error comes first may differ
    /// for a field that is both invalid UTF-8 and badly quoted).
    #[test]
    fn simple_csv_parser_agrees_on_arbitrary_bytes(
        bytes in prop::collection::vec(prop::sample::select(&b"ab,\"\r\n\xC3\xA9\xFF"[..]), 0..40),
        cuts in prop::collection::vec(0usize..48, 0..4),
    ) {
        let (simple, simple_error) = simple_csv(&split_at(&bytes, &cuts));
        let (production, production_error) = production_csv(&split_at(&bytes, &cuts));
        // Without the SWAR scan the parser is the same automaton: the same
        // records and the same first error, exactly.
        let bytewise = bytewise_csv(&split_at(&bytes, &cuts));
        prop_assert_eq!(&bytewise.0, &production);
        prop_assert_eq!(&bytewise.1, &production_error);
        prop_assert_eq!(simple, production);
        prop_assert_eq!(simple_error.is_some(), production_error.is_some());
    }
}
