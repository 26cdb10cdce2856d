use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
struct Square {
    #[register(hide)]
    side: f64,
    #[register(skip = true)]
    memo: Option<f64>,
    #[register(name = "length")]
    length: f64,
}

fn main() {}
