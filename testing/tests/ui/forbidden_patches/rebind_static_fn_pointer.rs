// The nearest thing to a patchable global: a `static mut` holding a
// function pointer. Rebinding it is a data race waiting for a second
// thread, so it needs `unsafe` (which `#![forbid(unsafe_code)]` refuses).

fn real_now() -> u64 {
    1_700_000_000
}

fn fake_now() -> u64 {
    0
}

static mut NOW: fn() -> u64 = real_now;

fn main() {
    NOW = fake_now;
}
