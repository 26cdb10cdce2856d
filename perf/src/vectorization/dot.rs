//! The dot product, in the sum's first three steps: the order written, the
//! iterator, independent accumulators. The fourth, explicit SIMD with FMA
//! ([`dot_simd`](super::dot_simd)), sits with the kernels in `simd.rs`.

use super::{CHUNK_LANES, combine_lanes};

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

pub(super) fn same_len(xs: &[f32], ys: &[f32]) -> Result<(), LengthMismatch> {
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

pub(super) fn dot_loop_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
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

pub(super) fn dot_chunked_unchecked(xs: &[f32], ys: &[f32]) -> f32 {
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
