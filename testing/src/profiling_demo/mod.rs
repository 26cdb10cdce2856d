//! # Profiling: cProfile and line_profiler, answered with callgrind and a sampler
//!
//! ## Python idiom
//! A slow script is profiled before it is changed:
//!
//! ```python
//! python -m cProfile -s cumtime summarize.py        # calls and time per function
//! kernprof -l -v summarize.py                       # @profile: time per line
//! py-spy record -o flame.svg -- python summarize.py # sampled stacks, a flame graph
//! ```
//!
//! `cProfile` hooks every call (deterministic, but the hook's overhead
//! inflates small functions), `line_profiler` times each line of the
//! functions marked `@profile`, and `py-spy` samples the interpreter's
//! stack from outside. Here is the hotspot all three would find in a
//! Python engineer's order summary:
//!
//! ```python
//! seen = []
//! for order in orders:
//!     if order.customer not in seen:   # a linear scan per order
//!         seen.append(order.customer)
//! ```
//!
//! ## Rust answer
//! The same two kinds of tool, both working on a VM without hardware
//! counters:
//!
//! - **Counting: callgrind** (`valgrind --tool=callgrind`) runs the
//!   program on a simulated CPU and counts the instructions executed
//!   (`Ir`) per function, per source line and per call — cProfile's
//!   table and line_profiler's in one file, exact and repeatable. Lines
//!   need debug line tables in the optimized build: this workspace's
//!   release profile sets `debug = "line-tables-only"`.
//!   `callgrind_annotate` prints the tables; [`CallgrindProfile::parse`]
//!   reads the file itself, so the demo can compute with it.
//! - **Sampling: pprof-rs** in process (`sampler.rs`): a CPU-time timer
//!   (`SIGPROF`) interrupts the program and records its stack. It needs no
//!   perf events; `perf record -e cpu-clock` and `cargo flamegraph` do the
//!   same from outside, where perf is installed and permitted. inferno
//!   draws the stacks as a flame graph (`--flamegraph FILE`).
//!
//! A profile is per *function*, and an optimizing compiler inlines small
//! functions into their callers: they vanish from callgrind's table (the
//! sampler still names them, through the line tables). The workload's
//! stages are `#[inline(never)]`, so each stays a row — the price is one
//! call per stage, nothing next to a stage's work.
//!
//! Running under valgrind needs a program to run: the demo starts the
//! `mastery` binary itself as `mastery profile-workload` (a hidden
//! command), as the word-count demo starts `mastery worker`.
//!
//! The planted hotspot ([`unique_customers_quadratic`]) and its fix
//! ([`unique_customers`], what [`summarize`] runs in production) sit in the
//! core below; a differential test keeps their answers equal.
//!
//! ## When to use which
//! - **Sample first**: a sampler costs little, runs on the real build at
//!   full speed and shows where wall time goes, including waiting
//!   (off-CPU time needs a wall-clock sampler or tracing spans).
//! - **Count to confirm and to compare**: callgrind runs many times slower,
//!   but the same input gives the same counts, so a change of a few
//!   percent is visible without statistics — good in CI and for
//!   before/after. It counts instructions, not time: cache misses and
//!   branch mispredictions cost no extra there (`--cache-sim=yes`
//!   simulates caches).
//! - **Per line** when a function is hot but large: callgrind's line
//!   table, or a flame graph's widest box. In optimized code the line
//!   tables credit inlined library code to the library's lines: this
//!   workload's scan shows up at `core/src/slice/cmp.rs`, not at the line
//!   that calls `contains` (the demo prints the split).
//! - **Benchmarks** (criterion, the kit's paired timings) to measure the
//!   fix; a profiler says where, a benchmark says how much.
//! - **Heap**: `dhat` (`perf/memory-profiling`) when allocation is the
//!   suspect.
//!
//! A sampler has blind spots of its own: it drops what it cannot unwind.
//! pprof's documentation suggests skipping samples taken inside `libc`
//! (to keep the stack walk away from locks); here that would drop every
//! sample inside `memcmp`, most of the hotspot, so this sampler skips only
//! the unwinder and the vDSO (`sampler.rs` says why that is safe). And a
//! CPU-time timer fires at the kernel's tick, so the sample rate it gets
//! can be below the one it asks for: the demo prints the count.
//!
//! ## What it costs
//! The demo measures:
//! - **the fix against the planted hotspot**, the whole pipeline timed in
//!   interleaved pairs, with its interval;
//! - **instructions executed** by the pipeline before and after the fix,
//!   counted by callgrind (exact: no noise band);
//! - how long the callgrind run takes (one valgrind run counts both
//!   versions, a profile per call), to show what counting costs.
//!
//! It also prints each tool's top functions and its cost per stage, and
//! counts the tools that name the same stage as the hotspot.
//!
//! ## Run it
//! `mastery run testing/profiling-demo` (both tools, the agreement, the
//! fix measured; needs valgrind: `sudo apt-get install valgrind`, else a
//! skip line), `mastery run testing/profiling-demo --flamegraph flame.svg`
//! (also writes the sampler's flame graph; open it in a browser). Quick
//! mode (`--quick`, and `cargo test`) times the fix only, plus the sampler
//! when a flame graph is asked for. By hand: `valgrind --tool=callgrind
//! mastery profile-workload --variant planted` then `callgrind_annotate
//! callgrind.out.<pid>`. Tests: `cargo test -p mastery-testing
//! profiling_demo` (the parser on fixed inputs, the differential test, the
//! sampler and the flame graph), `cargo test --test profiling` (callgrind
//! on the real binary; `MASTERY_REQUIRE_VALGRIND=1` fails instead of
//! skipping without valgrind). The code: the core below; `workload.rs`
//! (the pipeline), `callgrind.rs`, `sampler.rs`, `hotspot.rs` (costs per
//! stage, agreement), `demo.rs`, `tests.rs`.

