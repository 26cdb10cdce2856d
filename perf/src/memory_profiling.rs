//! # Memory profiling: `getsizeof` and `tracemalloc` in Rust
//!
//! ## Python idiom
//! `sys.getsizeof(obj)` gives the bytes of one object (not what it points
//! to); `tracemalloc` hooks the allocator and attributes every block to the
//! line that allocated it, with the current and peak traced memory of a
//! stretch of code:
//!
//! ```python
//! import sys, tracemalloc
//! sys.getsizeof([])                   # 56: the list header, no items
//! tracemalloc.start()
//! rows = [str(i) for i in range(100_000)]
//! current, peak = tracemalloc.get_traced_memory()
//! top = tracemalloc.take_snapshot().statistics("lineno")[:3]   # by line
//! ```
//!
//! Every Python value is a heap object with a header, and a `list` grows by
//! about an eighth each time it is full.
//!
//! ## Rust answer
//! - **`size_of::<T>()`** is `getsizeof` at compile time, and it means more:
//!   a Rust value is its fields, stored inline, with no header. A `Vec<T>`
//!   or a `String` is three words (pointer, capacity, length) pointing at
//!   one heap buffer; `&str` and `Box<[T]>` are two (pointer, length) —
//!   [`size_facts`] lists them as the compiler lays them out.
//! - **A counting global allocator** is `tracemalloc`: a thin wrapper around
//!   the system allocator that every allocation of the process goes
//!   through. The kit has one (`mastery_kit::memory`, the `mastery` binary
//!   installs it, the other topics reuse it):
//!   `mastery_kit::memory::heap_use_during(|| work())` returns the work's
//!   result and a `HeapUse { peak_bytes, retained_bytes, .. }` — exactly
//!   `get_traced_memory()` for that scope — plus the calls it made
//!   (`allocations`, `reallocations`, `deallocations`) and the bytes it
//!   requested in total (`bytes_allocated`).
//! - **`dhat`** is the heap profiler: with `#[global_allocator] static A:
//!   dhat::Alloc` and a `dhat::Profiler` it counts every block, keeps the
//!   backtrace of each allocation site, and writes a profile for DHAT's
//!   viewer; `dhat::HeapStats::get()` gives the counts in a test. It cannot
//!   be the `mastery` binary's allocator (the counting one is), so the demo
//!   uses dhat's *ad hoc* mode — events we report, attributed to their
//!   backtraces, written to a profile in a temp dir that
//!   [`DhatSummary::from_json`] reads back — and the integration test
//!   `perf/tests/memory_dhat.rs` installs `dhat::Alloc` for real block
//!   counts.
//! - **Growth is visible without any tool**: `Vec::capacity()` and the
//!   buffer's address tell when a `Vec` reallocated and whether it moved
//!   ([`trace_growth`]).
//!
//! ```
//! use mastery_perf::memory_profiling::{trace_growth, InlineVec};
//!
//! let pushed = trace_growth(1_000, 0, |_| {});
//! assert_eq!(pushed.capacities, [4, 8, 16, 32, 64, 128, 256, 512, 1024]); // doubling
//! let reserved = trace_growth(1_000, 1_000, |_| {});
//! assert_eq!(reserved.allocations(), 1);
//!
//! let mut small: InlineVec<u32, 4> = InlineVec::new();
//! small.extend([1, 2, 3]);
//! assert!(small.is_inline());            // three items, no heap
//! ```
//!
//! Which number comes from where, in the demo:
//! - *sizes* — `size_of`, the compiler's layout;
//! - *capacities, allocations, moves* — `capacity()` and the buffer's
//!   address, observed after every push;
//! - *peak, retained* — the kit's counting allocator (only when it is
//!   installed; a library test runs without it, and the demo says so);
//! - *sites* — dhat's ad hoc profile;
//! - *CPython* — `sys.getsizeof` run by `python3` in the same run, when
//!   it is installed.
//!
//! ## When to use which
//! - `size_of` for layout questions (and `core/descriptors` for field order
//!   and niches); it never includes the heap a value owns.
//! - The counting allocator for "how much does this scope hold, at most and
//!   at the end" — cheap enough to leave installed (two atomic adds per
//!   allocation), process-wide (other threads count too).
//! - dhat when you need *where*: allocation sites by backtrace, block
//!   counts, lifetimes; it is slow (a backtrace per allocation), so run it
//!   in a profiling build or a test, and use `dhat::HeapStats` to assert an
//!   allocation budget in tests. Valgrind's DHAT or `heaptrack` profile an
//!   unmodified binary.
//! - `Vec::with_capacity` when the size is known: one allocation, no copy.
//!   `&str` over `String` when the text already lives somewhere; `Box<[T]>`
//!   (or `Box<str>`) for a collection that will not grow: one word smaller
//!   and no spare capacity. A small-vector (here [`InlineVec`]; the
//!   `smallvec` and `arrayvec` crates) when most collections are tiny:
//!   no allocation until it spills, at the cost of a bigger value and a
//!   branch on every access.
//!
//! ## Run it
//! `mastery run perf/memory-profiling` (sizes beside CPython's, `Vec`
//! growth against `with_capacity` and against a Python list, a dhat ad hoc
//! profile summarised, `String` vs `&str`, `Box<[T]>` vs `Vec<T>`, small
//! vectors, the peak of a scope — each with its time), and
//! `cargo test -p mastery-perf memory` (unit tests, plus the integration
//! tests that install the counting allocator and dhat's allocator so the
//! figures are real).

