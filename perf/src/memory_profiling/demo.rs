//! The demo: sizes beside CPython's, growth, a dhat profile, then one pair
//! of choices per section, each with the heap it holds and its time.

use std::hint::black_box;

use mastery_kit::memory::{HeapUse, heap_use_during};
use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};

use super::cpython::{PythonSizes, python_program, python_sizes};
use super::dhat_profile::{DhatSummary, short_backtrace};
use super::{
    InlineVec, profile_growth_ad_hoc, sample_text, size_facts, trace_growth, words_borrowed,
    words_owned,
};
use crate::bytecode_demo::clip;
use crate::paired::factor;

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/memory-profiling",
        area: Area::Perf,
        rank: 2,
        title: "Memory profiling: sizes, a counting allocator, dhat",
        python: "sys.getsizeof(obj); tracemalloc.start() … get_traced_memory() → (current, peak)",
        rust: "size_of::<T>(); a counting #[global_allocator] attributing peak and retained bytes to a scope; dhat profiles; Vec growth vs with_capacity, &str, Box<[T]>, inline small vectors",
        path: "perf/src/memory_profiling/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// The source folder of this topic, as it appears in dhat's backtraces.
const TOPIC_DIR: &str = "memory_profiling/";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let installed = mastery_kit::memory::counting_installed();
    n.say(if installed {
        "The kit's counting allocator is installed in this process: peak and retained bytes \
         below are what the allocator was asked for."
    } else {
        "The kit's counting allocator is NOT installed in this process (a library test runs on \
         the system allocator), so heap figures below come from capacity() and size_of — still \
         measured, but not by the allocator. `mastery run` installs it."
    });
    let pushes = n.mode().pick_deep(1_000, 200_000, 1_000_000);
    let profiled_pushes = n.mode().pick_deep(1_000, 20_000, 100_000);
    let program = python_program(n.settings().python.as_deref().map(|p| p.as_os_str()));
    // Neither the CPython figures (a child process to start) nor the dhat
    // profile (backtraces to symbolize) is timed, so they run side by side
    // before the story starts; the timed sections run on a quiet process.
    let (python, profile) = std::thread::scope(|s| {
        let python = s.spawn(|| python_sizes(&program, pushes));
        let profile = profile_growth_ad_hoc(profiled_pushes);
        let python = python
            .join()
            .unwrap_or_else(|_| Err("the thread running python3 panicked".to_owned()));
        (python, profile)
    });
    sizes(n, python.as_ref().ok());
    growth(n, pushes, python.as_ref().map_err(String::as_str));
    dhat_profile(n, profiled_pushes, profile);
    strings(n);
    boxed_slices(n);
    small_vectors(n);
    scope_peak(n);
    Ok(())
}

fn sizes(n: &mut Narrator, python: Option<&PythonSizes>) {
    n.section("sys.getsizeof → size_of (bytes of the value itself)");
    for fact in size_facts() {
        n.show(format!("{:<22} {:>3}  {}", fact.name, fact.size, fact.what));
    }
    n.record_bytes("size_of::<String>()", size_of::<String>());
    n.record_bytes("size_of::<Box<[u64]>>()", size_of::<Box<[u64]>>());
    let Some(py) = python else {
        return;
    };
    n.say(&format!(
        "CPython {} by sys.getsizeof, measured now: every value carries an object header.",
        py.version
    ));
    n.show(format!(
        "{:<22} {:>3}  an int object (Rust u64: 8)",
        "1", py.int_small
    ));
    n.show(format!("{:<22} {:>3}  an empty str", "\"\"", py.str_empty));
    n.show(format!(
        "{:<22} {:>3}  a 5-letter str, header included",
        "\"hello\"", py.str_word
    ));
    n.show(format!(
        "{:<22} {:>3}  a list header, no items",
        "[]", py.list_empty
    ));
    n.show(format!(
        "{:<22} {:>3}  header + 4 pointers; each int is its own object",
        "(1, 2, 3, 4)", py.tuple_4
    ));
    n.compare(
        "an empty growable list: Vec<u64> vs Python list (bytes of the value)",
        size_of::<Vec<u64>>() as f64,
        py.list_empty as f64,
        "CPython list",
        Unit::Bytes,
    );
}

