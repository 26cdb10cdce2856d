//! The hand-written peers of the registry: the list a person keeps in sync
//! with the types, as an array and as a `match`. The demo times them
//! against the registry; a test fails when they drift from it.

use super::{Circle, Ellipse, Point, Rectangle, RegularPolygon, Shape, Square, Triangle};

/// What a registry entry hands out: `Shape.registry[name]`.
pub(super) type Constructor = fn() -> Box<dyn Shape>;

/// What the registry replaces: a list a person keeps in sync with the
/// types. The test `hand_written_lists_match_the_registry` is the price of
/// keeping it.
pub(super) const HAND_WRITTEN: [(&str, Constructor); 7] = [
    ("circle", || Box::new(Circle::default())),
    ("ellipse", || Box::new(Ellipse::default())),
    ("point", || Box::new(Point)),
    ("polygon", || Box::new(RegularPolygon::default())),
    ("rectangle", || Box::new(Rectangle::default())),
    ("square", || Box::new(Square::default())),
    ("triangle", || Box::new(Triangle::default())),
];

/// The same list as a `match`, which the compiler turns into comparisons of
/// lengths and bytes.
pub(super) fn hand_written_match(name: &str) -> Option<Constructor> {
    let constructor: Constructor = match name {
        "circle" => || Box::new(Circle::default()),
        "ellipse" => || Box::new(Ellipse::default()),
        "point" => || Box::new(Point),
        "polygon" => || Box::new(RegularPolygon::default()),
        "rectangle" => || Box::new(Rectangle::default()),
        "square" => || Box::new(Square::default()),
        "triangle" => || Box::new(Triangle::default()),
        _ => return None,
    };
    Some(constructor)
}
