use mastery_core::metaclasses::Register;

#[derive(Register)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
