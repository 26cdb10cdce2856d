//! The claims of the lesson, asserted against the installed compiler
//! (skipped with a message when there is none), and the readers of
//! assembly, symbols and IR on fixed inputs.

use std::process::Command;
use std::time::{Duration, Instant};

use mastery_kit::{Comparison, Unit};

use super::demo::{demo, runtime_verdict, variants_agree};
use super::*;

/// The installed compiler, or `None` with a message saying the test
/// was skipped (a machine without rustc is allowed).
fn rustc_or_skip() -> Option<Rustc> {
    match Rustc::from_env() {
        Ok(rustc) => Some(rustc),
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

/// The snippet compiled once per test binary: its assembly and IR.
fn compiled_once() -> Option<&'static (Assembly, String)> {
    static OUTPUT: std::sync::OnceLock<Option<(Assembly, String)>> = std::sync::OnceLock::new();
    OUTPUT
        .get_or_init(|| {
            let rustc = rustc_or_skip()?;
            let emitted = rustc
                .compile(SNIPPET, &CompileOptions::default())
                .expect("the snippet compiles");
            Some((Assembly::parse(&emitted.asm), emitted.llvm_ir))
        })
        .as_ref()
}

fn compiled() -> Option<&'static Assembly> {
    compiled_once().map(|(asm, _)| asm)
}

fn ir() -> Option<&'static str> {
    compiled_once().map(|(_, ir)| ir.as_str())
}

fn on_x86_64() -> bool {
    cfg!(target_arch = "x86_64")
}

#[test]
fn every_snippet_function_is_in_the_assembly() {
    let Some(asm) = compiled() else { return };
    for (name, _) in SNIPPET_FUNCTIONS {
        let f = asm
            .function(name)
            .unwrap_or_else(|| panic!("{name} emitted"));
        assert_eq!(f.name, format!("snippet::{name}"));
        assert!(f.instructions().count() > 3, "{name} has a body");
    }
}

#[test]
fn iterator_and_hand_loop_compile_to_the_same_inner_loop() {
    let Some(asm) = compiled() else { return };
    let iter = asm.function("sum_iter").expect("sum_iter");
    let hand = asm.function("sum_loop").expect("sum_loop");
    let inner = compare_hot_loops(asm, "sum_iter", "sum_loop").expect("both have a loop");
    assert!(inner.identical, "{inner:?}");
    let a = iter.hot_loop().expect("a loop");
    let whole = compare_code(&iter.normalized_all(), &hand.normalized_all());
    assert!(whole.same_multiset, "same instructions overall: {whole:?}");
    if on_x86_64() {
        assert!(
            iter.vector_instructions(a.range()) >= 4,
            "vectorized: {:?}",
            iter.normalized(a.range())
        );
        assert!(
            iter.normalized(a.range())
                .iter()
                .any(|l| l.starts_with("paddd")),
            "four u32 lanes added at once"
        );
    }
}

#[test]
fn bounds_checks_appear_move_and_vanish() {
    let Some(asm) = compiled() else { return };
    // (function, panic_bounds_check calls, bounds checks inside loops,
    //  slice-range calls, other panics)
    let cases = [
        ("sum_iter", 0, 0, 0, 0),
        ("sum_loop", 0, 0, 0, 0),
        ("sum_first_n", 1, 0, 0, 0), // hoisted before the loop
        ("sum_first_n_asserted", 0, 0, 0, 1),
        ("add_zipped", 0, 0, 0, 0),
        ("add_resliced", 0, 0, 2, 0), // one range check per input, up front
        ("histogram_slice", 1, 1, 0, 0),
        ("histogram_array", 0, 0, 0, 0),
    ];
    for (name, bounds, in_loop, range, other) in cases {
        let f = asm.function(name).expect(name);
        let got = (
            f.panic_count(PanicKind::BoundsCheck),
            f.checks_in_loops(PanicKind::BoundsCheck),
            f.panic_count(PanicKind::SliceRange),
            f.panic_count(PanicKind::Other),
        );
        assert_eq!(
            got,
            (bounds, in_loop, range, other),
            "{name}: {:#?}",
            f.normalized_all()
        );
    }
    // Writing as it goes, add_indexed cannot hoist its two checks: they
    // stay in a loop, while a split-off vector loop runs unchecked.
    let f = asm.function("add_indexed").expect("add_indexed");
    assert_eq!(f.panic_count(PanicKind::BoundsCheck), 2);
    assert!(f.checks_in_loops(PanicKind::BoundsCheck) >= 2);
    if on_x86_64() {
        let hot = f.hot_loop().expect("a loop");
        assert!(
            f.vector_instructions(hot.range()) > 0,
            "the unchecked part is vectorized"
        );
    }
}

