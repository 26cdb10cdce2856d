use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
#[register(name = "Big Circle")]
struct BigCircle {
    radius: f64,
}

fn main() {}
