//! `#[derive(Register)]` as a user sees it, from outside `mastery-core`.
//!
//! Each `fail_*.rs` in `tests/ui/derive/` misuses the derive; the `.stderr`
//! beside it is the compiler's output, pinned, so a change that makes an
//! error vaguer — or points it at the wrong token — fails this test. The
//! `pass_*.rs` files must compile and run: the derive works from another
//! crate, through a facade path, on every struct shape it accepts.
//!
//! After an intended change of message: `TRYBUILD=overwrite cargo test -p
//! mastery-core --test derive_ui`, then read the new `.stderr` files.

#[test]
fn derive_register_compiles_where_it_should_and_explains_where_it_should_not() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/derive/pass_*.rs");
    cases.compile_fail("tests/ui/derive/fail_*.rs");
}
