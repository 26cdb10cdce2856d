//! `cfg(test)` does not cross crates: this file is a crate of its own that
//! links `mastery-testing` as a plain library, built without `cfg(test)`,
//! so the swapped `entropy()` of its unit tests is not there.

use mastery_testing::mocking_monkeypatch::{coupon_code, entropy_is_swapped};

#[test]
fn another_crate_gets_the_real_body_not_the_test_swap() {
    assert!(
        !entropy_is_swapped(),
        "the library was built with cfg(test)"
    );
    let code = coupon_code();
    assert!(code.starts_with("SAVE-") && code.len() == 13, "{code}");
    // The real body draws fresh bits per call: the fixed test value would
    // give the same code every time. Two random 32-bit draws collide with
    // probability 2^-32, so three calls that all agree mean the swap leaked.
    let codes = [coupon_code(), coupon_code(), coupon_code()];
    assert!(codes.iter().any(|c| *c != code), "{codes:?}");
}
