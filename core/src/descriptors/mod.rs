//! # Descriptors and `__slots__`
//!
//! ## Python idiom
//! A *descriptor* is an object on the class that intercepts attribute
//! access on its instances: `property` is one, and a hand-written data
//! descriptor is how Python validates an attribute on every assignment.
//! `functools.cached_property` computes an attribute on first read and
//! stores it in the instance `__dict__`; `__slots__` drops that per-instance
//! `__dict__` to save memory when there are millions of instances.
//!
//! ```python
//! class Bounded:                                   # a data descriptor
//!     def __init__(self, lo, hi): self.lo, self.hi = lo, hi
//!     def __set_name__(self, owner, name): self.name = name
//!     def __get__(self, obj, objtype=None):
//!         if obj is None: return self              # Sensor.threshold: the descriptor
//!         return obj.__dict__[self.name]
//!     def __set__(self, obj, value):
//!         if not self.lo <= value <= self.hi:      # NaN fails too
//!             raise ValueError(f"{self.name} must be in [{self.lo}, {self.hi}]")
//!         obj.__dict__[self.name] = value          # the old value stays on error
//!
//! class Sensor:
//!     threshold = Bounded(0, 100)
//!     def __init__(self, name, threshold):
//!         self.name, self.threshold, self.readings = name, threshold, []
//!
//!     @functools.cached_property                   # computed once, kept in __dict__
//!     def summary(self): return max(self.readings)  # …and stale after a change
//!
//! class Reading:                                   # a million of these
//!     __slots__ = ("sensor", "value", "ok", "timestamp")
//! ```
//!
//! The catches: `cached_property` needs an instance `__dict__`, so on a
//! class with `__slots__` it raises `TypeError`; nothing invalidates it
//! when the inputs change (you `del obj.summary` by hand); and `__slots__`
//! saves only the dictionary. Each slot still points at an object: a float,
//! or an int outside CPython's small-int cache (-5 to 256), is a heap
//! object of its own per record, while the small ints, `True`, `False` and
//! `None` are shared singletons.
//!
//! ## Rust answer
//! - **Validation lives in a type.** [`Percent`] can only be built through
//!   [`Percent::new`], which rejects anything outside `0..=100` (NaN and
//!   infinities included). A field of type `Percent` is valid by
//!   construction — "parse, don't validate" — so the check runs once, at
//!   the boundary, instead of on every read.
//! - **A property is a pair of methods over a private field.**
//!   [`Sensor::threshold`] reads, [`Sensor::set_threshold`] validates and
//!   returns `Result`: on error the old value is untouched, and the caller
//!   cannot ignore the error silently (`Result` is `#[must_use]`).
//! - **Lazy attributes** are a [`OnceCell`] field: [`Sensor::summary`]
//!   computes on first read through `&self` and hands out references after
//!   that. Setters take `&mut self`, so they can *reset* the cell — and the
//!   borrow checker proves nobody still holds a reference to the stale
//!   summary. A lazy global (Python's module-level `_TABLE = build()`) is a
//!   [`LazyLock`](std::sync::LazyLock) static, initialised once even when
//!   threads race for it.
//! - **Interior mutability**: [`Cell`] changes a `Copy` value behind `&self`
//!   (the read counter behind [`Sensor::threshold`], a `__get__` hook);
//!   [`RefCell`](std::cell::RefCell) lends `&mut` behind `&self` with the
//!   borrow rule checked at run time — `Rc<RefCell<T>>` is Python's "two
//!   names, one mutable object". Both make a type `!Sync`; across threads the same roles are
//!   played by atomics, `OnceLock` and `Mutex`.
//! - **Every struct is already `__slots__`**: a fixed set of fields, stored
//!   inline, no per-instance dictionary, no boxed numbers. The compiler also
//!   reorders fields to minimise padding ([`Reading`] is 24 bytes, its
//!   declared-order `#[repr(C)]` twin [`ReadingC`] is 32) and hides an
//!   `Option`'s tag in values a type can never hold (a *niche*), so
//!   `Option<Box<T>>` is the size of `Box<T>`.
//!
//! ```
//! use mastery_core::descriptors::{Sensor, ValidationError};
//!
//! let mut sensor = Sensor::new("boiler-1", 80.0)?;
//! let err = sensor.set_threshold(140.0).unwrap_err();
//! assert!(matches!(err, ValidationError::OutOfRange { field: "threshold", .. }));
//! assert_eq!(sensor.threshold(), 80.0);            // the old value was kept
//!
//! sensor.record(91.5)?;
//! sensor.record(42.0)?;
//! assert_eq!(sensor.summary().above_threshold, 1);  // computed now…
//! assert_eq!(sensor.summary().max, Some(91.5));     // …and reused
//! assert_eq!(sensor.summary_builds(), 1);
//! sensor.set_threshold(40.0)?;                      // invalidates it
//! assert_eq!(sensor.summary().above_threshold, 2);
//! assert_eq!(sensor.summary_builds(), 2);
//! # Ok::<(), ValidationError>(())
//! ```
//!
//! ## When to use which
//! - A **validated newtype** whenever a value has an invariant that more
//!   than one function relies on: it is checked once and carried in the
//!   type. A setter method returning `Result` when the owner must also react
//!   to the change (here: drop the cached summary).
//! - **Public fields** only for plain records that will never need an
//!   invariant. A `pub` field is a *bigger* commitment than a Python
//!   attribute: in Python a later `property` takes over `obj.x` and every
//!   caller keeps working; in Rust there is no such hook, so turning a
//!   `pub` field into a method (to validate or compute it) changes every
//!   call site, in every crate that uses it. When in doubt, start with a
//!   private field and an accessor.
//! - **`OnceCell`** for a per-object lazy value, **`LazyLock`** for a global
//!   one (both std, no crate needed); `Cell` for counters and flags behind
//!   `&self`; `RefCell` only when the ownership really is shared or
//!   re-entrant — a borrow mistake becomes a run-time panic (or an `Err`
//!   from `try_borrow_mut`) instead of a compile error.
//! - **`#[repr(C)]`** only at FFI or file-format boundaries: it pins the
//!   declared order and pays the padding. Box a large, rare enum variant so
//!   the common ones stay small.
//!
//! ## What it costs
//! The demo measures each answer against what it replaces:
//! - **The validated setter vs a raw `f64` field write**, over a batch of
//!   in-range values: a compare and a branch, plus resetting the lazy
//!   summary. What it buys is that no other function checks again.
//! - **The `OnceCell` summary vs recomputing it on every read**: reading a
//!   filled cell against a pass over every reading.
//! - **Bytes per record** of a `Vec<Reading>` (the heap as the `mastery`
//!   binary's counting allocator sees it) against CPython objects with and
//!   without `__slots__`, a dict and a tuple, measured by running `python3`
//!   under `tracemalloc` in the same run; without `python3`, CPython's
//!   published sizes are printed as quotes, not recorded. Beside it, in
//!   `size_of` bytes: `#[repr(C)]` against the compiler's field order, and
//!   an enum's large variant inline against boxed.
//!
//! Bytes per record do not depend on how many records there are, so the
//! default run builds tens of thousands of them (`tracemalloc` makes
//! CPython's side slow to measure); `mastery run core/descriptors --deep`
//! builds a million, and recomputes the summary over more readings.
//!
//! The trade-offs, in words: a validated type costs a constructor call at
//! each boundary and an error for the caller to handle; `Cell`, `OnceCell`
//! and `RefCell` cost `Sync` (use atomics, `OnceLock` or a `Mutex` across
//! threads), and `RefCell` a borrow flag and a possible panic at run time;
//! `#[repr(C)]` costs padding; a boxed variant costs an allocation and a
//! pointer hop whenever it is used.
//!
//! ## Run it
//! `mastery run core/descriptors` (the setter rejecting bad values, the
//! lazy attribute's build count, `RefCell`'s run-time borrow check, a table
//! of `size_of`/`align_of` — field order, niches, enum sizes — and the heap
//! per record in Rust against CPython; add `--deep` for a million records),
//! and
//! `cargo test -p mastery-core descriptors` (the setter, the lazy counts,
//! and the layout facts asserted against the compiler). The code: the core
//! below ([`Percent`] and [`Sensor`]); `validation_error.rs`,
//! `sensor_name.rs` (the `LazyLock`), `layout.rs`, `demo.rs` with
//! `demo/records.rs` and `demo/cpython.rs`, and `tests.rs`.

