//! UTF-16 documents: every one must give the events and the errors of the
//! same document in UTF-8 — errors at the same line and column, and at the
//! byte offset of the same character in the UTF-16 bytes — in both byte
//! orders and under any chunking, including chunks that cut a code unit or
//! a surrogate pair; and the encoding declaration must agree with the byte
//! order mark.

use super::*;

/// The two byte orders, by the name a failure shows.
const ORDERS: [(&str, bool); 2] = [("LE", false), ("BE", true)];

/// Chunk sizes: every small one (odd sizes cut code units, and sizes that
/// are not multiples of four cut surrogate pairs), and one a file gives.
const CHUNKS: [usize; 8] = [1, 2, 3, 4, 5, 6, 7, 64 * 1024];

/// `text` in UTF-16 with its byte order mark.
fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    std::iter::once(0xFEFF)
        .chain(text.encode_utf16())
        .flat_map(|unit| {
            if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            }
        })
        .collect()
}

/// `text` in UTF-8 with its byte order mark: the document the UTF-16 one
/// must read as (the byte order mark is a column on line 1 in both).
fn utf8(text: &str) -> Vec<u8> {
    format!("\u{FEFF}{text}").into_bytes()
}

/// `input` fed `chunk` bytes at a time.
fn parse_in(input: &[u8], chunk: usize, options: XmlOptions) -> testkit::OutcomeOf<XmlOptions> {
    let chunks: Vec<&[u8]> = input.chunks(chunk).collect();
    testkit::parse_chunks(&chunks, options)
}

/// The documents of a conformance folder that UTF-16 can say: valid
/// UTF-8, no byte order mark of their own and no encoding declaration
/// (which names UTF-8; the declaration has tests of its own below).
fn transcodable(folder: &str) -> Vec<String> {
    testkit::load_case_folder(folder)
        .into_iter()
        .filter(|(_, case)| case.options_name == "default")
        .filter_map(|(_, case)| String::from_utf8(case.input).ok())
        .filter(|text| !text.starts_with('\u{FEFF}') && !text.contains("encoding"))
        .collect()
}

/// Documents with what UTF-16 makes interesting: characters beyond U+FFFF
/// (surrogate pairs) in names, text, attributes, comments and CDATA,
/// non-ASCII names, line ends to normalize, references and entities.
const RICH: &[&str] = &[
    "<a>😀</a>",
    "<名前 属性='値 😀'>テキスト 𝄞 &#x1F600; &amp;</名前>",
    "<?xml version='1.0'?>\r\n<a>\r\nx\ry</a>\n<!-- 🎉 -->",
    "<!DOCTYPE r [<!ENTITY e 'é😀'>]><r x='&e;'>&e;<![CDATA[<😀>]]><?p 𝄞?></r>",
    "<𐀀𐀁 xmlns:𐀂='urn:x'><𐀂:b/></𐀀𐀁>",
];

