//! The registry, lookup by name, `describe()` read from each definition,
//! duplicate names reported with every claimant, and the hand-written
//! peers kept honest against the registry.

use super::demo::{CIRCLE, IMPOSTOR as DISC, demo};
use super::hand_written::{HAND_WRITTEN, hand_written_match};
use super::*;

// The derive names its runtime `mastery_core::metaclasses`; inside this
// crate, that is this alias (as in `shapes.rs`).
use crate as mastery_core;

/// Every type this module registers, by the derive or by the macro.
const OURS: [&str; 7] = [
    "Circle",
    "Rectangle",
    "Square",
    "Ellipse",
    "RegularPolygon",
    "Point",
    "Triangle",
];

/// Registered from a test module: the derive works here too, through the
/// `mastery_core` alias imported above.
#[derive(Debug, Default, Register)]
#[register(name = "test-hexagon")]
struct Hexagon {
    side: f64,
}

impl Shape for Hexagon {
    fn area(&self) -> f64 {
        1.5 * 3f64.sqrt() * self.side * self.side
    }
}

#[test]
fn every_registered_type_is_in_the_registry_exactly_once() {
    for type_name in OURS.iter().copied().chain(["Hexagon"]) {
        let count = registrations().filter(|e| e.type_name == type_name).count();
        assert_eq!(count, 1, "{type_name} registered {count} times");
    }
}

#[test]
fn the_global_registry_has_no_duplicate_names() {
    let registry = Registry::global().expect("this binary registers each name once");
    assert_eq!(registry.len(), registrations().count());
    assert_eq!(
        registry.names(),
        [
            "circle",
            "ellipse",
            "point",
            "polygon",
            "rectangle",
            "square",
            "test-hexagon",
            "triangle"
        ]
    );
}

#[test]
fn lookup_by_name_constructs_the_registered_type() {
    let registry = Registry::global().expect("no duplicates");
    let cases = [
        ("circle", "Circle", "circle { radius: 0.0 }"),
        (
            "polygon",
            "RegularPolygon",
            "polygon { sides: 0, side: 0.0 }",
        ),
        ("point", "Point", "point"),
        (
            "triangle",
            "Triangle",
            "triangle { base: 0.0, height: 0.0 }",
        ),
        ("test-hexagon", "Hexagon", "test-hexagon { side: 0.0 }"),
    ];
    for (name, type_name, described) in cases {
        let entry = registry.get(name).expect("registered");
        assert_eq!(entry.type_name, type_name);
        let shape = registry.new_shape(name).expect("registered");
        assert_eq!(shape.describe(), described);
        assert_eq!(shape.area(), 0.0, "{name}: Default is the empty shape");
    }
}

#[test]
fn an_unknown_name_is_an_error_listing_the_known_ones() {
    let registry = Registry::global().expect("no duplicates");
    let error = registry.new_shape("hexgon").err().expect("not registered");
    let text = error.to_string();
    assert!(text.contains("`hexgon`"), "{text}");
    assert!(text.contains("circle, ellipse, point"), "{text}");
}

#[test]
fn describe_lists_the_fields_as_declared() {
    let mut memoized = Square::new(2.0);
    assert_eq!(memoized.area(), 4.0);
    memoized.side = 5.0; // the memo is stale now, and invisible
    let cases: [(&dyn Describe, &str); 7] = [
        (&Circle { radius: 1.5 }, "circle { radius: 1.5 }"),
        (
            &Rectangle {
                width: 2.0,
                height: 3.0,
            },
            "rectangle { width: 2.0, height: 3.0 }",
        ),
        (&memoized, "square { side: 5.0 }"),
        (&Ellipse(2.0, 1.0), "ellipse(2.0, 1.0)"),
        (
            &RegularPolygon {
                sides: 6,
                side: 1.0,
            },
            "polygon { sides: 6, side: 1.0 }",
        ),
        (&Point, "point"),
        (
            &Triangle {
                base: 4.0,
                height: 3.0,
            },
            "triangle { base: 4.0, height: 3.0 }",
        ),
    ];
    for (shape, expected) in cases {
        assert_eq!(shape.describe(), expected);
    }
}

