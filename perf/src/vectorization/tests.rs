//! Every kernel and every SIMD path against the compensated reference,
//! on odd lengths and misaligned starts, plus the helpers around them.

use std::path::{Path, PathBuf};

use mastery_kit::{Mode, Narrator};
use proptest::prelude::*;

use super::demo::{demo, out_of_cache_bytes};
use super::machine::{human_bytes, parse_cache_size};
use super::python_bench::{
    LoopServer, PythonSide, parse_python_report, probe_python, python_override,
};
use super::*;

/// Lengths around every vector width and unroll boundary.
const LENGTHS: [usize; 24] = [
    0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1023, 1024, 1025, 4099,
    70_001,
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
    assert_eq!(out_of_cache_bytes(Mode::Quick, None), 16 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Quick, Some(32 << 20)), 16 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Full, None), 64 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Full, Some(32 << 20)), 64 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Full, Some(96 << 20)), 256 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Deep, Some(32 << 20)), 256 << 20);
    assert_eq!(out_of_cache_bytes(Mode::Deep, Some(96 << 20)), 512 << 20);
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
    assert_eq!(ENABLE_PYTHON[0], "cargo run --release -- setup python");
}

/// The machine's `python3`, or `None` (with a note) where there is none.
fn system_python() -> Option<PathBuf> {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("no python3 on PATH: skipping");
    }
    found.then(|| PathBuf::from("python3"))
}

#[test]
fn the_python_loop_adds_the_same_values_as_rust() {
    let Some(python) = system_python() else {
        return;
    };
    let script = python_dir().join("bench_kernels.py");
    let side = probe_python(&python, &script).expect("python3 runs the script");
    assert!(matches!(
        side,
        PythonSide::Full | PythonSide::LoopOnly { .. }
    ));
    let n = 1_000;
    let mut server = LoopServer::start(&python, &script, n, 7).expect("starts");
    let (xs, ys) = (sample_data(n, 7), sample_data(n, 8));
    // f64 additions in the script: far inside the f32 bound, and far from
    // what any other data would give.
    let sum = server.time("sum").expect("sum");
    assert!((sum.value - reference_sum(&xs)).abs() < 1e-9, "{sum:?}");
    let dot = server.time("dot").expect("dot");
    let exact = reference_dot(&xs, &ys).expect("same length");
    assert!((dot.value - exact).abs() < 1e-9, "{dot:?}");
    assert!(sum.ns_per_element > 0.0 && dot.ns_per_element > 0.0);
    let err = server.time("mean").expect_err("not a request it knows");
    assert!(err.to_string().contains("unknown request"), "{err:#}");
}

#[test]
fn the_script_lives_where_the_demo_looks() {
    assert!(python_dir().join("bench_kernels.py").exists());
    assert!(python_dir().join("pyproject.toml").exists());
}

#[test]
fn the_python_report_parses() {
    let timing = r#"{"ns_per_element": 1.5, "value": 2.0, "samples": [1.4, 1.5, 1.6]}"#;
    let op = format!(
        r#"{{"python_loop": {timing}, "numpy": {timing}, "rust_loop": {timing}, "rust_simd": {timing}, "exact": 2.0, "bound": 0.1}}"#
    );
    let json = format!(
        r#"{{"n": 10, "repeats": 3, "python_version": "3.11.7", "numpy_version": "2.4.6", "simd": "avx2+fma", "sum": {op}, "dot": {op}}}"#
    );
    let report = parse_python_report(&json).expect("parses");
    assert_eq!(report.n, 10);
    assert_eq!(report.dot.rust_simd.value, 2.0);
    assert_eq!(report.sum.numpy.samples, [1.4, 1.5, 1.6]);
    let err = parse_python_report("Traceback ...").expect_err("not JSON");
    assert!(err.to_string().contains("not its JSON report"));
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("perf/vectorization", demo);
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
