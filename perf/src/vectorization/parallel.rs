//! The SIMD kernels on every core with rayon: fixed chunks, partial results
//! combined in chunk order, so the result does not depend on the number of
//! threads.

use rayon::prelude::*;

use super::dot::{LengthMismatch, same_len};
use super::simd::{dot_simd_unchecked, sum_simd};

/// Elements per rayon task: 16 Ki `f32` = 64 KiB, large enough that a task
/// outweighs its scheduling (a few microseconds), small enough to balance
/// over the cores. A slice of one chunk or less never leaves the calling
/// thread.
pub const PAR_CHUNK: usize = 1 << 14;

// ANCHOR: sum_rayon
/// Sums [`PAR_CHUNK`]-sized chunks with [`sum_simd`] on rayon's pool, then
/// the partial sums in chunk order: the same result on any thread count.
pub fn sum_rayon(xs: &[f32]) -> f32 {
    let mut partials = Vec::new();
    xs.par_chunks(PAR_CHUNK)
        .map(sum_simd)
        .collect_into_vec(&mut partials);
    sum_simd(&partials)
}
// ANCHOR_END: sum_rayon

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
