//! The bug story: a checkout that forgets to roll back. Kept, named as
//! broken, so the tests (and the demo) can show each double catching it.

use super::{CartLine, CheckoutError, Inventory, ReservationId};

/// **Broken on purpose**: like [`reserve_cart`](super::reserve_cart), but
/// a failing line leaves the earlier lines reserved — stock leaks until
/// someone notices. The mock test's `times(1)` on `release` and the fake's
/// call log both catch it.
///
/// # Errors
/// [`CheckoutError`] for the first line the inventory refuses.
pub fn reserve_cart_broken(
    inventory: &mut impl Inventory,
    cart: &[CartLine],
) -> Result<Vec<ReservationId>, CheckoutError> {
    let mut held = Vec::with_capacity(cart.len());
    for (line, item) in cart.iter().enumerate() {
        match inventory.reserve(&item.sku, item.quantity) {
            Ok(id) => held.push(id),
            // The bug: `held` is dropped, never released.
            Err(source) => {
                return Err(CheckoutError {
                    line,
                    sku: item.sku.clone(),
                    source,
                });
            }
        }
    }
    Ok(held)
}