#[test]
fn the_entry_is_read_from_the_definition() {
    let field = |name, ty| Field { name, ty };
    let by_derive = (
        "mastery_core::metaclasses::shapes",
        "core/src/metaclasses/shapes.rs",
    );
    let by_macro = (
        "mastery_core::metaclasses::registered_shape",
        "core/src/metaclasses/registered_shape.rs",
    );
    /// The entry, its signature, its fields, and where it was defined
    /// (module, file).
    type Case<'a> = (Registration, &'a str, &'a [Field], (&'a str, &'a str));
    let cases: [Case<'_>; 5] = [
        (
            Rectangle::REGISTRATION,
            "Rectangle { width: f64, height: f64 }",
            &[field("width", "f64"), field("height", "f64")],
            by_derive,
        ),
        (
            Square::REGISTRATION,
            "Square { side: f64 }",
            &[field("side", "f64")],
            by_derive,
        ),
        (
            Ellipse::REGISTRATION,
            "Ellipse(f64, f64)",
            &[field("0", "f64"), field("1", "f64")],
            by_derive,
        ),
        (Point::REGISTRATION, "Point", &[], by_derive),
        (
            Triangle::REGISTRATION,
            "Triangle { base: f64, height: f64 }",
            &[field("base", "f64"), field("height", "f64")],
            by_macro,
        ),
    ];
    for (entry, signature, fields, (module, file)) in cases {
        assert_eq!(entry.signature(), signature);
        assert_eq!(entry.fields, fields, "{signature}");
        assert_eq!(entry.origin.module, module);
        assert_eq!(entry.origin.file, file, "{}", entry.origin);
    }
}

#[test]
fn the_origin_line_is_the_line_of_the_type_name() {
    let source = include_str!("shapes.rs");
    for entry in [
        Circle::REGISTRATION,
        Square::REGISTRATION,
        Ellipse::REGISTRATION,
        RegularPolygon::REGISTRATION,
    ] {
        let line = source
            .lines()
            .nth(entry.origin.line as usize - 1)
            .expect("the line exists");
        assert!(
            line.contains(&format!("pub struct {}", entry.type_name)),
            "{}: line {} is `{line}`",
            entry.type_name,
            entry.origin.line
        );
    }
}

#[test]
fn duplicate_names_are_reported_with_every_claimant_and_origin() {
    static SQUARE: Registration = Square::REGISTRATION;
    static BLOCK: Registration = Registration {
        type_name: "Block",
        ..Square::REGISTRATION
    };
    static TILE: Registration = Registration {
        type_name: "Tile",
        origin: Origin {
            module: "other::shapes",
            file: "other/src/shapes.rs",
            line: 30,
        },
        ..Square::REGISTRATION
    };
    // Whatever the order the linker chose, the same report.
    for entries in [
        [&CIRCLE, &DISC, &SQUARE, &BLOCK, &TILE],
        [&TILE, &BLOCK, &DISC, &SQUARE, &CIRCLE],
    ] {
        let error = Registry::from_entries(entries).expect_err("two names are claimed twice");
        let RegistryError::DuplicateNames(clashes) = &error else {
            panic!("wrong error: {error}")
        };
        let claims: Vec<(&str, Vec<&str>)> = clashes
            .iter()
            .map(|c| (c.name, c.claimants.iter().map(|e| e.type_name).collect()))
            .collect();
        assert_eq!(
            claims,
            [
                ("circle", vec!["Circle", "Disc"]),
                ("square", vec!["Block", "Square", "Tile"])
            ]
        );
        let text = error.to_string();
        assert!(text.starts_with("2 registry name(s)"), "{text}");
        assert!(
            text.contains("`circle`, claimed by\n    `Circle` at core/src/metaclasses/shapes.rs:"),
            "{text}"
        );
        assert!(text.contains("other_crate/src/shapes.rs:12"), "{text}");
        assert!(text.contains("core/src/metaclasses/shapes.rs:"), "{text}");
    }
    assert!(Registry::from_entries([&CIRCLE, &SQUARE]).is_ok());
}

#[test]
fn hand_written_lists_match_the_registry() {
    // The maintenance the derive saves: this test fails when a shape is
    // added without updating the peers.
    let registry = Registry::global().expect("no duplicates");
    let ours: Vec<&str> = registry
        .names()
        .into_iter()
        .filter(|name| !name.starts_with("test-"))
        .collect();
    let hand: Vec<&str> = HAND_WRITTEN.iter().map(|(name, _)| *name).collect();
    assert_eq!(ours, hand);
    for name in ours {
        let by_match = hand_written_match(name).expect("the match knows every name")();
        let by_registry = registry.new_shape(name).expect("registered");
        assert_eq!(by_match.describe(), by_registry.describe());
    }
}

#[test]
fn the_lesson_quotes_the_compiler_verbatim() {
    let lesson = mastery_kit::lesson::module_doc(include_str!("mod.rs"));
    let pinned = include_str!("../../tests/ui/derive/fail_unknown_key.stderr");
    assert!(
        lesson.contains(pinned.trim_end()),
        "the lesson's excerpt differs from tests/ui/derive/fail_unknown_key.stderr:\n{pinned}"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("core/metaclasses", demo);
    assert!(n.comparison_with("hand-written match").is_some());
    let shapes = n
        .measurements()
        .iter()
        .find(|m| m.label == "shapes registered in this binary")
        .expect("the demo counts the shapes");
    assert_eq!(shapes.value, 8.0, "seven shapes and the test hexagon");
}
