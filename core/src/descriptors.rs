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
//!   [`LazyLock`] static, initialised once even when threads race for it.
//! - **Interior mutability**: [`Cell`] changes a `Copy` value behind `&self`
//!   (the read counter behind [`Sensor::threshold`], a `__get__` hook);
//!   [`RefCell`] lends `&mut` behind `&self` with the borrow rule checked at
//!   run time — `Rc<RefCell<T>>` is Python's "two names, one mutable
//!   object". Both make a type `!Sync`; across threads the same roles are
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
//! Costs: the demo measures them — a validated setter against a raw field
//! write, the lazy summary against recomputing it, and the bytes per record
//! of a `Vec` of structs against CPython objects with and without
//! `__slots__`, a dict and a tuple, measured by running `python3` (with
//! `tracemalloc`) in the same run when it is installed.
//!
//! ## Run it
//! `mastery run core/descriptors` (the setter rejecting bad values, the
//! lazy attribute's build count, `RefCell`'s run-time borrow check, a table
//! of `size_of`/`align_of` — field order, niches, enum sizes — and the heap
//! for a million records in Rust against CPython), and
//! `cargo test -p mastery-core descriptors` (the setter, the lazy counts,
//! and the layout facts asserted against the compiler).

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use mastery_kit::{Area, Narrator, Topic, Unit};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/descriptors",
        area: Area::Core,
        rank: 1,
        title: "Descriptors and __slots__",
        python: "class Bounded: def __set__(...) validates; @cached_property; __slots__ = (...) to drop the per-instance __dict__",
        rust: "validated newtypes + accessor methods returning Result; OnceCell/LazyLock; Cell/RefCell; structs are slotted by construction: size_of, field reordering, niches",
        path: "core/src/descriptors.rs",
        source: include_str!("descriptors.rs"),
        run: demo,
    }
}

// ---- validated values -------------------------------------------------------

/// Why a value was refused. The field that refused it is named, as Python's
/// `__set_name__` lets a descriptor name its attribute in the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A number outside its range (NaN and infinities are outside every range).
    #[error("{field} must be between {min} and {max}, got {value}; the old value was kept")]
    OutOfRange {
        /// The field being set (`percent` when not set through a field).
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
    /// A sensor name that breaks the naming rule.
    #[error("sensor name {name:?} is invalid: {reason}")]
    BadName {
        /// The rejected name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
}

impl ValidationError {
    /// The same error, reported against `field` (what `__set_name__` gives a
    /// Python descriptor: the name of the attribute it guards).
    pub fn in_field(self, field: &'static str) -> Self {
        match self {
            ValidationError::OutOfRange {
                value, min, max, ..
            } => ValidationError::OutOfRange {
                field,
                value,
                min,
                max,
            },
            other => other,
        }
    }
}

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

/// The longest sensor name, in bytes.
pub const MAX_NAME_LEN: usize = 32;

/// Names a sensor may not take. Built on first use, once per process: the
/// `LazyLock` answer to a module-level `RESERVED = frozenset(...)`.
static RESERVED_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    RESERVED_NAME_BUILDS.fetch_add(1, Ordering::Relaxed);
    ["all", "any", "none", "null", "self", "default"]
        .into_iter()
        .collect()
});

static RESERVED_NAME_BUILDS: AtomicUsize = AtomicUsize::new(0);

/// How many times the reserved-name set has been built in this process:
/// 0 before the first name is validated, 1 ever after.
pub fn reserved_name_builds() -> usize {
    RESERVED_NAME_BUILDS.load(Ordering::Relaxed)
}

/// A sensor's name: 1 to [`MAX_NAME_LEN`] bytes of `a-z`, `0-9`, `-`, `_`,
/// and not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SensorName(String);