#[test]
fn utf16_documents_give_the_events_of_their_utf8_version() {
    let mut docs = transcodable("xml/accepted");
    docs.extend(RICH.iter().map(|doc| doc.to_string()));
    let mut failures = Vec::new();
    for doc in docs.iter().map(String::as_str) {
        let expected = parse(&utf8(doc), XmlOptions::default());
        for (order, big_endian) in ORDERS {
            let input = utf16(doc, big_endian);
            for chunk in CHUNKS {
                let got = parse_in(&input, chunk, XmlOptions::default());
                if got != expected {
                    failures.push(format!("{doc:?} {order} in {chunk}-byte chunks: {got:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `(line, column, offset)` of an error.
fn place(error: &ParseError) -> (u64, u64, u64) {
    let at = error.position();
    (at.line, at.column, at.offset)
}

#[test]
fn utf16_errors_are_where_the_utf8_errors_are() {
    let mut docs = transcodable("xml/rejected");
    docs.extend(["<a>😀</b>", "<a>\n😀😀 &nope;</a>", "<a x='😀' x='1'/>"].map(String::from));
    let mut failures = Vec::new();
    for doc in docs.iter().map(String::as_str) {
        let utf8_doc = utf8(doc);
        let (_, Some(expected)) = parse(&utf8_doc, XmlOptions::default()) else {
            failures.push(format!("{doc:?} accepted in UTF-8"));
            continue;
        };
        // The same character, counted in UTF-16 bytes.
        let before = std::str::from_utf8(&utf8_doc[..expected.position().offset as usize])
            .expect("an error is placed at the start of a character");
        let offset = 2 * before.encode_utf16().count() as u64;
        let (line, column, _) = place(&expected);
        for (order, big_endian) in ORDERS {
            let input = utf16(doc, big_endian);
            for chunk in CHUNKS {
                let got = parse_in(&input, chunk, XmlOptions::default()).1;
                let same = got.as_ref().is_some_and(|e| {
                    e.kind() == expected.kind() && place(e) == (line, column, offset)
                });
                if !same {
                    failures.push(format!(
                        "{doc:?} {order} in {chunk}-byte chunks: {got:?}, expected {:?} at {:?}",
                        expected.kind(),
                        (line, column, offset)
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Little-endian bytes of `units`, after the byte order mark.
fn le_units(units: &[u16]) -> Vec<u8> {
    std::iter::once(0xFEFF)
        .chain(units.iter().copied())
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// `text`'s UTF-16 code units.
fn units(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

/// An input, its error's `(line, column, offset)`, and what it says.
type BadInput = (Vec<u8>, (u64, u64, u64), &'static str);

#[test]
fn bytes_that_are_not_utf16_are_an_error_at_the_bad_code_unit() {
    let with = |before: &str, bad: &[u16], after: &str| {
        [units(before), bad.to_vec(), units(after)].concat()
    };
    let table: Vec<BadInput> = vec![
        (
            le_units(&with("<a>\n", &[0xDC00], "</a>")),
            (2, 1, 10),
            "a low surrogate with no high surrogate",
        ),
        (
            le_units(&with("<a>x", &[0xD83D], "y</a>")),
            (1, 6, 10),
            "a high surrogate not followed by a low",
        ),
        (
            le_units(&with("<a>😀", &[0xD83D, 0xD83D, 0xDE00], "</a>")),
            (1, 6, 12),
            "a high surrogate not followed by a low",
        ),
        (
            le_units(&with("<a/>", &[0xD83D], "")),
            (1, 6, 10),
            "ends after a high surrogate",
        ),
        (
            [le_units(&units("<a/>")), vec![b' ']].concat(),
            (1, 6, 10),
            "ends in the middle of a code unit",
        ),
    ];
    for (input, expected, says) in table {
        for chunk in CHUNKS {
            let error = parse_in(&input, chunk, XmlOptions::default()).1;
            let error = error.unwrap_or_else(|| panic!("{input:?} accepted"));
            assert_eq!(place(&error), expected, "{input:?} in {chunk}-byte chunks");
            assert!(
                matches!(error.kind(), ErrorKind::InvalidUtf16 { .. }),
                "{error}"
            );
            assert!(error.to_string().contains(says), "{error}");
        }
    }
}

#[test]
fn the_encoding_declaration_must_agree_with_the_byte_order_mark() {
    let doc = |name: &str| format!("<?xml version='1.0' encoding='{name}'?><a/>");
    // The declared name, the byte order (`None`: UTF-8, no byte order
    // mark), and what the parse gives.
    let table: &[(&str, Option<bool>, Result<(), &str>)] = &[
        ("UTF-16", Some(false), Ok(())),
        ("UTF-16", Some(true), Ok(())),
        ("utf-16", Some(true), Ok(())),
        ("UTF-16LE", Some(false), Ok(())),
        ("UTF-16BE", Some(true), Ok(())),
        ("UTF-8", None, Ok(())),
        (
            "UTF-16LE",
            Some(true),
            Err("says encoding `UTF-16LE`, but the document is UTF-16BE (byte order mark FE FF)"),
        ),
        (
            "UTF-16BE",
            Some(false),
            Err("says encoding `UTF-16BE`, but the document is UTF-16LE (byte order mark FF FE)"),
        ),
        (
            "UTF-8",
            Some(false),
            Err("says encoding `UTF-8`, but the document is UTF-16LE"),
        ),
        (
            "ISO-8859-1",
            Some(true),
            Err("says encoding `ISO-8859-1`, but the document is UTF-16BE"),
        ),
        (
            "UTF-16",
            None,
            Err(
                "says encoding `UTF-16`, but the document is UTF-8 (it has no UTF-16 byte order mark)",
            ),
        ),
        (
            "Shift_JIS",
            None,
            Err("encoding `Shift_JIS` is not supported"),
        ),
        (
            "ISO-8859-1",
            None,
            Err("encoding `ISO-8859-1` is not supported"),
        ),
    ];
    for &(name, order, expected) in table {
        let text = doc(name);
        let input = match order {
            Some(big_endian) => utf16(&text, big_endian),
            None => text.clone().into_bytes(),
        };
        for chunk in CHUNKS {
            let (events, error) = parse_in(&input, chunk, XmlOptions::default());
            match (expected, error) {
                (Ok(()), None) => {
                    let declared = events.first().and_then(|e| match e {
                        OwnedXmlEvent::Declaration { encoding, .. } => encoding.clone(),
                        _ => None,
                    });
                    assert_eq!(declared.as_deref(), Some(name), "{text}");
                }
                (Err(says), Some(error)) => {
                    assert!(error.to_string().contains(says), "{text}: {error}");
                    // The error is at the declared name: 30 characters in,
                    // after the byte order mark of two bytes (UTF-16) or
                    // none (UTF-8).
                    let offset = if order.is_some() { 2 + 2 * 30 } else { 30 };
                    assert_eq!(
                        place(&error),
                        (1, 31 + u64::from(order.is_some()), offset),
                        "{text}"
                    );
                }
                (expected, got) => panic!("{text} {order:?}: {got:?}, expected {expected:?}"),
            }
        }
    }
}

#[test]
fn a_large_utf16_document_is_decoded_in_constant_memory() {
    let doc = String::from_utf8(bench_input_xml(4_000_000, 16)).expect("the bench input is UTF-8");
    let doc = doc.replacen("encoding=\"UTF-8\"", "encoding=\"UTF-16\"", 1);
    let expected = parse(
        &utf8(&doc.replacen("UTF-16", "UTF-8", 1)),
        XmlOptions::default(),
    )
    .0
    .len();
    let chunk = 64 * 1024;
    for (order, big_endian) in ORDERS {
        let input = utf16(&doc, big_endian);
        let mut parser = XmlParser::new(XmlOptions::default());
        let mut events = 0;
        for piece in input.chunks(chunk) {
            parser
                .feed(piece, |_| events += 1)
                .expect("the document is well-formed");
        }
        parser
            .finish(|_| events += 1)
            .expect("the document is complete");
        assert_eq!(events, expected, "{order}");
        // One decoded chunk (two bytes make at most three of UTF-8) and
        // the longest cut token: nothing grows with the document.
        assert!(parser.decoded.capacity() <= chunk / 2 * 3 + 4, "{order}");
        assert!(
            parser.pending.capacity() <= 4096,
            "{order}: {}",
            parser.pending.capacity()
        );
    }
}

#[test]
fn without_namespaces_a_utf16_name_may_have_two_colons() {
    let input = utf16("<a:b:c/>", false);
    let plain = XmlOptions {
        namespaces: false,
        ..XmlOptions::default()
    };
    assert_eq!(testkit::render(&parse(&input, plain).0), "<a:b:c> </a:b:c>");
    let error = parse(&input, XmlOptions::default()).1;
    assert!(
        matches!(
            error.as_ref().map(ParseError::kind),
            Some(ErrorKind::XmlNamespace { .. })
        ),
        "{error:?}"
    );
}

proptest! {
    #[test]
    fn generated_utf16_documents_parse_as_their_utf8_version_under_any_chunking(
        doc in arb_document(),
        big_endian in any::<bool>(),
        cuts in cuts(),
    ) {
        // Without the XML declaration, which names UTF-8.
        let (text, expected) = write_document(&(false, doc.1, doc.2), false);
        let text = String::from_utf8(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let input = utf16(&text, big_endian);
        prop_assert_eq!(parse_cut(&input, &cuts, XmlOptions::default()), (expected, None));
    }

    #[test]
    fn arbitrary_utf16_never_panics_and_chunking_never_matters(
        units in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(units("<a b='c'>&amp;</a>😀")),
                1 => any::<u16>(),
            ],
            0..64,
        ),
        cuts in cuts(),
    ) {
        check_chunking_never_matters(&le_units(&units), &cuts, XmlOptions::default())?;
    }
}
