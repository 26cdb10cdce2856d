//! The memory-layout lesson's types — the same record with the compiler's
//! field order and with `#[repr(C)]`, enums small and large — and the
//! `size_of`/`align_of` table the demo prints and the tests pin down.

use std::num::NonZeroU32;

// ANCHOR: reading_layout
/// One reading, fields listed in the order a Python class would list them.
/// The compiler is free to reorder them: 8 + 8 + 4 + 1, padded to 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Which sensor.
    pub sensor: u32,
    /// The value read.
    pub value: f64,
    /// Whether the reading passed its checks.
    pub ok: bool,
    /// Seconds since the epoch.
    pub timestamp: u64,
}

/// [`Reading`] with `#[repr(C)]`: the declared order is kept, so each small
/// field before a large one is followed by padding (4 + 4 pad + 8 + 1 +
/// 7 pad + 8 = 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct ReadingC {
    /// Which sensor.
    pub sensor: u32,
    /// The value read.
    pub value: f64,
    /// Whether the reading passed its checks.
    pub ok: bool,
    /// Seconds since the epoch.
    pub timestamp: u64,
}
// ANCHOR_END: reading_layout

/// A fieldless enum: one byte, and 252 unused bit patterns for niches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Up.
    North,
    /// Right.
    East,
    /// Down.
    South,
    /// Left.
    West,
}

/// An enum is as large as its largest variant plus a tag (here 4 + 4 + 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A circle of radius `r`.
    Circle {
        /// Radius.
        r: f32,
    },
    /// A `w` × `h` rectangle.
    Rect {
        /// Width.
        w: f32,
        /// Height.
        h: f32,
    },
    /// Nothing.
    Empty,
}

/// One large variant makes every value large: a `Ping` costs 257 bytes.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "the lesson's bad example; PacketBoxed is the fix"
)]
pub enum Packet {
    /// A keep-alive.
    Ping,
    /// A payload, inline.
    Data([u8; 256]),
}

/// The large variant boxed: 8 bytes, and `Ping` lives in the box's null niche.
#[derive(Debug, Clone, PartialEq)]
pub enum PacketBoxed {
    /// A keep-alive.
    Ping,
    /// A payload, on the heap.
    Data(Box<[u8; 256]>),
}

/// One row of the layout table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutFact {
    /// Which lesson the row belongs to: field order, niches or enums.
    pub group: &'static str,
    /// The type, as written in the source.
    pub name: &'static str,
    /// `size_of`, in bytes.
    pub size: usize,
    /// `align_of`, in bytes.
    pub align: usize,
}

macro_rules! fact {
    ($group:literal, $t:ty) => {
        LayoutFact {
            group: $group,
            name: stringify!($t),
            size: size_of::<$t>(),
            align: align_of::<$t>(),
        }
    };
}

/// `size_of` and `align_of` of the lesson's types, as this compiler lays
/// them out on this target.
pub fn layout_facts() -> Vec<LayoutFact> {
    vec![
        fact!("field order", Reading),
        fact!("field order", ReadingC),
        fact!("field order", (u8, u64, u8)),
        fact!("niches", Box<Reading>),
        fact!("niches", Option<Box<Reading>>),
        fact!("niches", &Reading),
        fact!("niches", Option<&Reading>),
        fact!("niches", u32),
        fact!("niches", Option<u32>),
        fact!("niches", Option<NonZeroU32>),
        fact!("niches", Option<bool>),
        fact!("niches", Option<char>),
        fact!("niches", Vec<u8>),
        fact!("niches", Option<Vec<u8>>),
        fact!("enums", Direction),
        fact!("enums", Option<Direction>),
        fact!("enums", Shape),
        fact!("enums", Packet),
        fact!("enums", PacketBoxed),
        fact!("enums", Option<PacketBoxed>),
    ]
}
