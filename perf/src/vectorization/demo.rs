//! The demo: the machine and its kernels, each kernel in cache and out of
//! cache against the scalar loop and the copy bandwidth, accuracy, then
//! Python on the same kernels.

use std::hint::black_box;
use std::time::Instant;

use mastery_kit::stats::median;
use mastery_kit::{Area, Comparison, Mode, Narrator, Topic, Unit};

use super::machine::human_bytes;
use super::{
    Kernel, LengthMismatch, Simd, copy_bytes, dot_error_bound, last_level_cache_bytes, read_pass,
    reference_dot, reference_sum, sample_data, sum_error_bound,
};
use mastery_kit::take_turns;

mod python;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/vectorization",
        area: Area::Perf,
        rank: 3,
        title: "Vectorization: loops, iterators, SIMD and rayon vs memory bandwidth",
        python: "for x in xs: total += x  vs  np.sum / np.dot (or Cython) — push the loop into C",
        rust: "scalar loop vs iterator vs chunked auto-vectorization vs std::arch SIMD (runtime-detected) vs rayon; throughput against measured memory bandwidth; a PyO3 extension",
        path: "perf/src/vectorization/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let mode = n.mode();
    let kernels = Kernel::available();
    let llc = last_level_cache_bytes();
    let big_bytes = out_of_cache_bytes(mode, llc);
    intro(n, &kernels, llc, big_bytes);

    let in_cache_sizes: &[u64] = match mode {
        Mode::Quick => &[16 << 10],
        Mode::Full | Mode::Deep => &[16 << 10, 256 << 10],
    };
    for &bytes in in_cache_sizes {
        let xs = sample_data((bytes / 4) as usize, 7);
        in_cache(n, Input::Sum(&xs), &kernels)?;
        in_cache(n, Input::dot_of_halves(&xs), &kernels)?;
    }
    n.say(
        "In cache the core is the limit. The strict-order loop and the iterator wait for one \
         dependent add per element (the dot product moves twice the bytes per add, hence \
         twice the MB/s); the chunked kernel can hide that latency with 16 accumulators in \
         SSE2 registers; explicit AVX2 doubles the register width and adds FMA. Rayon keeps a \
         slice of one 64 KiB chunk on the calling thread; a longer one wakes the pool, which \
         costs microseconds — whether an in-cache input repays them, its line above says.",
    );

    let big = sample_data((big_bytes / 4) as usize, 0x5eed);
    out_of_cache(n, &big, &kernels, llc)?;
    drop(big);
    n.say(
        "Out of cache no kernel can run faster than memory delivers its input: the % of the \
         copy bandwidth above says how close each came. The wall is DRAM, not the \
         instructions, and rayon's extra cores can only add the bandwidth one core left \
         unused; a latency-bound loop leaves bandwidth idle.",
    );

    accuracy(n, &kernels)?;
    python::python_comparison(n)
}

/// Deep: 256 MiB, or 4× the last-level cache if that is larger. Full:
/// 64 MiB, or 2× the last-level cache: out of cache, with less to wait for.
/// Quick: 16 MiB, which a large last-level cache may still hold — quick
/// mode checks that the story runs, not where the wall is.
pub(super) fn out_of_cache_bytes(mode: Mode, llc: Option<u64>) -> u64 {
    let (floor, factor) = mode.pick_deep((16 << 20, 0), (64 << 20, 2), (256 << 20, 4));
    llc.map_or(floor, |c| (c * factor).next_power_of_two().max(floor))
}

/// Whether a buffer of `bytes` is out of a last-level cache of `llc`
/// (at least twice its size; unknown caches are taken to be smaller).
fn beyond_cache(bytes: u64, llc: Option<u64>) -> bool {
    llc.is_none_or(|c| bytes >= 2 * c)
}

