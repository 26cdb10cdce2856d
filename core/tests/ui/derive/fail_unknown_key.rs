use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
#[register(nmae = "circle")]
struct Circle {
    radius: f64,
}

fn main() {}