#[test]
fn llvm_ir_shows_the_vector_loop() {
    let Some(ir) = ir() else { return };
    let f = ir_function(ir, "sum_iter").expect("sum_iter in the IR");
    assert!(f.starts_with("define "));
    let body = ir_block(f, "vector.body").expect("vectorized");
    if on_x86_64() {
        assert!(body.contains("<4 x i32>"), "{body}");
    }
    assert!(ir_function(ir, "no_such_function").is_none());
}

#[test]
fn a_missing_compiler_is_a_clear_error() {
    let err = Rustc::at("/nonexistent/rustc-for-this-test").expect_err("no such file");
    assert!(matches!(err, CompileError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("RUSTC") && message.contains("PATH"),
        "{message}"
    );
}

#[test]
fn a_source_that_does_not_compile_reports_the_compiler_message() {
    let Some(rustc) = rustc_or_skip() else { return };
    let err = rustc
        .compile("pub fn broken( {", &CompileOptions::default())
        .expect_err("not Rust");
    let CompileError::Failed { stderr, .. } = &err else {
        panic!("expected Failed, got {err:?}");
    };
    assert!(stderr.contains("error"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_hanging_process_is_killed_at_its_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sleep = Command::new("sleep");
    sleep.arg("10");
    let started = Instant::now();
    let err = run_with_timeout(sleep, Duration::from_millis(100), dir.path()).expect_err("killed");
    assert!(matches!(err, CompileError::TimedOut { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

const LEGACY: &str = "_ZN7snippet8sum_iter17hff2edf6c80872945E";
const V0: &str = "_RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check";

#[test]
fn symbols_are_demangled() {
    let part =
        "drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$";
    let generic = format!("_ZN4core3ptr{}{part}17h1234567890abcdefE", part.len());
    let cases = [
        (LEGACY, Some("snippet::sum_iter")),
        (V0, Some("core::panicking::panic_bounds_check")),
        ("_RNvCs1234_7snippet8sum_loop", Some("snippet::sum_loop")),
        ("__ZN3foo3bar17h0123456789abcdefE", Some("foo::bar")),
        (
            &generic,
            Some("core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>"),
        ),
        ("memset", None),
        ("_RINvNtCs1_4core3ptr13drop_in_placeE", None),
    ];
    for (symbol, want) in cases {
        let symbol: &str = symbol;
        assert_eq!(demangle(symbol).as_deref(), want, "{symbol}");
    }
    assert_eq!(
        demangle_operands(&format!("qword ptr [rip + {V0}@GOTPCREL]")),
        "qword ptr [rip + core::panicking::panic_bounds_check]"
    );
}

const FIXTURE: &str = "\t.intel_syntax noprefix
\t.globl\tf
\t.type\tf,@function
f:
\t.cfi_startproc
\txor\teax, eax            # zero the sum
.LBB0_2:
\tcmp\trcx, rsi
\tjae\t.LBB0_5
\tpaddd\txmm0, xmm1
\tadd\teax, dword ptr [rdi + 4*rcx]
\tinc\trcx
\tcmp\trcx, rdx
\tjne\t.LBB0_2
\tret
.LBB0_5:
\tlea\trdx, [rip + .Lanon.1]
\tcall\tqword ptr [rip + _RNvNtCsgEmfK2I1SDS_4core9panicking18panic_bounds_check@GOTPCREL]
.Lfunc_end0:
\t.size\tf, .Lfunc_end0-f
\t.cfi_endproc
\t.type\tg,@function
g:
\tret
.Lfunc_end1:
";

#[test]
fn the_parser_finds_functions_loops_and_checks() {
    let asm = Assembly::parse(FIXTURE);
    assert_eq!(asm.functions.len(), 2);
    let f = asm.function("f").expect("f");
    assert_eq!(f.instructions().count(), 11);
    assert_eq!(f.loops(), vec![Loop { head: 1, latch: 8 }]);
    assert_eq!(f.hot_loop(), Some(Loop { head: 1, latch: 8 }));
    assert_eq!(
        f.vector_instructions(f.hot_loop().expect("loop").range()),
        1
    );
    assert_eq!(f.panic_count(PanicKind::BoundsCheck), 1);
    assert_eq!(f.checks_in_loops(PanicKind::BoundsCheck), 1);
    assert_eq!(
        f.normalized(1..4),
        vec!["L0:", "cmp     rcx, rsi", "jae     L1"],
        "labels renamed in order of mention, comments dropped"
    );
    assert_eq!(asm.function("g").map(|g| g.instructions().count()), Some(1));
}

#[test]
fn vector_instructions_are_told_from_scalar_ones() {
    let cases = [
        ("paddd", "xmm1, xmm2", true),
        ("vpaddd", "ymm0, ymm0, ymmword ptr [rdi]", true),
        ("addps", "xmm0, xmm1", true),
        ("addss", "xmm0, dword ptr [rdi]", false),
        ("movd", "eax, xmm0", false),
        ("add", "eax, dword ptr [rdi + 4*rcx]", false),
        ("add", "v0.4s, v0.4s, v1.4s", true),
        ("ldp", "q0, q1, [x8, #32]", true),
        ("add", "w8, w8, #1", false),
    ];
    for (mnemonic, operands, vector) in cases {
        let i = Instruction {
            mnemonic: mnemonic.into(),
            operands: operands.into(),
        };
        assert_eq!(i.is_vector(), vector, "{i}");
    }
}

#[test]
fn code_comparison_tells_order_from_content() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let same = compare_code(&s(&["a", "b"]), &s(&["a", "b"]));
    assert!(same.identical && same.same_multiset);
    let reordered = compare_code(&s(&["a", "b", "b"]), &s(&["b", "a", "b"]));
    assert!(!reordered.identical && reordered.same_multiset);
    let different = compare_code(&s(&["a", "b", "b"]), &s(&["a", "c"]));
    assert_eq!(different.only_left, s(&["b", "b"]));
    assert_eq!(different.only_right, s(&["c"]));
}

#[test]
fn the_variants_compute_the_same_results() {
    let a: Vec<u32> = (0..1_000u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect();
    let b: Vec<u32> = a.iter().map(|x| x ^ 0x5555).collect();
    let bytes: Vec<u8> = a.iter().map(|x| (x >> 3) as u8).collect();
    assert_eq!(variants_agree(&a, &b, &bytes), 4);
    let empty: [u32; 0] = [];
    assert_eq!(snippet::sum_iter(&empty), 0);
    assert!(std::panic::catch_unwind(|| snippet::sum_first_n(&a, 1_001)).is_err());
}

#[test]
fn the_snippet_is_the_source_of_the_compiled_functions() {
    for (name, _) in SNIPPET_FUNCTIONS {
        assert!(SNIPPET.contains(&format!("pub fn {name}(")), "{name}");
    }
    assert_eq!(
        SNIPPET.matches("#[inline(never)]").count(),
        SNIPPET_FUNCTIONS.len()
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("perf/bytecode-demo", demo);
    assert_eq!(n.comparisons().len(), 3);
    let agree = n
        .measurements()
        .iter()
        .find(|m| m.label.starts_with("variants agreeing"))
        .map(|m| m.value);
    assert_eq!(agree, Some(4.0));
    if Rustc::from_env().is_ok() {
        let identical = n
            .measurements()
            .iter()
            .find(|m| m.label.starts_with("inner loops identical"))
            .map(|m| m.value);
        assert_eq!(identical, Some(1.0));
    }
}

/// A timed comparison whose per-pair ratios are `ratios` (ours is faster
/// when a ratio is above 1).
fn timed(ratios: &[f64]) -> Comparison {
    let ours = vec![100.0; ratios.len()];
    let peer: Vec<f64> = ratios.iter().map(|r| 100.0 * r).collect();
    Comparison::paired("t", "x", (&ours, &peer), "peer", Unit::NsPerOp)
}

#[test]
fn the_run_time_prose_follows_the_verdicts() {
    let tie = timed(&[0.97, 1.03, 0.99, 1.01, 1.0, 0.98, 1.02, 1.005, 0.995]);
    let better = timed(&[1.4, 1.5, 1.45, 1.5, 1.6, 1.5, 1.55, 1.45, 1.5]);
    let worse = timed(&[0.7, 0.72, 0.69, 0.71, 0.7, 0.7, 0.68, 0.73, 0.7]);
    let few = timed(&[2.0, 2.0, 2.0]);

    let all_ties = runtime_verdict(&tie, (0, 32), &tie, &tie);
    assert!(!all_ties.contains("faster") && !all_ties.contains("slower"));
    assert!(all_ties.contains("within ±2.0 %"), "{all_ties}");

    let decided = runtime_verdict(&better, (0, 32), &worse, &better);
    assert!(decided.contains("iterator sum ran 1.50× faster than the index loop"));
    assert!(decided.contains("byte 0") && decided.contains("byte 32"));
    assert!(decided.contains("zipped addition ran 1.43× slower than the indexed one"));
    assert!(decided.contains("histogram ran 1.50× faster than the checked slice"));

    let quick = runtime_verdict(&few, (0, 0), &few, &few);
    assert!(!quick.contains("faster") && !quick.contains("×"), "{quick}");
    assert_eq!(quick.matches("Too few samples").count(), 3);
}
