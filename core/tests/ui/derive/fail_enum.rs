use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
enum Shape {
    #[default]
    Circle,
    Square,
}

fn main() {}
