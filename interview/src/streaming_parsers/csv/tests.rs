//! The CSV parser's tests: an RFC 4180 conformance table with the nasty
//! cases (every case also fed in every two-way split and byte by byte),
//! agreement with the `csv` crate on CSV that `csv::Writer` wrote from
//! random fields, and arbitrary bytes and CSV-ish token soup under
//! arbitrary chunkings.

use proptest::prelude::*;

use super::*;
use crate::streaming_parsers::input::BOM;
use crate::streaming_parsers::testkit::{
    self, HugeToken, Lifecycle, Reader, Says, TestEvent, around, check_chunking_never_matters,
    check_huge_tokens_cost_linear_work, cuts, parse, parse_cut,
};
use crate::streaming_parsers::{self as sp, ErrorKind, Summary};

/// Events as compact text: `["a", "b"] ["c", ""]`, `H` before the header.
impl TestEvent for OwnedCsvEvent {
    fn render(events: &[Self]) -> String {
        crate::streaming_parsers::conformance::render_csv(events)
    }
}

// The conformance tables are files: `interview/conformance/csv/`, one case
// a file, also run one test per file by `testing/pytest-plugins`' harness.

#[test]
fn accepts_what_rfc_4180_allows() {
    testkit::check_case_folder("csv/accepted");
}

#[test]
fn rejects_malformed_csv_at_the_right_byte() {
    testkit::check_case_folder("csv/rejected");
}

/// A header line: its own event, and it sets the field count.
const HEADER: CsvOptions = CsvOptions {
    has_header: true,
    ..CsvOptions::new()
};

/// Ragged records allowed.
const FLEXIBLE: CsvOptions = CsvOptions {
    flexible: true,
    ..CsvOptions::new()
};

#[test]
fn flexible_mode_allows_ragged_records() {
    testkit::check_case_folder("csv/flexible");
}

#[test]
fn the_header_is_its_own_event_and_sets_the_field_count() {
    testkit::check_case_folder("csv/header");
}

#[test]
fn custom_delimiters_and_quotes() {
    testkit::check_case_folder("csv/dialects");
}

#[test]
fn dialects_that_cannot_work_are_rejected_up_front() {
    for (delimiter, quote) in [(b'"', b'"'), (b'\n', b'"'), (b',', b'\r'), (0xFF, b'"')] {
        let options = CsvOptions {
            delimiter,
            quote,
            ..CsvOptions::default()
        };
        assert!(options.validate().is_err(), "{delimiter} {quote}");
        let (events, err) = parse(b"a,b\n", options);
        let err = err.expect("an invalid dialect");
        assert!(events.is_empty());
        assert!(
            matches!(err.kind(), ErrorKind::InvalidDialect { .. }),
            "{err}"
        );
        assert_eq!(err.position(), Position::START);
        // Even with no input at all.
        assert_eq!(parse(b"", options).1, Some(err));
    }
}

#[test]
fn errors_report_line_column_and_a_message_that_says_what_to_do() {
    testkit::check_messages(
        &[
            (
                b"a,b,c\r\n1,2,3\r\n4,5\r\n",
                Says::Exactly(
                    "CSV error at line 3, column 1 (byte 14): record 3 has 2 fields, expected 3 \
                     like the first record (enable flexible mode to allow ragged records)",
                ),
            ),
            (
                "é,\"x\"y".as_bytes(),
                Says::Exactly(
                    "CSV error at line 1, column 6 (byte 6): unexpected `y` after the closing \
                     quote of a field, expected the delimiter or a line end (a quote inside a \
                     quoted field is written twice)",
                ),
            ),
            (
                b"id,name\n7,Ab\"c\n",
                Says::Exactly(
                    "CSV error at line 2, column 5 (byte 12): quote `\"` inside an unquoted \
                     field: quote the whole field and double the quote inside it (\"ab\"\"c\")",
                ),
            ),
            (
                b"a,b\n\"x\n,\n",
                Says::Exactly(
                    "CSV error at line 2, column 1 (byte 4): this quoted field is never closed: \
                     the input ends before its closing `\"` (a stray quote swallows the rest \
                     of the input)",
                ),
            ),
            (
                b"a\xff",
                Says::Part("line 1, column 2 (byte 1): invalid UTF-8"),
            ),
        ],
        CsvOptions::default(),
    );
    // Inside a record cut by a chunk boundary, the position is the same.
    testkit::check_error_positions(
        &[(b"a,b\n\"c\nd\",e\"\n", &[6], (3, 5, 11))],
        CsvOptions::default(),
    );
    // Record numbers skip empty lines and count the header.
    let (_, err) = parse(b"h\n\n\n1\n2,3\n", HEADER);
    let kind = err.expect("a ragged record").kind().clone();
    assert_eq!(
        kind,
        ErrorKind::FieldCount {
            record: 3,
            expected: 1,
            found: 2
        }
    );
}

