use mastery_core::metaclasses::{Register, Shape};

#[derive(Default)]
struct Colour;

// describe() prints every field with `{:?}`.
#[derive(Default, Register)]
struct Circle {
    radius: f64,
    colour: Colour,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.radius * self.radius
    }
}

fn main() {}
