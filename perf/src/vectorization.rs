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
//! for x in values:              # tens of ns per element
//!     total += x
//!
//! a = np.asarray(values, dtype=np.float32)
//! a.sum(); a @ b                # a C loop over raw floats: about 100x faster
//! ```
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
//! for the previous one (3–4 cycles of latency) and the loop never becomes
//! SIMD. Five kernels over the same `f32` slice show the ladder:
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
//! reports every kernel in MB/s (10⁶ bytes of input per second) and as a
//! percentage of the copy bandwidth.
//!
//! ## When to use which
//! - **The plain loop or `.iter().sum()`** by default: integer reductions
//!   vectorize anyway, and for short float reductions the strict
//!   left-to-right order (Python's `sum` order) may matter more than speed.
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
//!   chunks on, waking the pool costs microseconds, more than summing
//!   256 KiB takes — [`sum_rayon`] has no cut-off on purpose, so the demo
//!   shows that cost; production code would call [`sum_simd`] below a few
//!   MiB. Memory-bound work stops scaling once the cores together saturate
//!   the memory bus.
//! - **Out of cache every fast kernel runs into the same wall**: beyond it,
//!   win by moving fewer bytes (a smaller dtype, fusing passes over the
//!   data), not by better instructions.
//! - **From Python**, NumPy already does this for `sum` and `dot`; write an
//!   extension when the kernel is not a NumPy primitive (a fused loop with
//!   branches that NumPy would run as several passes with temporaries).
//!
//! What it costs: the explicit kernels are the crate's only `unsafe`; each
//! instruction set is separate code to test (the tests run every path the
//! CPU has, and CI's CPU decides which paths those are); newer instruction
//! sets need newer compilers (AVX-512's intrinsics are stable from Rust
//! 1.89, above this workspace's minimum, so it is left out); `f32::mul_add`
//! on the baseline target is a *library call* (no FMA instruction), so the
//! portable dot product multiplies and adds separately.
//!
//! ## Run it
//! `mastery run perf/vectorization` (full: 16 KiB and 256 KiB in cache,
//! 256 MiB out of cache; `--quick`: 16 KiB and 64 MiB), `cargo test -p
//! mastery-perf vectorization` (every kernel and SIMD path against the
//! reference, odd lengths and misaligned starts, property tests), and
//! `cargo bench -p mastery-perf --bench vectorization`. The Python
//! comparison runs when the extension is built (the demo prints these
//! commands when it is not). It uses `perf/python/.venv` when present, else
//! `python3`; the `python` setting (`MASTERY_PYTHON`) names another
//! interpreter, and `require_python` (`MASTERY_REQUIRE_PYTHON=1`) turns a
//! missing setup into a failure instead of a skip:
//!
//! ```text
//! cd perf/python
//! python3 -m venv .venv
//! .venv/bin/pip install maturin numpy
//! VIRTUAL_ENV="$PWD/.venv" .venv/bin/maturin develop --release
//! .venv/bin/python bench_kernels.py      # or: mastery run perf/vectorization
//! ```

use std::ffi::OsString;
use std::fmt;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mastery_kit::narrator::{DEFAULT_SAMPLES, QUICK_SAMPLES, format_value};
use mastery_kit::{Area, Mode, Narrator, Topic, Unit};
use rayon::prelude::*;
use serde::Deserialize;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/vectorization",
        area: Area::Perf,
        rank: 3,
        title: "Vectorization: loops, iterators, SIMD and rayon vs memory bandwidth",
        python: "for x in xs: total += x  vs  np.sum / np.dot (or Cython) — push the loop into C",
        rust: "scalar loop vs iterator vs chunked auto-vectorization vs std::arch SIMD (runtime-detected) vs rayon; throughput against measured memory bandwidth; a PyO3 extension",
        path: "perf/src/vectorization.rs",
        source: include_str!("vectorization.rs"),
        run: demo,
    }
}

// ---- the kernels ------------------------------------------------------------

/// Independent accumulators of the chunked kernels: 16 `f32` are four SSE2
/// registers at the baseline target, enough to hide the add latency.
pub const CHUNK_LANES: usize = 16;

/// Elements per rayon task: 16 Ki `f32` = 64 KiB, large enough that a task
/// outweighs its scheduling (a few microseconds), small enough to balance
/// over the cores. A slice of one chunk or less never leaves the calling
/// thread.
pub const PAR_CHUNK: usize = 1 << 14;

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

/// Sums with the best explicit SIMD this CPU has ([`Simd::best`]), or with
/// [`sum_chunked`] when it has none.
pub fn sum_simd(xs: &[f32]) -> f32 {
    match Simd::best() {
        Some(simd) => simd.sum(xs),
        None => sum_chunked(xs),
    }
}

/// Sums [`PAR_CHUNK`]-sized chunks with [`sum_simd`] on rayon's pool, then
/// the partial sums in chunk order: the same result on any thread count.
pub fn sum_rayon(xs: &[f32]) -> f32 {
    let mut partials = Vec::new();
    xs.par_chunks(PAR_CHUNK)
        .map(sum_simd)
        .collect_into_vec(&mut partials);
    sum_simd(&partials)
}

/// Two slices of different lengths given to a dot product (NumPy raises
/// `ValueError`; `zip` would silently drop the longer slice's tail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "dot product of slices of different lengths ({left} and {right} elements): pass two slices of the same length"
)]
pub struct LengthMismatch {
    /// Length of the first slice.
    pub left: usize,
    /// Length of the second slice.
    pub right: usize,
}

fn same_len(xs: &[f32], ys: &[f32]) -> Result<(), LengthMismatch> {
    if xs.len() == ys.len() {
        Ok(())
    } else {
        Err(LengthMismatch {
            left: xs.len(),
            right: ys.len(),
        })
    }
}

/// Dot product in the order written.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_loop(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(dot_loop_unchecked(xs, ys))
}

fn dot_loop_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
    let mut total = 0.0;
    for (&x, &y) in xs.iter().zip(ys) {
        total += x * y;
    }
    total
}

/// Dot product with iterator adaptors: the strict order of [`dot_loop`].
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_iter(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(xs.iter().zip(ys).map(|(&x, &y)| x * y).sum())
}

/// Dot product with [`CHUNK_LANES`] independent accumulators. Multiply then
/// add, not `mul_add`: the baseline x86-64 target has no FMA instruction,
/// and `f32::mul_add` there is a call into the C library.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_chunked(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(dot_chunked_unchecked(xs, ys))
}

fn dot_chunked_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
    let xc = xs.chunks_exact(CHUNK_LANES);
    let yc = ys.chunks_exact(CHUNK_LANES);
    let (xt, yt) = (xc.remainder(), yc.remainder());
    let mut acc = [0.0f32; CHUNK_LANES];
    for (x, y) in xc.zip(yc) {
        for ((a, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *a += x * y;
        }
    }
    combine_lanes(acc) + dot_loop_unchecked(xt, yt)
}

