use mastery_core::metaclasses::{Register, Shape};

// The registry constructs entries with `Default`.
#[derive(Debug, Register)]
struct Circle {
    radius: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.radius * self.radius
    }
}

fn main() {}
