//! Streaming CSV parsing: ours vs the `csv` crate, on the same ~50 MB of
//! varied CSV (`csv::bench_input_csv`: eight columns of integers, names,
//! e-mails, decimals, dates, empty fields and free text that is often
//! quoted with commas, doubled quotes and line breaks).
//!
//! - `csv/ours` — `CsvParser::feed` over the whole input, counting records
//!   (the borrowed-record fast path: every field is a validated `&str`).
//! - `csv/ours-64KiB-chunks` — the same input fed in 64 KiB chunks, the way
//!   a file or socket delivers it (records cut at chunk boundaries
//!   included).
//! - `csv/csv-crate` — `csv::Reader::read_byte_record` into one reused
//!   `ByteRecord`: fields are bytes, UTF-8 is not checked, and a quote in
//!   the wrong place is accepted rather than reported.
//! - `csv/csv-crate-string` — the same into a reused `StringRecord`, which
//!   validates UTF-8 as ours does: the like-for-like figure.
//!
//! Both sides use `has_headers(false)` semantics (the header line is one
//! more record) and count records. Throughput is in bytes of input, so
//! criterion prints MB/s.
//! Run: `cargo bench -p mastery-interview --bench streaming_csv`.

mod streaming_common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mastery_interview::streaming_parsers::csv::{CsvOptions, CsvParser, bench_input_csv};
use streaming_common::{INPUT_BYTES, count_ours_both_ways, group_with_ours};

/// Records the `csv` crate reads, `read_next` reading each into the one
/// reused record it holds (`true` while there was a record).
fn count_csv_records(
    input: &[u8],
    mut read_next: impl FnMut(&mut csv::Reader<&[u8]>) -> csv::Result<bool>,
) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(input);
    let mut records = 0u64;
    while read_next(&mut reader).expect("the csv crate reads the bench input") {
        records += 1;
    }
    records
}

/// Records the `csv` crate reads into one reused `ByteRecord`.
fn count_csv_bytes(input: &[u8]) -> u64 {
    let mut record = csv::ByteRecord::new();
    count_csv_records(input, |reader| reader.read_byte_record(&mut record))
}

/// Records the `csv` crate reads into one reused `StringRecord`.
fn count_csv_strings(input: &[u8]) -> u64 {
    let mut record = csv::StringRecord::new();
    count_csv_records(input, |reader| reader.read_record(&mut record))
}

fn csv(c: &mut Criterion) {
    let input = bench_input_csv(INPUT_BYTES, 2024);
    let mut parser = CsvParser::new(CsvOptions::default());
    let records = count_ours_both_ways(&mut parser, &input);
    assert_eq!(
        count_csv_bytes(&input),
        records,
        "both count the same records"
    );
    assert_eq!(count_csv_strings(&input), records);
    eprintln!(
        "csv input: {:.1} MB, {records} records",
        input.len() as f64 / 1e6
    );

    let mut group = group_with_ours(c, "csv", &mut parser, &input);
    group.bench_function("csv-crate", |b| {
        b.iter(|| count_csv_bytes(black_box(&input)))
    });
    group.bench_function("csv-crate-string", |b| {
        b.iter(|| count_csv_strings(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, csv);
criterion_main!(benches);