/// Records a scope's heap: the counting allocator's figures when installed,
/// else `estimate` (from capacities), labelled as such. Returns the bytes
/// the scope holds: retained, or the estimate.
fn record_heap(n: &mut Narrator, label: &str, used: Option<HeapUse>, estimate: usize) -> u64 {
    match used {
        Some(u) => {
            n.record_bytes(&format!("{label}: peak"), u.peak_bytes);
            n.record_count(
                &format!("{label}: allocator calls (alloc + realloc)"),
                u.allocations + u.reallocations,
            );
            n.record_bytes(&format!("{label}: retained"), u.retained_bytes)
        }
        None => n.record_bytes(
            &format!("{label}: from capacity() (allocator not installed)"),
            estimate,
        ),
    }
}

/// One side of a heap comparison: its name, what the counting allocator
/// saw (if installed), and the estimate from capacities otherwise.
struct HeapSide<'a> {
    name: &'a str,
    used: Option<HeapUse>,
    estimate: usize,
}

/// Records both sides' heap ([`record_heap`]), ours first, and compares
/// what they hold; returns (ours, peer) in bytes.
fn compare_heap(
    n: &mut Narrator,
    label: &str,
    ours: HeapSide<'_>,
    peer: HeapSide<'_>,
    peer_name: &str,
) -> (u64, u64) {
    let held_ours = record_heap(n, ours.name, ours.used, ours.estimate);
    let held_peer = record_heap(n, peer.name, peer.used, peer.estimate);
    n.compare(
        label,
        held_ours as f64,
        held_peer as f64,
        peer_name,
        Unit::Bytes,
    );
    (held_ours, held_peer)
}

fn growth(n: &mut Narrator, pushes: usize, python: Result<&PythonSizes, &str>) {
    n.section(&format!(
        "Vec growth: {pushes} pushes, Vec::new() vs with_capacity"
    ));
    let pushed = trace_growth(pushes, 0, |_| {});
    let reserved = trace_growth(pushes, pushes, |_| {});
    let shown: Vec<String> = pushed
        .capacities
        .iter()
        .take(12)
        .map(usize::to_string)
        .collect();
    let more = if pushed.capacities.len() > 12 {
        " …"
    } else {
        ""
    };
    n.show(format!("capacities: {}{more}", shown.join(" → ")));
    n.compare(
        "allocation calls (first allocation + reallocations)",
        reserved.allocations() as f64,
        pushed.allocations() as f64,
        "Vec::new() + push",
        Unit::Count,
    );
    n.record_count("push: reallocations that moved the buffer", pushed.moves);
    n.record_bytes(
        "push: bytes those moves relocated (copied, or remapped by mremap)",
        pushed.bytes_copied,
    );
    n.record_bytes(
        "push: bytes requested over the run",
        pushed.bytes_requested(),
    );
    n.record_bytes("push: spare capacity at the end", pushed.spare_bytes());
    let (v, used_push) = heap_use_during(|| filled_by_push(pushes));
    drop(black_box(v));
    let (v, used_reserved) = heap_use_during(|| filled_reserved(pushes));
    drop(black_box(v));
    record_heap(
        n,
        "push",
        used_push,
        pushed.final_capacity() * size_of::<u64>(),
    );
    record_heap(
        n,
        "with_capacity",
        used_reserved,
        reserved.final_capacity() * size_of::<u64>(),
    );
    n.compare_timed(
        "fill a Vec<u64> (ns per element)",
        pushes as u64,
        || filled_reserved(black_box(pushes)),
        "Vec::new() + push",
        || filled_by_push(black_box(pushes)),
    );
    n.say(
        "Doubling keeps push amortized O(1): over the whole run the moves relocate fewer \
         elements than twice the pushes, so on average each element moves once or twice more — \
         an average; the push that triggers a move relocates every element there is. \
         Reallocations that grow in place (realloc extending the block) copy nothing. A moved \
         buffer was copied unless it was large enough for the allocator to map it on its own: \
         glibc moves such a block with mremap, which remaps its pages to the new address \
         without copying the bytes. The counting allocator sees a realloc as its growth only, \
         so the brief moment when old and new buffers coexist is not in its peak.",
    );
    match python {
        Ok(py) => {
            n.compare(
                &format!("growth steps over {pushes} appends: Vec vs Python list"),
                pushed.allocations() as f64,
                py.list_steps as f64,
                "CPython list",
                Unit::Count,
            );
            // getsizeof(list) is the header plus one pointer per slot.
            let py_spare = py.list_final.saturating_sub(py.list_empty + 8 * pushes);
            n.record_bytes("CPython list: spare capacity at the end", py_spare);
            let ahead = if py_spare < pushed.spare_bytes() {
                "the list ended with less spare room"
            } else {
                "the list still ended with more spare room"
            };
            n.say(&format!(
                "CPython grows a list by about an eighth each time, so it reallocated {:.1}× as \
                 often; here {ahead} ({py_spare} bytes to the Vec's {}) — which one wastes less \
                 depends on where N falls between growth steps. Reserving the known size up \
                 front is one allocation and no waste in both languages.",
                py.list_steps as f64 / pushed.allocations().max(1) as f64,
                pushed.spare_bytes()
            ));
        }
        Err(why) => n.say(&format!("No CPython comparison: {why}.")),
    }
}

