//! Annotated → newtypes and const generics: a value of the type is the
//! proof that its check ran. `Bounded<MIN, MAX>` carries its range in the
//! type, `Port` keeps a niche for `Option`, `NonEmpty` refuses blank text;
//! each `Deserialize` checks while the value is read, so serde's error
//! points at the value itself.

use std::fmt;
use std::num::NonZeroU16;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// A value outside the range its type allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} is outside the allowed range {min}..={max}")]
pub struct OutOfRange {
    /// The rejected value.
    pub value: i64,
    /// The smallest allowed value.
    pub min: i64,
    /// The largest allowed value.
    pub max: i64,
}

/// An integer in `MIN..=MAX`: `Annotated[int, Ge(MIN), Le(MAX)]` with the
/// bounds in the type. Only [`Bounded::new`] (and serde, through it) makes
/// one, so holding a `Bounded<1, 256>` proves the check was done.
///
/// A type with `MIN > MAX` is refused when `new` is compiled for it:
///
/// ```compile_fail
/// use mastery_core::typing_examples::Bounded;
///
/// // error[E0080]: evaluation panicked: Bounded<MIN, MAX> needs MIN <= MAX
/// let _ = Bounded::<10, 5>::new(7);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Bounded<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Bounded<MIN, MAX> {
    /// The smallest value of the type.
    pub const LOWEST: Self = {
        assert!(MIN <= MAX, "Bounded<MIN, MAX> needs MIN <= MAX");
        Bounded(MIN)
    };
    /// The largest value of the type.
    pub const HIGHEST: Self = {
        assert!(MIN <= MAX, "Bounded<MIN, MAX> needs MIN <= MAX");
        Bounded(MAX)
    };

    /// `value` if it lies in `MIN..=MAX`.
    ///
    /// # Errors
    /// [`OutOfRange`] naming the value and the bounds.
    pub const fn new(value: i64) -> Result<Self, OutOfRange> {
        const { assert!(MIN <= MAX, "Bounded<MIN, MAX> needs MIN <= MAX") };
        if value < MIN || value > MAX {
            return Err(OutOfRange {
                value,
                min: MIN,
                max: MAX,
            });
        }
        Ok(Bounded(value))
    }

    /// The smallest value (a `fn`, for `#[serde(default = ...)]`).
    pub const fn lowest() -> Self {
        Self::LOWEST
    }

    /// The value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl<const MIN: i64, const MAX: i64> TryFrom<i64> for Bounded<MIN, MAX> {
    type Error = OutOfRange;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_i64(CheckedInteger {
            check: Self::new,
            expecting: |f| write!(f, "an integer in {MIN}..={MAX}"),
        })
    }
}

impl<const MIN: i64, const MAX: i64> From<Bounded<MIN, MAX>> for i64 {
    fn from(value: Bounded<MIN, MAX>) -> i64 {
        value.0
    }
}

impl<const MIN: i64, const MAX: i64> fmt::Display for Bounded<MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A serde visitor that reads an integer and checks it *while* reading.
///
/// Why not `#[serde(try_from = "i64")]`: that checks after the number has
/// been read and handed back, and serde_json can then only place the error
/// where the enclosing object ends (after its `}` when the field is the
/// last one). Checking inside the visitor lets the format point at the
/// number itself, and `expecting` words the type errors ("expected a port
/// number 1..=65535" instead of "expected i64").
struct CheckedInteger<T, E> {
    check: fn(i64) -> Result<T, E>,
    expecting: fn(&mut fmt::Formatter<'_>) -> fmt::Result,
}

impl<T, E: fmt::Display> Visitor<'_> for CheckedInteger<T, E> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.expecting)(f)
    }

    fn visit_i64<Er: de::Error>(self, value: i64) -> Result<T, Er> {
        (self.check)(value).map_err(Er::custom)
    }

    fn visit_u64<Er: de::Error>(self, value: u64) -> Result<T, Er> {
        match i64::try_from(value) {
            Ok(value) => self.visit_i64(value),
            Err(_) => Err(Er::invalid_value(de::Unexpected::Unsigned(value), &self)),
        }
    }
}

/// Worker threads of a proxy: `Annotated[int, Ge(1), Le(256)]`.
pub type Workers = Bounded<1, 256>;
/// Share of traffic an upstream receives, relative to the others.
pub type Weight = Bounded<1, 100>;

// ANCHOR: port
/// A TCP port, 1–65535. Stored as a `NonZeroU16`, so the compiler knows 0
/// is impossible and `Option<Port>` needs no extra tag byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(NonZeroU16);

/// A port number outside 1–65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("port {0} is outside 1..=65535")]
pub struct BadPort(pub i64);

impl Port {
    /// `number` as a port, if it is one.
    ///
    /// # Errors
    /// [`BadPort`] for 0, negatives and anything above 65535.
    pub fn new(number: i64) -> Result<Self, BadPort> {
        u16::try_from(number)
            .ok()
            .and_then(NonZeroU16::new)
            .map(Port)
            .ok_or(BadPort(number))
    }

    /// The port number.
    pub fn get(self) -> u16 {
        self.0.get()
    }
}
// ANCHOR_END: port

impl TryFrom<i64> for Port {
    type Error = BadPort;

    fn try_from(number: i64) -> Result<Self, Self::Error> {
        Port::new(number)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_i64(CheckedInteger {
            check: Port::new,
            expecting: |f| f.write_str("a port number 1..=65535"),
        })
    }
}

impl From<Port> for u16 {
    fn from(port: Port) -> u16 {
        port.get()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An empty (or all-whitespace) string where a name was required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must not be empty or only whitespace")]
pub struct EmptyString;

/// A string with at least one non-whitespace character:
/// `Annotated[str, MinLen(1)]`, checked once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NonEmpty(String);

impl NonEmpty {
    /// `text` if it has a non-whitespace character.
    ///
    /// # Errors
    /// [`EmptyString`].
    pub fn new(text: impl Into<String>) -> Result<Self, EmptyString> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(EmptyString);
        }
        Ok(NonEmpty(text))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NonEmpty {
    type Error = EmptyString;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        NonEmpty::new(text)
    }
}

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NonEmptyVisitor;
        impl Visitor<'_> for NonEmptyVisitor {
            type Value = NonEmpty;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-empty string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<NonEmpty, E> {
                NonEmpty::new(text).map_err(E::custom)
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<NonEmpty, E> {
                NonEmpty::new(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_string(NonEmptyVisitor)
    }
}

impl From<NonEmpty> for String {
    fn from(text: NonEmpty) -> String {
        text.0
    }
}

impl AsRef<str> for NonEmpty {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NonEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
