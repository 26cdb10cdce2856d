//! The JSON parser's tests: an RFC 8259 conformance table (every case also
//! fed in every two-way split and byte by byte), property tests over random
//! documents, mutated documents and arbitrary bytes under arbitrary
//! chunkings, and agreement with `serde_json` on JSON-ish token soup.

use proptest::prelude::*;
use serde_json::Value;

use super::number::{NumberScan, number_end, scan_number};
use super::string::skip_plain;
use super::*;
use crate::streaming_parsers::testkit::{
    self, HugeToken, Lifecycle, Reader, Says, TestEvent, around, check_chunking_never_matters,
    check_huge_tokens_cost_linear_work, cuts, parse, parse_cut,
};

/// Events as compact text: `{ "key": [ #1 "s" true null ] }`, `;` for
/// `EndOfValue`.
impl TestEvent for OwnedJsonEvent {
    fn render(events: &[Self]) -> String {
        crate::streaming_parsers::conformance::render_json(events)
    }
}

// The conformance tables are files: `interview/conformance/json/`, one case
// a file, also run one test per file by `testing/pytest-plugins`' harness.

#[test]
fn accepts_what_rfc_8259_allows() {
    testkit::check_case_folder("json/accepted");
}

#[test]
fn rejects_what_rfc_8259_forbids_at_the_right_byte() {
    testkit::check_case_folder("json/rejected");
}

#[test]
fn multi_value_mode_reads_json_lines_and_concatenated_values() {
    testkit::check_case_folder("json/multi-value");
}

/// A byte order mark is not skipped: serde_json's behavior.
const BOM_IS_AN_ERROR: JsonOptions = JsonOptions {
    skip_bom: false,
    ..JsonOptions::new()
};

#[test]
fn a_byte_order_mark_is_an_error_when_not_skipped() {
    testkit::check_case_folder("json/keep-bom");
}

#[test]
fn errors_report_line_and_column_in_characters() {
    testkit::check_error_positions(
        &[
            ("[\n  \"é\",\n  x]".as_bytes(), &[], (3, 3, 12)),
            // A raw control character after a two-byte character.
            ("\"é\u{1}\"".as_bytes(), &[], (1, 3, 3)),
            // Inside a token cut by a chunk boundary, the position is the same.
            (b"[1,\n\"ab\\q\"]", &[6], (2, 5, 8)),
        ],
        JsonOptions::default(),
    );
}

