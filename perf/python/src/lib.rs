//! `mastery_kernels` — the `perf/vectorization` kernels as a Python module.
//!
//! Each function borrows a NumPy `float32` array without copying it
//! (`PyReadonlyArray1` also stops Python code from writing to it meanwhile),
//! then releases the GIL with `Python::detach` for the duration of the
//! kernel, so other Python threads keep running. The kernels are
//! `mastery_perf::vectorization`'s own functions, not a copy.

use mastery_perf::vectorization as kernels;
use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The array's data as a slice, or a `ValueError` saying how to get one.
fn as_slice<'a>(name: &str, array: &'a PyReadonlyArray1<'_, f32>) -> PyResult<&'a [f32]> {
    array.as_slice().map_err(|_| {
        PyValueError::new_err(format!(
            "{name} must be a contiguous float32 array; pass np.ascontiguousarray({name}, dtype=np.float32)"
        ))
    })
}

fn length_error(e: kernels::LengthMismatch) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The extension module.
#[pymodule]
mod mastery_kernels {
    use super::*;

    // ANCHOR: sum_f32
    /// Sum of a float32 array with the best SIMD this CPU has (the order of
    /// the additions differs from Python's `sum`; see the topic's bound).
    #[pyfunction]
    fn sum_f32(py: Python<'_>, a: PyReadonlyArray1<'_, f32>) -> PyResult<f32> {
        let xs = as_slice("a", &a)?;
        Ok(py.detach(|| kernels::sum_simd(xs)))
    }
    // ANCHOR_END: sum_f32

    /// Sum in strict left-to-right order: compiled, but one add at a time.
    #[pyfunction]
    fn sum_f32_loop(py: Python<'_>, a: PyReadonlyArray1<'_, f32>) -> PyResult<f32> {
        let xs = as_slice("a", &a)?;
        Ok(py.detach(|| kernels::sum_loop(xs)))
    }

    /// Dot product of two float32 arrays of the same length (SIMD with FMA).
    #[pyfunction]
    fn dot_f32(
        py: Python<'_>,
        a: PyReadonlyArray1<'_, f32>,
        b: PyReadonlyArray1<'_, f32>,
    ) -> PyResult<f32> {
        let (xs, ys) = (as_slice("a", &a)?, as_slice("b", &b)?);
        py.detach(|| kernels::dot_simd(xs, ys))
            .map_err(length_error)
    }

    /// Dot product in strict left-to-right order.
    #[pyfunction]
    fn dot_f32_loop(
        py: Python<'_>,
        a: PyReadonlyArray1<'_, f32>,
        b: PyReadonlyArray1<'_, f32>,
    ) -> PyResult<f32> {
        let (xs, ys) = (as_slice("a", &a)?, as_slice("b", &b)?);
        py.detach(|| kernels::dot_loop(xs, ys))
            .map_err(length_error)
    }

    /// The explicit SIMD the kernels use on this CPU (`avx512f`,
    /// `avx2+fma`), or `portable` when the chunked kernel stands in.
    #[pyfunction]
    fn simd_level() -> &'static str {
        kernels::Simd::best().map_or("portable", kernels::Simd::name)
    }
}
