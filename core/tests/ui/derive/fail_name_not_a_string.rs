use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
#[register(name = 42)]
struct Circle {
    radius: f64,
}

#[derive(Debug, Default, Register)]
#[register(name = circle)]
struct Disc {
    radius: f64,
}

fn main() {}