impl SensorName {
    /// Validates `name`.
    ///
    /// # Errors
    /// [`ValidationError::BadName`] naming the rule it breaks.
    pub fn new(name: &str) -> Result<Self, ValidationError> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_NAME_LEN {
            Some("it is longer than 32 bytes")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            Some("only a-z, 0-9, '-' and '_' are allowed")
        } else if RESERVED_NAMES.contains(name) {
            Some("it is a reserved word")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ValidationError::BadName {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(SensorName(name.to_owned())),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// ---- the object with properties ---------------------------------------------

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

// ---- memory layout ------------------------------------------------------------

/// One reading, fields listed in the order a Python class would list them.
/// The compiler is free to reorder them: 8 + 8 + 4 + 1, padded to 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Which sensor.
    pub sensor: u32,
    /// The value read.
    pub value: f64,
    /// Whether the reading passed its checks.
    pub ok: bool,
    /// Seconds since the epoch.
    pub timestamp: u64,
}

/// [`Reading`] with `#[repr(C)]`: the declared order is kept, so each small
/// field before a large one is followed by padding (4 + 4 pad + 8 + 1 +
/// 7 pad + 8 = 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct ReadingC {
    /// Which sensor.
    pub sensor: u32,
    /// The value read.
    pub value: f64,
    /// Whether the reading passed its checks.
    pub ok: bool,
    /// Seconds since the epoch.
    pub timestamp: u64,
}

/// A fieldless enum: one byte, and 252 unused bit patterns for niches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Up.
    North,
    /// Right.
    East,
    /// Down.
    South,
    /// Left.
    West,
}

/// An enum is as large as its largest variant plus a tag (here 4 + 4 + 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A circle of radius `r`.
    Circle {
        /// Radius.
        r: f32,
    },
    /// A `w` × `h` rectangle.
    Rect {
        /// Width.
        w: f32,
        /// Height.
        h: f32,
    },
    /// Nothing.
    Empty,
}

/// One large variant makes every value large: a `Ping` costs 257 bytes.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "the lesson's bad example; PacketBoxed is the fix"
)]
pub enum Packet {
    /// A keep-alive.
    Ping,
    /// A payload, inline.
    Data([u8; 256]),
}

/// The large variant boxed: 8 bytes, and `Ping` lives in the box's null niche.
#[derive(Debug, Clone, PartialEq)]
pub enum PacketBoxed {
    /// A keep-alive.
    Ping,
    /// A payload, on the heap.
    Data(Box<[u8; 256]>),
}

/// One row of the layout table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutFact {
    /// Which lesson the row belongs to: field order, niches or enums.
    pub group: &'static str,
    /// The type, as written in the source.
    pub name: &'static str,
    /// `size_of`, in bytes.
    pub size: usize,
    /// `align_of`, in bytes.
    pub align: usize,
}

macro_rules! fact {
    ($group:literal, $t:ty) => {
        LayoutFact {
            group: $group,
            name: stringify!($t),
            size: size_of::<$t>(),
            align: align_of::<$t>(),
        }
    };
}

/// `size_of` and `align_of` of the lesson's types, as this compiler lays
/// them out on this target.
pub fn layout_facts() -> Vec<LayoutFact> {
    vec![
        fact!("field order", Reading),
        fact!("field order", ReadingC),
        fact!("field order", (u8, u64, u8)),
        fact!("niches", Box<Reading>),
        fact!("niches", Option<Box<Reading>>),
        fact!("niches", &Reading),
        fact!("niches", Option<&Reading>),
        fact!("niches", u32),
        fact!("niches", Option<u32>),
        fact!("niches", Option<NonZeroU32>),
        fact!("niches", Option<bool>),
        fact!("niches", Option<char>),
        fact!("niches", Vec<u8>),
        fact!("niches", Option<Vec<u8>>),
        fact!("enums", Direction),
        fact!("enums", Option<Direction>),
        fact!("enums", Shape),
        fact!("enums", Packet),
        fact!("enums", PacketBoxed),
        fact!("enums", Option<PacketBoxed>),
    ]
}

// ---- the demo -----------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    validated_setter(n)?;
    lazy_and_interior(n)?;
    layout(n);
    // CPython runs in a child process while the Rust side is measured (it
    // is another process, so it cannot disturb the allocator's counters).
    let python = PythonRun::start(n.mode());
    let rust = rust_records(n);
    python_records(n, python, &rust)
}

