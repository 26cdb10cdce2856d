//! The demo of `core/descriptors`: the validated setter refusing bad
//! values, the lazy attribute's build count, `RefCell`'s run-time borrow
//! check, the layout table, and the heap per record in Rust
//! (`demo/records.rs`) against CPython (`demo/cpython.rs`).

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};

use super::{
    Packet, PacketBoxed, Percent, Reading, ReadingC, Sensor, SensorName, Summary, layout_facts,
    reserved_name_builds,
};
use cpython::{PythonRun, python_records};
use records::rust_records;

mod cpython;
pub(super) mod records;

mastery_kit::inventory::submit! {
    Topic {
        id: "core/descriptors",
        area: Area::Core,
        rank: 1,
        title: "Descriptors and __slots__",
        python: "class Bounded: def __set__(...) validates; @cached_property; __slots__ = (...) to drop the per-instance __dict__",
        rust: "validated newtypes + accessor methods returning Result; OnceCell/LazyLock; Cell/RefCell; structs are slotted by construction: size_of, field reordering, niches",
        path: "core/src/descriptors/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
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
    n.record_count(
        "threshold reads counted through &self (a Cell)",
        sensor.threshold_reads(),
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
    n.record_count(
        "reserved-name set builds in this process",
        reserved_name_builds(),
    );

    let values: Vec<f64> = (0..1024).map(|i| f64::from(i % 101)).collect();
    let mut unchecked = Unchecked { threshold: 0.0 };
    let setter = n.compare_timed(
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
    let verdict = match setter.verdict {
        Verdict::Worse => {
            "The validated setter is the slower one here: besides the range check (a \
             compare and a branch) it resets the lazy summary, a store to its cell."
                .to_owned()
        }
        Verdict::Tie { within } => format!(
            "No difference this run can see (within ±{:.1} %): the range check and the reset \
             of the lazy summary hide behind the loop.",
            within * 100.0
        ),
        Verdict::Better => "The validated setter came out faster on this run, although it does \
             more work than the raw write (a range check, and a reset of the lazy summary): \
             reported as measured."
            .to_owned(),
        Verdict::Equal | Verdict::TooFewSamples => "Too few samples in this mode for a verdict; \
             the setter does more work than the raw write (a range check, and a reset of the \
             lazy summary)."
            .to_owned(),
    };
    n.say(&format!(
        "{verdict} What the check buys is that no other function checks the value again."
    ));
    Ok(())
}

/// The peer of the validated setter: a plain field anyone may write.
struct Unchecked {
    threshold: f64,
}

fn lazy_and_interior(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Lazy attribute (OnceCell) and interior mutability (Cell, RefCell)");
    // The recomputed side is a pass over every reading, so its cost grows
    // with `count` while the cell's does not; the verdict is the same at
    // any size, and deep mode shows the larger gap.
    let count = n.mode().pick_deep(1_000, 10_000, 100_000);
    let mut sensor = Sensor::new("boiler-1", 80.0)?;
    for i in 0..count {
        sensor.record(f64::from(u32::try_from(i % 101)?))?;
    }
    for _ in 0..3 {
        black_box(sensor.summary());
    }
    n.record_count("summary builds after 3 reads", sensor.summary_builds());
    sensor.set_threshold(50.0)?;
    black_box(sensor.summary());
    n.record_count(
        "summary builds after set_threshold + 1 read",
        sensor.summary_builds(),
    );
    let readings: Vec<Percent> = sensor.readings.clone();
    let threshold = sensor.threshold;
    let reads: u32 = n.mode().pick(1_000, 100);
    let cached = n.compare_timed(
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
    n.say(match cached.verdict {
        Verdict::Better => {
            "A filled cell is a load and a branch; recomputing is a pass over every reading, \
             so the gap grows with the readings."
        }
        Verdict::Worse | Verdict::Tie { .. } | Verdict::Equal => {
            "The cell did not win this run, reported as measured: with few readings, the \
             pass it saves is short."
        }
        Verdict::TooFewSamples => {
            "Too few samples in this mode for a verdict: a filled cell is a load and a branch, \
             recomputing is a pass over every reading."
        }
    });

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
    let size_comparisons = [
        (
            "Reading: compiler's field order vs #[repr(C)] declared order",
            size_of::<Reading>(),
            size_of::<ReadingC>(),
            "#[repr(C)] ReadingC",
        ),
        (
            "an enum with a 256-byte variant: boxed vs inline",
            size_of::<PacketBoxed>(),
            size_of::<Packet>(),
            "inline Packet",
        ),
    ];
    for (label, ours, peer, peer_name) in size_comparisons {
        n.compare(label, ours as f64, peer as f64, peer_name, Unit::Bytes);
    }
    n.say(
        "Without `#[repr(C)]` the compiler sorts fields to cut padding, so declaration order \
         costs nothing. `Option` of a `Box`, a reference, a `NonZeroU32`, a `bool` or a small \
         enum stores `None` in a bit pattern the inner type never uses (null, zero, 2, an unused \
         discriminant): the option is free. An enum is as big as its biggest variant — box the \
         rare big one.",
    );
}