use std::hint::black_box;
use std::process::Command;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use mastery_kit::memory::{HeapUse, heap_use_during};
use mastery_kit::{Area, Narrator, Topic, Unit};
use serde::Deserialize;

use crate::bytecode_demo::{CompileError, run_with_timeout};

mastery_kit::inventory::submit! {
    Topic {
        id: "perf/memory-profiling",
        area: Area::Perf,
        rank: 2,
        title: "Memory profiling: sizes, a counting allocator, dhat",
        python: "sys.getsizeof(obj); tracemalloc.start() … get_traced_memory() → (current, peak)",
        rust: "size_of::<T>(); a counting #[global_allocator] attributing peak and retained bytes to a scope; dhat profiles; Vec growth vs with_capacity, &str, Box<[T]>, inline small vectors",
        path: "perf/src/memory_profiling.rs",
        source: include_str!("memory_profiling.rs"),
        run: demo,
    }
}

// ---- sizes -------------------------------------------------------------------------

/// One line of the size table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeFact {
    /// The type, as written.
    pub name: &'static str,
    /// `size_of` in bytes: the value itself, never the heap it owns.
    pub size: usize,
    /// What those bytes are.
    pub what: &'static str,
}

/// What the compiler says about the types this topic compares.
pub fn size_facts() -> Vec<SizeFact> {
    vec![
        SizeFact {
            name: "u64",
            size: size_of::<u64>(),
            what: "the number, inline",
        },
        SizeFact {
            name: "&str",
            size: size_of::<&str>(),
            what: "pointer + length",
        },
        SizeFact {
            name: "String",
            size: size_of::<String>(),
            what: "pointer + capacity + length",
        },
        SizeFact {
            name: "Box<str>",
            size: size_of::<Box<str>>(),
            what: "pointer + length: cannot grow",
        },
        SizeFact {
            name: "Vec<u64>",
            size: size_of::<Vec<u64>>(),
            what: "pointer + capacity + length",
        },
        SizeFact {
            name: "Box<[u64]>",
            size: size_of::<Box<[u64]>>(),
            what: "pointer + length",
        },
        SizeFact {
            name: "Option<Box<[u64]>>",
            size: size_of::<Option<Box<[u64]>>>(),
            what: "None is the null pointer (a niche)",
        },
        SizeFact {
            name: "std::rc::Rc<str>",
            size: size_of::<std::rc::Rc<str>>(),
            what: "pointer + length; counts live on the heap",
        },
        SizeFact {
            name: "InlineVec<u32, 4>",
            size: size_of::<InlineVec<u32, 4>>(),
            what: "room for 4 items inline, or a Vec",
        },
        SizeFact {
            name: "[u64; 4]",
            size: size_of::<[u64; 4]>(),
            what: "four numbers, no header",
        },
    ]
}

// ---- Vec growth --------------------------------------------------------------------

/// How a `Vec<u64>` grew while `pushes` items were pushed, as seen from the
/// outside: `capacity()` and the buffer's address after every push.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Growth {
    /// Items pushed.
    pub pushes: usize,
    /// The capacity after each allocation (the first is the initial one
    /// when it was reserved up front).
    pub capacities: Vec<usize>,
    /// Reallocations that moved the buffer to a new address (the old items
    /// were copied); the others grew it in place.
    pub moves: usize,
    /// Bytes copied by those moves.
    pub bytes_copied: usize,
}