mod callgrind;
mod demo;
mod hotspot;
mod sampler;
#[cfg(test)]
mod tests;
mod workload;

pub use callgrind::{
    CallgrindError, CallgrindOptions, CallgrindProfile, CallgrindRun, LineKey, run_callgrind,
    valgrind_version,
};
pub use hotspot::{StageCosts, agreed_hotspot};
pub use sampler::{SampledRun, SamplerError, Samples, flamegraph_titles, sample};
pub use workload::{
    Order, ROOT, ROOT_PATTERN, SEED, STAGES, Summary, Variant, WorkloadError, is_root, order_log,
    parse_orders, render_summary, revenue_by_sku, run_workload, stage_of, summarize, worker_line,
};

use std::collections::HashSet;

// ANCHOR: core
// The planted hotspot, as a Python engineer writes it: `not in seen` on a
// list is a scan, so the stage does orders × customers comparisons. Both
// profilers point here; the fix below makes it one hash lookup per order.

/// The customers of `orders` in order of first purchase — **the planted
/// hotspot**: a linear `contains` on a `Vec` for every order, quadratic in
/// the number of customers. Kept as the story; [`unique_customers`] is the
/// fix.
#[inline(never)]
pub fn unique_customers_quadratic<'a>(orders: &[Order<'a>]) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for order in orders {
        if !seen.contains(&order.customer) {
            seen.push(order.customer);
        }
    }
    seen
}

/// The customers of `orders` in order of first purchase: one hash lookup
/// per order (`HashSet::insert` says whether the name was new), the same
/// answer as [`unique_customers_quadratic`].
#[inline(never)]
pub fn unique_customers<'a>(orders: &[Order<'a>]) -> Vec<&'a str> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut customers = Vec::new();
    for order in orders {
        if seen.insert(order.customer) {
            customers.push(order.customer);
        }
    }
    customers
}
// ANCHOR_END: core
