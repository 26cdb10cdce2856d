//! The validated setter, the lazy summary's build counts, the run-time
//! borrow check, and the layout facts asserted against the compiler.

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::rc::Rc;

use super::demo::demo;
use super::demo::records::{FieldValue, reading, reading_c, reading_dict};
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
    let n = mastery_kit::demo_test::run_quick("core/descriptors", demo);
    assert!(n.comparison_with("#[repr(C)] ReadingC").is_some());
    let builds = n.recorded("summary builds after 3 reads");
    assert_eq!(builds, Some(1.0));
}
