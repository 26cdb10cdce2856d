//! Explicit SIMD with `std::arch`, chosen at run time: the crate's only
//! `unsafe` code, behind a value that only CPU feature detection creates.
//! [`sum_simd`] and [`dot_simd`], the last step of the sum and of the dot
//! product, use the best of it this CPU has.

use std::fmt;

use super::dot::{LengthMismatch, dot_chunked_unchecked, same_len};
use super::sum_chunked;
#[cfg(target_arch = "x86_64")]
use super::{combine_lanes, dot::dot_loop_unchecked, sum_loop};

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

    /// Dot product over the common length, for callers that checked the
    /// lengths already.
    pub(super) fn dot_unchecked(self, xs: &[f32], ys: &[f32]) -> f32 {
        self.0.dot(xs, ys)
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

// ANCHOR: sum_simd
/// Sums with the best explicit SIMD this CPU has ([`Simd::best`]), or with
/// [`sum_chunked`] when it has none.
pub fn sum_simd(xs: &[f32]) -> f32 {
    match Simd::best() {
        Some(simd) => simd.sum(xs),
        None => sum_chunked(xs),
    }
}
// ANCHOR_END: sum_simd

/// Dot product with the best explicit SIMD (FMA) this CPU has, or with
/// [`dot_chunked`](super::dot_chunked) when it has none.
///
/// # Errors
/// [`LengthMismatch`] when the slices differ in length.
pub fn dot_simd(xs: &[f32], ys: &[f32]) -> Result<f32, LengthMismatch> {
    same_len(xs, ys)?;
    Ok(dot_simd_unchecked(xs, ys))
}

pub(super) fn dot_simd_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
    match Simd::best() {
        Some(simd) => simd.dot_unchecked(xs, ys),
        None => dot_chunked_unchecked(xs, ys),
    }
}