#[test]
fn messages_say_what_was_expected() {
    testkit::check_messages(
        &[
            (
                b"[1,]",
                Says::Exactly(
                    "JSON error at line 1, column 4 (byte 3): unexpected `]`, expected a value after `,` (JSON has no trailing commas)",
                ),
            ),
            (b"{'a':1}", Says::Part("JSON strings use double quotes")),
            (b"01", Says::Part("leading zeros are not allowed")),
            (br#""\uD800""#, Says::Part("lone surrogate \\uD800")),
            (
                b"{\"a\":1",
                Says::Part("input ended early, expected `,` or `}`"),
            ),
            (b"1 2", Says::Part("multi-value mode")),
        ],
        JsonOptions::default(),
    );
}

#[test]
fn nesting_is_limited_without_recursion() {
    testkit::check_default_depth_limit(JsonOptions::default(), "[", "]");
    // Configurable, down to scalars only.
    let scalars_only = JsonOptions {
        max_depth: 0,
        ..JsonOptions::default()
    };
    assert_eq!(parse(b"1", scalars_only).1, None);
    assert!(parse(b"[]", scalars_only).1.is_some());
    // A million levels: the parser's own stack, not the thread's.
    let unlimited = JsonOptions {
        max_depth: usize::MAX,
        ..JsonOptions::default()
    };
    let deep = "[{\"k\":".repeat(500_000);
    let mut parser = JsonParser::new(unlimited);
    let mut count = 0usize;
    parser
        .feed(deep.as_bytes(), |_| count += 1)
        .expect("deep but valid so far");
    assert_eq!((count, parser.depth()), (1_500_000, 1_000_000));
    assert!(parser.finish(|_| {}).is_err());
}

#[test]
fn numbers_read_as_integers_or_floats() {
    let n = |text: &'static str| JsonNumber::new(text).expect("a JSON number");
    assert_eq!(n("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(n("9223372036854775808").as_i64(), None);
    assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(n("-1").as_u64(), None);
    assert_eq!(n("1e2").as_i64(), None);
    assert_eq!(n("1e2").as_f64(), 100.0);
    assert_eq!(n("-0.0").as_f64().to_bits(), (-0.0f64).to_bits());
    assert_eq!(n("1e-400").as_f64(), 0.0);
    assert!(!n("1.5").is_integer());
    for bad in ["", "-", "+1", "01", "1.", ".1", "1e", "1 ", "0x1", "NaN"] {
        assert_eq!(JsonNumber::new(bad), None, "{bad:?}");
    }
}

#[test]
fn errors_stick_and_finish_ends_the_input() {
    testkit::check_lifecycle(
        JsonOptions::default(),
        &Lifecycle {
            rejected: b"[1,]",
            after_error: b"2]",
            complete: (b"[1]", "[ #1 ]", ""),
            after_finish: b" ",
            // reset() starts over and keeps the buffers (the escape goes
            // through one).
            after_reset: (br#"{"a":"\n"}"#, r#"{ "a": "\n" }"#, ""),
        },
    );
}

#[test]
fn events_borrow_from_the_chunk_when_they_can() {
    let chunk = br#"["plain", "esc\n"]"#;
    let range = chunk.as_ptr_range();
    let mut borrowed = Vec::new();
    let mut parser = JsonParser::new(JsonOptions::default());
    parser
        .feed(chunk, |e| {
            if let JsonEvent::String(s) = e {
                borrowed.push(range.contains(&s.as_ptr()));
            }
        })
        .expect("valid");
    // The plain string is a slice of the input; the escaped one is decoded.
    assert_eq!(borrowed, [true, false]);
}

#[test]
fn the_pull_adapter_reads_any_reader() {
    let (lines, single) = (JsonOptions::json_lines(), JsonOptions::default());
    testkit::check_pull_adapter(&[
        (
            lines,
            Reader::Trickle,
            br#"{"a": [1, "\u00e9"]} {"b": null}"#,
            r#"{ "a": [ #1 "é" ] } ; { "b": null } ;"#,
            None,
        ),
        // Two events, then the read fails where the input stopped.
        (single, Reader::Broken, b"[1, 2", "[ #1", Some((5, "Io"))),
        (
            single,
            Reader::Whole,
            b"[1, x]",
            "[ #1",
            Some((4, "UnexpectedByte")),
        ),
    ]);
}

#[test]
fn count_events_uses_the_fast_path_over_a_reader() {
    let input = bench_input_json(200_000, 7);
    let summary = count_events(&input[..], JsonOptions::default()).expect("valid");
    testkit::check_count_events(&input, summary, JsonOptions::default());
}

#[test]
fn the_bench_input_is_deterministic_valid_and_varied() {
    let input = testkit::check_bench_input(
        bench_input_json,
        &[
            "\\\"",
            "\\u00e9",
            "\\ud83d\\ude00",
            "東京",
            "e-",
            "null",
            "true",
            "[[",
        ],
    );
    serde_json::from_slice::<Value>(&input).expect("serde_json accepts it");
    assert_eq!(parse(&input, JsonOptions::default()).1, None);
    assert!(bench_input_json(0, 1).len() > 10, "at least one record");
}

// ---------------------------------------------------------------------------
// Property tests.

/// Random JSON values: every kind, any Unicode text, nesting up to 5.
fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The events a value must produce.
fn expected_events(value: &Value, out: &mut Vec<OwnedJsonEvent>) {
    match value {
        Value::Null => out.push(OwnedJsonEvent::Null),
        Value::Bool(b) => out.push(OwnedJsonEvent::Bool(*b)),
        Value::Number(n) => out.push(OwnedJsonEvent::Number(n.to_string())),
        Value::String(s) => out.push(OwnedJsonEvent::String(s.clone())),
        Value::Array(items) => {
            out.push(OwnedJsonEvent::StartArray);
            for item in items {
                expected_events(item, out);
            }
            out.push(OwnedJsonEvent::EndArray);
        }
        Value::Object(map) => {
            out.push(OwnedJsonEvent::StartObject);
            for (k, v) in map {
                out.push(OwnedJsonEvent::Key(k.clone()));
                expected_events(v, out);
            }
            out.push(OwnedJsonEvent::EndObject);
        }
    }
}

/// Serializes with every character of every string as a `\uXXXX` escape
/// (surrogate pairs beyond the BMP): the hardest case for the decoder.
fn write_all_escaped(value: &Value, out: &mut String) {
    use std::fmt::Write as _;
    let string = |s: &str, out: &mut String| {
        out.push('"');
        for c in s.chars() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
        out.push('"');
    };
    match value {
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_all_escaped(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                write_all_escaped(v, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// JSON-ish tokens, valid and not, for the agreement test with serde_json.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\t",
    "\r",
    "\"a\"",
    "\"\"",
    "\"k\"",
    "\"\\u00e9\"",
    "\"\\ud83d\\ude00\"",
    "\"\\ud800\"",
    "\"\\udc00x\"",
    "\"\\n\\\"\"",
    "\"\\x\"",
    "\"\u{1}\"",
    "\"é\"",
    "\"\u{ff}\"",
    "\"",
    "\\",
    "0",
    "1",
    "-",
    "-0",
    "12",
    "01",
    "1.5",
    ".5",
    "1.",
    "1e5",
    "1E-2",
    "1e",
    "+1",
    "123456789012345678901234567890",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "True",
    "x",
    "'",
    "/",
    "\u{feff}",
    "\u{a0}",
    "\u{c}",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    testkit::token_soup(TOKENS, 24)
}

/// Valid JSON with a few random byte edits: inputs near the grammar's edges.
fn mutated_json() -> impl Strategy<Value = Vec<u8>> {
    (arb_value(), testkit::edits()).prop_map(|(value, edits)| {
        testkit::mutate(serde_json::to_vec(&value).unwrap_or_default(), &edits)
    })
}

/// Property: where the number fast path finds the end of a number, the
/// full scanner, started on the same bytes, ends there too.
fn check_number_paths_agree(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Some(end) = number_end(bytes, 0) {
        prop_assert!(
            matches!(scan_number(bytes, 0, NumberPhase::Start), NumberScan::Done(e) if e == end)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_documents_parse_to_their_events_under_any_chunking(
        value in arb_value(),
        pretty in any::<bool>(),
        cuts in cuts(),
    ) {
        let text = if pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        };
        let text = text.map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = Vec::new();
        expected_events(&value, &mut expected);
        prop_assert_eq!(parse(&text, JsonOptions::default()), (expected.clone(), None));
        prop_assert_eq!(parse_cut(&text, &cuts, JsonOptions::default()), (expected, None));
    }

    #[test]
    fn the_parser_counts_lines_as_the_input_does_under_any_chunking(
        value in arb_value(),
        crlf in any::<bool>(),
        cuts in cuts(),
        tail in "[0-9a-z\"]{1,6}",
    ) {
        // Lines are counted as whitespace is skipped, not by rescanning
        // each chunk: after any chunking the position must still be what
        // counting the whole input gives, also for an error inside a token
        // cut by a chunk boundary (`tail` opens a bad one after a newline).
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let text = if crlf { text.replace('\n', "\r\n") } else { text };
        let input = text.as_bytes();
        let chunks = testkit::split_at(input, &testkit::cut_points(&cuts, input.len()));
        let mut parser = JsonParser::new(JsonOptions::json_lines());
        for chunk in &chunks {
            prop_assert!(parser.feed(chunk, |_| ()).is_ok());
        }
        prop_assert_eq!(parser.position(), Position::START.advanced(input));

        let bad = format!("{text}\n {tail}\u{7}");
        let mut whole = JsonParser::new(JsonOptions::json_lines());
        let mut split = JsonParser::new(JsonOptions::json_lines());
        let error = |p: &mut JsonParser, chunks: &[&[u8]]| {
            chunks.iter().find_map(|c| p.feed(c, |_| ()).err()).or_else(|| p.finish(|_| ()).err())
        };
        let whole_error = error(&mut whole, &[bad.as_bytes()]);
        let cut = bad.len() - 2; // inside `tail`'s token
        let split_error = error(&mut split, &[&bad.as_bytes()[..cut], &bad.as_bytes()[cut..]]);
        let whole_error = whole_error.ok_or_else(|| TestCaseError::fail("accepted"))?;
        let at = whole_error.position();
        prop_assert_eq!(at, Position::START.advanced(&bad.as_bytes()[..at.offset as usize]));
        prop_assert_eq!(split_error.map(|e| e.position()), Some(at));
    }

    #[test]
    fn escaped_strings_and_surrogate_pairs_decode_under_any_chunking(
        value in arb_value(),
        cuts in cuts(),
    ) {
        let mut text = String::new();
        write_all_escaped(&value, &mut text);
        let mut expected = Vec::new();
        expected_events(&value, &mut expected);
        prop_assert_eq!(parse_cut(text.as_bytes(), &cuts, JsonOptions::default()), (expected, None));
    }

    #[test]
    fn json_lines_of_random_values_parse_under_any_chunking(
        values in prop::collection::vec(arb_value(), 0..5),
        cuts in cuts(),
    ) {
        let mut text = Vec::new();
        let mut expected = Vec::new();
        for value in &values {
            text.extend(serde_json::to_vec(value).map_err(|e| TestCaseError::fail(e.to_string()))?);
            text.push(b'\n');
            expected_events(value, &mut expected);
            expected.push(OwnedJsonEvent::EndOfValue);
        }
        prop_assert_eq!(parse_cut(&text, &cuts, JsonOptions::json_lines()), (expected, None));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_never_matters(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        cuts in cuts(),
        multi in any::<bool>(),
    ) {
        let options = JsonOptions { multi_value: multi, ..JsonOptions::default() };
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn mutated_documents_give_the_same_outcome_under_any_chunking(
        bytes in mutated_json(),
        cuts in cuts(),
        multi in any::<bool>(),
    ) {
        let options = JsonOptions { multi_value: multi, ..JsonOptions::default() };
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn text_fed_as_str_gives_the_outcome_of_its_bytes(
        value in arb_value(),
        mutated in mutated_json(),
        cuts in cuts(),
        multi in any::<bool>(),
    ) {
        // `feed_str` trusts the text to be UTF-8 and skips the check;
        // everything else — events, errors, positions — must not change.
        let options = JsonOptions { multi_value: multi, ..JsonOptions::default() };
        let mut escaped = String::new();
        write_all_escaped(&value, &mut escaped);
        let pretty = serde_json::to_string_pretty(&value)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for text in [escaped, pretty, String::from_utf8_lossy(&mutated).into_owned()] {
            let chunks = testkit::split_str_at(&text, &testkit::cut_points(&cuts, text.len()));
            prop_assert_eq!(
                testkit::feed_all(JsonParser::new(options), &chunks),
                parse(text.as_bytes(), options)
            );
        }
    }

    #[test]
    fn the_number_fast_path_agrees_with_the_full_scanner(text in "-?[0-9.eE+-]{0,8}[0-9a ,.]?") {
        check_number_paths_agree(text.as_bytes())?;
    }

    #[test]
    fn long_numbers_take_the_same_path_through_both_scanners(
        text in "-?[0-9]{0,19}(\\.[0-9]{0,19})?([eE][+-]?[0-9]{0,19})?[0-9a ,.é]{0,9}",
    ) {
        check_number_paths_agree(text.as_bytes())?;
    }

    #[test]
    fn plain_string_bytes_are_skipped_eight_at_a_time_up_to_the_first_special(
        bytes in prop::collection::vec(
            prop_oneof![
                6 => any::<u8>(),
                1 => prop::sample::select(vec![b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x23, 0xa2, 0xdc]),
            ],
            0..40,
        ),
        start in 0usize..40,
    ) {
        let start = start.min(bytes.len());
        let naive = bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .map_or(bytes.len(), |k| start + k);
        prop_assert_eq!(skip_plain(&bytes, start), naive);
    }

    #[test]
    fn the_number_window_classifies_every_byte_after_the_number(
        number in "-?(0|[1-9][0-9]{0,5})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?",
        after in prop::collection::vec(any::<u8>(), 16..24),
    ) {
        // Whatever follows (digits, `.`, `e`, bytes ≥ 0x80 whose low seven
        // bits look like digits), the fast path agrees with the scanner…
        let mut bytes = number.clone().into_bytes();
        bytes.extend(&after);
        check_number_paths_agree(&bytes)?;
        // …and a number of up to 16 bytes after its sign, followed by a
        // delimiter, is taken by the fast path, not left to the scanner.
        let mut bytes = number.clone().into_bytes();
        bytes.push(b',');
        bytes.extend(&after);
        if number.trim_start_matches('-').len() < 16 {
            prop_assert_eq!(number_end(&bytes, 0), Some(number.len()));
        }
    }

    #[test]
    fn accepts_exactly_what_serde_json_accepts(bytes in token_soup(), cuts in cuts()) {
        // serde_json rejects a byte order mark, so compare with it off.
        let options = BOM_IS_AN_ERROR;
        let ours = parse(&bytes, options);
        let theirs = serde_json::from_slice::<Value>(&bytes);
        // The one intended disagreement: a number beyond f64 (`1e512`) is
        // grammatical, so ours hands it out as text; serde_json's `Value`
        // rejects it. Token soup builds such exponents now and then.
        let out_of_range = |e: &serde_json::Error| e.to_string().starts_with("number out of range");
        prop_assume!(!theirs.as_ref().is_err_and(out_of_range));
        prop_assert_eq!(
            ours.1.is_none(),
            theirs.is_ok(),
            "input {:?}: ours {:?}, serde_json {:?}",
            String::from_utf8_lossy(&bytes), ours.1, theirs.err()
        );
        prop_assert_eq!(parse_cut(&bytes, &cuts, options), ours);

        let lines = JsonOptions { multi_value: true, ..BOM_IS_AN_ERROR };
        let ours = parse(&bytes, lines);
        let theirs: Result<Vec<Value>, _> =
            serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>().collect();
        prop_assume!(!theirs.as_ref().is_err_and(out_of_range));
        prop_assert_eq!(
            ours.1.is_none(),
            theirs.is_ok(),
            "multi-value input {:?}: ours {:?}, serde_json {:?}",
            String::from_utf8_lossy(&bytes), ours.1, theirs.err()
        );
    }
}

/// One huge token of each kind — and literals and whitespace, which are
/// never long but are cut anywhere too.
const HUGE_TOKENS: &[HugeToken] = &[
    ("a string", |len| around("\"", "x", "\"", len)),
    ("a string with escapes", |len| {
        around("\"", r"a\n\\\u00e9\ud83d\ude00", "\"", len)
    }),
    ("a non-ASCII string", |len| around("\"", "é日😀", "\"", len)),
    ("a key", |len| around("{\"", "k", "\": 1}", len)),
    ("an integer", |len| around("-1", "2", "", len)),
    ("a number with fraction and exponent", |len| {
        around("0.", "5", "e-12345", len)
    }),
    ("literals", |len| around("[null", ",true,false", "]", len)),
    ("whitespace", |len| around("[", " \r\n\t", "]", len)),
];

#[test]
fn a_huge_token_costs_linear_work_in_any_chunking() {
    check_huge_tokens_cost_linear_work(HUGE_TOKENS, JsonOptions::default());
}