fn validated_setter(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A property that validates: newtype + setter returning Result");
    let mut sensor = Sensor::new("boiler-1", 80.0)?;
    for attempt in [140.0, -3.0, f64::NAN, 65.0] {
        match sensor.set_threshold(attempt) {
            Ok(()) => n.show(format!(
                "set_threshold({attempt}) → Ok; threshold is now {}",
                sensor.threshold()
            )),
            Err(e) => n.show(format!(
                "set_threshold({attempt}) → Err: {e}; threshold still {}",
                sensor.threshold()
            )),
        }
    }
    n.record(
        "threshold reads counted through &self (a Cell)",
        sensor.threshold_reads() as f64,
        Unit::Count,
    );
    for name in ["Boiler 1", "null", ""] {
        if let Err(e) = SensorName::new(name) {
            n.show(format!("SensorName::new({name:?}) → Err: {e}"));
        }
    }
    n.say(
        "A rejected value never reaches the field: `Percent::new` is the only way to make a \
         `Percent`, so the check runs once, at the boundary. The reserved-name set behind \
         `SensorName` is a `LazyLock`, built once on first use:",
    );
    n.record(
        "reserved-name set builds in this process",
        reserved_name_builds() as f64,
        Unit::Count,
    );

    let values: Vec<f64> = (0..1024).map(|i| f64::from(i % 101)).collect();
    let mut unchecked = Unchecked { threshold: 0.0 };
    n.compare_timed(
        "set the threshold: validated setter vs a raw f64 field write",
        values.len() as u64,
        || {
            for &v in &values {
                // Every value is in range; the result is checked, not assumed.
                if sensor.set_threshold(black_box(v)).is_err() {
                    return false;
                }
            }
            true
        },
        "raw field write",
        || {
            for &v in &values {
                unchecked.threshold = black_box(v);
                black_box(&unchecked);
            }
            true
        },
    );
    n.say(
        "The validated setter also resets the lazy summary (a store to its cell). A range check \
         is a compare and a branch; what it buys is that no other function re-checks.",
    );
    Ok(())
}

/// The peer of the validated setter: a plain field anyone may write.
struct Unchecked {
    threshold: f64,
}

fn lazy_and_interior(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Lazy attribute (OnceCell) and interior mutability (Cell, RefCell)");
    let count = n.mode().pick(1_000, 100_000);
    let mut sensor = Sensor::new("boiler-1", 80.0)?;
    for i in 0..count {
        sensor.record(f64::from(u32::try_from(i % 101)?))?;
    }
    for _ in 0..3 {
        black_box(sensor.summary());
    }
    n.record(
        "summary builds after 3 reads",
        f64::from(sensor.summary_builds()),
        Unit::Count,
    );
    sensor.set_threshold(50.0)?;
    black_box(sensor.summary());
    n.record(
        "summary builds after set_threshold + 1 read",
        f64::from(sensor.summary_builds()),
        Unit::Count,
    );
    let readings: Vec<Percent> = sensor.readings.clone();
    let threshold = sensor.threshold;
    let reads: u32 = n.mode().pick(1_000, 100);
    n.compare_timed(
        &format!("read the summary of {count} readings: OnceCell vs recompute"),
        u64::from(reads),
        || {
            (0..reads)
                .map(|_| black_box(&sensor).summary().above_threshold)
                .sum::<usize>()
        },
        "recompute every read",
        || {
            (0..reads)
                .map(|_| Summary::of(black_box(&readings), threshold).above_threshold)
                .sum::<usize>()
        },
    );

    n.say(
        "`RefCell` moves the borrow check to run time. Two `Rc` handles to one sensor behave \
         like two Python names for one object; holding a shared borrow while asking for a \
         mutable one is refused, not undefined:",
    );
    let shared = Rc::new(RefCell::new(sensor));
    let dashboard = Rc::clone(&shared);
    shared.borrow_mut().set_threshold(70.0)?;
    n.show(format!(
        "set through one handle, read through the other: {}",
        dashboard.borrow().threshold()
    ));
    let reading = dashboard.borrow();
    let refused = shared.try_borrow_mut().is_err();
    drop(reading);
    let allowed = shared.try_borrow_mut().is_ok();
    n.show(format!(
        "try_borrow_mut while a borrow is held → refused: {refused}; after it ends → allowed: {allowed}"
    ));
    anyhow::ensure!(
        refused && allowed,
        "RefCell must refuse a mutable borrow while a shared one is alive"
    );
    Ok(())
}

