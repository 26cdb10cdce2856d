//! The vectorization topic's kernels side by side, on the demo's data
//! (`sample_data`), in cache and out of cache, with the machine's copy and
//! read bandwidth as the out-of-cache reference.
//!
//! - `sum-16KiB/…`, `dot-16KiB/…` — in L1: `peer/scalar-loop` (the strict
//!   `for` loop, the baseline), `ours/iterator`, `ours/chunked-x16`,
//!   `ours/simd-<isa>` (each explicit instruction set this CPU has),
//!   `ours/rayon`. Target: explicit SIMD sum ≥ 4× the scalar loop.
//! - `sum-64MiB/…`, `dot-64MiB/…` — out of cache (twice a 32 MiB L3), the
//!   same kernels, plus `bandwidth-64MiB/peer/copy` (`copy_from_slice`; its
//!   throughput is set to the bytes read **plus** written) and
//!   `bandwidth-64MiB/peer/read-pass`. Target: the SIMD sum at ≥ 70% of the
//!   copy's GB/s. (The demo's full mode uses the same 64 MiB, or twice the
//!   last-level cache; `--deep` uses 256 MiB.)
//!
//! Throughput is in bytes of input per second, so criterion prints GiB/s.
//!
//! Run: `cargo bench -p mastery-perf --bench vectorization`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mastery_perf::vectorization::{Kernel, copy_bytes, read_pass, sample_data};

const IN_CACHE: usize = 16 << 10;
const OUT_OF_CACHE: usize = 64 << 20;

/// The bench id of a kernel: `peer/` for the scalar baseline, `ours/` for
/// the rest.
fn id(kernel: Kernel) -> String {
    match kernel {
        Kernel::Loop => "peer/scalar-loop".to_owned(),
        Kernel::Iter => "ours/iterator".to_owned(),
        Kernel::Chunked => "ours/chunked-x16".to_owned(),
        Kernel::Simd(simd) => format!("ours/simd-{simd}"),
        Kernel::Rayon => "ours/rayon".to_owned(),
    }
}

fn kernels_on(c: &mut Criterion, bytes: usize, slow: bool) {
    let size = if bytes >= 1 << 20 {
        format!("{}MiB", bytes >> 20)
    } else {
        format!("{}KiB", bytes >> 10)
    };
    let data = sample_data(bytes / 4, 0x5eed);
    let (xs, ys) = data.split_at(data.len() / 2);
    let kernels = Kernel::available();

    let mut sum = c.benchmark_group(format!("sum-{size}"));
    sum.throughput(Throughput::Bytes(bytes as u64));
    if slow {
        sum.sample_size(10);
    }
    for &kernel in &kernels {
        sum.bench_function(BenchmarkId::from_parameter(id(kernel)), |b| {
            b.iter(|| kernel.sum(black_box(&data)))
        });
    }
    sum.finish();

    let mut dot = c.benchmark_group(format!("dot-{size}"));
    dot.throughput(Throughput::Bytes(bytes as u64));
    if slow {
        dot.sample_size(10);
    }
    for &kernel in &kernels {
        dot.bench_function(BenchmarkId::from_parameter(id(kernel)), |b| {
            b.iter(|| kernel.dot(black_box(xs), black_box(ys)))
        });
    }
    dot.finish();
}

fn in_cache(c: &mut Criterion) {
    kernels_on(c, IN_CACHE, false);
}

fn out_of_cache(c: &mut Criterion) {
    kernels_on(c, OUT_OF_CACHE, true);

    let src = sample_data(OUT_OF_CACHE / 4, 1);
    let mut dst = vec![0.0f32; src.len()];
    dst.copy_from_slice(&src); // touch every page before timing
    let mut group = c.benchmark_group(format!("bandwidth-{}MiB", OUT_OF_CACHE >> 20));
    group.sample_size(10);
    group.throughput(Throughput::Bytes(copy_bytes(src.len())));
    group.bench_function("peer/copy", |b| {
        b.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    group.throughput(Throughput::Bytes(OUT_OF_CACHE as u64));
    group.bench_function("peer/read-pass", |b| b.iter(|| read_pass(black_box(&src))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = in_cache, out_of_cache
}
criterion_main!(benches);
