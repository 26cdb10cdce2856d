//! The demo: compile the snippet now, show what the compiler did with it,
//! then time the variants compiled into this binary.

use std::hint::black_box;

use mastery_kit::{Area, Comparison, Narrator, Topic, Verdict};

use super::snippet;
use super::{
    AsmFunction, AsmLine, Assembly, CompileError, CompileOptions, PanicKind, Rustc, SNIPPET,
    SNIPPET_FUNCTIONS, compare_code, compare_hot_loops, demangle_operands, ir_block, ir_function,
};
use crate::paired::{factor, tie_band};

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/bytecode-demo",
        area: Area::Perf,
        rank: 1,
        title: "Bytecode inspection: what the compiler emits",
        python: "dis.dis(f): the bytecode CPython interprets (specialized in place since 3.11), one dispatch per instruction",
        rust: "rustc -O --emit=asm,llvm-ir on a snippet, read back: iterator and hand loop give the same vectorized loop; bounds checks hoisted, kept, or gone",
        path: "perf/src/bytecode_demo/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    n.say(
        "Python's `dis` shows the bytecode the interpreter will dispatch. Rust has none: the \
         compiler emits machine code. So we ask it — rustc on a small snippet, now — and read \
         the assembly back.",
    );
    match inspect(n) {
        Ok(()) => {}
        Err(e @ (CompileError::NotFound { .. } | CompileError::TimedOut { .. })) => {
            n.section("No compiler to ask");
            n.say(&format!(
                "{e}. The assembly part of this topic needs a Rust toolchain; the run-time \
                 part below does not."
            ));
        }
        Err(e) => {
            n.section("The compiler failed");
            n.say(&format!(
                "{e}\nThe assembly part is skipped; please report this with the compiler version."
            ));
        }
    }
    runtime(n);
    Ok(())
}

/// The compiler part: compile, show the loops, the checks and the IR.
fn inspect(n: &mut Narrator) -> Result<(), CompileError> {
    let rustc = Rustc::from_env()?;
    let options = CompileOptions::default();
    n.section("The compiler");
    let rounds = n.mode().pick(1, 5);
    let mut times = Vec::with_capacity(rounds);
    let mut emitted = rustc.compile(SNIPPET, &options)?;
    times.push(emitted.elapsed);
    for _ in 1..rounds {
        emitted = rustc.compile(SNIPPET, &options)?;
        times.push(emitted.elapsed);
    }
    times.sort();
    n.show(rustc.version());
    n.show(&emitted.command);
    n.record_duration(
        &format!(
            "rustc: compile the {}-function snippet (median of {rounds})",
            SNIPPET_FUNCTIONS.len()
        ),
        times[times.len() / 2],
    );
    let asm = Assembly::parse(&emitted.asm);
    n.record_count("assembly: lines written", emitted.asm.lines().count());
    iterator_vs_loop(n, &asm);
    bounds_checks(n, &asm);
    llvm_ir(n, &emitted.llvm_ir);
    if n.mode() != mastery_kit::Mode::Quick {
        native(n, &rustc);
    }
    Ok(())
}

fn find<'a>(asm: &'a Assembly, name: &str) -> Result<&'a AsmFunction, CompileError> {
    asm.function(name).ok_or_else(|| CompileError::Failed {
        command: "reading the assembly".to_owned(),
        status: "no such function".to_owned(),
        stderr: format!("`{name}` is not in the compiler's output"),
    })
}