/// Dot product with the best explicit SIMD (FMA) this CPU has, or with
/// [`dot_chunked`] when it has none.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_simd(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(dot_simd_unchecked(xs, ys))
}

fn dot_simd_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
    match Simd::best() {
        Some(simd) => simd.0.dot(xs, ys),
        None => dot_chunked_unchecked(xs, ys),
    }
}

/// Dot product of [`PAR_CHUNK`]-sized chunk pairs on rayon's pool, partial
/// results combined in chunk order.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_rayon(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    let mut partials = Vec::new();
    xs.par_chunks(PAR_CHUNK)
        .zip(ys.par_chunks(PAR_CHUNK))
        .map(|(x, y)| dot_simd_unchecked(x, y))
        .collect_into_vec(&mut partials);
    Ok(sum_simd(&partials))
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

// ---- explicit SIMD ----------------------------------------------------------

/// An explicit-SIMD instruction set **this CPU was checked to support**.
///
/// The only way to get one is [`Simd::detect_all`] or [`Simd::best`], which
/// ask the CPU at run time; holding a `Simd` is the proof that calling its
/// kernels is sound. On other architectures there are none and the
/// portable kernels run instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Simd(simd_impl::Checked);

impl Simd {
    /// Every explicit-SIMD instruction set this CPU supports, narrowest first.
    pub fn detect_all() -> Vec<Simd> {
        simd_impl::Checked::detect_all()
            .into_iter()
            .map(Simd)
            .collect()
    }

    /// The widest instruction set this CPU supports, if any.
    pub fn best() -> Option<Simd> {
        simd_impl::Checked::best().map(Simd)
    }

    /// Its name, after the `/proc/cpuinfo` flags (`avx2+fma`).
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// `f32` lanes per register.
    pub fn lanes(self) -> usize {
        self.0.lanes()
    }

    /// Sums `xs` with this instruction set.
    pub fn sum(self, xs: &[f32]) -> f32 {
        self.0.sum(xs)
    }

    /// Dot product with this instruction set (fused multiply-add).
    ///
    /// # Errors
    /// [`LengthMismatch`] when the slices differ in length.
    pub fn dot(self, xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
        same_len(xs, ys)?;
        Ok(self.0.dot(xs, ys))
    }
}

impl fmt::Display for Simd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
use x86 as simd_impl;

/// The x86-64 kernels: the crate's only `unsafe` code.
///
/// Two obligations, each discharged in one place. *The CPU has the
/// instructions*: the kernels are `#[target_feature]` functions, and the
/// only calls from ordinary code are in [`Checked::sum`] and
/// [`Checked::dot`], behind a `Checked` value that only detection creates.
/// *Every load stays inside the slice*: a load takes a `&[f32; 8]`, so the
/// type says there are exactly the 8 elements it reads.
///
/// Written for the workspace's minimum Rust (1.85): `unsafe fn` kernels
/// rather than safe `#[target_feature]` functions (1.86), `chunks_exact`
/// rather than `as_chunks` (1.88), and no AVX-512 (16 lanes, and masked
/// loads instead of a scalar tail), whose intrinsics are stable from 1.89.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::x86_64::{
        __m256, _mm256_add_ps, _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_setzero_ps,
        _mm256_storeu_ps,
    };

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    enum Isa {
        Avx2Fma,
    }

    /// An instruction set that `is_x86_feature_detected!` confirmed. The
    /// field is private to this module: nothing else can make one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub(super) struct Checked(Isa);

    impl Checked {
        pub(super) fn detect_all() -> Vec<Checked> {
            Self::best().into_iter().collect()
        }

        pub(super) fn best() -> Option<Checked> {
            // The detection macro caches its answer: an atomic load or two.
            let avx2_fma = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            avx2_fma.then_some(Checked(Isa::Avx2Fma))
        }

        pub(super) fn name(self) -> &'static str {
            match self.0 {
                Isa::Avx2Fma => "avx2+fma",
            }
        }

        pub(super) fn lanes(self) -> usize {
            match self.0 {
                Isa::Avx2Fma => LANES,
            }
        }

        pub(super) fn sum(self, xs: &[f32]) -> f32 {
            match self.0 {
                Isa::Avx2Fma => {
                    // SAFETY: `sum_avx2` needs avx2 and fma, and a
                    // `Checked(Avx2Fma)` exists only after
                    // `is_x86_feature_detected!` saw both on this CPU.
                    unsafe { sum_avx2(xs) }
                }
            }
        }

        /// Dot product over the common length (the caller checks lengths).
        pub(super) fn dot(self, xs: &[f32], ys: &[f32]) -> f32 {
            match self.0 {
                Isa::Avx2Fma => {
                    // SAFETY: as in `sum`: detection saw avx2 and fma.
                    unsafe { dot_avx2(xs, ys) }
                }
            }
        }
    }

    /// `f32` lanes in a 256-bit register.
    const LANES: usize = 8;
    /// Registers of accumulators: 4 × 8 independent sums keep both load
    /// ports busy despite the 3–4 cycle latency of each add.
    const UNROLL: usize = 4;

    /// The 8-element chunks of `xs` as arrays, and the fewer than 8 left.
    fn lanes8(xs: &[f32]) -> (impl Iterator<Item = &[f32; LANES]>, &[f32]) {
        let chunks = xs.chunks_exact(LANES);
        let rest = chunks.remainder();
        let arrays = chunks.map(|c| {
            <&[f32; LANES]>::try_from(c).expect("chunks_exact(8) yields 8-element chunks")
        });
        (arrays, rest)
    }

    /// Loads 8 lanes.
    ///
    /// # Safety
    /// The CPU must support AVX (implied by AVX2).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn load8(lane: &[f32; LANES]) -> __m256 {
        // SAFETY: `lane` is exactly the 8 f32 (32 bytes) `loadu` reads, and
        // `loadu` has no alignment requirement.
        unsafe { _mm256_loadu_ps(lane.as_ptr()) }
    }

    /// Adds the 8 lanes of `v` pairwise.
    ///
    /// # Safety
    /// The CPU must support AVX (implied by AVX2).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn reduce8(v: __m256) -> f32 {
        let mut lanes = [0.0f32; LANES];
        // SAFETY: `lanes` has room for exactly the 8 f32 `storeu` writes,
        // and `storeu` has no alignment requirement.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), v) };
        super::combine_lanes(lanes)
    }

    /// Sum: 4 × 8 accumulators, then 8-wide steps, then a scalar tail of
    /// fewer than 8 elements.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sum_avx2(xs: &[f32]) -> f32 {
        let blocks = xs.chunks_exact(UNROLL * LANES);
        let (singles, tail) = lanes8(blocks.remainder());
        let mut acc = [_mm256_setzero_ps(); UNROLL];
        for block in blocks {
            for (a, lane) in acc.iter_mut().zip(lanes8(block).0) {
                // SAFETY: our caller guarantees AVX2.
                *a = _mm256_add_ps(*a, unsafe { load8(lane) });
            }
        }
        let mut total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        for lane in singles {
            // SAFETY: our caller guarantees AVX2.
            total = _mm256_add_ps(total, unsafe { load8(lane) });
        }
        // SAFETY: our caller guarantees AVX2.
        unsafe { reduce8(total) + super::sum_loop(tail) }
    }

    /// Dot product over the common length of the slices: as [`sum_avx2`],
    /// with one fused multiply-add per 8 pairs.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_avx2(xs: &[f32], ys: &[f32]) -> f32 {
        let len = xs.len().min(ys.len());
        let xb = xs[..len].chunks_exact(UNROLL * LANES);
        let yb = ys[..len].chunks_exact(UNROLL * LANES);
        let (x1, xt) = lanes8(xb.remainder());
        let (y1, yt) = lanes8(yb.remainder());
        let mut acc = [_mm256_setzero_ps(); UNROLL];
        for (x, y) in xb.zip(yb) {
            for (a, (x, y)) in acc.iter_mut().zip(lanes8(x).0.zip(lanes8(y).0)) {
                // SAFETY: our caller guarantees AVX2 and FMA.
                *a = unsafe { _mm256_fmadd_ps(load8(x), load8(y), *a) };
            }
        }
        let mut total = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        for (x, y) in x1.zip(y1) {
            // SAFETY: our caller guarantees AVX2 and FMA.
            total = unsafe { _mm256_fmadd_ps(load8(x), load8(y), total) };
        }
        // SAFETY: our caller guarantees AVX2.
        unsafe { reduce8(total) + super::dot_loop_unchecked(xt, yt) }
    }
}

