use mastery_core::metaclasses::Register;

#[derive(Debug, Default, Register)]
#[register(name = "circle", name = "disc")]
struct Circle {
    radius: f64,
}

#[derive(Debug, Default, Register)]
#[register(name = "disc")]
#[register(name = "disc")]
struct Disc {
    radius: f64,
}

fn main() {}
