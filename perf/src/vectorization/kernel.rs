//! The kernels as data: tests, demo and bench iterate over
//! [`Kernel::available`].

use super::dot::{LengthMismatch, dot_chunked, dot_iter, dot_loop};
use super::parallel::{dot_rayon, sum_rayon};
use super::simd::Simd;
use super::{CHUNK_LANES, sum_chunked, sum_iter, sum_loop};

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
