//! # Vectorization: loops, iterators, SIMD and rayon against memory bandwidth
//!
//! ## Python idiom
//! A pure-Python loop pays the interpreter for every element: bytecode
//! dispatch, a new `float` object for each partial sum, reference
//! counting. The Python answer is to move the loop into compiled code —
//! NumPy's `a.sum()` and `a @ b` (pairwise summation and BLAS, both SIMD),
//! or Cython/numba compiling the loop itself:
//!
//! ```python
//! total = 0.0
//! for x in values:              # the interpreter, once per element
//!     total += x
//!
//! a = np.asarray(values, dtype=np.float32)
//! a.sum(); a @ b                # one C loop over raw floats per call
//! ```
//!
//! The built-in `sum(values)` runs its loop in C too, and since Python
//! 3.12 it does not add floats strictly left to right: it carries
//! Neumaier's compensation term (the algorithm of [`reference_sum`] here),
//! which makes it far more accurate than the loop above, whose order every
//! kernel below but the first two gives up. (`math.fsum` is exactly
//! rounded.)
//!
//! A Rust extension module (PyO3) is the same move, and this topic ships
//! one: `perf/python/` wraps the kernels below as `mastery_kernels`, and
//! `perf/python/bench_kernels.py` times a Python loop, NumPy and the
//! extension on the same float32 data.
//!
//! ## Rust answer
//! Compiled Rust is already far past the Python loop, but a plain float loop
//! still adds **one element at a time**. IEEE addition is not associative,
//! so the compiler must keep the order you wrote; every `total += x` waits
//! for the previous one (an add's latency is several cycles) and the loop
//! never becomes SIMD. Five kernels over the same `f32` slice show the
//! ladder; the first three are the core below:
//!
//! - [`sum_loop`] — `for x in xs { total += x }`: strict order, scalar.
//! - [`sum_iter`] — `xs.iter().sum()`: *the same* strict order, so the
//!   same result bit for bit and the same speed. Iterators are neither
//!   slower nor faster than the loop; the order of the additions decides.
//! - [`sum_chunked`] — 16 independent accumulators over `chunks_exact(16)`:
//!   we write the reassociation ourselves, and LLVM turns the accumulator
//!   array into SIMD registers — SSE2 on the baseline x86-64 target, no
//!   `unsafe`, portable to any CPU.
//! - [`sum_simd`] — explicit SIMD with `std::arch`: AVX2+FMA, 4 registers
//!   of 8 lanes, chosen **at run time** with `is_x86_feature_detected!`, so
//!   one binary runs everywhere; the chunked kernel is the fallback on
//!   older x86 and on other architectures. The instruction set is a
//!   [`Simd`] value that only detection can create, so every `unsafe` call
//!   is justified by the value's existence (each block carries its
//!   `// SAFETY:` argument, and the tests run every path against the
//!   reference).
//! - [`sum_rayon`] — the SIMD kernel on every core: fixed 64 KiB chunks
//!   summed in parallel, partial sums combined in order, so the result does
//!   not depend on the number of threads.
//!
//! The same five exist for the dot product ([`dot_loop`] … [`dot_rayon`],
//! FMA in the explicit kernels); [`Kernel`] lists the ones this CPU can run.
//!
//! ```
//! use mastery_perf::vectorization::{sum_error_bound, sum_loop, sum_simd, reference_sum};
//!
//! let xs: Vec<f32> = (0..1000).map(|i| (i % 7) as f32 * 0.25 - 0.5).collect();
//! let exact = reference_sum(&xs);
//! let bound = sum_error_bound(xs.len(), xs.iter().map(|x| f64::from(x.abs())).sum());
//! // Different orders round differently; both stay inside the bound.
//! assert!((f64::from(sum_loop(&xs)) - exact).abs() <= bound);
//! assert!((f64::from(sum_simd(&xs)) - exact).abs() <= bound);
//! ```
//!
//! **Why `f32`.** It is NumPy's `float32` and the machine-learning dtype; an
//! AVX2 register holds 8 of them (4 `f64`), so the SIMD headroom is the
//! largest; and its 24-bit significand makes the effect of the order on
//! accuracy visible. The `f64` story is the same with half the lanes.
//!
//! **Accuracy.** A reordered sum rounds differently, not worse: for *any*
//! order of the `n − 1` additions, `|computed − exact| ≤ γ(n−1) · Σ|xᵢ|` with
//! `γ(k) = k·u / (1 − k·u)` and `u = 2⁻²⁴` ([`sum_error_bound`]; the dot
//! product has `γ(n) · Σ|xᵢ·yᵢ|`, [`dot_error_bound`]). The tests check every
//! kernel against a compensated `f64` reference with that bound, and the
//! demo shows that many accumulators are usually *more* accurate: each one
//! sums a short run, so the rounding errors grow with `n / lanes`, not `n`.
//!
//! **Bandwidth.** In cache the kernels are limited by the core; out of cache
//! by DRAM. The demo measures the machine's bandwidth with a copy
//! (`copy_from_slice`, counted as bytes read **plus** bytes written, the
//! STREAM convention) and a read-only pass (an integer sum of the bits, which
//! the compiler vectorizes by itself because integer addition *is*
//! associative), timed in one round-robin with the out-of-cache kernels, and
//! reports every kernel's throughput in megabytes (10⁶ bytes) of input per
//! second and as a percentage of the copy bandwidth.
//!
//! ## When to use which
//! - **The plain loop or `.iter().sum()`** by default: integer reductions
//!   vectorize anyway, and for short float reductions a reproducible order
//!   may matter more than speed. That order is strict left to right — a
//!   hand-written Python `for` loop's, and `sum()`'s before Python 3.12; a
//!   3.12+ `sum()` of floats compensates, so no kernel here matches it bit
//!   for bit.
//! - **Chunked accumulators** when a float reduction is hot: no `unsafe`,
//!   portable, most of the SIMD gain at the baseline target (and all of it
//!   with `-C target-cpu=native`, at the price of a binary that needs the
//!   build machine's CPU). The result changes with the number of lanes.
//! - **Explicit SIMD** for the one kernel where the last factor matters in a
//!   portable binary: runtime dispatch, one `unsafe` function per instruction
//!   set, and a test per path. Crates such as `multiversion` or `pulp` write
//!   the dispatch for you; `std::simd` is still nightly-only.
//! - **rayon** for large inputs (many MiB) or heavy work per element. A
//!   slice of one chunk never leaves the calling thread, but from two
//!   chunks on it wakes the pool, which a 256 KiB input in cache does not
//!   repay — [`sum_rayon`] has no cut-off on purpose, so the demo shows
//!   that cost; production code would call [`sum_simd`] below a few MiB.
//!   Memory-bound work stops scaling once the cores together saturate the
//!   memory bus.
//! - **Out of cache every fast kernel runs into the same wall**: beyond it,
//!   win by moving fewer bytes (a smaller dtype, fusing passes over the
//!   data), not by better instructions.
//! - **From Python**, NumPy already does this for `sum` and `dot`; write an
//!   extension when the kernel is not a NumPy primitive (a fused loop with
//!   branches that NumPy would run as several passes with temporaries).
//!
//! ## What it costs
//! The demo measures, in one run:
//! - **in cache** (16 KiB, and 256 KiB in full mode), for the sum and the
//!   dot product: every kernel against the scalar `for` loop, in megabytes
//!   of input per second;
//! - **out of cache** (a buffer at least twice the last-level cache; four
//!   times, and at least 256 MiB, with `mastery run perf/vectorization
//!   --deep`): the same comparisons, plus every kernel as a percentage of
//!   the copy bandwidth measured in the same round-robin, and the read-only
//!   pass;
//! - **accuracy**: each kernel's relative error on a million `0.1f32`;
//! - **from Python**: with NumPy and the extension installed, the
//!   extension's SIMD kernel against a pure-Python loop and against NumPy,
//!   and its scalar loop against the Python loop, per element, calls
//!   included; on a Python without them, the pure-Python loop against this
//!   process's kernels on the same values, the two sides taking turns.
//!
//! What the fast kernels give up: the explicit kernels are the crate's
//! only `unsafe`; each instruction set is separate code to test (the tests
//! run every path the CPU has, and CI's CPU decides which paths those
//! are); newer instruction sets need newer compilers (AVX-512's intrinsics
//! are stable from Rust 1.89, above this workspace's minimum, so it is left
//! out); `f32::mul_add` on the baseline target is a *library call* (no FMA
//! instruction), so the portable dot product multiplies and adds
//! separately. Every reordered kernel gives up bit-for-bit agreement with
//! the strict loop, and rayon pays to wake its pool on every call longer
//! than one chunk.
//!
//! ## Run it
//! `mastery run perf/vectorization` (full: 16 KiB and 256 KiB in cache,
//! 64 MiB or twice the last-level cache out of cache; `--deep`: 256 MiB or
//! four times the cache, and a million elements from Python; `--quick`:
//! 16 KiB and 16 MiB, which a large cache may still hold), `cargo test -p
//! mastery-perf vectorization` (every kernel and SIMD path against the
//! reference, odd lengths and misaligned starts, property tests), and
//! `cargo bench -p mastery-perf --bench vectorization`. The Python
//! section needs only a `python3`; NumPy and the extension come from one
//! command (a venv in `perf/python/.venv`, which the demo then prefers;
//! the `python` setting, `MASTERY_PYTHON`, names another interpreter, and
//! `require_python`, `MASTERY_REQUIRE_PYTHON=1`, turns a missing NumPy or
//! extension into a failure):
//!
//! ```text
//! cargo run --release -- setup python
//! cargo run --release -- run perf/vectorization
//! ```