fn dhat_profile(n: &mut Narrator, pushes: usize, profile: anyhow::Result<DhatSummary>) {
    n.section(&format!(
        "dhat: where the allocations happened ({pushes} pushes, ad hoc profile)"
    ));
    let summary = match profile {
        Ok(s) => s,
        Err(e) => {
            n.say(&format!("No dhat profile: {e}."));
            return;
        }
    };
    n.say(&format!(
        "dhat wrote a {} profile (its own summary lines go to stderr): one event per \
         allocation, weighted by its bytes, with the backtrace of where. Read back, per site:",
        summary.mode
    ));
    for site in summary.sites.iter().take(4) {
        n.show(format!(
            "{:>4} events {:>10} bytes",
            site.events, site.units
        ));
        n.show(format!(
            "    at {}",
            clip(&short_backtrace(site, TOPIC_DIR), 68)
        ));
    }
    n.say("(function:line in perf/src/memory_profiling/, innermost first)");
    n.record_count("dhat: events in the profile", summary.events);
    n.record_bytes("dhat: bytes in the profile", summary.units);
    n.say(
        "In ad hoc mode dhat records the events we report; in heap mode (`dhat::Alloc` as the \
         global allocator, as `perf/tests/memory_dhat.rs` does) it records every allocation by \
         itself — blocks, bytes, peak, lifetimes — and the profile opens in DHAT's viewer \
         (dh_view.html).",
    );
}

fn strings(n: &mut Narrator) {
    let words = n.mode().pick_deep(2_000, 50_000, 200_000);
    let text = sample_text(words);
    n.section(&format!(
        "String vs &str: {words} words of a {}-byte text",
        text.len()
    ));
    let (borrowed, used_borrowed) = heap_use_during(|| words_borrowed(&text));
    let (owned, used_owned) = heap_use_during(|| words_owned(&text));
    let estimate_borrowed = borrowed.capacity() * size_of::<&str>();
    let estimate_owned =
        owned.capacity() * size_of::<String>() + owned.iter().map(String::capacity).sum::<usize>();
    compare_heap(
        n,
        "heap held by the word list (bytes)",
        HeapSide {
            name: "Vec<&str>",
            used: used_borrowed,
            estimate: estimate_borrowed,
        },
        HeapSide {
            name: "Vec<String>",
            used: used_owned,
            estimate: estimate_owned,
        },
        "Vec<String>",
    );
    drop((borrowed, owned));
    n.compare_timed(
        "split into words (ns per word)",
        words as u64,
        || words_borrowed(black_box(&text)),
        "Vec<String> (a copy per word)",
        || words_owned(black_box(&text)),
    );
    n.say(
        "A &str points into text that already exists; a String owns a copy, and every copy is \
         an allocation (the allocator's bookkeeping and rounding come on top of these figures). \
         The borrow ties the list's lifetime to the text — the compiler checks it — which is \
         the price.",
    );
}