impl Growth {
    /// Allocation calls: the first allocation and every reallocation.
    pub fn allocations(&self) -> usize {
        self.capacities.len()
    }

    /// The capacity at the end.
    pub fn final_capacity(&self) -> usize {
        self.capacities.last().copied().unwrap_or(0)
    }

    /// Bytes asked of the allocator over the whole run (each new buffer size).
    pub fn bytes_requested(&self) -> usize {
        self.capacities.iter().sum::<usize>() * size_of::<u64>()
    }

    /// Capacity reserved but never used at the end, in bytes.
    pub fn spare_bytes(&self) -> usize {
        (self.final_capacity() - self.pushes.min(self.final_capacity())) * size_of::<u64>()
    }
}

/// Pushes `pushes` numbers into a `Vec<u64>` created with capacity `reserve`
/// (0 is `Vec::new()`), and reports each allocation to `on_allocation` with
/// its size in bytes as it happens. Returns what it saw.
pub fn trace_growth(pushes: usize, reserve: usize, mut on_allocation: impl FnMut(usize)) -> Growth {
    let mut v: Vec<u64> = Vec::with_capacity(reserve);
    let mut growth = Growth {
        pushes,
        ..Growth::default()
    };
    if v.capacity() > 0 {
        growth.capacities.push(v.capacity());
        on_allocation(v.capacity() * size_of::<u64>());
    }
    let mut at = v.as_ptr() as usize;
    for i in 0..pushes {
        let before = v.capacity();
        v.push(i as u64);
        if v.capacity() == before {
            continue;
        }
        let now = v.as_ptr() as usize;
        if before > 0 && now != at {
            growth.moves += 1;
            growth.bytes_copied += before * size_of::<u64>();
        }
        at = now;
        growth.capacities.push(v.capacity());
        on_allocation(v.capacity() * size_of::<u64>());
    }
    black_box(&v);
    growth
}

fn filled_by_push(n: usize) -> Vec<u64> {
    let mut v = Vec::new();
    for i in 0..n {
        v.push(i as u64);
    }
    v
}

fn filled_reserved(n: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(i as u64);
    }
    v
}

// ---- strings -----------------------------------------------------------------------------

/// The words of `text`, borrowed: one `&str` (16 bytes) per word, no copy.
pub fn words_borrowed(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The words of `text`, owned: one `String` (24 bytes) and one heap buffer
/// per word.
pub fn words_owned(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// A deterministic text of `words` words of 1 to 12 letters.
pub fn sample_text(words: usize) -> String {
    let mut text = String::new();
    let mut x: u32 = 12_345;
    for i in 0..words {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = 1 + (x >> 16) as usize % 12;
        if i > 0 {
            text.push(' ');
        }
        text.extend((0..len).map(|k| char::from(b'a' + ((x as usize >> k) % 26) as u8)));
    }
    text
}

// ---- small vectors -----------------------------------------------------------------------

/// A vector that keeps up to `N` items inline — no heap allocation at all —
/// and moves them to a `Vec` when the `N + 1`-th arrives: the idea of the
/// `smallvec` crate, in safe code (items are `Copy + Default`, so the
/// inline array can be filled up front). `N` is at most 255.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineVec<T: Copy + Default, const N: usize> {
    /// Up to `N` items in place.
    Inline {
        /// How many of `items` are in use.
        len: u8,
        /// The storage; items past `len` are `T::default()`.
        items: [T; N],
    },
    /// Spilled to the heap.
    Heap(Vec<T>),
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    /// An empty vector, inline.
    pub fn new() -> Self {
        const {
            assert!(
                N <= u8::MAX as usize,
                "InlineVec holds at most 255 items inline"
            )
        };
        InlineVec::Inline {
            len: 0,
            items: [T::default(); N],
        }
    }

    /// Appends `value`; the `N + 1`-th push moves everything to the heap.
    pub fn push(&mut self, value: T) {
        let spilled = match self {
            InlineVec::Heap(v) => {
                v.push(value);
                return;
            }
            InlineVec::Inline { len, items } => {
                let at = usize::from(*len);
                if at < N {
                    items[at] = value;
                    *len += 1;
                    return;
                }
                let mut v = Vec::with_capacity(2 * N.max(1));
                v.extend_from_slice(items);
                v.push(value);
                v
            }
        };
        *self = InlineVec::Heap(spilled);
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        match self {
            InlineVec::Inline { len, items } => &items[..usize::from(*len)],
            InlineVec::Heap(v) => v,
        }
    }

    /// How many items there are.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the items are still inline (nothing allocated).
    pub fn is_inline(&self) -> bool {
        matches!(self, InlineVec::Inline { .. })
    }
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Copy + Default, const N: usize> Extend<T> for InlineVec<T, N> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for item in iter {
            self.push(item);
        }
    }
}

