//! The compiled wirings' promise, checked: a missing or unfit dependency
//! does not compile.
//!
//! Each file in `tests/ui/dependency_injection/` wires the notifier wrongly
//! one way; its `.stderr` neighbour is the compiler's answer, reviewed and
//! kept (the demo prints its first line). The service locator has no case
//! here: it compiles, and its `Err` is tested in the unit tests.
//! Regenerate after a deliberate change (or a new rustc) with
//! `TRYBUILD=overwrite cargo test -p mastery-patterns --test dependency_injection_ui`.

#[test]
fn miswiring_a_compiled_notifier_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/dependency_injection/*.rs");
}