fn boxed_slices(n: &mut Narrator) {
    let len = n.mode().pick_deep(1_000, 200_000, 1_000_000);
    n.section(&format!(
        "Box<[u64]> vs Vec<u64>: {len} items after growing"
    ));
    let (v, used_vec) = heap_use_during(|| filled_by_push(len));
    let vec_capacity = v.capacity();
    let (boxed, used_boxed) = heap_use_during(|| filled_by_push(len).into_boxed_slice());
    let estimate_vec = vec_capacity * size_of::<u64>();
    let estimate_boxed = boxed.len() * size_of::<u64>();
    compare_heap(
        n,
        "heap held after growing: Box<[u64]> vs Vec<u64> (bytes)",
        HeapSide {
            name: "Box<[u64]>",
            used: used_boxed,
            estimate: estimate_boxed,
        },
        HeapSide {
            name: "Vec<u64>",
            used: used_vec,
            estimate: estimate_vec,
        },
        "Vec<u64> with its spare capacity",
    );
    n.compare(
        "the handle itself: size_of (bytes)",
        size_of::<Box<[u64]>>() as f64,
        size_of::<Vec<u64>>() as f64,
        "Vec<u64>",
        Unit::Bytes,
    );
    drop((v, boxed));
    n.say(
        "into_boxed_slice (like shrink_to_fit) reallocates to the exact length: the spare \
         capacity is returned, and the handle loses its capacity word. Use it for data that is \
         built once and then only read; Box<str> is the same for text.",
    );
}

fn small_vectors(n: &mut Narrator) {
    let count = n.mode().pick_deep(5_000, 100_000, 1_000_000);
    n.section(&format!(
        "Small vectors: {count} lists of 0–5 u32, Vec vs InlineVec<u32, 4>"
    ));
    let (lists, used_vec) = heap_use_during(|| small_lists_vec(count));
    let (inline, used_inline) = heap_use_during(|| small_lists_inline(count));
    let spilled = inline.iter().filter(|l| !l.is_inline()).count();
    let heap_lists = lists.iter().filter(|l| l.capacity() > 0).count();
    n.record_count("Vec<u32>: lists with a heap buffer", heap_lists);
    n.record_count("InlineVec<u32, 4>: lists spilled to the heap", spilled);
    let estimate_vec = lists.capacity() * size_of::<Vec<u32>>()
        + lists.iter().map(|l| l.capacity() * 4).sum::<usize>();
    let estimate_inline = inline.capacity() * size_of::<InlineVec<u32, 4>>()
        + inline
            .iter()
            .map(|l| match l {
                InlineVec::Heap(v) => v.capacity() * 4,
                InlineVec::Inline { .. } => 0,
            })
            .sum::<usize>();
    let (i, v) = compare_heap(
        n,
        "heap held by short lists: InlineVec<u32, 4> vs Vec<u32> (bytes)",
        HeapSide {
            name: "Vec<InlineVec<u32, 4>>",
            used: used_inline,
            estimate: estimate_inline,
        },
        HeapSide {
            name: "Vec<Vec<u32>>",
            used: used_vec,
            estimate: estimate_vec,
        },
        "Vec<Vec<u32>>",
    );
    drop((lists, inline));
    n.compare_timed(
        "build the lists (ns per list)",
        count as u64,
        || small_lists_inline(black_box(count)),
        "Vec<u32> per list",
        || small_lists_vec(black_box(count)),
    );
    let bytes_verdict = if i > v {
        "By bytes asked of the allocator the inline lists lose here: every slot of the outer \
         Vec is bigger, and tiny Vec buffers are tiny requests. What the byte count hides is \
         the per-block cost — malloc's header and rounding (every block has a minimum size) \
         and one allocator call per list — which is where the inline version saves"
    } else {
        "By bytes asked of the allocator the inline lists win too, before counting malloc's \
         per-block header and rounding"
    };
    n.say(&format!(
        "{bytes_verdict}: {heap_lists} heap buffers against {spilled}. InlineVec is {} bytes to \
         Vec's {}. The crates `smallvec` and `arrayvec` do this for any type; the price is a \
         branch on every access and a larger value that is copied whole when it moves.",
        size_of::<InlineVec<u32, 4>>(),
        size_of::<Vec<u32>>()
    ));
}

