//! The real inventory: stock levels and open reservations in memory. The
//! "real call" the demo times a mock against.

use std::collections::HashMap;

use super::{Inventory, ReservationId};

/// Why stock could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    /// The SKU is not stocked at all.
    #[error("no item `{sku}` in the inventory: check the SKU")]
    UnknownSku {
        /// The SKU asked for.
        sku: String,
    },
    /// Fewer in stock than asked for.
    #[error("only {available} of `{sku}` in stock, {requested} requested: lower the quantity")]
    OutOfStock {
        /// The SKU asked for.
        sku: String,
        /// How many were asked for.
        requested: u32,
        /// How many were free.
        available: u32,
    },
}

/// Stock levels by SKU, and what each open reservation holds.
#[derive(Debug, Clone, Default)]
pub struct Warehouse {
    stock: HashMap<String, u32>,
    open: HashMap<ReservationId, (String, u32)>,
    next_id: u64,
}

impl Warehouse {
    /// A warehouse holding `stock` (SKU, count) pairs.
    pub fn with_stock<'a>(stock: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        Warehouse {
            stock: stock.into_iter().map(|(s, n)| (s.to_owned(), n)).collect(),
            ..Warehouse::default()
        }
    }

    /// How many of `sku` are free (not reserved); 0 when unknown.
    pub fn available(&self, sku: &str) -> u32 {
        self.stock.get(sku).copied().unwrap_or(0)
    }

    /// How many reservations are open.
    pub fn open_reservations(&self) -> usize {
        self.open.len()
    }
}

impl Inventory for Warehouse {
    fn reserve(&mut self, sku: &str, quantity: u32) -> Result<ReservationId, StockError> {
        let Some(free) = self.stock.get_mut(sku) else {
            return Err(StockError::UnknownSku {
                sku: sku.to_owned(),
            });
        };
        if *free < quantity {
            return Err(StockError::OutOfStock {
                sku: sku.to_owned(),
                requested: quantity,
                available: *free,
            });
        }
        *free -= quantity;
        self.next_id += 1;
        let id = ReservationId(self.next_id);
        self.open.insert(id, (sku.to_owned(), quantity));
        Ok(id)
    }

    fn release(&mut self, reservation: ReservationId) {
        // Releasing twice (or an id never handed out) is a no-op: a
        // rollback that runs again must not invent stock.
        if let Some((sku, quantity)) = self.open.remove(&reservation)
            && let Some(free) = self.stock.get_mut(&sku)
        {
            *free += quantity;
        }
    }
}
