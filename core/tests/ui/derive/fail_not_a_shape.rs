use mastery_core::metaclasses::Register;

// Registered, but never taught to be a shape.
#[derive(Debug, Default, Register)]
struct Circle {
    radius: f64,
}

fn main() {}
