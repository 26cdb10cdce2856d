//! The derive from another crate: every struct shape, a skipped field, a
//! facade path, and the library's own shapes in the same registry.

use mastery_core::metaclasses::{Describe, Register, Registry, Shape};

#[derive(Debug, Default, Register)]
struct Hexagon {
    side: f64,
}

impl Shape for Hexagon {
    fn area(&self) -> f64 {
        1.5 * 3f64.sqrt() * self.side * self.side
    }
}

/// A tuple struct whose second field is not part of its description.
#[derive(Debug, Default, Register)]
#[register(name = "scaled-unit")]
struct Scaled(f64, #[register(skip)] u64);

impl Shape for Scaled {
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

mod facade {
    pub use mastery_core::metaclasses as shapes;
}

/// Registered through a re-export, as a facade crate would.
#[derive(Debug, Default, Register)]
#[register(crate = "facade::shapes")]
struct Nothing;

impl Shape for Nothing {
    fn area(&self) -> f64 {
        0.0
    }
}

fn main() {
    let registry = Registry::global().expect("every name is registered once");
    let cases = [
        ("hexagon", "Hexagon", "hexagon { side: 0.0 }"),
        ("scaled-unit", "Scaled", "scaled-unit(0.0)"),
        ("nothing", "Nothing", "nothing"),
    ];
    for (name, type_name, described) in cases {
        let entry = registry.get(name).expect("registered by the derive");
        assert_eq!(entry.type_name, type_name);
        assert_eq!(entry.origin.module, module_path!());
        assert!(
            entry
                .origin
                .file
                .ends_with("pass_registers_from_another_crate.rs")
        );
        assert_eq!(
            registry.new_shape(name).expect("registered").describe(),
            described
        );
    }
    assert_eq!(Scaled(2.0, 7).describe(), "scaled-unit(2.0)");
    assert!(
        registry.get("circle").is_some(),
        "the library's shapes are linked in"
    );
}