/// Other architectures: no explicit SIMD, the portable kernels run.
#[cfg(not(target_arch = "x86_64"))]
mod simd_impl {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub(super) enum Checked {}

    impl Checked {
        pub(super) fn detect_all() -> Vec<Checked> {
            Vec::new()
        }
        pub(super) fn best() -> Option<Checked> {
            None
        }
        pub(super) fn name(self) -> &'static str {
            match self {}
        }
        pub(super) fn lanes(self) -> usize {
            match self {}
        }
        pub(super) fn sum(self, _: &[f32]) -> f32 {
            match self {}
        }
        pub(super) fn dot(self, _: &[f32], _: &[f32]) -> f32 {
            match self {}
        }
    }
}

// ---- the kernels as data ----------------------------------------------------

/// One way to run the sum and the dot product; tests, demo and bench
/// iterate over [`Kernel::available`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// [`sum_loop`] / [`dot_loop`].
    Loop,
    /// [`sum_iter`] / [`dot_iter`].
    Iter,
    /// [`sum_chunked`] / [`dot_chunked`].
    Chunked,
    /// One explicit instruction set ([`Simd::sum`] / [`Simd::dot`]).
    Simd(Simd),
    /// [`sum_rayon`] / [`dot_rayon`].
    Rayon,
}

impl Kernel {
    /// Every kernel this CPU can run, the scalar loop first.
    pub fn available() -> Vec<Kernel> {
        let mut kernels = vec![Kernel::Loop, Kernel::Iter, Kernel::Chunked];
        kernels.extend(Simd::detect_all().into_iter().map(Kernel::Simd));
        kernels.push(Kernel::Rayon);
        kernels
    }

    /// A short name for tables and labels.
    pub fn name(self) -> String {
        match self {
            Kernel::Loop => "scalar for-loop".to_owned(),
            Kernel::Iter => "iterator .sum()".to_owned(),
            Kernel::Chunked => format!("chunked ×{CHUNK_LANES} (auto-vectorized)"),
            Kernel::Simd(simd) => format!("explicit SIMD {simd}"),
            Kernel::Rayon => "rayon + best SIMD".to_owned(),
        }
    }

    /// Sums `xs`.
    pub fn sum(self, xs: &[f32]) -> f32 {
        match self {
            Kernel::Loop => sum_loop(xs),
            Kernel::Iter => sum_iter(xs),
            Kernel::Chunked => sum_chunked(xs),
            Kernel::Simd(simd) => simd.sum(xs),
            Kernel::Rayon => sum_rayon(xs),
        }
    }

    /// Dot product of `xs` and `ys`.
    ///
    /// # Errors
    /// [`LengthMismatch`] when the slices differ in length.
    pub fn dot(self, xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
        match self {
            Kernel::Loop => dot_loop(xs, ys),
            Kernel::Iter => dot_iter(xs, ys),
            Kernel::Chunked => dot_chunked(xs, ys),
            Kernel::Simd(simd) => simd.dot(xs, ys),
            Kernel::Rayon => dot_rayon(xs, ys),
        }
    }
}

// ---- accuracy ---------------------------------------------------------------

/// The unit roundoff of `f32`: 2⁻²⁴.
const F32_UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;

/// `γ(k) = k·u / (1 − k·u)`, infinite once `k·u ≥ 1` (no useful bound).
fn gamma(k: usize) -> f64 {
    let ku = k as f64 * F32_UNIT_ROUNDOFF;
    if ku >= 1.0 {
        f64::INFINITY
    } else {
        ku / (1.0 - ku)
    }
}

/// Bound on `|computed − exact|` for an `f32` sum of `n` terms in **any**
/// order (each term passes through at most `n − 1` rounded additions),
/// given `abs_sum = Σ|xᵢ|`. Adding 0.0 to a fresh accumulator is exact, so
/// zero-initialised SIMD lanes and zeroed tail lanes add nothing to it.
pub fn sum_error_bound(n: usize, abs_sum: f64) -> f64 {
    gamma(n.saturating_sub(1)) * abs_sum
}

/// Bound on `|computed − exact|` for an `f32` dot product of length `n` in
/// any order, with or without FMA, given `abs_dot = Σ|xᵢ·yᵢ|`: one more
/// rounding per term (the product) than [`sum_error_bound`].
pub fn dot_error_bound(n: usize, abs_dot: f64) -> f64 {
    gamma(n) * abs_dot
}

/// The exact-enough sum: `f64` with Neumaier's compensation (the reference
/// the tests and the Python script check the kernels against; every `f32`
/// is exact in `f64`).
pub fn reference_sum(xs: &[f32]) -> f64 {
    neumaier(xs.iter().map(|&x| f64::from(x)))
}

/// The exact-enough dot product: `f64` products (exact for `f32` inputs)
/// summed with Neumaier's compensation.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn reference_dot(xs: &[f32], ys: &[f32]) -> Result<f64, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(neumaier(
        xs.iter()
            .zip(ys)
            .map(|(&x, &y)| f64::from(x) * f64::from(y)),
    ))
}

