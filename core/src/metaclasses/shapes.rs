//! The shapes this crate registers with the derive: one per struct shape
//! it accepts (named fields, a skipped field, a tuple struct, a unit
//! struct) and one with a name of its own.

use std::cell::Cell;

use super::{Register, Shape};

// The derive names its runtime `mastery_core::metaclasses` (no leading
// `::`). Outside this crate that is the extern crate; inside it, this alias.
use crate as mastery_core;

/// A circle, registered as `circle`: the type name in kebab case.
#[derive(Debug, Default, Clone, PartialEq, Register)]
pub struct Circle {
    /// The radius.
    pub radius: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.radius * self.radius
    }
}

/// A rectangle, registered as `rectangle`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
pub struct Rectangle {
    /// The width.
    pub width: f64,
    /// The height.
    pub height: f64,
}

impl Shape for Rectangle {
    fn area(&self) -> f64 {
        self.width * self.height
    }
}

/// A square that remembers its area. The memo is not part of what the
/// square *is*, so `#[register(skip)]` keeps it out of `describe()`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
pub struct Square {
    /// The side.
    pub side: f64,
    #[register(skip)]
    area_memo: Cell<Option<f64>>,
}

impl Square {
    /// A square of the given side.
    pub fn new(side: f64) -> Square {
        Square {
            side,
            area_memo: Cell::new(None),
        }
    }
}

impl Shape for Square {
    fn area(&self) -> f64 {
        if let Some(area) = self.area_memo.get() {
            return area;
        }
        let area = self.side * self.side;
        self.area_memo.set(Some(area));
        area
    }
}

/// An ellipse by its two semi-axes: a tuple struct, described as
/// `ellipse(a, b)`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
pub struct Ellipse(pub f64, pub f64);

impl Shape for Ellipse {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.0 * self.1
    }
}

// ANCHOR: register_name
/// A regular polygon, registered under a name of its own: `polygon`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
#[register(name = "polygon")]
pub struct RegularPolygon {
    /// How many sides.
    pub sides: u32,
    /// The length of each.
    pub side: f64,
}
// ANCHOR_END: register_name

impl Shape for RegularPolygon {
    fn area(&self) -> f64 {
        if self.sides < 3 {
            return 0.0;
        }
        let n = f64::from(self.sides);
        n * self.side * self.side / (4.0 * (std::f64::consts::PI / n).tan())
    }
}

/// A point: a unit struct, described as just `point`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
pub struct Point;

impl Shape for Point {
    fn area(&self) -> f64 {
        0.0
    }
}