fn iterator_vs_loop(n: &mut Narrator, asm: &Assembly) {
    n.section("Iterator vs hand loop: the inner loop");
    let (Ok(iter), Ok(hand)) = (find(asm, "sum_iter"), find(asm, "sum_loop")) else {
        n.say("The compiler's output lacks sum_iter or sum_loop; nothing to compare.");
        return;
    };
    n.show("sum_iter: v.iter().fold(0, |s, &x| s.wrapping_add(x))");
    n.show("sum_loop: for i in 0..v.len() { s = s.wrapping_add(v[i]) }");
    let (Some(a), Some(b)) = (iter.hot_loop(), hand.hot_loop()) else {
        n.say("One of them has no loop in this compiler's output.");
        return;
    };
    let (left, right) = (iter.normalized(a.range()), hand.normalized(b.range()));
    // The side-by-side listing below shows these two lists; the verdict is
    // the core function's, so the demo and the tests judge alike.
    n.show(format!("{:<44} {}", "-- sum_iter --", "-- sum_loop --"));
    for i in 0..left.len().max(right.len()) {
        let cell = |side: &[String]| side.get(i).map_or(String::new(), |s| clip(s, 43));
        let mark = if left.get(i) == right.get(i) {
            ' '
        } else {
            '≠'
        };
        n.show(format!("{:<44}{mark}{}", cell(&left), cell(&right)));
    }
    let Some(inner) = compare_hot_loops(asm, "sum_iter", "sum_loop") else {
        return;
    };
    let whole = compare_code(&iter.normalized_all(), &hand.normalized_all());
    // The loop's lines are its head label and its instructions.
    n.record_count(
        "sum_iter: instructions in the inner loop",
        a.range().len() - 1,
    );
    n.record_count(
        "sum_iter: vector instructions in it",
        iter.vector_instructions(a.range()),
    );
    n.record_count("inner loops identical (1 = yes)", u8::from(inner.identical));
    n.record_count(
        "sum_iter: instructions in the function",
        iter.instructions().count(),
    );
    n.record_count(
        "sum_loop: instructions in the function",
        hand.instructions().count(),
    );
    let verdict = if whole.identical {
        "The whole functions are identical, label for label.".to_owned()
    } else if whole.same_multiset {
        "The whole functions hold the same instructions, in a slightly different order \
         (register set-up before the loop)."
            .to_owned()
    } else {
        format!(
            "Outside the loop they differ: only in sum_iter {:?}; only in sum_loop {:?}.",
            inner_list(&whole.only_left),
            inner_list(&whole.only_right)
        )
    };
    let inner_verdict = if inner.identical {
        "The inner loops are identical after renaming labels"
    } else {
        "The inner loops differ (≠ marks the lines)"
    };
    n.say(&format!(
        "{inner_verdict}: the iterator is not an abstraction you pay for, and the index loop \
         carries no bounds check — `i < v.len()` is its condition, so every `v[i]` is proven in \
         bounds. {verdict}"
    ));
}

fn inner_list(items: &[String]) -> Vec<&str> {
    items.iter().map(String::as_str).take(6).collect()
}

/// `s` cut to `width` characters, the last one an ellipsis when cut.
pub(crate) fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}

fn bounds_checks(n: &mut Narrator, asm: &Assembly) {
    n.section("Where bounds checks appear and vanish");
    n.show(format!(
        "{:<22} {:>6} {:>6} {:>6} {:>7} {:>6}  {}",
        "function", "bounds", "range", "other", "in-loop", "vector", "what it is"
    ));
    for (name, what) in SNIPPET_FUNCTIONS {
        let Ok(f) = find(asm, name) else {
            n.show(format!("{name:<22} (not in the compiler's output)"));
            continue;
        };
        let vector = f.hot_loop().map_or(0, |l| f.vector_instructions(l.range()));
        n.show(format!(
            "{name:<22} {:>6} {:>6} {:>6} {:>7} {:>6}  {what}",
            f.panic_count(PanicKind::BoundsCheck),
            f.panic_count(PanicKind::SliceRange),
            f.panic_count(PanicKind::Other),
            f.checks_in_loops(PanicKind::BoundsCheck),
            if vector > 0 { "yes" } else { "no" },
        ));
    }
    n.say(
        "bounds/range/other: calls to panic_bounds_check, to a slice-range failure, to any \
         other panic (the assert). in-loop: branches to a bounds-check panic from inside a \
         loop. vector: whether the hottest loop uses SIMD registers.",
    );
    for (name, label) in [
        ("sum_first_n", "sum_first_n: bounds checks inside loops"),
        ("add_indexed", "add_indexed: bounds checks inside loops"),
        ("add_zipped", "add_zipped: bounds checks inside loops"),
        (
            "histogram_slice",
            "histogram_slice: bounds checks inside loops",
        ),
        (
            "histogram_array",
            "histogram_array: bounds checks inside loops",
        ),
    ] {
        if let Ok(f) = find(asm, name) {
            n.record_count(label, f.checks_in_loops(PanicKind::BoundsCheck));
        }
    }
    if let Ok(f) = find(asm, "add_indexed") {
        if let Some(l) = f
            .loops()
            .into_iter()
            .find(|l| f.checks_in(l.range(), PanicKind::BoundsCheck) > 0)
        {
            n.say("add_indexed's scalar loop — each `je` leads to panic_bounds_check:");
            for line in f.normalized(l.range()) {
                n.show(line);
            }
        }
    }
    n.say(
        "sum_first_n keeps one check, hoisted out of the loop (a sum has no side effect, so the \
         last index can be checked first); assert! turns it into the assert's panic. \
         add_indexed writes as it goes, so its checks cannot move: LLVM vectorizes the part it \
         can prove in bounds and leaves a checked scalar loop for the rest. Zipping, or \
         re-slicing once, removes the checks from every loop; a [u32; 256] indexed by a u8 \
         needs none at all.",
    );
}

