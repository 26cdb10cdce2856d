//! A hand-written fake: a small inventory that works, and keeps a log of
//! every call so a test can assert on the interaction afterwards — what
//! `Mock(wraps=...)` and `mock_calls` give in Python, written out.

use super::{Inventory, ReservationId, StockError};

/// One call the fake received, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `reserve(sku, quantity)`.
    Reserve(String, u32),
    /// `release(id)`.
    Release(ReservationId),
}

/// A working inventory over a short list of SKUs, with a call log.
///
/// Every SKU has the stock given to [`FakeInventory::with_stock`];
/// reservations are numbered from 1 and do not touch stock levels beyond the
/// check, which is all a caller of [`Inventory`] can observe.
#[derive(Debug, Clone, Default)]
pub struct FakeInventory {
    stock: Vec<(String, u32)>,
    next_id: u64,
    /// Every call so far, oldest first.
    pub calls: Vec<Call>,
}

impl FakeInventory {
    /// A fake stocking the (SKU, count) pairs.
    pub fn with_stock<'a>(stock: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        FakeInventory {
            stock: stock.into_iter().map(|(s, n)| (s.to_owned(), n)).collect(),
            ..FakeInventory::default()
        }
    }

    /// The ids released, in the order they were released.
    pub fn released(&self) -> Vec<ReservationId> {
        self.calls
            .iter()
            .filter_map(|c| match c {
                Call::Release(id) => Some(*id),
                Call::Reserve(..) => None,
            })
            .collect()
    }
}

impl Inventory for FakeInventory {
    fn reserve(&mut self, sku: &str, quantity: u32) -> Result<ReservationId, StockError> {
        self.calls.push(Call::Reserve(sku.to_owned(), quantity));
        let Some(&(_, available)) = self.stock.iter().find(|(s, _)| s == sku) else {
            return Err(StockError::UnknownSku {
                sku: sku.to_owned(),
            });
        };
        if available < quantity {
            return Err(StockError::OutOfStock {
                sku: sku.to_owned(),
                requested: quantity,
                available,
            });
        }
        self.next_id += 1;
        Ok(ReservationId(self.next_id))
    }

    fn release(&mut self, reservation: ReservationId) {
        self.calls.push(Call::Release(reservation));
    }
}