mod accuracy;
mod demo;
mod dot;
mod kernel;
mod machine;
mod parallel;
mod python_bench;
mod simd;
#[cfg(test)]
mod tests;

pub use accuracy::{dot_error_bound, reference_dot, reference_sum, sum_error_bound};
pub use dot::{LengthMismatch, dot_chunked, dot_iter, dot_loop};
pub use kernel::Kernel;
pub use machine::{copy_bytes, last_level_cache_bytes, read_pass, sample_data};
pub use parallel::{PAR_CHUNK, dot_rayon, sum_rayon};
pub use python_bench::{ENABLE_PYTHON, locate_python, python_dir};
pub use simd::{Simd, dot_simd, sum_simd};

// ANCHOR: core
/// Independent accumulators of the chunked kernels: 16 `f32` are four SSE2
/// registers at the baseline target, enough to hide the add latency.
pub const CHUNK_LANES: usize = 16;

/// Sums in the order written: one dependent add per element.
pub fn sum_loop(xs: &[f32]) -> f32 {
    let mut total = 0.0;
    for &x in xs {
        total += x;
    }
    total
}

/// Sums with the iterator adaptor: the same strict order as [`sum_loop`].
pub fn sum_iter(xs: &[f32]) -> f32 {
    xs.iter().sum()
}

/// Sums with [`CHUNK_LANES`] independent accumulators, which the compiler
/// vectorizes because their adds do not depend on each other.
pub fn sum_chunked(xs: &[f32]) -> f32 {
    let chunks = xs.chunks_exact(CHUNK_LANES);
    let tail = chunks.remainder();
    let mut acc = [0.0f32; CHUNK_LANES];
    for chunk in chunks {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a += x;
        }
    }
    combine_lanes(acc) + sum_loop(tail)
}

/// Adds the accumulator lanes pairwise (a balanced tree, not a chain).
fn combine_lanes<const N: usize>(mut lanes: [f32; N]) -> f32 {
    let mut width = N;
    while width > 1 {
        let half = width / 2;
        for i in 0..half {
            lanes[i] += lanes[i + half];
        }
        if width % 2 == 1 {
            lanes[0] += lanes[width - 1];
        }
        width = half;
    }
    lanes.first().copied().unwrap_or(0.0)
}
// ANCHOR_END: core