impl<T: Copy + Default, const N: usize> FromIterator<T> for InlineVec<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = Self::new();
        v.extend(iter);
        v
    }
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

// ---- dhat profiles -----------------------------------------------------------------------

/// Why a dhat profile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is not the JSON dhat writes.
    #[error("not a dhat profile (dhatFileVersion 2 JSON expected): {0}")]
    Json(#[from] serde_json::Error),
    /// A program point names a frame the frame table lacks.
    #[error("dhat profile: frame {index} is not in the frame table ({frames} entries)")]
    MissingFrame {
        /// The frame index.
        index: usize,
        /// How many frames the table has.
        frames: usize,
    },
}

/// One allocation site (a *program point*) of a dhat profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhatSite {
    /// Bytes (heap mode) or event weight (ad hoc mode) attributed to it.
    pub units: u64,
    /// Blocks allocated (heap mode) or events (ad hoc mode).
    pub events: u64,
    /// Its backtrace, innermost first: `function (file:line:col)`.
    pub frames: Vec<String>,
}

impl DhatSite {
    /// The innermost frame containing `needle` (a module path, say).
    pub fn frame_matching(&self, needle: &str) -> Option<&str> {
        self.frames
            .iter()
            .map(String::as_str)
            .find(|f| f.contains(needle))
    }
}

/// A dhat profile (`dhat-heap.json` / `dhat-ad-hoc.json`), summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhatSummary {
    /// `rust-heap` or `rust-ad-hoc`.
    pub mode: String,
    /// Total bytes or event weight.
    pub units: u64,
    /// Total blocks or events.
    pub events: u64,
    /// The sites, most units first.
    pub sites: Vec<DhatSite>,
}

#[derive(Deserialize)]
struct RawProfile {
    mode: String,
    pps: Vec<RawSite>,
    ftbl: Vec<String>,
}

#[derive(Deserialize)]
struct RawSite {
    tb: u64,
    tbk: u64,
    fs: Vec<usize>,
}

