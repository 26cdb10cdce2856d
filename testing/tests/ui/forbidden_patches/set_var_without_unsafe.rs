// `monkeypatch.setenv("APP_PORT", "9090")`: since edition 2024
// `std::env::set_var` is an `unsafe fn` — another thread may be reading the
// environment through libc's `getenv` while it is rewritten.

fn main() {
    std::env::set_var("APP_PORT", "9090");
}
