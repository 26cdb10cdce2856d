//! The shortcuts of `monkeypatch` that Rust refuses, kept as compile-fail
//! cases: assigning to a function, replacing a method from outside its
//! crate, rebinding a `static mut` function pointer without `unsafe`, and
//! `std::env::set_var` without `unsafe` (edition 2024). Each `.stderr` is
//! the compiler's answer, reviewed and kept; the demo of
//! `testing/mocking-monkeypatch` prints them. After a deliberate change (or
//! a new rustc): `TRYBUILD=overwrite cargo test -p mastery-testing --test
//! forbidden_patches`, then read the new `.stderr` files.

#[test]
fn monkeypatching_shortcuts_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/forbidden_patches/*.rs");
}
