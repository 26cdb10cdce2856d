use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
struct Length<T> {
    value: T,
}

fn main() {}
