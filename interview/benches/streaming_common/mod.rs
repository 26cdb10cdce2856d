//! What the three streaming-parser benches share: the input and chunk
//! sizes, and the `ours` / `ours-64KiB-chunks` pair that opens each
//! format's group, so that our side is measured the same way in all three
//! and the peers are the only difference between them.
//!
//! Each bench pulls it in with `mod streaming_common;`; a folder with a
//! `mod.rs` is not a bench target of its own.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};
use mastery_interview::streaming_parsers::{PushParser, count_in_chunks};

/// Bytes of generated input each format is measured on.
pub const INPUT_BYTES: usize = 50_000_000;

/// The chunk size of `ours-64KiB-chunks`: what a file or socket delivers.
pub const CHUNK: usize = 64 * 1024;

/// Events of `input` fed in `chunk`-byte pieces to a reused parser.
fn count_ours<P: PushParser>(parser: &mut P, input: &[u8], chunk: usize) -> u64 {
    // The error names its format and where the input went wrong.
    count_in_chunks(parser, input, chunk).expect("the bench input is valid")
}

/// Events of `input`, fed whole and in [`CHUNK`]-byte pieces: checks that
/// the two agree, as the benches compare their times.
pub fn count_ours_both_ways<P: PushParser>(parser: &mut P, input: &[u8]) -> u64 {
    let events = count_ours(parser, input, input.len());
    assert_eq!(
        count_ours(parser, input, CHUNK),
        events,
        "chunking changes the events"
    );
    events
}

/// Opens the benchmark group `name` — throughput in bytes of `input`, so
/// criterion prints MB/s; ten samples, as each takes a while — and runs
/// ours in it: `ours` feeds the whole input, `ours-64KiB-chunks` feeds it
/// in [`CHUNK`]-byte pieces. The caller adds its peers and finishes the
/// group.
pub fn group_with_ours<'c, P: PushParser>(
    c: &'c mut Criterion,
    name: &str,
    parser: &mut P,
    input: &[u8],
) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(10);
    group.bench_function("ours", |b| {
        b.iter(|| count_ours(parser, black_box(input), input.len()))
    });
    group.bench_function("ours-64KiB-chunks", |b| {
        b.iter(|| count_ours(parser, black_box(input), CHUNK))
    });
    group
}
