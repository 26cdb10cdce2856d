//! # Kata `csv-parser`: a streaming CSV parser, fed in chunks
//!
//! The reader writes a push parser ([`CsvKata`]) with the API of the
//! lesson's `SimpleCsvParser` (`interview/streaming-parsers`): `feed` takes
//! the next chunk of bytes and hands each record it completes to a
//! callback, `finish` ends the input. A chunk may end anywhere — inside a
//! quoted field, between a doubled quote's halves, inside a UTF-8
//! character — and the records and the error must not depend on where.
//!
//! The dialect is RFC 4180's: `,` between fields, `"` around a field that
//! holds `,`, `"` or a line end, `""` for a quote inside one; `\r\n`, `\n`
//! and `\r` all end a record; empty lines are skipped; records may differ
//! in length; a byte order mark is data; each field must be UTF-8. Errors
//! are [`ErrorKind`]s — the interview's own — and the tests compare their
//! kinds (the variant), never a position. When one field breaks two rules
//! (bad UTF-8 and a misplaced quote) either error is accepted: the kit's
//! own two parsers report them in a different order.
//!
//! The tests ([`feeding`] runs each input whole, cut in two at every byte
//! and byte by byte): a table of edge cases per rule, the kit's conformance
//! cases ([`properties::the_kits_conformance_cases`], expected outcomes
//! from the production `CsvParser` in this dialect), and a property test
//! against the textbook fed whole
//! ([`properties::any_input_any_cuts_reads_as_the_textbook`]) whose shrunk
//! case is printed as the calls that reproduce it.

use crate::failure::{KataFailure, KitTest};

pub mod feeding;
pub mod ladder;
pub mod properties;

pub use mastery_interview::streaming_parsers::ErrorKind;
pub use properties::{any_input_any_cuts_reads_as_the_textbook, the_kits_conformance_cases};

use feeding::{Expected, Parsed, check_every_feeding};

/// What the reader implements: a CSV parser pushed one chunk at a time.
pub trait CsvKata {
    /// A parser at the start of its input.
    fn new() -> Self
    where
        Self: Sized;

    /// Parses the next chunk, calling `on_record` with the fields of every
    /// record it completes; the first error ends the parse (the kit feeds
    /// nothing after it).
    ///
    /// # Errors
    /// `QuoteInUnquotedField`, `TextAfterClosingQuote` or `InvalidUtf8`.
    fn feed(&mut self, chunk: &[u8], on_record: impl FnMut(&[String])) -> Result<(), ErrorKind>;

    /// Ends the input: reports a last record that has no line end.
    ///
    /// # Errors
    /// `UnclosedQuote` when the input ends inside a quoted field;
    /// `InvalidUtf8` when the last field is not UTF-8.
    fn finish(&mut self, on_record: impl FnMut(&[String])) -> Result<(), ErrorKind>;
}

/// One row of an edge table: an input and what it must give.
struct Edge {
    input: &'static [u8],
    records: &'static [&'static [&'static str]],
    error: Option<ErrorKind>,
}

const fn ok(input: &'static [u8], records: &'static [&'static [&'static str]]) -> Edge {
    Edge {
        input,
        records,
        error: None,
    }
}

const fn fails(
    input: &'static [u8],
    records: &'static [&'static [&'static str]],
    error: ErrorKind,
) -> Edge {
    Edge {
        input,
        records,
        error: Some(error),
    }
}

/// Runs every row of `table`, each fed every way.
fn run_table<P: CsvKata>(test: &'static str, table: &[Edge]) -> Result<(), KataFailure> {
    for edge in table {
        let expected = Expected::exactly(Parsed::of(edge.records, edge.error.clone()));
        check_every_feeding::<P>(test, edge.input, &expected, "")?;
    }
    Ok(())
}

const QUOTE: u8 = b'"';

/// A quoted field holds commas and line ends as text; an empty quoted
/// field is an empty field.
pub fn quoted_fields_hold_commas_and_line_ends<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "quoted_fields_hold_commas_and_line_ends",
        &[
            ok(b"a,\"b,c\"\n", &[&["a", "b,c"]]),
            ok(b"\"x\ny\",\"1\r\n2\"\n3\n", &[&["x\ny", "1\r\n2"], &["3"]]),
            ok(b"\"\",\"\"\n", &[&["", ""]]),
        ],
    )
}

/// Inside a quoted field, `""` is one quote of text.
pub fn doubled_quotes_are_one_quote<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "doubled_quotes_are_one_quote",
        &[
            ok(b"\"say \"\"hi\"\"\"\n", &[&["say \"hi\""]]),
            ok(b"a,\"\"\"\",b", &[&["a", "\"", "b"]]),
        ],
    )
}