impl DhatSummary {
    /// Reads the JSON dhat writes when its `Profiler` is dropped.
    ///
    /// # Errors
    /// [`ProfileError`] when the text is not such a profile.
    pub fn from_json(text: &str) -> Result<DhatSummary, ProfileError> {
        let raw: RawProfile = serde_json::from_str(text)?;
        let frame = |index: usize| {
            raw.ftbl
                .get(index)
                .map(|f| {
                    // "0x55d5…: path::to::fn (src/file.rs:12:5)": drop the address.
                    f.split_once(": ")
                        .map_or(f.as_str(), |(_, rest)| rest)
                        .to_owned()
                })
                .ok_or(ProfileError::MissingFrame {
                    index,
                    frames: raw.ftbl.len(),
                })
        };
        let mut sites = raw
            .pps
            .iter()
            .map(|pp| {
                Ok(DhatSite {
                    units: pp.tb,
                    events: pp.tbk,
                    frames: pp.fs.iter().map(|&i| frame(i)).collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, ProfileError>>()?;
        sites.sort_by_key(|site| std::cmp::Reverse(site.units));
        Ok(DhatSummary {
            units: sites.iter().map(|s| s.units).sum(),
            events: sites.iter().map(|s| s.events).sum(),
            mode: raw.mode,
            sites,
        })
    }
}

/// dhat allows one profiler per process at a time.
static DHAT: Mutex<()> = Mutex::new(());

// One reporter per strategy, so the two are separate sites in the profile.
fn report_push_allocation(bytes: usize) {
    dhat::ad_hoc_event(bytes);
}

fn report_reserved_allocation(bytes: usize) {
    dhat::ad_hoc_event(bytes);
}

/// Runs the two growth strategies under a dhat ad hoc profiler, each
/// allocation reported as an event weighted by its bytes, and reads back
/// the profile dhat writes (to a temp dir, removed afterwards). dhat prints
/// a two-line summary of its own on stderr.
///
/// # Errors
/// When the profile cannot be written or read, or another dhat profiler is
/// running in this process.
pub fn profile_growth_ad_hoc(pushes: usize) -> anyhow::Result<DhatSummary> {
    let _one_at_a_time = DHAT.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("dhat-ad-hoc.json");
    let profiled = std::panic::catch_unwind(|| {
        let _profiler = dhat::Profiler::builder().ad_hoc().file_name(&path).build();
        trace_growth(pushes, 0, report_push_allocation);
        trace_growth(pushes, pushes, report_reserved_allocation);
        // Dropping the profiler writes the file.
    });
    if profiled.is_err() {
        anyhow::bail!("dhat refused to start: another dhat profiler is running in this process");
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("dhat wrote no profile at {}: {e}", path.display()))?;
    Ok(DhatSummary::from_json(&text)?)
}

// ---- CPython, measured -------------------------------------------------------------------

/// `sys.getsizeof` figures and a list's growth, measured by `python3`.
#[derive(Debug, Clone, Deserialize)]
struct PythonSizes {
    version: String,
    list_empty: usize,
    list_final: usize,
    list_steps: usize,
    int_small: usize,
    str_empty: usize,
    str_word: usize,
    tuple_4: usize,
}

const PYTHON_SCRIPT: &str = r#"
import json, sys
n = int(sys.argv[1])
l = []
last = sys.getsizeof(l)
steps = 0
for i in range(n):
    l.append(i)
    size = sys.getsizeof(l)
    if size != last:
        steps += 1
        last = size
print(json.dumps({
    "version": sys.version.split()[0],
    "list_empty": sys.getsizeof([]),
    "list_final": last,
    "list_steps": steps,
    "int_small": sys.getsizeof(1),
    "str_empty": sys.getsizeof(""),
    "str_word": sys.getsizeof("hello"),
    "tuple_4": sys.getsizeof((1, 2, 3, 4)),
}))
"#;

/// Runs the script with `python3` (`$PYTHON` if set); `Err` says why not.
fn python_sizes(appends: usize) -> Result<PythonSizes, String> {
    let program = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut command = Command::new(&program);
    command.args(["-c", PYTHON_SCRIPT, &appends.to_string()]);
    let scratch = tempfile::tempdir().map_err(|e| format!("no temp dir: {e}"))?;
    let done =
        run_with_timeout(command, Duration::from_secs(20), scratch.path()).map_err(
            |e| match e {
                CompileError::NotFound { program, .. } => {
                    format!("`{program}` is not installed (set PYTHON to another interpreter)")
                }
                other => other.to_string(),
            },
        )?;
    if !done.status.success() {
        return Err(format!("python3 failed: {}", done.stderr.trim()));
    }
    serde_json::from_str(done.stdout.trim()).map_err(|e| format!("unexpected python3 output: {e}"))
}

// ---- the demo ----------------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let installed = mastery_kit::memory::counting_installed();
    n.say(if installed {
        "The kit's counting allocator is installed in this process: peak and retained bytes \
         below are what the allocator was asked for."
    } else {
        "The kit's counting allocator is NOT installed in this process (a library test runs on \
         the system allocator), so heap figures below come from capacity() and size_of — still \
         measured, but not by the allocator. `mastery run` installs it."
    });
    let pushes = n.mode().pick(1_000, 1_000_000);
    let python = python_sizes(pushes);
    sizes(n, python.as_ref().ok());
    growth(n, pushes, python.as_ref().map_err(String::as_str));
    dhat_profile(n, n.mode().pick(1_000, 100_000));
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
    n.record(
        "size_of::<String>()",
        size_of::<String>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size_of::<Box<[u64]>>()",
        size_of::<Box<[u64]>>() as f64,
        Unit::Bytes,
    );
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
/// else `estimate` (from capacities), labelled as such.
fn record_heap(n: &mut Narrator, label: &str, used: Option<HeapUse>, estimate: usize) -> f64 {
    match used {
        Some(u) => {
            n.record(&format!("{label}: peak"), u.peak_bytes as f64, Unit::Bytes);
            n.record(
                &format!("{label}: allocator calls (alloc + realloc)"),
                (u.allocations + u.reallocations) as f64,
                Unit::Count,
            );
            n.record(
                &format!("{label}: retained"),
                u.retained_bytes as f64,
                Unit::Bytes,
            )
        }
        None => n.record(
            &format!("{label}: from capacity() (allocator not installed)"),
            estimate as f64,
            Unit::Bytes,
        ),
    }
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
    n.record(
        "push: reallocations that moved the buffer",
        pushed.moves as f64,
        Unit::Count,
    );
    n.record(
        "push: bytes copied by those moves",
        pushed.bytes_copied as f64,
        Unit::Bytes,
    );
    n.record(
        "push: bytes requested over the run",
        pushed.bytes_requested() as f64,
        Unit::Bytes,
    );
    n.record(
        "push: spare capacity at the end",
        pushed.spare_bytes() as f64,
        Unit::Bytes,
    );
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
        "Doubling keeps push amortised O(1): each element is copied at most about once more. \
         Reallocations that grow in place (realloc extending the block) copy nothing; the moves \
         above are the ones that did. The counting allocator sees a realloc as its growth only, \
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
            n.record(
                "CPython list: spare capacity at the end",
                py_spare as f64,
                Unit::Bytes,
            );
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

fn dhat_profile(n: &mut Narrator, pushes: usize) {
    n.section(&format!(
        "dhat: where the allocations happened ({pushes} pushes, ad hoc profile)"
    ));
    let summary = match profile_growth_ad_hoc(pushes) {
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
            clip(&short_backtrace(site, "memory_profiling.rs"), 68)
        ));
    }
    n.say("(function:line in perf/src/memory_profiling.rs, innermost first)");
    n.record(
        "dhat: events in the profile",
        summary.events as f64,
        Unit::Count,
    );
    n.record(
        "dhat: bytes in the profile",
        summary.units as f64,
        Unit::Bytes,
    );
    n.say(
        "In ad hoc mode dhat records the events we report; in heap mode (`dhat::Alloc` as the \
         global allocator, as `perf/tests/memory_dhat.rs` does) it records every allocation by \
         itself — blocks, bytes, peak, lifetimes — and the profile opens in DHAT's viewer \
         (dh_view.html).",
    );
}

/// A site's frames located in `file`, innermost first, as `fn:line`
/// joined by `←`: `trace_growth:260 ← {closure#0}:567`. Release builds name
/// inlined frames without their module path, so frames are picked by file,
/// not by path.
fn short_backtrace(site: &DhatSite, file: &str) -> String {
    let ours: Vec<String> = site
        .frames
        .iter()
        .filter_map(|f| {
            let (function, place) = f.rsplit_once(" (")?;
            let place = place.trim_end_matches(')').rsplit('/').next()?;
            if !place.starts_with(file) {
                return None;
            }
            let at = place.rsplit_once(':').map_or(place, |(at, _column)| at);
            let line = at.rsplit_once(':').map_or("?", |(_, line)| line);
            let plain = function.split('<').next().unwrap_or(function);
            let name = plain.rsplit("::").find(|s| !s.is_empty()).unwrap_or(plain);
            Some(format!("{name}:{line}"))
        })
        .collect();
    if ours.is_empty() {
        site.frames.first().cloned().unwrap_or_default()
    } else {
        ours.join(" ← ")
    }
}

fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

fn strings(n: &mut Narrator) {
    let words = n.mode().pick(2_000, 200_000);
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
    let b = record_heap(n, "Vec<&str>", used_borrowed, estimate_borrowed);
    let o = record_heap(n, "Vec<String>", used_owned, estimate_owned);
    n.compare(
        "heap held by the word list (bytes)",
        b,
        o,
        "Vec<String>",
        Unit::Bytes,
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
    let len = n.mode().pick(1_000, 1_000_000);
    n.section(&format!(
        "Box<[u64]> vs Vec<u64>: {len} items after growing"
    ));
    let (v, used_vec) = heap_use_during(|| filled_by_push(len));
    let vec_capacity = v.capacity();
    let (boxed, used_boxed) = heap_use_during(|| filled_by_push(len).into_boxed_slice());
    let estimate_vec = vec_capacity * size_of::<u64>();
    let estimate_boxed = boxed.len() * size_of::<u64>();
    let a = record_heap(n, "Vec<u64>", used_vec, estimate_vec);
    let b = record_heap(n, "Box<[u64]>", used_boxed, estimate_boxed);
    n.compare(
        "heap held (bytes)",
        b,
        a,
        "Vec<u64> with its spare capacity",
        Unit::Bytes,
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
    let count = n.mode().pick(10_000, 1_000_000);
    n.section(&format!(
        "Small vectors: {count} lists of 0–5 u32, Vec vs InlineVec<u32, 4>"
    ));
    let (lists, used_vec) = heap_use_during(|| small_lists_vec(count));
    let (inline, used_inline) = heap_use_during(|| small_lists_inline(count));
    let spilled = inline.iter().filter(|l| !l.is_inline()).count();
    let heap_lists = lists.iter().filter(|l| l.capacity() > 0).count();
    n.record(
        "Vec<u32>: lists with a heap buffer",
        heap_lists as f64,
        Unit::Count,
    );
    n.record(
        "InlineVec<u32, 4>: lists spilled to the heap",
        spilled as f64,
        Unit::Count,
    );
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
    let v = record_heap(n, "Vec<Vec<u32>>", used_vec, estimate_vec);
    let i = record_heap(n, "Vec<InlineVec<u32, 4>>", used_inline, estimate_inline);
    n.compare("heap held (bytes)", i, v, "Vec<Vec<u32>>", Unit::Bytes);
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
    let len = n.mode().pick(100_000, 10_000_000);
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
    n.record(
        "both give the same sum (1 = yes)",
        f64::from(u8::from(a == b)),
        Unit::Count,
    );
    match (used_collected, used_streamed) {
        (Some(c), Some(s)) => {
            n.record("streamed: peak", s.peak_bytes as f64, Unit::Bytes);
            n.record("collect, then sum: peak", c.peak_bytes as f64, Unit::Bytes);
            n.record(
                "collect, then sum: retained after the scope",
                c.retained_bytes as f64,
                Unit::Bytes,
            );
        }
        _ => n.say(
            "The peak needs the counting allocator, which is not installed here: the collected \
             version's Vec holds every square at once; the streamed one holds none.",
        ),
    }
    n.compare_timed(
        "sum of squares (ns per element)",
        len as u64,
        || streamed(black_box(&input)),
        "collect, then sum",
        || collected(black_box(&input)),
    );
    n.say(
        "This is what tracemalloc's peak catches and its current misses: the temporary is freed \
         before the scope ends, so nothing is retained, yet the process needed all of it at \
         once — and writing it out and reading it back costs time as well as memory.",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_doubles_and_with_capacity_allocates_once() {
        let pushed = trace_growth(1_000, 0, |_| {});
        assert_eq!(pushed.capacities, [4, 8, 16, 32, 64, 128, 256, 512, 1024]);
        assert_eq!(pushed.allocations(), 9);
        assert_eq!(pushed.spare_bytes(), 24 * 8);
        assert_eq!(
            pushed.bytes_requested(),
            (4 + 8 + 16 + 32 + 64 + 128 + 256 + 512 + 1024) * 8
        );
        assert!(pushed.moves <= 8, "at most one move per reallocation");
        let reserved = trace_growth(1_000, 1_000, |_| {});
        assert_eq!(reserved.capacities, [1_000]);
        assert_eq!(
            (
                reserved.moves,
                reserved.bytes_copied,
                reserved.spare_bytes()
            ),
            (0, 0, 0)
        );
    }

    #[test]
    fn every_allocation_is_reported_as_it_happens() {
        let mut seen = Vec::new();
        let growth = trace_growth(100, 0, |bytes| seen.push(bytes));
        let expected: Vec<usize> = growth.capacities.iter().map(|c| c * 8).collect();
        assert_eq!(seen, expected);
        assert!(
            trace_growth(0, 0, |_| panic!("no push, no allocation"))
                .capacities
                .is_empty()
        );
    }

    #[test]
    fn inline_vec_spills_on_the_fifth_item() {
        let mut v: InlineVec<u32, 4> = InlineVec::new();
        assert!(v.is_empty() && v.is_inline());
        for i in 0..4 {
            v.push(i);
            assert!(v.is_inline(), "{i}");
        }
        v.push(4);
        assert!(!v.is_inline());
        assert_eq!(v.as_slice(), [0, 1, 2, 3, 4]);
        v.extend(5..10);
        assert_eq!(v.len(), 10);
        let collected: InlineVec<u8, 2> = [7, 8].into_iter().collect();
        assert_eq!(
            (collected.as_slice(), collected.is_inline()),
            (&[7u8, 8][..], true)
        );
        let zero: InlineVec<u8, 0> = [1].into_iter().collect();
        assert_eq!(zero.as_slice(), [1]);
    }

    #[test]
    fn inline_vec_is_bigger_by_value_than_vec_but_not_by_much() {
        assert!(size_of::<InlineVec<u32, 4>>() >= size_of::<Vec<u32>>());
        assert!(size_of::<InlineVec<u32, 4>>() <= 32);
    }

    #[test]
    fn the_size_table_is_what_the_compiler_says() {
        let facts = size_facts();
        let size = |name: &str| {
            facts
                .iter()
                .find(|f| f.name == name)
                .map(|f| f.size)
                .unwrap_or_else(|| panic!("{name} in the table"))
        };
        let word = size_of::<usize>();
        assert_eq!(size("&str"), 2 * word);
        assert_eq!(size("String"), 3 * word);
        assert_eq!(size("Box<[u64]>"), 2 * word);
        assert_eq!(
            size("Option<Box<[u64]>>"),
            size("Box<[u64]>"),
            "the null niche"
        );
        assert_eq!(size("[u64; 4]"), 32);
    }

    #[test]
    fn borrowed_and_owned_words_agree() {
        let text = sample_text(500);
        let borrowed = words_borrowed(&text);
        let owned = words_owned(&text);
        assert_eq!(borrowed.len(), 500);
        assert!(borrowed.iter().zip(&owned).all(|(b, o)| b == o));
        assert!(borrowed.iter().all(|w| (1..=12).contains(&w.len())));
        assert_eq!(sample_text(500), text, "deterministic");
    }

    const PROFILE: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","verb":"Allocated",
        "bklt":true,"bkacc":false,"tu":"µs","Mtu":"s","tuth":10,"cmd":"t","pid":1,"te":5,"tg":3,
        "pps":[{"tb":64,"tbk":2,"tl":1,"mb":64,"mbk":2,"gb":64,"gbk":2,"eb":0,"ebk":0,"fs":[1,2]},
               {"tb":4096,"tbk":1,"tl":1,"mb":4096,"mbk":1,"gb":0,"gbk":0,"eb":0,"ebk":0,"fs":[3]}],
        "ftbl":["[root]","0x1: alloc::raw_vec::grow (raw_vec.rs:1:1)",
                "0x2: app::load (src/app.rs:10:5)","0x3: app::buffer (src/app.rs:20:9)"]}"#;

    #[test]
    fn a_dhat_profile_is_summarised_by_site() -> Result<(), ProfileError> {
        let summary = DhatSummary::from_json(PROFILE)?;
        assert_eq!(summary.mode, "rust-heap");
        assert_eq!((summary.units, summary.events), (4160, 3));
        assert_eq!(summary.sites[0].frames, ["app::buffer (src/app.rs:20:9)"]);
        assert_eq!(
            summary.sites[1].frame_matching("app::"),
            Some("app::load (src/app.rs:10:5)")
        );
        Ok(())
    }

    #[test]
    fn a_broken_profile_is_a_clear_error() {
        let err = DhatSummary::from_json("{}").expect_err("not a profile");
        assert!(err.to_string().contains("dhat profile"), "{err}");
        let missing = PROFILE.replace("\"fs\":[3]", "\"fs\":[9]");
        let err = DhatSummary::from_json(&missing).expect_err("frame 9");
        assert!(
            matches!(
                err,
                ProfileError::MissingFrame {
                    index: 9,
                    frames: 4
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn the_ad_hoc_profile_attributes_events_to_their_sites() {
        let summary = profile_growth_ad_hoc(1_000).expect("a profile");
        assert_eq!(summary.mode, "rust-ad-hoc");
        let pushed = trace_growth(1_000, 0, |_| {});
        assert_eq!(summary.events as usize, pushed.allocations() + 1);
        assert_eq!(summary.units as usize, pushed.bytes_requested() + 8_000);
        // Two sites: the pushes (most bytes, first) and the one reservation.
        let events: Vec<u64> = summary.sites.iter().map(|s| s.events).collect();
        assert_eq!(events, [pushed.allocations() as u64, 1]);
        for site in &summary.sites {
            let trace = short_backtrace(site, "memory_profiling.rs");
            assert!(trace.contains("trace_growth:"), "{trace}");
        }
        assert_ne!(
            short_backtrace(&summary.sites[0], "memory_profiling.rs"),
            short_backtrace(&summary.sites[1], "memory_profiling.rs"),
            "the call sites differ"
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("perf/memory-profiling", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "quick means quick"
        );
        let calls = n
            .comparisons()
            .iter()
            .find(|c| c.label.starts_with("allocation calls"))
            .map(|c| (c.ours, c.peer));
        assert_eq!(calls, Some((1.0, 9.0)));
        assert!(n.comparisons().len() >= 7);
    }
}
