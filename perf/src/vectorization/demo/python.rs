//! The demo's last section: Python on the same kernels — NumPy and the
//! extension when installed, else the pure-Python loop against this
//! process's kernels.

use std::hint::black_box;
use std::time::Instant;

use mastery_kit::narrator::format_value;
use mastery_kit::{Narrator, Unit};

use super::super::python_bench::{
    LoopServer, PythonSide, probe_python, python_override, run_python_bench,
};
use super::super::{
    ENABLE_PYTHON, Kernel, Simd, dot_error_bound, locate_python, python_dir, reference_dot,
    reference_sum, sample_data, sum_error_bound,
};
use mastery_kit::take_turns;

pub(super) fn python_comparison(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Python on the same kernel: pure-Python loop vs NumPy vs the Rust extension");
    let dir = python_dir();
    let script = dir.join("bench_kernels.py");
    let python = locate_python(python_override(n), &dir);
    let required = n.settings().require_python;
    let elements = n.mode().pick_deep(20_000, 200_000, 1_000_000);
    match probe_python(&python, &script) {
        Ok(PythonSide::Full) => {}
        Ok(PythonSide::LoopOnly { missing }) => {
            anyhow::ensure!(
                !required,
                "require_python is set but NumPy or the extension is missing: {missing}"
            );
            return python_loop_only(n, &python, &script, elements, &missing);
        }
        Err(why) => {
            n.say(&format!(
                "Skipped: this comparison needs a Python 3 interpreter; {why}. With one \
                 installed, from the repository root:"
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
    }
    let report = run_python_bench(&python, &script, elements, n.samples())?;
    let count = format_value(report.n as f64);
    n.say(&format!(
        "{count} float32 values (`--deep`: a million), Python {}, NumPy {}, extension kernel: \
         {}; the script checked every result against math.fsum within the same bound as the \
         Rust tests, and timed the four ways taking turns, round by round.",
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
        let simd_vs_loop = n.compare_samples(
            &label("Rust extension (SIMD) vs pure-Python loop"),
            &op.rust_simd.samples,
            &op.python_loop.samples,
            "pure-Python for loop",
            Unit::NsPerOp,
        );
        let simd_vs_numpy = n.compare_samples(
            &label("Rust extension (SIMD) vs NumPy"),
            &op.rust_simd.samples,
            &op.numpy.samples,
            if name == "sum" {
                "numpy a.sum()"
            } else {
                "numpy a @ b"
            },
            Unit::NsPerOp,
        );
        let scalar_vs_loop = n.compare_samples(
            &label("Rust extension, scalar loop vs pure-Python loop"),
            &op.rust_loop.samples,
            &op.python_loop.samples,
            "pure-Python for loop",
            Unit::NsPerOp,
        );
        n.say(&format!(
            "{name}: the extension's SIMD kernel against the Python loop: {}; against NumPy: \
             {}; its scalar loop against the Python loop: {}.",
            simd_vs_loop.faster_or_slower(),
            simd_vs_numpy.faster_or_slower(),
            scalar_vs_loop.faster_or_slower()
        ));
    }
    n.say(
        "Figures are ns per element, each call from Python included. The Python loop pays the \
         interpreter per element; NumPy and the extension pay it once per call and then run \
         compiled SIMD loops, so what separates those two is their kernels, not the \
         interpreter — the extension earns its keep on kernels NumPy has no single function \
         for.",
    );
    Ok(())
}

/// A Python without NumPy or the extension: its pure-Python loop against
/// this process's own kernels on the very same values, taking turns round
/// by round (the script answers one timed call per request).
fn python_loop_only(
    n: &mut Narrator,
    python: &std::path::Path,
    script: &std::path::Path,
    elements: usize,
    missing: &str,
) -> anyhow::Result<()> {
    const SEED: u32 = 7;
    let best = Simd::best().map_or(Kernel::Chunked, Kernel::Simd);
    let mut server = LoopServer::start(python, script, elements, SEED)?;
    let xs = sample_data(elements, SEED);
    let ys = sample_data(elements, SEED + 1);
    let count = format_value(elements as f64);
    n.say(&format!(
        "NumPy and the extension are not installed for {} ({missing}), so this section times \
         what any Python 3 has: the pure-Python loop, in Python {}, against this process's \
         {} kernel and scalar loop, on the same {count} values (`--deep`: a million), taking \
         turns round by round. To add NumPy and the extension:",
        python.display(),
        server.python_version,
        best.name()
    ));
    n.show(ENABLE_PYTHON[0]);
    // A Rust call on these sizes takes microseconds: one sample repeats it
    // over a few million elements, so the clock's resolution is far below it.
    let reps = (4_000_000 / elements).max(1);
    let time_rust = |f: &dyn Fn() -> f32| {
        let start = Instant::now();
        for _ in 0..reps {
            black_box(f());
        }
        start.elapsed().as_nanos() as f64 / (reps * elements) as f64
    };
    for name in ["sum", "dot"] {
        let (exact, bound) = if name == "sum" {
            let abs: f64 = xs.iter().map(|&x| f64::from(x.abs())).sum();
            (reference_sum(&xs), sum_error_bound(elements, abs))
        } else {
            let abs: f64 = xs
                .iter()
                .zip(&ys)
                .map(|(&x, &y)| f64::from((x * y).abs()))
                .sum();
            (reference_dot(&xs, &ys)?, dot_error_bound(elements, abs))
        };
        let run = |k: Kernel| -> f32 {
            if name == "sum" {
                k.sum(black_box(&xs))
            } else {
                k.dot(black_box(&xs), black_box(&ys)).unwrap_or(f32::NAN)
            }
        };
        let mut python_values = Vec::new();
        let samples = take_turns::<anyhow::Error>(n.samples(), 3, |i| match i {
            0 => Ok(time_rust(&|| run(best))),
            1 => Ok(time_rust(&|| run(Kernel::Loop))),
            _ => {
                let call = server.time(name)?;
                python_values.push(call.value);
                Ok(call.ns_per_element)
            }
        })?;
        // The same values on both sides: the Python loop's result must be
        // the Rust reference's, within the bound of any summation order.
        for value in python_values {
            anyhow::ensure!(
                (value - exact).abs() <= bound,
                "the Python loop's {name} {value} is off the Rust reference {exact} by more \
                 than {bound}: the two sides did not add the same values"
            );
        }
        let label = |what: &str| format!("Python {name} of {count} f32: {what}");
        let best_vs_loop = n.compare_samples(
            &label(&format!("Rust {} vs pure-Python loop", best.name())),
            &samples[0],
            &samples[2],
            "pure-Python for loop",
            Unit::NsPerOp,
        );
        let scalar_vs_loop = n.compare_samples(
            &label("Rust scalar loop vs pure-Python loop"),
            &samples[1],
            &samples[2],
            "pure-Python for loop",
            Unit::NsPerOp,
        );
        n.say(&format!(
            "{name}: the Rust {} kernel against the Python loop: {}; the Rust scalar loop \
             against it: {}.",
            best.name(),
            best_vs_loop.faster_or_slower(),
            scalar_vs_loop.faster_or_slower()
        ));
    }
    n.say(
        "Figures are ns per element. The Python loop pays the interpreter for every element \
         (a bytecode dispatch, a boxed float, a reference count); the Rust loops pay for the \
         add. NumPy closes most of that gap by running its loop in C — the full comparison, \
         after the setup command above, puts NumPy and these kernels, called from Python, \
         side by side.",
    );
    Ok(())
}