#[test]
fn errors_stick_and_finish_ends_the_input() {
    let after_reset: &[u8] = b"1,2,3\n\"4\"\"\",5,6\n";
    let mut parser = testkit::check_lifecycle(
        CsvOptions::default(),
        &Lifecycle {
            rejected: b"a,b\nc\n",
            after_error: b"d,e\n",
            // The last record has no line end: finish() delivers it.
            complete: (b"a,b", "", r#"["a", "b"]"#),
            after_finish: b"x",
            // Three fields after two: reset() forgot the field count.
            after_reset: (after_reset, r#"["1", "2", "3"] ["4\"", "5", "6"]"#, ""),
        },
    );
    // reset() starts the record count and the record numbers over too.
    assert_eq!(parser.records(), 2);
    parser.reset();
    let mut numbers = Vec::new();
    parser
        .feed(after_reset, |e| numbers.push(e.record().number()))
        .expect("valid");
    assert_eq!(numbers, [1, 2]);
}

#[test]
fn records_borrow_from_the_chunk_unless_a_quote_was_doubled() {
    let chunk = b"plain,\"quoted, comma\",\"doubled \"\"q\"\"\"\n";
    let range = chunk.as_ptr_range();
    let mut borrowed = Vec::new();
    let mut parser = CsvParser::new(CsvOptions::default());
    parser
        .feed(chunk, |e| {
            for field in e.record() {
                borrowed.push((field.to_owned(), range.contains(&field.as_ptr())));
            }
        })
        .expect("valid");
    assert_eq!(
        borrowed,
        [
            ("plain".to_owned(), true),
            ("quoted, comma".to_owned(), true),
            ("doubled \"q\"".to_owned(), false),
        ]
    );
}

#[test]
fn the_record_view_reads_like_a_slice_of_str() {
    let mut parser = CsvParser::new(CsvOptions::default());
    let mut seen = 0;
    parser
        .feed(b"a,\"b\"\"\",\n", |e| {
            let record = e.record();
            assert!(!e.is_header());
            assert_eq!((record.len(), record.is_empty()), (3, false));
            assert_eq!(record.get(1), Some("b\""));
            assert_eq!(record.get(3), None);
            assert_eq!(record.iter().len(), 3);
            assert_eq!(record.iter().rev().collect::<Vec<_>>(), ["", "b\"", "a"]);
            assert_eq!(format!("{record:?}"), r#"["a", "b\"", ""]"#);
            assert_eq!(record, record);
            let json = serde_json::to_string(&record).expect("strings serialize");
            assert_eq!(json, r#"["a","b\"",""]"#);
            seen += 1;
        })
        .expect("valid");
    assert_eq!(seen, 1);
}

#[test]
fn the_pull_adapter_reads_any_reader() {
    testkit::check_pull_adapter(&[
        (
            HEADER,
            Reader::Trickle,
            b"k,v\r\n1,\"x\ny\"\r\n2,\"\"\"\"",
            r#"H["k", "v"] ["1", "x\ny"] ["2", "\""]"#,
            None,
        ),
        // Two records, then the read fails where the input stopped.
        (
            CsvOptions::default(),
            Reader::Broken,
            b"a\nb\nc",
            r#"["a"] ["b"]"#,
            Some((5, "Io")),
        ),
    ]);
}

#[test]
fn count_records_uses_the_fast_path_over_a_reader() {
    let input = bench_input_csv(200_000, 7);
    let options = HEADER;
    let summary = count_records(&input[..], options).expect("valid");
    let (events, err) = parse(&input, options);
    assert_eq!(err, None);
    let fields: usize = events
        .iter()
        .map(|e| match e {
            OwnedCsvEvent::Record(fields) => fields.len(),
            OwnedCsvEvent::Header(_) => 0,
        })
        .sum();
    assert_eq!(
        summary,
        CsvSummary {
            records: events.len() as u64 - 1,
            fields: fields as u64,
            bytes: input.len() as u64
        }
    );
    let mut parser = CsvParser::new(options);
    let generic = sp::count_events(&mut parser, &input[..]).expect("valid");
    assert_eq!(
        generic,
        Summary {
            events: events.len() as u64,
            bytes: input.len() as u64
        }
    );
}

#[test]
fn the_bench_input_is_deterministic_valid_and_varied() {
    let input = testkit::check_bench_input(
        bench_input_csv,
        &["\"\"quoted\"\"", ", ", ",,", "東京", "Zoë", "-", ",true\n"],
    );
    let text = String::from_utf8_lossy(&input);
    // Quoted line breaks: more lines than records.
    let (events, err) = parse(&input, CsvOptions::default());
    assert_eq!(err, None);
    assert!(text.lines().count() > events.len());
    // The csv crate reads the same records.
    assert_eq!(events, csv_crate_records(&input, b',', b'"'));
    assert!(bench_input_csv(0, 1).len() > 50, "a header and a row");
}

// ---------------------------------------------------------------------------
// Property tests.

/// The records the `csv` crate reads, as our owned events.
fn csv_crate_records(input: &[u8], delimiter: u8, quote: u8) -> Vec<OwnedCsvEvent> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .quote(quote)
        .from_reader(input);
    reader
        .byte_records()
        .map(|record| {
            let record = record.unwrap_or_default();
            let fields = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            OwnedCsvEvent::Record(fields)
        })
        .collect()
}

/// Field text with everything that needs quoting, and some that does not.
fn arb_field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 ]{0,6}",
        2 => "[a-z,;\t|\"'\r\n ]{0,8}",
        1 => any::<String>(),
        1 => Just(String::new()),
    ]
}