fn intro(n: &mut Narrator, kernels: &[Kernel], llc: Option<u64>, big_bytes: u64) {
    n.section("The machine and the kernels");
    let simd: Vec<String> = Simd::detect_all().iter().map(|s| s.to_string()).collect();
    n.say(&format!(
        "Explicit SIMD this CPU supports (runtime detection): {}. {} Last-level cache: {}. \
         In-cache sizes fit L1/L2; the out-of-cache buffer is {}{}.",
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
        if beyond_cache(big_bytes, llc) {
            " (`--deep` uses 256 MiB, or four times the cache)"
        } else {
            ", which this cache may still hold: quick mode checks the story, the full run \
             measures out of cache"
        },
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

/// Seconds of one call of `call(c)` for each contender `c`, round by round
/// ([`take_turns`]: forward, then backward), so that machine noise hits
/// all of them alike and `seconds[i][r]` pairs with any other contender's
/// round `r`. The caller has already run each contender once (a warm-up:
/// pages touched, code hot).
fn timed_round_robin<C: Copy>(
    rounds: usize,
    contenders: &[C],
    mut call: impl FnMut(C) -> f32,
) -> anyhow::Result<Vec<Vec<f64>>> {
    take_turns(rounds, contenders.len(), |i| {
        let start = Instant::now();
        black_box(call(contenders[i]));
        Ok(start.elapsed().as_secs_f64())
    })
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
/// bandwidth" ratios compare samples taken side by side, round by round.
fn out_of_cache(
    n: &mut Narrator,
    big: &[f32],
    kernels: &[Kernel],
    llc: Option<u64>,
) -> anyhow::Result<()> {
    let size = human_bytes(4 * big.len() as u64);
    n.section(&if beyond_cache(4 * big.len() as u64, llc) {
        format!("Out of cache: memory bandwidth and the kernels on {size}")
    } else {
        format!("Past L2: memory bandwidth and the kernels on {size} (quick mode)")
    });
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
    let seconds = timed_round_robin(n.samples(), &passes, run)?;
    let speeds = |bytes: u64, seconds: &[f64]| -> Vec<f64> {
        seconds.iter().map(|&s| mbps(bytes, s)).collect()
    };

    let copy = speeds(copy_bytes(big.len()), &seconds[0]);
    n.record(
        &format!("copy {size} (copy_from_slice), read + write counted"),
        median(&mut copy.clone()),
        Unit::MegabytesPerSec,
    );
    n.record(
        &format!("read-only pass over {size} (integer sum of the bits)"),
        median(&mut speeds(4 * big.len() as u64, &seconds[1])),
        Unit::MegabytesPerSec,
    );
    n.say(
        "The copy is the reference for the figures below: a kernel at 100% streams its input \
         as fast as this machine copies memory (bytes read plus bytes written), in the same \
         round.",
    );
    for (input, times) in inputs.iter().zip(seconds[2..].chunks(kernels.len())) {
        n.section(&format!("{} of {size} of f32, out of cache", input.name()));
        let kernel_speeds: Vec<Vec<f64>> = times.iter().map(|t| speeds(input.bytes(), t)).collect();
        compare_with_scalar(n, *input, kernels, &kernel_speeds);
        for (kernel, speed) in kernels.iter().zip(&kernel_speeds) {
            let mut percent: Vec<f64> = speed
                .iter()
                .zip(&copy)
                .map(|(s, c)| 100.0 * s / c)
                .collect();
            n.record(
                &format!(
                    "{} {size}: {} as % of copy bandwidth",
                    input.name(),
                    kernel.name()
                ),
                median(&mut percent),
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

/// Compares every kernel's MB/s (`speeds[k][r]`: kernel `k`, in
/// `kernels` order, in round `r`) with the scalar loop's of the same round,
/// then says what the verdicts allow.
fn compare_with_scalar(
    n: &mut Narrator,
    input: Input<'_>,
    kernels: &[Kernel],
    speeds: &[Vec<f64>],
) {
    let size = human_bytes(input.bytes());
    let Some(scalar) = kernels.iter().position(|&k| k == Kernel::Loop) else {
        return;
    };
    let mut verdicts = Vec::new();
    for (kernel, speed) in kernels.iter().zip(speeds) {
        if *kernel == Kernel::Loop {
            continue;
        }
        let c: Comparison = n.compare_samples(
            &format!(
                "{} {size}: {} vs scalar for-loop",
                input.name(),
                kernel.name()
            ),
            speed,
            &speeds[scalar],
            "scalar for-loop",
            Unit::MegabytesPerSec,
        );
        verdicts.push(format!("{}: {}", kernel.name(), c.faster_or_slower()));
    }
    n.say(&format!(
        "Against the scalar loop in this run: {}.",
        verdicts.join("; ")
    ));
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
    let reps = IN_CACHE_BYTES_PER_SAMPLE.div_ceil(bytes).max(1);
    let seconds = timed_round_robin(n.samples(), kernels, |kernel| {
        let mut last = 0.0;
        for _ in 0..reps {
            last = input.run(kernel).unwrap_or(f32::NAN);
        }
        last
    })?;
    let speeds: Vec<Vec<f64>> = seconds
        .iter()
        .map(|t| t.iter().map(|&s| mbps(bytes * reps, s)).collect())
        .collect();
    compare_with_scalar(n, input, kernels, &speeds);
    Ok(())
}

/// Input bytes one in-cache sample runs through (the input again and
/// again): long enough for the clock, short enough to take many samples.
const IN_CACHE_BYTES_PER_SAMPLE: u64 = 8 << 20;

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
         addition rounds less. More accurate than the strict loop, then — though not \
         bit-identical to it, nor to a strict left-to-right loop in Python. Python's own sum() \
         is neither since 3.12: for floats it carries Neumaier's compensation term (the \
         algorithm of the f64 reference here), so it lands closer to the exact sum than any \
         plain order.",
    );
    Ok(())
}
