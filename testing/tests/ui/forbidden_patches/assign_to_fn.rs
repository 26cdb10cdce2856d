// `monkeypatch.setattr(module, "now", fake_now)`: a function is not a
// variable, so there is nothing to assign to.

fn now() -> u64 {
    1_700_000_000
}

fn fake_now() -> u64 {
    0
}

fn main() {
    now = fake_now;
    println!("{}", now());
}