/// `\r\n`, `\n` and a lone `\r` each end a record.
pub fn crlf_lf_and_cr_all_end_a_record<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "crlf_lf_and_cr_all_end_a_record",
        &[ok(
            b"a,b\r\nc,d\ne,f\rg\r\n",
            &[&["a", "b"], &["c", "d"], &["e", "f"], &["g"]],
        )],
    )
}

/// An empty line is no record, wherever it is; empty input has none.
pub fn empty_lines_are_skipped<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "empty_lines_are_skipped",
        &[
            ok(b"\n\r\n\na\n\n\r\r\nb\n\n", &[&["a"], &["b"]]),
            ok(b"\r\n", &[]),
            ok(b"", &[]),
        ],
    )
}

/// `finish` reports a last record that has no line end.
pub fn the_last_record_needs_no_line_end<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "the_last_record_needs_no_line_end",
        &[
            ok(b"a,b\nc", &[&["a", "b"], &["c"]]),
            ok(b"\"q\"", &[&["q"]]),
        ],
    )
}

/// Empty fields count, a trailing comma included: `a,` is two fields.
pub fn empty_fields_and_a_trailing_comma<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "empty_fields_and_a_trailing_comma",
        &[
            ok(b",\n", &[&["", ""]]),
            ok(b"a,,b,\n", &[&["a", "", "b", ""]]),
            ok(b",,\n\"\",x", &[&["", "", ""], &["", "x"]]),
            ok(b"a,", &[&["a", ""]]),
        ],
    )
}

/// Input that ends inside a quoted field is `UnclosedQuote`, after the
/// records before it.
pub fn an_unclosed_quote_is_an_error<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "an_unclosed_quote_is_an_error",
        &[
            fails(
                b"a\n\"b,c\n",
                &[&["a"]],
                ErrorKind::UnclosedQuote { quote: QUOTE },
            ),
            fails(b"\"x\"\"", &[], ErrorKind::UnclosedQuote { quote: QUOTE }),
        ],
    )
}

/// A quote inside a field that did not start with one is
/// `QuoteInUnquotedField`: `ab"c` must be written `"ab""c"`.
pub fn a_quote_inside_an_unquoted_field_is_an_error<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "a_quote_inside_an_unquoted_field_is_an_error",
        &[
            fails(
                b"ok\nab\"c\n",
                &[&["ok"]],
                ErrorKind::QuoteInUnquotedField { quote: QUOTE },
            ),
            fails(
                b"a,b\"\n",
                &[],
                ErrorKind::QuoteInUnquotedField { quote: QUOTE },
            ),
        ],
    )
}

/// After a field's closing quote only `,` or a line end may come:
/// anything else is `TextAfterClosingQuote`.
pub fn text_after_a_closing_quote_is_an_error<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "text_after_a_closing_quote_is_an_error",
        &[
            fails(
                b"\"ab\"c",
                &[],
                ErrorKind::TextAfterClosingQuote { found: b'c' },
            ),
            fails(
                b"x\n\"a\" ,b\n",
                &[&["x"]],
                ErrorKind::TextAfterClosingQuote { found: b' ' },
            ),
        ],
    )
}

/// Fields are UTF-8: a character cut by a chunk boundary is read whole, and
/// a field that is not UTF-8 is `InvalidUtf8`.
pub fn fields_must_be_utf8<P: CsvKata>() -> Result<(), KataFailure> {
    run_table::<P>(
        "fields_must_be_utf8",
        &[
            ok("é,\"ü\n€\"\n".as_bytes(), &[&["é", "ü\n€"]]),
            fails(b"ok\na\xFFb\n", &[&["ok"]], ErrorKind::InvalidUtf8),
            fails(b"\"\xC3\",x", &[], ErrorKind::InvalidUtf8),
        ],
    )
}

pub use ladder::ladder;

/// Every kit test of this kata, for the parser `P`: what `run_all` and the
/// kit's own checks run; `kata_tests!` writes the same list as `#[test]`s.
pub fn tests<P: CsvKata>() -> Vec<KitTest> {
    crate::__kata_csv_parser!(table, P)
}

/// The list of kit tests, written once (see `lru_cache`'s).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_csv_parser {
    ($mode:ident, $imp:ty) => {
        $crate::__kata_emit! {$mode, csv_parser, $imp;
            quoted_fields_hold_commas_and_line_ends,
            doubled_quotes_are_one_quote,
            crlf_lf_and_cr_all_end_a_record,
            empty_lines_are_skipped,
            the_last_record_needs_no_line_end,
            empty_fields_and_a_trailing_comma,
            an_unclosed_quote_is_an_error,
            a_quote_inside_an_unquoted_field_is_an_error,
            text_after_a_closing_quote_is_an_error,
            fields_must_be_utf8,
            the_kits_conformance_cases,
            any_input_any_cuts_reads_as_the_textbook,
        }
    };
}
