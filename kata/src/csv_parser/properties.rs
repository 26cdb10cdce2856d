//! The two tests whose expected outcomes come from the kit's own parsers
//! rather than from a table: the conformance cases, and a property test.
//!
//! The property test drives proptest's `TestRunner` directly, with a fixed
//! seed, so that the shrunk failing case comes back as a value and is
//! printed as the calls that reproduce it.

use std::path::Path;

use mastery_interview::streaming_parsers::SimpleCsvParser;
use mastery_interview::streaming_parsers::conformance::{
    CASES_DIR, ConformanceCase, case_files, kind_name,
};
use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use super::CsvKata;
use super::feeding::{Expected, Parsed, check_every_feeding, literal, parse, replay_chunks};
use crate::failure::KataFailure;

/// The kata's dialect in the production parser's terms: RFC 4180, records
/// of any length, a byte order mark kept as data — what `SimpleCsvParser`
/// reads.
const KATA_DIALECT: CsvOptions = CsvOptions {
    flexible: true,
    skip_bom: false,
    ..CsvOptions::new()
};

/// `input` as the production `CsvParser` reads it in the kata's dialect,
/// fed whole.
pub fn production_outcome(input: &[u8]) -> Parsed {
    let mut parser = CsvParser::new(KATA_DIALECT);
    let mut records = Vec::new();
    let fed = parser.feed(input, |e| records.push(e.record().to_vec()));
    let end = fed.and_then(|()| parser.finish(|e| records.push(e.record().to_vec())));
    Parsed {
        records,
        error: end.err().map(|e| kind_name(e.kind())),
    }
}

/// The case folders whose cases use the default options: the ones this
/// kata's dialect can read (the others need a header, `;`, tabs …).
const CASE_FOLDERS: [&str; 2] = ["csv/accepted", "csv/rejected"];

/// Every CSV conformance case of the kit in the default preset
/// (`interview/conformance/csv/{accepted,rejected}`), fed every way; the
/// expected outcome is the production `CsvParser`'s in the kata's dialect
/// (so a byte order mark stays in the first field, where the default
/// options would skip it), or the textbook's error where the two differ
/// only in which of a field's two errors comes first.
pub fn the_kits_conformance_cases<P: CsvKata>() -> Result<(), KataFailure> {
    let test = "the_kits_conformance_cases";
    // An unfinished `todo!()` fails here, with its own message.
    P::new();
    let mut checked = 0;
    for folder in CASE_FOLDERS {
        let dir = Path::new(CASES_DIR).join(folder);
        let unreadable = |what: String| KataFailure {
            test,
            expected: format!("the kit's conformance cases in {}", dir.display()),
            got: what,
            replay: Vec::new(),
        };
        let files = case_files(&dir).map_err(|e| unreadable(format!("cannot list them: {e}")))?;
        for file in files {
            let case = ConformanceCase::load(&file).map_err(|e| unreadable(e.to_string()))?;
            if case.options_name != "default" {
                continue;
            }
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            let about = format!(" (conformance case {folder}/{name}: {})", case.comment);
            let expected = Expected::either(
                production_outcome(&case.input),
                parse::<SimpleCsvParser>(&[&case.input]),
            );
            check_every_feeding::<P>(test, &case.input, &expected, &about)?;
            checked += 1;
        }
    }
    if checked == 0 {
        return Err(KataFailure {
            test,
            expected: format!("conformance cases under {CASES_DIR}/csv"),
            got: "none found".into(),
            replay: Vec::new(),
        });
    }
    Ok(())
}

/// The bytes the property test draws from: CSV's specials, plain text, a
/// space, a two-byte UTF-8 character and a byte never valid in UTF-8.
const ALPHABET: &[u8] = b"ab ,\"\r\n\xC3\xA9\xFF";

/// `input` cut at `cuts` (clamped, in order).
pub fn split_at<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

/// The reader's parser on `input` cut at `cuts`, against the textbook fed
/// the whole input (or the production parser's error, where the two differ
/// only in which of a field's two errors comes first).
fn compare<P: CsvKata>(input: &[u8], cuts: &[usize]) -> Result<(), KataFailure> {
    let expected = Expected::either(
        parse::<SimpleCsvParser>(&[input]),
        production_outcome(input),
    );
    let chunks = split_at(input, cuts);
    let got = parse::<P>(&chunks);
    if expected.accepts(&got) {
        return Ok(());
    }
    let mut replay = vec![
        "let mut p = Parser::new();".to_owned(),
        "let mut records: Vec<Vec<String>> = Vec::new();".to_owned(),
    ];
    replay.extend(replay_chunks(&chunks));
    replay.push("p.finish(|r| records.push(r.to_vec()))?;".to_owned());
    replay.push(format!("// expected {expected}"));
    Err(KataFailure {
        test: "any_input_any_cuts_reads_as_the_textbook",
        expected: format!(
            "{} fed as {} chunks reads as the textbook SimpleCsvParser reads it whole: {expected}",
            literal(input),
            chunks.len()
        ),
        got: got.to_string(),
        replay,
    })
}

/// Random inputs of up to 40 bytes from CSV's specials, text and UTF-8
/// (valid and not), cut at up to three random places: the same records
/// and error as the textbook `SimpleCsvParser` fed the input whole. The
/// shrunk failing case is the replay.
pub fn any_input_any_cuts_reads_as_the_textbook<P: CsvKata>() -> Result<(), KataFailure> {
    let test = "any_input_any_cuts_reads_as_the_textbook";
    // An unfinished `todo!()` fails here, with its own message, not after
    // a few hundred shrinking panics.
    P::new();
    let config = Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (
        proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40),
        proptest::collection::vec(0usize..41, 0..4),
    );
    let result = runner.run(&strategy, |(input, cuts)| {
        compare::<P>(&input, &cuts).map_err(|failure| TestCaseError::fail(failure.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (input, cuts))) => {
            match std::panic::catch_unwind(|| compare::<P>(&input, &cuts)) {
                Ok(Err(failure)) => Err(failure),
                // Passing on the rerun: the failure was a panic, or the
                // parser is not deterministic.
                _ => Err(KataFailure {
                    test,
                    expected: "the textbook's records and error, without panicking".into(),
                    got: reason.to_string(),
                    replay: replay_chunks(&split_at(&input, &cuts)),
                }),
            }
        }
        Err(TestError::Abort(reason)) => Err(KataFailure {
            test,
            expected: "the property test to run".into(),
            got: format!("proptest aborted: {reason}"),
            replay: Vec::new(),
        }),
    }
}