fn neumaier(values: impl Iterator<Item = f64>) -> f64 {
    let (mut sum, mut carry) = (0.0f64, 0.0f64);
    for v in values {
        let t = sum + v;
        carry += if sum.abs() >= v.abs() {
            (sum - t) + v
        } else {
            (v - t) + sum
        };
        sum = t;
    }
    sum + carry
}

// ---- workloads and the machine ----------------------------------------------

/// `len` deterministic values in `[-1, 1)` (xorshift32 from `seed`): the
/// data of the demo and of the bench, cheap to make even at 256 MiB.
pub fn sample_data(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // 24 random bits → [0, 2) → [-1, 1), exact in f32.
            (state >> 8) as f32 * (2.0 / (1u32 << 24) as f32) - 1.0
        })
        .collect()
}

/// A read-only pass over `xs`: the wrapping integer sum of the bit
/// patterns. Integer addition is associative, so the compiler vectorizes
/// this loop by itself; it measures how fast the data can be *read*.
pub fn read_pass(xs: &[f32]) -> u32 {
    xs.iter().fold(0u32, |acc, x| acc.wrapping_add(x.to_bits()))
}

/// Bytes a copy of `len` `f32` moves, counted as read plus write (the
/// STREAM convention). A cache that first reads the line it will overwrite
/// moves a third more; large `memcpy`s avoid that with streaming stores.
pub fn copy_bytes(len: usize) -> u64 {
    2 * 4 * len as u64
}

/// The size of the largest data cache (the last level), from Linux's
/// sysfs; `None` elsewhere or when unreadable.
pub fn last_level_cache_bytes() -> Option<u64> {
    let base = Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut best: Option<(u32, u64)> = None;
    for entry in std::fs::read_dir(base).ok()?.flatten() {
        let dir = entry.path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        if read("type").is_some_and(|t| t.trim() == "Instruction") {
            continue;
        }
        let (Some(level), Some(size)) = (
            read("level").and_then(|l| l.trim().parse::<u32>().ok()),
            read("size").and_then(|s| parse_cache_size(&s)),
        ) else {
            continue;
        };
        if best.is_none_or(|(l, _)| level > l) {
            best = Some((level, size));
        }
    }
    best.map(|(_, size)| size)
}

/// Parses sysfs cache sizes: `32768K`, `1M`, `512`.
fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, scale) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 1 << 10),
        b'M' => (&text[..text.len() - 1], 1 << 20),
        b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok().map(|n| n * scale)
}

/// `16 KiB`, `256 MiB`: sizes the way caches are sized.
fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

// ---- Python on the same kernel ----------------------------------------------

/// The extension module's folder, `perf/python` in the source tree this
/// binary was built from.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// The interpreter the demo uses for the Python comparison: the `python`
/// setting when given (`override_python`), else the
/// project's venv at `python_dir/.venv/bin/python` when it exists, else
/// `python3` on `PATH`.
pub fn locate_python(override_python: Option<OsString>, python_dir: &Path) -> PathBuf {
    if let Some(python) = override_python.filter(|p| !p.is_empty()) {
        return PathBuf::from(python);
    }
    let venv = python_dir.join(".venv").join("bin").join("python");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("python3")
}

/// The interpreter asked for by the `python` setting, if any.
fn python_override(n: &Narrator) -> Option<OsString> {
    n.settings().python.clone().map(OsString::from)
}

/// The commands that build the extension, printed when it is missing.
pub const ENABLE_PYTHON: [&str; 5] = [
    "cd perf/python",
    "python3 -m venv .venv",
    ".venv/bin/pip install maturin numpy",
    "VIRTUAL_ENV=\"$PWD/.venv\" .venv/bin/maturin develop --release",
    "cd ../.. && cargo run --release -- run perf/vectorization",
];

/// Why the Python comparison cannot run, or `Ok` when the interpreter
/// imports numpy and the built extension.
fn probe_python(python: &Path, script: &Path) -> Result<(), String> {
    if !script.exists() {
        return Err(format!(
            "the script {} is not there (this binary was built from another source tree)",
            script.display()
        ));
    }
    let out = Command::new(python)
        .args(["-c", "import numpy, mastery_kernels"])
        .output()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or("no error message").trim();
    Err(format!("{} cannot import them: {last}", python.display()))
}

/// One method's figures in the script's JSON.
#[derive(Debug, Clone, Deserialize)]
struct PyTiming {
    ns_per_element: f64,
    value: f64,
}

/// One operation (sum or dot) in the script's JSON.
#[derive(Debug, Clone, Deserialize)]
struct PyOperation {
    python_loop: PyTiming,
    numpy: PyTiming,
    rust_loop: PyTiming,
    rust_simd: PyTiming,
    exact: f64,
    bound: f64,
}

/// What `bench_kernels.py` prints.
#[derive(Debug, Clone, Deserialize)]
struct PyReport {
    n: usize,
    python_version: String,
    numpy_version: String,
    simd: String,
    sum: PyOperation,
    dot: PyOperation,
}

fn run_python_bench(
    python: &Path,
    script: &Path,
    n: usize,
    repeats: usize,
) -> anyhow::Result<PyReport> {
    let out = Command::new(python)
        .arg(script)
        .args(["--n", &n.to_string(), "--repeats", &repeats.to_string()])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", python.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "{} {} failed ({}): {}",
        python.display(),
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    parse_python_report(&String::from_utf8_lossy(&out.stdout))
}

fn parse_python_report(stdout: &str) -> anyhow::Result<PyReport> {
    serde_json::from_str(stdout.trim()).map_err(|e| {
        anyhow::anyhow!(
            "bench_kernels.py printed something that is not its JSON report ({e}): {stdout:.200}"
        )
    })
}

// ---- the demo ---------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let mode = n.mode();
    let kernels = Kernel::available();
    let llc = last_level_cache_bytes();
    let big_bytes = out_of_cache_bytes(mode, llc);
    intro(n, &kernels, llc, big_bytes);

    let in_cache_sizes: &[u64] = match mode {
        Mode::Quick => &[16 << 10],
        Mode::Full => &[16 << 10, 256 << 10],
    };
    for &bytes in in_cache_sizes {
        let xs = sample_data((bytes / 4) as usize, 7);
        in_cache(n, Input::Sum(&xs), &kernels)?;
        in_cache(n, Input::dot_of_halves(&xs), &kernels)?;
    }
    n.say(
        "In cache the core is the limit. The strict-order loop and the iterator wait for one \
         dependent add per element (the dot product moves twice the bytes per add, hence \
         twice the MB/s); the chunked kernel hides that latency with 16 accumulators in SSE2 \
         registers; explicit AVX2 doubles the register width and adds FMA. Rayon keeps a \
         slice of one 64 KiB chunk on the calling thread; a longer one wakes the pool, which \
         costs microseconds that an in-cache input does not repay.",
    );

    let big = sample_data((big_bytes / 4) as usize, 0x5eed);
    out_of_cache(n, &big, &kernels)?;
    drop(big);
    n.say(
        "Out of cache every vector kernel converges on the memory's speed: the wall is DRAM, \
         not the instructions, and rayon's extra cores can only add the bandwidth one core \
         left unused. The scalar loop is still latency-bound and leaves most of the \
         bandwidth idle.",
    );

    accuracy(n, &kernels)?;
    python_comparison(n)
}