fn layout(n: &mut Narrator) {
    n.section("Memory layout: size_of / align_of on this target");
    let facts = layout_facts();
    let mut group = "";
    for fact in &facts {
        if fact.group != group {
            group = fact.group;
            n.show(format!("-- {group}"));
        }
        n.show(format!(
            "{:<28} size {:>3}  align {:>2}",
            fact.name, fact.size, fact.align
        ));
    }
    n.compare(
        "Reading: compiler's field order vs #[repr(C)] declared order",
        size_of::<Reading>() as f64,
        size_of::<ReadingC>() as f64,
        "#[repr(C)] ReadingC",
        Unit::Bytes,
    );
    n.compare(
        "an enum with a 256-byte variant: boxed vs inline",
        size_of::<PacketBoxed>() as f64,
        size_of::<Packet>() as f64,
        "inline Packet",
        Unit::Bytes,
    );
    n.say(
        "Without `#[repr(C)]` the compiler sorts fields to cut padding, so declaration order \
         costs nothing. `Option` of a `Box`, a reference, a `NonZeroU32`, a `bool` or a small \
         enum stores `None` in a bit pattern the inner type never uses (null, zero, 2, an unused \
         discriminant): the option is free. An enum is as big as its biggest variant — box the \
         rare big one.",
    );
}

// ---- a million records: Rust ------------------------------------------------------

/// A dynamically typed attribute value: what a Python `__dict__` holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum FieldValue {
    Int(u64),
    Float(f64),
    Bool(bool),
}

fn reading(i: u32) -> Reading {
    Reading {
        sensor: i,
        value: f64::from(i) * 0.5,
        ok: i % 2 == 0,
        timestamp: 1_700_000_000 + u64::from(i),
    }
}

fn reading_c(i: u32) -> ReadingC {
    let r = reading(i);
    ReadingC {
        sensor: r.sensor,
        value: r.value,
        ok: r.ok,
        timestamp: r.timestamp,
    }
}

fn reading_dict(i: u32) -> HashMap<&'static str, FieldValue> {
    let r = reading(i);
    HashMap::from([
        ("sensor", FieldValue::Int(u64::from(r.sensor))),
        ("value", FieldValue::Float(r.value)),
        ("ok", FieldValue::Bool(r.ok)),
        ("timestamp", FieldValue::Int(r.timestamp)),
    ])
}

