//! The typestate builder's promise, checked: misuse does not compile.
//!
//! Each file in `tests/ui/typestate/` misuses `Request::builder()` one way;
//! its `.stderr` neighbour is the compiler's answer, reviewed and kept so a
//! change in what the compiler says shows up in review. Regenerate after a
//! deliberate change (or a new rustc) with
//! `TRYBUILD=overwrite cargo test -p mastery-core --test typestate_ui`.

#[test]
fn misusing_the_request_builder_does_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/typestate/*.rs");
}
