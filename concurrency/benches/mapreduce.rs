//! Word count on one thread against rayon, on the demo's kind of corpus
//! (seeded Zipf words over a 50 000-word vocabulary), 32 MB of it.
//!
//! - `mapreduce-wordcount-32MB/peer/one-thread` — [`count_single`], the
//!   reference: one thread, one table.
//! - `mapreduce-wordcount-32MB/ours/rayon-table-per-thread` —
//!   [`count_rayon`], the engine: `rayon::broadcast`, one table per thread
//!   of the global pool (one thread per core), chunks from a shared
//!   counter.
//! - `mapreduce-wordcount-32MB/ours/rayon-fold-reduce` —
//!   [`count_rayon_fold`], the textbook `fold`/`reduce`: a table per rayon
//!   piece.
//!
//! The one-thread time over the table-per-thread time is the speed-up the
//! demo reports; the target on a 2-core machine is ≥ 1.8×.
//!
//! Run: `cargo bench -p mastery-concurrency --bench mapreduce`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mastery_concurrency::mapreduce_demo::{
    CorpusSpec, count_rayon, count_rayon_fold, count_single, default_chunk_bytes,
};

const BYTES: usize = 32_000_000;
const SEED: u64 = 42;

fn word_count(c: &mut Criterion) {
    let text = CorpusSpec::new(BYTES, SEED)
        .generate()
        .expect("the default corpus spec is valid");
    let chunk = default_chunk_bytes(BYTES, rayon::current_num_threads());
    let reference = count_single(&text);
    for (name, counts) in [
        ("table per thread", count_rayon(&text, chunk)),
        ("fold/reduce", count_rayon_fold(&text, chunk)),
    ] {
        assert_eq!(
            counts.first_difference(&reference),
            None,
            "rayon {name} must give the single-thread answer"
        );
    }

    let mut group = c.benchmark_group("mapreduce-wordcount-32MB");
    group.throughput(Throughput::Bytes(BYTES as u64));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("peer/one-thread", |b| {
        b.iter(|| count_single(black_box(&text)))
    });
    group.bench_function("ours/rayon-table-per-thread", |b| {
        b.iter(|| count_rayon(black_box(&text), chunk))
    });
    group.bench_function("ours/rayon-fold-reduce", |b| {
        b.iter(|| count_rayon_fold(black_box(&text), chunk))
    });
    group.finish();
}

criterion_group!(benches, word_count);
criterion_main!(benches);