use std::cell::{Cell, OnceCell};
use std::fmt;

mod demo;
mod layout;
mod sensor_name;
#[cfg(test)]
mod tests;
mod validation_error;

pub use layout::{
    Direction, LayoutFact, Packet, PacketBoxed, Reading, ReadingC, Shape, layout_facts,
};
pub use sensor_name::{MAX_NAME_LEN, SensorName, reserved_name_builds};
pub use validation_error::ValidationError;

// ANCHOR: core
// Python checks a descriptor's value on every assignment, and anything can
// assign. Here the check lives in a type: `Percent::new` is the only way to
// make a `Percent`, so a `Percent` is valid wherever it turns up, and
// `Sensor` keeps its fields private so that every change goes through a
// method that can check it and drop what the change made stale.

/// A percentage in `0.0..=100.0`: valid by construction, so code holding one
/// never checks it again.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(f64);

impl Percent {
    /// The smallest percentage.
    pub const MIN: f64 = 0.0;
    /// The largest percentage.
    pub const MAX: f64 = 100.0;

    /// Validates `value`.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] when `value` is outside `0..=100` or
    /// is NaN.
    pub fn new(value: f64) -> Result<Self, ValidationError> {
        // `contains` is false for NaN, so NaN needs no case of its own.
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Percent(value))
        } else {
            Err(ValidationError::OutOfRange {
                field: "percent",
                value,
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    /// The value, in `0.0..=100.0`.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Percent {
    type Error = ValidationError;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Percent::new(value)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// What [`Sensor::summary`] computes from the readings.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// How many readings there are.
    pub count: usize,
    /// Their mean, when there is at least one.
    pub mean: Option<f64>,
    /// The largest, when there is at least one.
    pub max: Option<f64>,
    /// How many are strictly above the threshold.
    pub above_threshold: usize,
}

impl Summary {
    fn of(readings: &[Percent], threshold: Percent) -> Summary {
        let count = readings.len();
        let sum: f64 = readings.iter().map(|r| r.get()).sum();
        Summary {
            count,
            mean: (count > 0).then(|| sum / count as f64),
            max: readings.iter().map(|r| r.get()).reduce(f64::max),
            above_threshold: readings.iter().filter(|r| **r > threshold).count(),
        }
    }
}

/// A sensor with a validated name, a validated threshold "property", a lazy
/// summary, and a read counter kept through `&self`.
///
/// Not `Sync` (it holds a `Cell` and a `OnceCell`): share it between threads
/// behind a `Mutex`, or swap in `AtomicU64` and `OnceLock`.
#[derive(Debug, Clone)]
pub struct Sensor {
    name: SensorName,
    threshold: Percent,
    readings: Vec<Percent>,
    /// A `__get__` hook: every read of the threshold is counted, through `&self`.
    threshold_reads: Cell<u64>,
    /// `cached_property`: built on first read, reset by every setter.
    summary: OnceCell<Summary>,
    summary_builds: Cell<u32>,
}

impl Sensor {
    /// A sensor with no readings.
    ///
    /// # Errors
    /// When the name or the threshold is invalid.
    pub fn new(name: &str, threshold: f64) -> Result<Self, ValidationError> {
        Ok(Sensor {
            name: SensorName::new(name)?,
            threshold: Percent::new(threshold).map_err(|e| e.in_field("threshold"))?,
            readings: Vec::new(),
            threshold_reads: Cell::new(0),
            summary: OnceCell::new(),
            summary_builds: Cell::new(0),
        })
    }

    /// The sensor's name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The threshold (the property's getter). Counts the read.
    pub fn threshold(&self) -> f64 {
        self.threshold_reads.set(self.threshold_reads.get() + 1);
        self.threshold.get()
    }

    /// How many times [`Sensor::threshold`] has been called.
    pub fn threshold_reads(&self) -> u64 {
        self.threshold_reads.get()
    }

    /// Sets the threshold (the property's setter) and drops the cached
    /// summary, which depends on it.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] for field `threshold`; the sensor is
    /// then unchanged.
    pub fn set_threshold(&mut self, value: f64) -> Result<(), ValidationError> {
        self.threshold = Percent::new(value).map_err(|e| e.in_field("threshold"))?;
        self.summary.take();
        Ok(())
    }

    /// Adds a reading and drops the cached summary.
    ///
    /// # Errors
    /// [`ValidationError::OutOfRange`] for field `reading`; nothing is added.
    pub fn record(&mut self, value: f64) -> Result<(), ValidationError> {
        let reading = Percent::new(value).map_err(|e| e.in_field("reading"))?;
        self.readings.push(reading);
        self.summary.take();
        Ok(())
    }

    /// The readings, oldest first.
    pub fn readings(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.readings.iter().map(|r| r.get())
    }

    /// The summary of the readings against the threshold: computed on the
    /// first call after a change, then served from the cell.
    pub fn summary(&self) -> &Summary {
        self.summary.get_or_init(|| {
            self.summary_builds.set(self.summary_builds.get() + 1);
            Summary::of(&self.readings, self.threshold)
        })
    }

    /// How many times the summary has been computed.
    pub fn summary_builds(&self) -> u32 {
        self.summary_builds.get()
    }
}
// ANCHOR_END: core