/// Full: 256 MiB, or 4× the last-level cache if that is larger. Quick:
/// 64 MiB, or 2× the last-level cache: still out of cache, less to wait.
fn out_of_cache_bytes(mode: Mode, llc: Option<u64>) -> u64 {
    let (floor, factor) = mode.pick((64 << 20, 2), (256 << 20, 4));
    llc.map_or(floor, |c| (c * factor).next_power_of_two().max(floor))
}

fn intro(n: &mut Narrator, kernels: &[Kernel], llc: Option<u64>, big_bytes: u64) {
    n.section("The machine and the kernels");
    let simd: Vec<String> = Simd::detect_all().iter().map(|s| s.to_string()).collect();
    n.say(&format!(
        "Explicit SIMD this CPU supports (runtime detection): {}. {} Last-level cache: {}. \
         In-cache sizes fit L1/L2; the out-of-cache buffer is {}.",
        if simd.is_empty() {
            "none — the portable chunked kernel stands in".to_owned()
        } else {
            simd.join(", ")
        },
        if cfg!(target_feature = "avx2") {
            "This binary was built with AVX2 enabled (-C target-cpu), so the compiler may use \
             it everywhere, the chunked kernel included."
        } else {
            "The binary itself targets the baseline instruction set (SSE2 on x86-64), so only \
             the dispatched kernels use wider registers."
        },
        llc.map_or("unknown".to_owned(), human_bytes),
        human_bytes(big_bytes),
    ));
    n.say(&format!(
        "Kernels: {}. All sum f32 (NumPy's float32): 8 lanes per AVX2 register, and the \
         order of the additions visibly changes the rounding.",
        kernels
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

/// Median seconds of one call of `call(c)` for each contender `c`, the
/// samples interleaved round-robin so machine noise hits all of them alike.
/// The caller has already run each contender once (a warm-up: pages
/// touched, code hot). Sample counts are the narrator's per mode; the CLI's
/// `--samples` does not reach here, as the narrator does not expose it.
fn timed_round_robin<C: Copy>(
    mode: Mode,
    contenders: &[C],
    mut call: impl FnMut(C) -> f32,
) -> Vec<f64> {
    let samples = mode.pick(QUICK_SAMPLES, DEFAULT_SAMPLES);
    let count = contenders.len();
    let mut times = vec![Vec::with_capacity(samples); count];
    for s in 0..samples {
        for i in 0..count {
            let k = (i + s) % count;
            let start = Instant::now();
            black_box(call(contenders[k]));
            times[k].push(start.elapsed().as_secs_f64());
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort_unstable_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

fn mbps(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / seconds.max(1e-12) / 1e6
}

/// One timed pass in the out-of-cache round-robin.
#[derive(Debug, Clone, Copy)]
enum Pass<'a> {
    /// `copy_from_slice` of the big buffer: the bandwidth reference.
    Copy,
    /// [`read_pass`] over the big buffer.
    Read,
    /// A kernel on an input.
    Kernel(Input<'a>, Kernel),
}

/// Out of cache: the copy, the read pass and every kernel on the sum and
/// the dot product, all timed in **one** round-robin, so the "% of copy
/// bandwidth" ratios compare samples taken side by side.
fn out_of_cache(n: &mut Narrator, big: &[f32], kernels: &[Kernel]) -> anyhow::Result<()> {
    let size = human_bytes(4 * big.len() as u64);
    n.section(&format!(
        "Out of cache: memory bandwidth and the kernels on {size}"
    ));
    let inputs = [Input::Sum(big), Input::dot_of_halves(big)];
    let mut passes = vec![Pass::Copy, Pass::Read];
    for input in inputs {
        check_kernels(input, kernels)?; // also the kernels' warm-up
        passes.extend(kernels.iter().map(|&k| Pass::Kernel(input, k)));
    }
    let mut dst = vec![0.0f32; big.len()];
    let mut run = |pass: Pass<'_>| match pass {
        Pass::Copy => {
            dst.copy_from_slice(black_box(big));
            dst[dst.len() / 2]
        }
        Pass::Read => read_pass(black_box(big)) as f32,
        Pass::Kernel(input, kernel) => input.run(kernel).unwrap_or(f32::NAN),
    };
    black_box((run(Pass::Copy), run(Pass::Read))); // warm-up; maps `dst`
    let seconds = timed_round_robin(n.mode(), &passes, run);

    let copy_mbps = mbps(copy_bytes(big.len()), seconds[0]);
    n.record(
        &format!("copy {size} (copy_from_slice), read + write counted"),
        copy_mbps,
        Unit::MegabytesPerSec,
    );
    n.record(
        &format!("read-only pass over {size} (integer sum of the bits)"),
        mbps(4 * big.len() as u64, seconds[1]),
        Unit::MegabytesPerSec,
    );
    n.say(
        "The copy is the reference for the figures below: a kernel at 100% streams its input \
         as fast as this machine copies memory (bytes read plus bytes written).",
    );
    for (input, times) in inputs.iter().zip(seconds[2..].chunks(kernels.len())) {
        n.section(&format!("{} of {size} of f32, out of cache", input.name()));
        let speeds: Vec<f64> = times.iter().map(|&s| mbps(input.bytes(), s)).collect();
        compare_with_scalar(n, *input, kernels, &speeds);
        for (kernel, &speed) in kernels.iter().zip(&speeds) {
            n.record(
                &format!(
                    "{} {size}: {} as % of copy bandwidth",
                    input.name(),
                    kernel.name()
                ),
                100.0 * speed / copy_mbps,
                Unit::Percent,
            );
        }
    }
    Ok(())
}

/// What a race runs: the sum of a slice, or a dot product.
#[derive(Debug, Clone, Copy)]
enum Input<'a> {
    Sum(&'a [f32]),
    Dot(&'a [f32], &'a [f32]),
}

impl<'a> Input<'a> {
    /// The dot product of the two halves of `data` (the same bytes a sum
    /// of `data` reads).
    fn dot_of_halves(data: &'a [f32]) -> Self {
        let half = data.len() / 2;
        Input::Dot(&data[..half], &data[half..2 * half])
    }

    fn name(self) -> &'static str {
        match self {
            Input::Sum(_) => "sum",
            Input::Dot(..) => "dot",
        }
    }

    fn bytes(self) -> u64 {
        match self {
            Input::Sum(xs) => 4 * xs.len() as u64,
            Input::Dot(xs, ys) => 4 * (xs.len() + ys.len()) as u64,
        }
    }

    fn run(self, kernel: Kernel) -> Result<f32, LengthMismatch> {
        match self {
            Input::Sum(xs) => Ok(kernel.sum(black_box(xs))),
            Input::Dot(xs, ys) => kernel.dot(black_box(xs), black_box(ys)),
        }
    }

    /// The reference result and the error bound every kernel must meet.
    fn exact_and_bound(self) -> Result<(f64, f64), LengthMismatch> {
        let abs = |x: &f32| f64::from(x.abs());
        Ok(match self {
            Input::Sum(xs) => (
                reference_sum(xs),
                sum_error_bound(xs.len(), xs.iter().map(abs).sum()),
            ),
            Input::Dot(xs, ys) => (
                reference_dot(xs, ys)?,
                dot_error_bound(
                    xs.len(),
                    xs.iter().zip(ys).map(|(x, y)| abs(x) * abs(y)).sum(),
                ),
            ),
        })
    }
}

/// Every kernel's result on `input` within the derived bound of the
/// reference; running them is also their warm-up before timing.
fn check_kernels(input: Input<'_>, kernels: &[Kernel]) -> anyhow::Result<()> {
    let (exact, bound) = input.exact_and_bound()?;
    for &kernel in kernels {
        let got = f64::from(input.run(kernel)?);
        anyhow::ensure!(
            (got - exact).abs() <= bound,
            "{} gave {got} for the {} of {} f32; the reference is {exact}, and the \
             difference exceeds the bound {bound}",
            kernel.name(),
            input.name(),
            input.bytes() / 4
        );
    }
    Ok(())
}

/// Compares every kernel's MB/s (`speeds`, in `kernels` order) with the
/// scalar loop's.
fn compare_with_scalar(n: &mut Narrator, input: Input<'_>, kernels: &[Kernel], speeds: &[f64]) {
    let size = human_bytes(input.bytes());
    let scalar = kernels
        .iter()
        .position(|&k| k == Kernel::Loop)
        .map_or(f64::NAN, |i| speeds[i]);
    for (kernel, &speed) in kernels.iter().zip(speeds) {
        if *kernel == Kernel::Loop {
            continue;
        }
        n.compare(
            &format!(
                "{} {size}: {} vs scalar for-loop",
                input.name(),
                kernel.name()
            ),
            speed,
            scalar,
            "scalar for-loop",
            Unit::MegabytesPerSec,
        );
    }
}

/// In cache: checks every kernel on `input`, times them (many passes per
/// timed call, so the clock can resolve it) and compares each with the
/// scalar loop.
fn in_cache(n: &mut Narrator, input: Input<'_>, kernels: &[Kernel]) -> anyhow::Result<()> {
    let bytes = input.bytes();
    n.section(&format!(
        "{} of {} of f32, in cache",
        input.name(),
        human_bytes(bytes)
    ));
    check_kernels(input, kernels)?;
    let reps = (8u64 << 20).div_ceil(bytes).max(1);
    let seconds = timed_round_robin(n.mode(), kernels, |kernel| {
        let mut last = 0.0;
        for _ in 0..reps {
            last = input.run(kernel).unwrap_or(f32::NAN);
        }
        last
    });
    let speeds: Vec<f64> = seconds.iter().map(|&s| mbps(bytes * reps, s)).collect();
    compare_with_scalar(n, input, kernels, &speeds);
    Ok(())
}

/// 10⁶ × 0.1f32: the classic case where the strict order drifts.
fn accuracy(n: &mut Narrator, kernels: &[Kernel]) -> anyhow::Result<()> {
    n.section("Accuracy: a million times 0.1f32");
    let xs = vec![0.1f32; 1_000_000];
    let exact = reference_sum(&xs);
    let bound = sum_error_bound(xs.len(), exact.abs());
    n.say(&format!(
        "Exact sum of the f32 value nearest 0.1, a million times: {exact:.6}. Any order is \
         guaranteed within ±{bound:.1} (γ(n−1)·Σ|x|); the orders differ a lot inside that bound:"
    ));
    for &kernel in kernels {
        let got = kernel.sum(&xs);
        let error = (f64::from(got) - exact).abs();
        anyhow::ensure!(error <= bound, "{} broke the bound", kernel.name());
        n.record(
            &format!("{}: relative error, % of the exact sum", kernel.name()),
            100.0 * error / exact,
            Unit::Percent,
        );
    }
    n.say(
        "The for-loop's one accumulator grows to 100 000, where an f32 step is 1/128 and \
         every added 0.1 rounds the same way; many accumulators each stay small, so each \
         addition rounds less. Faster and more accurate — but not bit-identical to Python's \
         left-to-right sum().",
    );
    Ok(())
}

fn python_comparison(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Python on the same kernel: pure-Python loop vs NumPy vs the Rust extension");
    let dir = python_dir();
    let script = dir.join("bench_kernels.py");
    let python = locate_python(python_override(n), &dir);
    let required = n.settings().require_python;
    if let Err(why) = probe_python(&python, &script) {
        n.say(&format!(
            "Skipped: this comparison needs Python with numpy and the `mastery_kernels` \
             extension built from perf/python; {why}. To enable it, from the repository root:"
        ));
        for line in ENABLE_PYTHON {
            n.show(line);
        }
        anyhow::ensure!(
            !required,
            "require_python is set but the Python comparison cannot run: {why}"
        );
        return Ok(());
    }
    let (elements, repeats) = n.mode().pick((100_000, 3), (1_000_000, 5));
    let report = run_python_bench(&python, &script, elements, repeats)?;
    let count = format_value(report.n as f64);
    n.say(&format!(
        "{count} float32 values, Python {}, NumPy {}, extension kernel: {}; the script \
         checked every result against math.fsum within the same bound as the Rust tests.",
        report.python_version, report.numpy_version, report.simd
    ));
    for (name, op) in [("sum", &report.sum), ("dot", &report.dot)] {
        for t in [&op.python_loop, &op.numpy, &op.rust_loop, &op.rust_simd] {
            anyhow::ensure!(
                (t.value - op.exact).abs() <= op.bound,
                "the Python report's {name} {} is off the exact {} by more than {}",
                t.value,
                op.exact,
                op.bound
            );
        }
        let label = |what: &str| format!("Python {name} of {count} f32: {what}");
        n.compare(
            &label("Rust extension (SIMD) vs pure-Python loop"),
            op.rust_simd.ns_per_element,
            op.python_loop.ns_per_element,
            "pure-Python for loop",
            Unit::NsPerOp,
        );
        n.compare(
            &label("Rust extension (SIMD) vs NumPy"),
            op.rust_simd.ns_per_element,
            op.numpy.ns_per_element,
            if name == "sum" {
                "numpy a.sum()"
            } else {
                "numpy a @ b"
            },
            Unit::NsPerOp,
        );
        n.compare(
            &label("Rust extension, scalar loop vs pure-Python loop"),
            op.rust_loop.ns_per_element,
            op.python_loop.ns_per_element,
            "pure-Python for loop",
            Unit::NsPerOp,
        );
    }
    n.say(
        "Figures are ns per element, each call from Python included. The Python loop pays the \
         interpreter per element; NumPy and the extension pay it once per call and then run \
         compiled SIMD loops, so they land close together — the extension earns its keep on \
         kernels NumPy has no single function for.",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Lengths around every vector width and unroll boundary.
    const LENGTHS: [usize; 24] = [
        0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025,
        4099, 70_001,
    ];

    fn abs_sum(xs: &[f32]) -> f64 {
        xs.iter().map(|x| f64::from(x.abs())).sum()
    }

    fn abs_dot(xs: &[f32], ys: &[f32]) -> f64 {
        xs.iter()
            .zip(ys)
            .map(|(x, y)| f64::from(x.abs()) * f64::from(y.abs()))
            .sum()
    }

    /// The reference's own error is far below this; it keeps the check
    /// meaningful for sums that cancel to (almost) zero.
    fn slack(abs: f64) -> f64 {
        4.0 * f64::EPSILON * abs
    }

    fn check_sum(kernel: Kernel, xs: &[f32]) -> Result<(), String> {
        let got = f64::from(kernel.sum(xs));
        let exact = reference_sum(xs);
        let bound = sum_error_bound(xs.len(), abs_sum(xs)) + slack(abs_sum(xs));
        if (got - exact).abs() <= bound {
            Ok(())
        } else {
            Err(format!(
                "{} on {} elements: {got} vs exact {exact}, bound {bound}",
                kernel.name(),
                xs.len()
            ))
        }
    }

    fn check_dot(kernel: Kernel, xs: &[f32], ys: &[f32]) -> Result<(), String> {
        let got = f64::from(kernel.dot(xs, ys).map_err(|e| e.to_string())?);
        let exact = reference_dot(xs, ys).map_err(|e| e.to_string())?;
        let abs = abs_dot(xs, ys);
        let bound = dot_error_bound(xs.len(), abs) + slack(abs);
        if (got - exact).abs() <= bound {
            Ok(())
        } else {
            Err(format!(
                "{} dot on {} elements: {got} vs exact {exact}, bound {bound}",
                kernel.name(),
                xs.len()
            ))
        }
    }

    #[test]
    fn every_kernel_on_every_length_and_misaligned_start() {
        let data = sample_data(70_001 + 8, 11);
        let other = sample_data(70_001 + 8, 12);
        let mut failures = Vec::new();
        for kernel in Kernel::available() {
            for len in LENGTHS {
                for offset in 0..8 {
                    let xs = &data[offset..offset + len];
                    let ys = &other[7 - offset..7 - offset + len];
                    failures.extend(check_sum(kernel, xs).err());
                    failures.extend(check_dot(kernel, xs, ys).err());
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Small integers sum exactly in f32 in any order, so every kernel must
    /// give the *same* number: a lost or doubled tail element shows up
    /// exactly, not hidden inside a tolerance.
    #[test]
    fn exact_inputs_give_identical_results_on_every_path() {
        let ints: Vec<f32> = (0..5000).map(|i| ((i * 37) % 19) as f32 - 9.0).collect();
        let others: Vec<f32> = (0..5000).map(|i| ((i * 11) % 7) as f32 - 3.0).collect();
        for kernel in Kernel::available() {
            for len in LENGTHS.into_iter().filter(|&l| l + 8 <= ints.len()) {
                for offset in 0..8 {
                    let xs = &ints[offset..offset + len];
                    let ys = &others[offset..offset + len];
                    let want: f64 = xs.iter().map(|&x| f64::from(x)).sum();
                    assert_eq!(
                        f64::from(kernel.sum(xs)),
                        want,
                        "{} sum, len {len}, offset {offset}",
                        kernel.name()
                    );
                    let want: f64 = xs
                        .iter()
                        .zip(ys)
                        .map(|(&x, &y)| f64::from(x) * f64::from(y))
                        .sum();
                    assert_eq!(
                        kernel.dot(xs, ys).map(f64::from),
                        Ok(want),
                        "{} dot, len {len}, offset {offset}",
                        kernel.name()
                    );
                }
            }
        }
    }

    #[test]
    fn every_simd_path_the_cpu_has_is_tested_and_named() {
        let all = Simd::detect_all();
        let available = Kernel::available();
        for simd in &all {
            assert!(available.contains(&Kernel::Simd(*simd)));
            assert_eq!(simd.lanes(), 8, "{simd}");
        }
        assert_eq!(Simd::best(), all.last().copied(), "best is the widest");
        #[cfg(target_arch = "x86_64")]
        {
            let want_avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            assert_eq!(all.iter().any(|s| s.name() == "avx2+fma"), want_avx2);
        }
        if all.is_empty() {
            // The portable fallback is then what `sum_simd` runs.
            let xs = sample_data(1000, 3);
            assert_eq!(sum_simd(&xs).to_bits(), sum_chunked(&xs).to_bits());
        }
    }

    #[test]
    fn dot_rejects_different_lengths_in_every_kernel() {
        let (a, b) = ([1.0f32; 5], [1.0f32; 4]);
        for kernel in Kernel::available() {
            assert_eq!(
                kernel.dot(&a, &b),
                Err(LengthMismatch { left: 5, right: 4 }),
                "{}",
                kernel.name()
            );
        }
        let message = LengthMismatch { left: 5, right: 4 }.to_string();
        assert!(message.contains("5 and 4") && message.contains("same length"));
    }

    #[test]
    fn rayon_result_does_not_depend_on_the_thread_count() {
        let xs = sample_data(3 * PAR_CHUNK + 123, 5);
        let ys = sample_data(3 * PAR_CHUNK + 123, 6);
        let results: Vec<(u32, Option<u32>)> = [1, 2, 3]
            .iter()
            .map(|&threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("a small pool builds");
                pool.install(|| {
                    (
                        sum_rayon(&xs).to_bits(),
                        dot_rayon(&xs, &ys).ok().map(f32::to_bits),
                    )
                })
            })
            .collect();
        assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:?}");
    }

    #[test]
    fn the_strict_loop_and_the_iterator_add_in_the_same_order() {
        let xs = sample_data(10_000, 9);
        assert_eq!(sum_loop(&xs).to_bits(), sum_iter(&xs).to_bits());
    }

    #[test]
    fn many_accumulators_are_more_accurate_on_the_classic_case() {
        let xs = vec![0.1f32; 1_000_000];
        let exact = reference_sum(&xs);
        let loop_error = (f64::from(sum_loop(&xs)) - exact).abs();
        let chunked_error = (f64::from(sum_chunked(&xs)) - exact).abs();
        let simd_error = (f64::from(sum_simd(&xs)) - exact).abs();
        assert!(
            loop_error > 10.0 * chunked_error,
            "{loop_error} vs {chunked_error}"
        );
        assert!(
            loop_error > 10.0 * simd_error,
            "{loop_error} vs {simd_error}"
        );
        assert!(loop_error <= sum_error_bound(xs.len(), exact));
    }

    #[test]
    fn error_bounds_follow_the_formula() {
        let u = 2f64.powi(-24);
        assert_eq!(sum_error_bound(0, 5.0), 0.0);
        assert_eq!(sum_error_bound(1, 5.0), 0.0, "one term: no addition");
        let want = 9.0 * u / (1.0 - 9.0 * u) * 2.0;
        assert!((sum_error_bound(10, 2.0) - want).abs() < 1e-20);
        assert!((dot_error_bound(9, 2.0) - want).abs() < 1e-20);
        assert_eq!(sum_error_bound(1 << 25, 1.0), f64::INFINITY);
    }

    #[test]
    fn combine_lanes_adds_every_lane() {
        assert_eq!(combine_lanes([1.0f32, 2.0, 3.0]), 6.0);
        assert_eq!(combine_lanes([1.0f32; 16]), 16.0);
        assert_eq!(combine_lanes::<0>([]), 0.0);
    }

    #[test]
    fn sample_data_is_deterministic_and_in_range() {
        let a = sample_data(10_000, 1);
        assert_eq!(a, sample_data(10_000, 1));
        assert_ne!(a, sample_data(10_000, 2));
        assert!(a.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = reference_sum(&a) / a.len() as f64;
        assert!(mean.abs() < 0.05, "roughly centred: {mean}");
    }

    #[test]
    fn read_pass_and_copy_accounting() {
        let xs = [1.0f32, 2.0];
        assert_eq!(
            read_pass(&xs),
            1.0f32.to_bits().wrapping_add(2.0f32.to_bits())
        );
        assert_eq!(copy_bytes(1024), 8192, "read 4 KiB + write 4 KiB");
    }

    #[test]
    fn cache_sizes_parse_and_sizes_print() {
        assert_eq!(parse_cache_size("32768K\n"), Some(32 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("K"), None);
        assert_eq!(human_bytes(16 << 10), "16 KiB");
        assert_eq!(human_bytes(256 << 20), "256 MiB");
        assert_eq!(human_bytes(1 << 30), "1 GiB");
        assert_eq!(out_of_cache_bytes(Mode::Quick, None), 64 << 20);
        assert_eq!(out_of_cache_bytes(Mode::Full, Some(32 << 20)), 256 << 20);
        assert_eq!(out_of_cache_bytes(Mode::Full, Some(96 << 20)), 512 << 20);
    }

    #[test]
    fn python_is_found_by_override_then_venv_then_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(locate_python(None, dir.path()), PathBuf::from("python3"));
        let venv_python = dir.path().join(".venv/bin/python");
        std::fs::create_dir_all(venv_python.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&venv_python, "").expect("touch");
        assert_eq!(locate_python(None, dir.path()), venv_python);
        assert_eq!(
            locate_python(Some("/opt/py/bin/python".into()), dir.path()),
            PathBuf::from("/opt/py/bin/python")
        );
        assert_eq!(locate_python(Some("".into()), dir.path()), venv_python);
    }

    #[test]
    fn python_settings_come_from_the_narrator() {
        let n = Narrator::silent("t", Mode::Quick);
        assert_eq!(python_override(&n), None);
        let n = n.with_settings(mastery_kit::Settings {
            python: Some("/opt/py/bin/python3".into()),
            ..mastery_kit::Settings::default()
        });
        assert_eq!(python_override(&n), Some("/opt/py/bin/python3".into()));
    }

    #[test]
    fn a_missing_python_or_script_is_explained() {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = dir.path().join("bench_kernels.py");
        let why = probe_python(Path::new("python3"), &script).expect_err("no script");
        assert!(why.contains("bench_kernels.py"), "{why}");
        std::fs::write(&script, "").expect("touch");
        let why =
            probe_python(&dir.path().join("no-such-python"), &script).expect_err("no interpreter");
        assert!(why.contains("cannot start"), "{why}");
        assert!(
            ENABLE_PYTHON
                .iter()
                .any(|l| l.contains("maturin develop --release"))
        );
    }

    #[test]
    fn the_script_lives_where_the_demo_looks() {
        assert!(python_dir().join("bench_kernels.py").exists());
        assert!(python_dir().join("pyproject.toml").exists());
    }

    #[test]
    fn the_python_report_parses() {
        let timing = r#"{"ns_per_element": 1.5, "value": 2.0}"#;
        let op = format!(
            r#"{{"python_loop": {timing}, "numpy": {timing}, "rust_loop": {timing}, "rust_simd": {timing}, "exact": 2.0, "bound": 0.1}}"#
        );
        let json = format!(
            r#"{{"n": 10, "repeats": 3, "python_version": "3.11.7", "numpy_version": "2.4.6", "simd": "avx2+fma", "sum": {op}, "dot": {op}}}"#
        );
        let report = parse_python_report(&json).expect("parses");
        assert_eq!(report.n, 10);
        assert_eq!(report.dot.rust_simd.ns_per_element, 1.5);
        let err = parse_python_report("Traceback ...").expect_err("not JSON");
        assert!(err.to_string().contains("not its JSON report"));
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("perf/vectorization", Mode::Quick);
        demo(&mut n).expect("demo succeeds");
        let labels: Vec<&str> = n.comparisons().iter().map(|c| c.label.as_str()).collect();
        assert!(
            labels.iter().any(|l| l.starts_with("sum 16 KiB: chunked")),
            "{labels:?}"
        );
        assert!(
            n.measurements()
                .iter()
                .any(|m| m.label.starts_with("copy ") && m.value > 0.0)
        );
        assert!(
            n.comparisons()
                .iter()
                .all(|c| c.speedup.is_finite() && c.speedup > 0.0)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Random data, lengths and misaligned starts: every kernel within
        /// the derived bound of the compensated reference.
        #[test]
        fn kernels_agree_with_the_reference(
            data in proptest::collection::vec(-1.0e4f32..1.0e4, 0..3000),
            other in proptest::collection::vec(-1.0e3f32..1.0e3, 3000),
            offset in 0usize..8,
        ) {
            let xs = &data[offset.min(data.len())..];
            let ys = &other[..xs.len()];
            for kernel in Kernel::available() {
                prop_assert_eq!(check_sum(kernel, xs), Ok(()));
                prop_assert_eq!(check_dot(kernel, xs, ys), Ok(()));
            }
        }
    }
}