fn arb_records() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(arb_field(), 0..5), 0..8)
}

/// A dialect: delimiter, quote, line end.
fn arb_dialect() -> impl Strategy<Value = (u8, u8, ::csv::Terminator)> {
    let delimiter = prop::sample::select(vec![b',', b';', b'\t', b'|']);
    let quote = prop::sample::select(vec![b'"', b'\'']);
    let terminator = prop::sample::select(vec![
        ::csv::Terminator::CRLF,
        ::csv::Terminator::Any(b'\n'),
        ::csv::Terminator::Any(b'\r'),
    ]);
    (delimiter, quote, terminator)
}

/// CSV-ish tokens, valid and not, for the soup tests.
const TOKENS: &[&[u8]] = &[
    b",",
    b";",
    b"\"",
    b"\"\"",
    b"'",
    b"\n",
    b"\r",
    b"\r\n",
    b"a",
    b"bc",
    b" ",
    b"\t",
    "é".as_bytes(),
    "日".as_bytes(),
    b"\xEF\xBB\xBF",
    b"\xEF",
    b"\xff",
    b"\xe2\x82",
    b"\x00",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    testkit::token_soup(TOKENS, 32)
}

fn arb_options() -> impl Strategy<Value = CsvOptions> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(semicolon, has_header, flexible, skip_bom)| CsvOptions {
            delimiter: if semicolon { b';' } else { b',' },
            has_header,
            flexible,
            skip_bom,
            ..CsvOptions::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn csv_written_by_the_csv_crate_reads_back_the_same_under_any_chunking(
        records in arb_records(),
        (delimiter, quote, terminator) in arb_dialect(),
        cuts in cuts(),
    ) {
        let mut writer = ::csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(delimiter)
            .quote(quote)
            .terminator(terminator)
            .from_writer(Vec::new());
        for record in &records {
            writer.write_record(record).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let text = writer.into_inner().map_err(|e| TestCaseError::fail(e.to_string()))?;
        // `csv::Writer` writes a record of no fields as `""`: one empty field.
        let expected: Vec<OwnedCsvEvent> = records
            .iter()
            .map(|r| match r.is_empty() {
                true => OwnedCsvEvent::Record(vec![String::new()]),
                false => OwnedCsvEvent::Record(r.clone()),
            })
            .collect();
        let options = CsvOptions {
            delimiter,
            quote,
            flexible: true,
            ..CsvOptions::default()
        };
        let theirs = csv_crate_records(&text, delimiter, quote);
        // Both readers skip a leading U+FEFF as a byte order mark.
        if !text.starts_with(&BOM) {
            prop_assert_eq!(&theirs, &expected);
        }
        prop_assert_eq!(parse(&text, options), (theirs.clone(), None));
        prop_assert_eq!(parse_cut(&text, &cuts, options), (theirs, None));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_never_matters(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        cuts in cuts(),
        options in arb_options(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn token_soup_gives_the_same_outcome_under_any_chunking(
        bytes in token_soup(),
        cuts in cuts(),
        options in arb_options(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn what_we_accept_the_csv_crate_reads_the_same_way(bytes in token_soup()) {
        // Configured alike: `,` and `"`, no header, ragged records allowed,
        // a leading byte order mark skipped.
        let (events, err) = parse(&bytes, FLEXIBLE);
        if err.is_none() {
            prop_assert_eq!(
                csv_crate_records(&bytes, b',', b'"'),
                events,
                "input {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
}

/// One huge field of each kind, and one huge record.
const HUGE_TOKENS: &[HugeToken] = &[
    ("a quoted field", |len| around("\"", "x", "\"\n", len)),
    ("a quoted field with doubled quotes and line ends", |len| {
        around("\"", "a\"\"b\r\n", "\"\n", len)
    }),
    ("an unquoted field", |len| around("", "x", "\n", len)),
    ("a non-ASCII field", |len| around("", "é日😀", "\r\n", len)),
    ("a record of many fields", |len| {
        around("a", ",b,\"c\"", "\n", len)
    }),
];

#[test]
fn a_huge_token_costs_linear_work_in_any_chunking() {
    check_huge_tokens_cost_linear_work(HUGE_TOKENS, CsvOptions::default());
}