fn llvm_ir(n: &mut Narrator, ir: &str) {
    n.section("The same loop in LLVM IR");
    let Some(body) = ir_function(ir, "sum_iter").and_then(|f| ir_block(f, "vector.body")) else {
        n.say("sum_iter has no `vector.body` block in this compiler's IR: it did not vectorize.");
        return;
    };
    n.say(
        "Before instruction selection the loop is LLVM IR: `<4 x i32>` is one SSE register of \
         four lanes, and there are two accumulators (the loop is unrolled twice).",
    );
    for line in body.lines().take(14) {
        n.show(clip(&demangle_operands(line.trim_end()), 74));
    }
    n.record_count("sum_iter: IR lines in vector.body", body.lines().count());
}

fn native(n: &mut Narrator, rustc: &Rustc) {
    n.section("The same snippet for this CPU (-C target-cpu=native)");
    let options = CompileOptions {
        target_cpu: Some("native".to_owned()),
        ..CompileOptions::default()
    };
    let emitted = match rustc.compile(SNIPPET, &options) {
        Ok(e) => e,
        Err(e) => {
            n.say(&format!("Not compiled: {e}"));
            return;
        }
    };
    let asm = Assembly::parse(&emitted.asm);
    let Some((f, l)) = asm
        .function("sum_iter")
        .and_then(|f| f.hot_loop().map(|l| (f, l)))
    else {
        n.say("sum_iter has no loop in this output.");
        return;
    };
    for line in f.normalized(l.range()) {
        n.show(clip(&line, 74));
    }
    let uses = |register: &str| {
        f.lines[l.range()]
            .iter()
            .filter(|x| matches!(x, AsmLine::Instruction(i) if i.operands.contains(register)))
            .count()
    };
    let (zmm, ymm) = (uses("zmm"), uses("ymm"));
    n.record_count(
        "sum_iter (native): instructions on 512-bit registers (zmm)",
        zmm,
    );
    n.record_count(
        "sum_iter (native): instructions on 256-bit registers (ymm)",
        ymm,
    );
    let which = if zmm > 0 {
        "it has AVX-512, so the loop adds sixteen u32 per instruction in zmm registers"
    } else if ymm > 0 {
        "it has AVX2, so the loop adds eight u32 per instruction in ymm registers"
    } else {
        "it offers nothing wider than the baseline here, so the loop is unchanged"
    };
    n.say(&format!(
        "Compiled for this CPU: {which}. A binary built this way runs only on CPUs like \
         this one — which is why the default target is the baseline, and why explicit SIMD \
         uses run-time feature detection."
    ));
}

