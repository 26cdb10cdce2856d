//! The second half of `mastery kata check` for this kata: the reader's
//! parser as one more rung of the `interview/streaming-parsers` CSV ladder
//! — the same input, checked the same way (it must read exactly the
//! records the kit's `CsvParser` reads), timed in the same rounds as every
//! rung, then placed.

use std::process::ExitCode;

use mastery_interview::streaming_parsers::{ReaderParser, climb_csv_ladder, start_ladder_python};

use super::CsvKata;

/// The records of `input` as a new `P` reads it, fed as one chunk.
fn count_records<P: CsvKata>(input: &[u8]) -> Result<u64, super::ErrorKind> {
    let mut parser = P::new();
    let mut records = 0u64;
    parser.feed(input, |_| records += 1)?;
    parser.finish(|_| records += 1)?;
    Ok(records)
}

/// Climbs the CSV ladder with the reader's parser `P` as a rung and prints
/// where it lands; the mode comes from the command line (`--quick`,
/// `--deep`, else full: full and deep add Python's `csv.reader` when a
/// `python3` is there). Exit code 1 when the ladder fails (the reader's
/// parser read other records than `CsvParser`), 2 on a bad argument.
pub fn ladder<P: CsvKata>() -> ExitCode {
    let mut n = match crate::ladder_narrator("kata/csv-parser") {
        Ok(n) => n,
        Err(code) => return code,
    };
    let reader = ReaderParser::new("your Parser", count_records::<P>);
    let climbed = start_ladder_python(&mut n)
        .and_then(|mut python| climb_csv_ladder(&mut n, python.as_mut(), Some(reader)));
    crate::ladder_exit(climbed)
}