fn scope_peak(n: &mut Narrator) {
    let len = n.mode().pick_deep(100_000, 1_000_000, 10_000_000);
    n.section(&format!(
        "The peak of a scope: sum of {len} squares, collected first vs streamed"
    ));
    let input: Vec<u32> = (0..len as u32)
        .map(|i| i.wrapping_mul(2_654_435_761))
        .collect();
    let square = |&x: &u32| u64::from(x) * u64::from(x);
    let collected = |input: &[u32]| {
        let squares: Vec<u64> = input.iter().map(square).collect();
        squares.iter().fold(0u64, |s, &x| s.wrapping_add(x))
    };
    let streamed = |input: &[u32]| input.iter().map(square).fold(0u64, u64::wrapping_add);
    let (a, used_collected) = heap_use_during(|| collected(black_box(&input)));
    let (b, used_streamed) = heap_use_during(|| streamed(black_box(&input)));
    n.record_count("both give the same sum (1 = yes)", u8::from(a == b));
    match (used_collected, used_streamed) {
        (Some(c), Some(s)) => {
            n.record_bytes("streamed: peak", s.peak_bytes);
            n.record_bytes("collect, then sum: peak", c.peak_bytes);
            n.record_bytes(
                "collect, then sum: retained after the scope",
                c.retained_bytes,
            );
        }
        _ => n.say(
            "The peak needs the counting allocator, which is not installed here: the collected \
             version's Vec holds every square at once; the streamed one holds none.",
        ),
    }
    let time = n.compare_timed(
        "sum of squares (ns per element)",
        len as u64,
        || streamed(black_box(&input)),
        "collect, then sum",
        || collected(black_box(&input)),
    );
    let cost = match time.verdict {
        Verdict::Better => format!(
            " — and writing it out and reading it back cost time as well: streaming ran {}.",
            factor(&time)
        ),
        _ => format!(
            ". In time, streaming against collecting: {}.",
            time.faster_or_slower()
        ),
    };
    n.say(&format!(
        "This is what tracemalloc's peak catches and its current misses: the temporary is freed \
         before the scope ends, so nothing is retained, yet the process needed all of it at \
         once{cost}"
    ));
}

/// A `Vec` filled by `push` from empty: the doubling path.
fn filled_by_push(n: usize) -> Vec<u64> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(i as u64);
    }
    v
}

/// A `Vec` reserved to its final size, then filled.
fn filled_reserved(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(i as u64);
    }
    v
}

/// The length of the `i`-th small list in the demo: 0 to 5 items, so most
/// fit in four and one in six spills.
fn small_len(i: usize) -> usize {
    i % 6
}

fn small_lists_vec(count: usize) -> Vec<Vec<u32>> {
    (0..count)
        .map(|i| (0..small_len(i) as u32).collect())
        .collect()
}

fn small_lists_inline(count: usize) -> Vec<InlineVec<u32, 4>> {
    (0..count)
        .map(|i| (0..small_len(i) as u32).collect())
        .collect()
}
