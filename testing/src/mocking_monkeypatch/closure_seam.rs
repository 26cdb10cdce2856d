//! The lightest seam: the function takes what it would otherwise call — the
//! clock, a random number — as closures. Production passes the real
//! functions (`SystemTime::now` is a fn item, which is a closure too); a
//! test passes constants. Being generic, the call is inlined: no cost.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// An order's reference: `ORD-<unix seconds>-<8 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderRef(pub String);

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ANCHOR: closure_seam
/// The reference of an order placed at `now()`, made unique by `entropy()`.
/// A clock set before 1970 counts as 1970.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use mastery_testing::mocking_monkeypatch::order_reference;
/// let at = || UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(order_reference(at, || 0xBEEF).0, "ORD-1700000000-0000BEEF");
/// ```
pub fn order_reference(
    now: impl FnOnce() -> SystemTime,
    entropy: impl FnOnce() -> u32,
) -> OrderRef {
    let seconds = now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    OrderRef(format!("ORD-{seconds}-{:08X}", entropy()))
}
// ANCHOR_END: closure_seam

/// The production call: the real clock and real randomness, passed as
/// plain functions.
pub fn fresh_order_reference() -> OrderRef {
    order_reference(SystemTime::now, random_u32)
}

/// 32 random bits from the standard library's per-process hash keys.
pub(super) fn random_u32() -> u32 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    // Truncation keeps the low bits, which are as random as the rest.
    hasher.finish() as u32
}
