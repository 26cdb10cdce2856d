//! A `cfg(test)` swap: the private `entropy()` has two bodies, and the
//! compiler picks one. It is `monkeypatch.setattr` decided at compile time,
//! and only for this crate's own unit tests: `cfg(test)` is set on the crate
//! that `cargo test` builds as a test harness, never on its dependencies —
//! so another crate's tests, and this crate's `tests/` folder (each file is
//! a crate of its own that links this one as a plain library), see the
//! real body. `testing/tests/cfg_test_swap.rs` checks exactly that.

/// Whether this build of the crate has the test body of `entropy()`: true
/// only inside this crate's unit tests.
pub fn entropy_is_swapped() -> bool {
    cfg!(test)
}

#[cfg(not(test))]
fn entropy() -> u32 {
    super::closure_seam::random_u32()
}

/// The test body: fixed, so a test can spell the coupon out.
#[cfg(test)]
fn entropy() -> u32 {
    0x5EED
}

/// A one-off coupon code, `SAVE-<8 hex digits>`.
pub fn coupon_code() -> String {
    format!("SAVE-{:08X}", entropy())
}
