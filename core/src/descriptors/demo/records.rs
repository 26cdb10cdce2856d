//! Records in Rust: the heap of a `Vec<Reading>` (and of the
//! `#[repr(C)]`, boxed and hash-map-per-record variants) as the counting
//! allocator sees it, the side compared with CPython.

use std::collections::HashMap;
use std::hint::black_box;

use mastery_kit::{Narrator, Unit};

use crate::descriptors::{Reading, ReadingC};

/// A dynamically typed attribute value: what a Python `__dict__` holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FieldValue {
    Int(u64),
    Float(f64),
    Bool(bool),
}

pub(crate) fn reading(i: u32) -> Reading {
    Reading {
        sensor: i,
        value: f64::from(i) * 0.5,
        ok: i % 2 == 0,
        timestamp: 1_700_000_000 + u64::from(i),
    }
}

pub(crate) fn reading_c(i: u32) -> ReadingC {
    let r = reading(i);
    ReadingC {
        sensor: r.sensor,
        value: r.value,
        ok: r.ok,
        timestamp: r.timestamp,
    }
}

pub(crate) fn reading_dict(i: u32) -> HashMap<&'static str, FieldValue> {
    let r = reading(i);
    HashMap::from([
        ("sensor", FieldValue::Int(u64::from(r.sensor))),
        ("value", FieldValue::Float(r.value)),
        ("ok", FieldValue::Bool(r.ok)),
        ("timestamp", FieldValue::Int(r.timestamp)),
    ])
}

/// How many records both sides build: CPython at each size, Rust at the
/// largest, so the two heaps are compared at the same N. Two sizes ten
/// times apart show that bytes per record do not depend on N; what sets
/// the sizes is CPython's side, which `tracemalloc` slows down several
/// times over. The small-int cache (ids below 257 are shared) lowers the
/// figures of the smaller size a little; at the larger it is lost in the
/// rounding.
pub(super) fn record_counts(mode: mastery_kit::Mode) -> Vec<u32> {
    mode.pick_deep(vec![1_000], vec![2_000, 20_000], vec![100_000, 1_000_000])
}

/// The heap `build` holds for its result: from the counting allocator when
/// it is installed (the `mastery` binary), otherwise an estimate from
/// `size_of` and the capacities (library tests), and the label says so.
/// Records bytes per record; returns the total.
fn heap_of<T>(
    n: &mut Narrator,
    label: &str,
    records: u32,
    build: impl FnOnce() -> Vec<T>,
    extra_heap_per_item: impl Fn(&T) -> usize,
) -> f64 {
    let (built, peak) = mastery_kit::memory::peak_heap_during(build);
    let (bytes, how) = match peak {
        Some(bytes) => (bytes, ""),
        None => (
            built.capacity() * size_of::<T>()
                + built.iter().map(&extra_heap_per_item).sum::<usize>(),
            " (size_of estimate: counting allocator not installed)",
        ),
    };
    drop(black_box(built));
    n.record(
        &format!("Rust {label}: bytes/record{how}"),
        bytes as f64 / f64::from(records),
        Unit::Bytes,
    );
    bytes as f64
}

/// The heap of `records` records as a `Vec<Reading>`, the figure compared
/// with CPython.
pub(super) struct RustRecords {
    pub(super) records: u32,
    pub(super) bytes: f64,
}

pub(super) fn rust_records(n: &mut Narrator) -> RustRecords {
    let records = record_counts(n.mode()).last().copied().unwrap_or(1);
    n.section(&format!(
        "{records} records in Rust, heap measured by the counting allocator"
    ));
    let bytes = heap_of(
        n,
        "Vec<Reading>",
        records,
        || (0..records).map(reading).collect(),
        |_| 0,
    );
    heap_of(
        n,
        "Vec<ReadingC>",
        records,
        || (0..records).map(reading_c).collect(),
        |_| 0,
    );
    heap_of(
        n,
        "Vec<Box<Reading>>",
        records,
        || (0..records).map(|i| Box::new(reading(i))).collect(),
        |_| size_of::<Reading>(),
    );
    heap_of(
        n,
        "Vec<HashMap<&str, FieldValue>>",
        records,
        || (0..records).map(reading_dict).collect(),
        // The table's slots only: control bytes are not estimated.
        |map| map.capacity() * size_of::<(&str, FieldValue)>(),
    );
    n.say(
        "A `Vec<Reading>` is the `__slots__` layout taken to its end: fields inline, no object \
         header, no pointer per record. Boxing each record (one heap object per record, as \
         Python does) adds a pointer; a hash map per record — Python's default `__dict__` — \
         costs a table per record in Rust too.",
    );
    RustRecords { records, bytes }
}