/// How many records both sides build: CPython at each size, Rust at the
/// largest, so the two heaps are compared at the same N.
fn record_counts(mode: mastery_kit::Mode) -> Vec<u32> {
    mode.pick(vec![10_000], vec![100_000, 1_000_000])
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
struct RustRecords {
    records: u32,
    bytes: f64,
}

fn rust_records(n: &mut Narrator) -> RustRecords {
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

// ---- a million records: CPython ------------------------------------------------------

/// The measuring script. Each run builds a list of `n` records of one kind
/// under `tracemalloc` and reports the bytes traced (objects, their boxed
/// field values, and the list's pointers). `shared` runs give every record
/// the same field objects, so only the record objects themselves count.
const PYTHON_SCRIPT: &str = r#"
import gc, json, sys, tracemalloc

class Plain:
    def __init__(self, sensor, value, ok, timestamp):
        self.sensor = sensor; self.value = value; self.ok = ok; self.timestamp = timestamp

class Slotted:
    __slots__ = ("sensor", "value", "ok", "timestamp")
    def __init__(self, sensor, value, ok, timestamp):
        self.sensor = sensor; self.value = value; self.ok = ok; self.timestamp = timestamp

def fields(i):
    return (i, i * 0.5, i % 2 == 0, 1_700_000_000 + i)

SHARED = fields(1_000)
KINDS = {
    "class": lambda f: Plain(*f),
    "__slots__": lambda f: Slotted(*f),
    "dict": lambda f: {"sensor": f[0], "value": f[1], "ok": f[2], "timestamp": f[3]},
    "tuple": lambda f: (f[0], f[1], f[2], f[3]),
}

def traced(make, n, shared):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    records = [make(SHARED if shared else fields(i)) for i in range(n)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del records
    return after - before

sizes = [int(a) for a in sys.argv[1:]]
runs = []
for kind, make in KINDS.items():
    runs.append({"kind": kind, "n": sizes[0], "shared": True, "bytes": traced(make, sizes[0], True)})
    for n in sizes:
        runs.append({"kind": kind, "n": n, "shared": False, "bytes": traced(make, n, False)})
print(json.dumps({
    "version": sys.version.split()[0],
    "getsizeof": {kind: sys.getsizeof(make(SHARED)) for kind, make in KINDS.items()},
    "runs": runs,
}))
"#;

/// What the script prints.
#[derive(Debug, serde::Deserialize)]
struct PythonReport {
    version: String,
    getsizeof: BTreeMap<String, u64>,
    runs: Vec<TracedRun>,
}

/// One `tracemalloc` run of the script.
#[derive(Debug, serde::Deserialize)]
struct TracedRun {
    kind: String,
    n: u64,
    shared: bool,
    bytes: u64,
}

/// The Python measurement, started in the background.
enum PythonRun {
    Started { child: Child, sizes: Vec<u64> },
    Unavailable(String),
}

impl PythonRun {
    fn start(mode: mastery_kit::Mode) -> PythonRun {
        let sizes: Vec<u64> = record_counts(mode).into_iter().map(u64::from).collect();
        let spawned = Command::new("python3")
            .arg("-I") // isolated: no user site-packages, no PYTHON* variables
            .arg("-c")
            .arg(PYTHON_SCRIPT)
            .args(sizes.iter().map(u64::to_string))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(child) => PythonRun::Started { child, sizes },
            Err(e) => PythonRun::Unavailable(format!("python3 could not be started ({e})")),
        }
    }

    fn finish(self) -> Result<(PythonReport, Vec<u64>), String> {
        let (child, sizes) = match self {
            PythonRun::Started { child, sizes } => (child, sizes),
            PythonRun::Unavailable(why) => return Err(why),
        };
        let output = child
            .wait_with_output()
            .map_err(|e| format!("waiting for python3 failed ({e})"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("no message");
            return Err(format!("python3 exited with {} ({last})", output.status));
        }
        let stdout = String::from_utf8(output.stdout)
            .map_err(|e| format!("python3 printed non-UTF-8 output ({e})"))?;
        let report = serde_json::from_str::<PythonReport>(stdout.trim())
            .map_err(|e| format!("python3's report could not be parsed ({e})"))?;
        Ok((report, sizes))
    }
}

fn python_records(n: &mut Narrator, python: PythonRun, rust: &RustRecords) -> anyhow::Result<()> {
    n.section("The same records in CPython: class, __slots__, dict, tuple");
    let (report, sizes) = match python.finish() {
        Ok(done) => done,
        Err(why) => {
            quoted_cpython_facts(n, &why);
            return Ok(());
        }
    };
    let peer = format!("CPython {}", report.version);
    n.say(&format!(
        "Measured by running `python3` ({peer}) in this run: `sys.getsizeof` of one record, \
         then `tracemalloc` around building a list of records, which counts the objects, \
         the field values that are objects of their own (each float, and each int outside \
         the small-int cache; small ints and bools are shared) and the list's pointers — \
         the same things the counting allocator counts for a `Vec`."
    ));
    for (kind, bytes) in &report.getsizeof {
        n.record(
            &format!("CPython sys.getsizeof(one {kind} record)"),
            *bytes as f64,
            Unit::Bytes,
        );
    }
    n.say(
        "`getsizeof` of a plain instance leaves out where its attributes live (since 3.11 a \
         values array or dict beside the object), so only tracemalloc's totals compare.",
    );
    let traced = |kind: &str, records: u64, shared: bool| {
        report
            .runs
            .iter()
            .find(|r| r.kind == kind && r.n == records && r.shared == shared)
            .map(|r| r.bytes as f64)
    };
    n.say(
        "Bytes per record from tracemalloc; \"object alone\" gives every record the same \
         field objects, so only the record (and its list slot) is counted:",
    );
    let smallest = sizes.first().copied().unwrap_or(1);
    for kind in ["class", "__slots__", "dict", "tuple"] {
        if let Some(bytes) = traced(kind, smallest, true) {
            n.record(
                &format!("CPython {kind}, object alone: bytes/record"),
                bytes / smallest as f64,
                Unit::Bytes,
            );
        }
        for &size in &sizes {
            if let Some(bytes) = traced(kind, size, false) {
                n.record(
                    &format!("CPython {kind}, N = {size}: bytes/record"),
                    bytes / size as f64,
                    Unit::Bytes,
                );
            }
        }
    }
    let records = u64::from(rust.records);
    for kind in ["__slots__", "class"] {
        let Some(bytes) = traced(kind, records, false) else {
            anyhow::bail!("python3's report lacks the {kind} run for N = {records}");
        };
        n.compare(
            &format!("heap for {records} records: Vec<Reading> vs CPython {kind}"),
            rust.bytes,
            bytes,
            &format!("{peer} {kind}"),
            Unit::Bytes,
        );
    }
    n.say(
        "Each CPython record is an object with a header, reached through a list of pointers \
         and pointing at its field objects (a new float and a new timestamp int per record; \
         small ints and the bools are shared); the Rust struct stores its four fields inline. \
         `__slots__` removes the per-instance dictionary, not the boxing.",
    );
    Ok(())
}

/// When `python3` is not available: CPython's sizes as published facts,
/// printed as quotes and never recorded as measurements.
fn quoted_cpython_facts(n: &mut Narrator, why: &str) {
    n.say(&format!(
        "{why}; CPython's sizes below are quoted, not measured (CPython 3.11, 64-bit Linux, \
         the same script as this demo runs):"
    ));
    for line in [
        "quoted, not measured: sys.getsizeof(instance with 4 __slots__) = 64 bytes",
        "quoted, not measured: sys.getsizeof(plain instance) = 56 bytes, attribute storage not included",
        "quoted, not measured: sys.getsizeof(4-tuple) = 72 bytes, sys.getsizeof(4-key dict) = 184 bytes",
        "quoted, not measured: tracemalloc, 1_000_000 records with boxed field values: \
         class ≈ 204 bytes/record, __slots__ ≈ 164, tuple ≈ 172, dict ≈ 284",
        "quoted, not measured: tracemalloc, the record object alone (shared field values): \
         class ≈ 112 bytes/record, __slots__ ≈ 72, tuple ≈ 80, dict ≈ 192",
    ] {
        n.show(line);
    }
    n.say("Install python3 to measure them on this machine in the same run.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_accepts_its_range_and_nothing_else() {
        for ok in [0.0, 0.5, 99.9, 100.0] {
            assert_eq!(Percent::new(ok).map(Percent::get), Ok(ok));
        }
        for bad in [-0.001, 100.001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(
                matches!(
                    Percent::new(bad),
                    Err(ValidationError::OutOfRange {
                        field: "percent",
                        ..
                    })
                ),
                "{bad} must be rejected"
            );
        }
        assert_eq!(
            Percent::try_from(42.0).map(|p| p.to_string()),
            Ok("42%".to_owned())
        );
    }

    #[test]
    fn the_setter_rejects_bad_values_and_keeps_the_old_one() {
        let mut sensor = Sensor::new("boiler-1", 80.0).expect("valid sensor");
        sensor.record(90.0).expect("valid reading");
        assert_eq!(sensor.summary().above_threshold, 1);
        for bad in [140.0, -1.0, f64::NAN] {
            let err = sensor.set_threshold(bad).expect_err("out of range");
            assert!(
                matches!(
                    err,
                    ValidationError::OutOfRange {
                        field: "threshold",
                        min: 0.0,
                        max: 100.0,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(
                err.to_string()
                    .contains("threshold must be between 0 and 100")
            );
            assert_eq!(
                sensor.threshold(),
                80.0,
                "the old value is kept after {bad}"
            );
        }
        assert_eq!(
            sensor.summary_builds(),
            1,
            "a rejected set does not invalidate the summary"
        );
        sensor.set_threshold(95.0).expect("in range");
        assert_eq!(sensor.threshold(), 95.0);
        assert_eq!(sensor.summary().above_threshold, 0);
    }

    #[test]
    fn a_bad_reading_is_not_recorded() {
        let mut sensor = Sensor::new("s", 50.0).expect("valid sensor");
        sensor.record(10.0).expect("valid");
        let err = sensor.record(101.0).expect_err("out of range");
        assert!(matches!(
            err,
            ValidationError::OutOfRange {
                field: "reading",
                ..
            }
        ));
        assert_eq!(sensor.readings().collect::<Vec<_>>(), [10.0]);
    }

    #[test]
    fn construction_validates_every_field() {
        let cases: [(&str, f64, Option<&str>); 6] = [
            ("boiler-1", 80.0, None),
            ("", 80.0, Some("it is empty")),
            (
                "Boiler",
                80.0,
                Some("only a-z, 0-9, '-' and '_' are allowed"),
            ),
            ("null", 80.0, Some("it is a reserved word")),
            (
                "a-very-long-sensor-name-that-goes-on",
                80.0,
                Some("it is longer than 32 bytes"),
            ),
            ("boiler-1", 101.0, Some("threshold")),
        ];
        for (name, threshold, want) in cases {
            let got = Sensor::new(name, threshold);
            match (want, got) {
                (None, Ok(s)) => assert_eq!(s.name(), name),
                (Some(want), Err(e)) => assert!(e.to_string().contains(want), "{name}: {e}"),
                (want, got) => panic!("{name:?}, {threshold}: wanted {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn the_lazy_summary_is_computed_once_until_an_input_changes() {
        let mut sensor = Sensor::new("s", 50.0).expect("valid sensor");
        assert_eq!(sensor.summary_builds(), 0, "nothing is computed eagerly");
        for v in [10.0, 60.0, 70.0] {
            sensor.record(v).expect("valid");
        }
        let first = sensor.summary().clone();
        for _ in 0..10 {
            assert_eq!(sensor.summary(), &first);
        }
        assert_eq!(sensor.summary_builds(), 1);
        assert_eq!(
            first,
            Summary {
                count: 3,
                mean: Some(140.0 / 3.0),
                max: Some(70.0),
                above_threshold: 2
            }
        );
        sensor.set_threshold(65.0).expect("valid");
        assert_eq!(sensor.summary().above_threshold, 1);
        sensor.record(99.0).expect("valid");
        assert_eq!(sensor.summary().max, Some(99.0));
        assert_eq!(
            sensor.summary_builds(),
            3,
            "one build per change, not per read"
        );
    }

    #[test]
    fn an_empty_sensor_has_an_empty_summary() {
        let sensor = Sensor::new("s", 50.0).expect("valid sensor");
        assert_eq!(
            sensor.summary(),
            &Summary {
                count: 0,
                mean: None,
                max: None,
                above_threshold: 0
            }
        );
    }

    #[test]
    fn reads_are_counted_through_a_shared_reference() {
        let sensor = Sensor::new("s", 50.0).expect("valid sensor");
        let by_ref: &Sensor = &sensor;
        for _ in 0..5 {
            by_ref.threshold();
        }
        assert_eq!(sensor.threshold_reads(), 5);
    }

    #[test]
    fn refcell_checks_the_borrow_rule_at_run_time() {
        let shared = Rc::new(RefCell::new(Sensor::new("s", 50.0).expect("valid sensor")));
        let other = Rc::clone(&shared);
        shared.borrow_mut().set_threshold(70.0).expect("valid");
        assert_eq!(other.borrow().threshold(), 70.0, "one object, two handles");
        let held = other.borrow();
        assert!(shared.try_borrow_mut().is_err(), "a shared borrow is alive");
        assert!(shared.try_borrow().is_ok(), "more shared borrows are fine");
        drop(held);
        assert!(shared.try_borrow_mut().is_ok());
    }

    #[test]
    fn the_lazy_global_is_built_once_even_when_threads_race() {
        std::thread::scope(|s| {
            for i in 0..8 {
                s.spawn(move || SensorName::new(&format!("sensor-{i}")).is_ok());
            }
        });
        assert!(SensorName::new("none").is_err());
        assert_eq!(reserved_name_builds(), 1);
    }

    #[test]
    fn field_reordering_beats_declared_order() {
        assert_eq!(size_of::<Reading>(), 24, "8 + 8 + 4 + 1, padded to 8");
        assert_eq!(size_of::<ReadingC>(), 32, "4 + 4 pad + 8 + 1 + 7 pad + 8");
        assert!(size_of::<Reading>() < size_of::<ReadingC>());
        assert_eq!(align_of::<Reading>(), align_of::<u64>());
        assert_eq!(size_of::<(u8, u64, u8)>(), 16, "tuples are reordered too");
    }

    #[test]
    fn niches_make_these_options_free() {
        assert_eq!(size_of::<Option<Box<Reading>>>(), size_of::<Box<Reading>>());
        assert_eq!(size_of::<Option<&Reading>>(), size_of::<&Reading>());
        assert_eq!(size_of::<Option<NonZeroU32>>(), 4);
        assert_eq!(
            size_of::<Option<u32>>(),
            8,
            "every u32 is a valid value: no niche"
        );
        assert_eq!(size_of::<Option<bool>>(), 1);
        assert_eq!(size_of::<Option<char>>(), 4);
        assert_eq!(size_of::<Option<Vec<u8>>>(), size_of::<Vec<u8>>());
        assert_eq!(size_of::<Option<Direction>>(), 1);
    }

    #[test]
    fn enums_are_as_big_as_their_biggest_variant() {
        assert_eq!(size_of::<Direction>(), 1);
        assert_eq!(size_of::<Shape>(), 12, "tag + two f32");
        assert!(
            size_of::<Packet>() > 256,
            "every Ping carries room for the payload"
        );
        assert_eq!(size_of::<PacketBoxed>(), size_of::<Box<[u8; 256]>>());
        assert_eq!(
            size_of::<Option<PacketBoxed>>(),
            16,
            "the box's niche is used by Ping"
        );
    }

    #[test]
    fn the_layout_table_reports_what_the_compiler_says() {
        let facts = layout_facts();
        let get = |name: &str| {
            facts
                .iter()
                .find(|f| f.name.replace(' ', "") == name)
                .unwrap_or_else(|| panic!("{name} in the table: {facts:?}"))
        };
        assert_eq!(get("Reading").size, size_of::<Reading>());
        assert_eq!(get("Option<Box<Reading>>").size, size_of::<Box<Reading>>());
        assert_eq!(get("Option<NonZeroU32>").align, 4);
    }

    #[test]
    fn the_rust_record_builders_agree() {
        let r = reading(7);
        let c = reading_c(7);
        assert_eq!(
            (r.sensor, r.value, r.ok, r.timestamp),
            (c.sensor, c.value, c.ok, c.timestamp)
        );
        assert_eq!(reading_dict(7)["value"], FieldValue::Float(3.5));
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("core/descriptors", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "quick means quick"
        );
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "#[repr(C)] ReadingC")
        );
        let builds = n
            .measurements()
            .iter()
            .find(|m| m.label == "summary builds after 3 reads")
            .map(|m| m.value);
        assert_eq!(builds, Some(1.0));
    }
}