/// Times the snippet's variants, compiled into this binary.
fn runtime(n: &mut Narrator) {
    let len = n.mode().pick(4_096, 1 << 20);
    // Several passes per timed sample, so a quick-mode sample is tens of
    // microseconds rather than a few timer ticks.
    let passes = n.mode().pick(64, 8);
    let a: Vec<u32> = (0..len as u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect();
    let b: Vec<u32> = a.iter().map(|x| x.rotate_left(7)).collect();
    let bytes: Vec<u8> = a.iter().map(|x| (x >> 24) as u8).collect();
    n.section(&format!(
        "Run time of the variants ({len} elements, compiled into this binary)"
    ));
    let agree = variants_agree(&a, &b, &bytes);
    n.record_count("variants agreeing on every result (of 4 groups)", agree);
    let ops = (len * passes) as u64;
    let sums = n.compare_timed(
        "sum: iterator vs index loop (ns per element)",
        ops,
        repeated(passes, || snippet::sum_iter(black_box(&a))),
        "index loop (sum_loop)",
        repeated(passes, || snippet::sum_loop(black_box(&a))),
    );
    let mut out = vec![0u32; len];
    let mut out2 = vec![0u32; len];
    let adds = n.compare_timed(
        "out = a + b: zipped iterators vs indexing (ns per element)",
        ops,
        repeated(passes, || {
            snippet::add_zipped(black_box(&mut out), black_box(&a), black_box(&b));
            out[0]
        }),
        "indexing (add_indexed)",
        repeated(passes, || {
            snippet::add_indexed(black_box(&mut out2), black_box(&a), black_box(&b));
            out2[0]
        }),
    );
    let mut counts = vec![0u32; 256];
    let histogram = n.compare_timed(
        "histogram: [u32; 256] vs &mut [u32] (ns per byte)",
        ops,
        repeated(passes, || snippet::histogram_array(black_box(&bytes))[0]),
        "slice, checked per byte",
        repeated(passes, || {
            snippet::histogram_slice(black_box(&bytes), black_box(&mut counts));
            counts[0]
        }),
    );
    let offsets = (
        offset_in_line(snippet::sum_iter as fn(&[u32]) -> u32 as usize),
        offset_in_line(snippet::sum_loop as fn(&[u32]) -> u32 as usize),
    );
    n.record_bytes(
        "sum_iter: where its code starts in a 64-byte line",
        offsets.0,
    );
    n.record_bytes(
        "sum_loop: where its code starts in a 64-byte line",
        offsets.1,
    );
    n.say(&runtime_verdict(&sums, offsets, &adds, &histogram));
}

/// `f` called `passes` times per call (results folded, so none is optimised away).
fn repeated(passes: usize, mut f: impl FnMut() -> u32) -> impl FnMut() -> u32 {
    move || (0..passes).fold(0u32, |acc, _| acc.wrapping_add(f()))
}

/// Where a function's code starts within a 64-byte line (a cache line, and
/// the unit AMD's and Intel's front ends fetch and cache decoded code in).
/// ASLR moves code by whole pages, so this is the same on every run of one
/// binary.
fn offset_in_line(address: usize) -> usize {
    address % 64
}

/// What the three timings say, in words that follow their verdicts: a
/// side is called faster only when the interval excludes a tie.
pub(super) fn runtime_verdict(
    sums: &Comparison,
    offsets: (usize, usize),
    adds: &Comparison,
    histogram: &Comparison,
) -> String {
    let sum = match sums.verdict {
        Verdict::Better | Verdict::Worse => format!(
            "The iterator sum ran {} than the index loop, although their hot loop is the same \
             machine code. What differs is where it sits: sum_iter starts at byte {} of a \
             64-byte line and sum_loop at byte {}, so the loop meets the CPU's fetch and \
             op-cache lines differently. That is code alignment, not the source — the same \
             loop moved by an unrelated edit can gain or lose this much (LLVM's \
             `-align-loops=64` is the knob).",
            factor(sums),
            offsets.0,
            offsets.1
        ),
        Verdict::Tie { within } => format!(
            "The iterator sum and the index loop showed no difference this run can see \
             ({}), as their identical machine code predicts.",
            tie_band(within)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples to tell the iterator sum from the index loop in this run; their \
             machine code is identical."
                .to_owned()
        }
    };
    let add = match adds.verdict {
        Verdict::Better | Verdict::Worse => format!(
            "The zipped addition ran {} than the indexed one in this run.",
            factor(adds)
        ),
        Verdict::Tie { within } => format!(
            "The zipped and the indexed addition showed no difference this run can see ({}): \
             the indexed one spends its time in its unchecked vector loop.",
            tie_band(within)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples to tell the zipped from the indexed addition in this run.".to_owned()
        }
    };
    let hist = match histogram.verdict {
        Verdict::Better => format!(
            "The unchecked, unrolled histogram ran {} than the checked slice version: there the \
             check did cost.",
            factor(histogram)
        ),
        Verdict::Worse => format!(
            "The unchecked, unrolled histogram ran {} than the checked slice version in this \
             run: the check was not what limited the slice.",
            factor(histogram)
        ),
        Verdict::Tie { within } => format!(
            "The histogram's per-byte check cost nothing this run can see ({}): both versions \
             wait on the increments of the same counters.",
            tie_band(within)
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples to say what the histogram's per-byte check cost in this run."
                .to_owned()
        }
    };
    format!("{sum} {add} {hist}")
}

/// How many of the four groups of variants give the same answers.
pub(super) fn variants_agree(a: &[u32], b: &[u32], bytes: &[u8]) -> usize {
    let len = a.len();
    let sums = snippet::sum_iter(a) == snippet::sum_loop(a);
    let firsts = snippet::sum_first_n(a, len / 2) == snippet::sum_first_n_asserted(a, len / 2);
    let (mut x, mut y, mut z) = (vec![0u32; len], vec![0u32; len], vec![0u32; len]);
    snippet::add_indexed(&mut x, a, b);
    snippet::add_zipped(&mut y, a, b);
    snippet::add_resliced(&mut z, a, b);
    let adds = x == y && y == z;
    let mut counts = vec![0u32; 256];
    snippet::histogram_slice(bytes, &mut counts);
    let histograms = counts[..] == snippet::histogram_array(bytes)[..];
    [sums, firsts, adds, histograms]
        .iter()
        .filter(|ok| **ok)
        .count()
}
