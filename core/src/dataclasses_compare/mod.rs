//! # Dataclasses vs NamedTuple vs Pydantic
//!
//! ## Python idiom
//! Three ways to give a record a shape:
//!
//! ```python
//! @dataclass(frozen=True, slots=True)        # generated __init__, __repr__, __eq__
//! class User:
//!     id: int
//!     name: str
//!     email: str
//!     age: int
//!     tags: list[str] = field(default_factory=list)
//!     def __post_init__(self):               # validation is yours to write
//!         if not 13 <= self.age <= 130: raise ValueError("age")
//!
//! class UserRow(NamedTuple):                 # a tuple with names: row[0], unpacking
//!     id: int; name: str; email: str; age: int; tags: list[str]
//!
//! class UserModel(BaseModel):                # Pydantic v2: validated on construction
//!     id: PositiveInt
//!     age: Annotated[int, Field(ge=13, le=130)]
//!     ...
//! UserModel.model_validate_json(raw)         # ValidationError lists every bad field
//! ```
//!
//! A dataclass checks nothing unless `__post_init__` does; a NamedTuple is a
//! tuple (and `json.dumps` writes it as a list); Pydantic validates every
//! field on the way in and reports all failures with their location. (Its
//! validation core, `pydantic-core`, is itself written in Rust.)
//!
//! ## Rust answer
//! - **`@dataclass` → a struct with derives.** [`User`] derives what the
//!   decorator generates: `Debug` (`__repr__`), `Clone`, `PartialEq`/`Eq`
//!   (`__eq__`), and serde's `Serialize`/`Deserialize` (`asdict` plus
//!   `json`). [`User::check`] is the hand-written `__post_init__`, and
//!   `slots` is free: a struct is its fields and nothing else.
//! - **`Hash` is checked when it is derived.** Every field must be `Hash`,
//!   and `Vec<String>` is, so a `User` can be a set member or a map key.
//!   Python's `frozen=True` generates a `__hash__` that hashes the fields
//!   only when called: `hash(user)` raises `TypeError: unhashable type:
//!   'list'` for this class, at run time (a `tuple[str, ...]` field would
//!   hash).
//! - **`Default` is not field defaults.** The derive gives every field its
//!   type's default — `0`, `""`, an empty `Vec` — which matches
//!   `default_factory=list` for `tags` but makes `id` and `age` zero, values
//!   the rules reject. Per-field defaults are a hand-written `impl Default`,
//!   or, for keys absent from JSON, `#[serde(default = "path")]` on the
//!   field (`tags` here takes `#[serde(default)]`, its type's).
//! - **`frozen` has no exact twin: mutability belongs to the binding, not
//!   the type.** `let user` cannot be changed through that name, but its
//!   owner may move it into `let mut user` and assign any `pub` field. A
//!   type is frozen only when its fields are private and no method takes
//!   `&mut self` — as `garde::Valid<T>` lends out `&T` and never `&mut T`.
//! - **`NamedTuple` → a tuple struct.** [`UserRow`] has fields `.0` to
//!   `.4`, destructures like tuple unpacking, and serde writes it as a JSON
//!   *array* — smaller, and just as position-dependent as the Python one.
//! - **Pydantic → serde + `garde`.** [`ValidatedUser`] declares its rules as
//!   attributes (`range`, `length`, `contains`, `ascii`, a `custom`
//!   function, `inner` rules for each tag); `validate()` checks every field
//!   and returns a `garde::Report` holding *every* failure with its path
//!   (`tags[2]`). [`ValidatedUser::new`] and [`ValidatedUser::parse_json`]
//!   are the model's constructor and `model_validate_json`: they return
//!   `garde::Valid<ValidatedUser>`, a wrapper only validation can create.
//!
//! ```
//! use mastery_core::dataclasses_compare::{RecordError, ValidatedUser};
//!
//! let raw = r#"{"id": 7, "name": "Ann", "email": "ann.example.com", "age": 9, "tags": ["ok", ""]}"#;
//! let Err(RecordError::Invalid(report)) = ValidatedUser::parse_json(raw) else {
//!     panic!("three fields are invalid");
//! };
//! let paths: Vec<String> = report.iter().map(|(path, _)| path.to_string()).collect();
//! // garde reports fields in alphabetical order of their names (its derive
//! // walks them in a sorted map); Pydantic reports in declaration order,
//! // which would be email, age, tags.1.
//! assert_eq!(paths, ["age", "email", "tags[1]"]);
//! ```
//!
//! ## When to use which
//! - **A plain struct** for records your own code builds: the type system
//!   already guarantees the shape, so there is nothing left to check at run
//!   time except *business* rules — write those as a method, or better as
//!   newtypes (see `core/typing-examples`) so they hold everywhere.
//! - **A tuple struct** for small, obvious records (`Rgb(u8, u8, u8)`,
//!   `Meters(f64)`) and newtypes; for five fields, names win — `row.3` is
//!   the same readability trap as `row[3]`. Its array JSON is smaller, but
//!   a reader (or a peer service) must know the column order, and adding a
//!   field breaks every old document.
//! - **serde + garde** for records that arrive from outside (requests,
//!   files, queues), when you want *all* failures reported with paths,
//!   rules next to the fields, and a `Valid<T>` proof type. The price is a
//!   validation pass after parsing, and rules that are attributes rather
//!   than types, so code that builds the struct by hand can skip them;
//!   newtypes cannot be skipped.
//! - Strictness differs from Pydantic: serde does not coerce (`"42"` is not
//!   an integer), which Pydantic's default lax mode would accept. Extra
//!   keys are ignored unless `#[serde(deny_unknown_fields)]` — here they
//!   are refused, like `model_config = ConfigDict(extra="forbid")`.
//!
//! ## What it costs
//! The demo times each shape per record — construct, validate (the
//! hand-written check for `User`, garde for `ValidatedUser`, nothing for
//! the tuple struct), write JSON, read it back — and counts the JSON bytes
//! per record, in one table. Then head to head:
//! - **construct and validate (`ValidatedUser::new`) vs construct alone**
//!   (a plain `User`, unchecked), and validation as a share of building a
//!   record and of parsing one from JSON;
//! - **garde's derived rules vs the hand-written checks** on valid records:
//!   the same rules, the derive also carrying what a report needs (paths,
//!   every failure rather than the first);
//! - **tuple struct vs named struct**: JSON bytes (an array repeats no
//!   field names), and the time to write and to read them.
//!
//! In memory all three shapes are the same five fields (the demo records
//! `size_of` of each): rules add no bytes. What each gives up is in the
//! section above — rules that hand-built values can skip, and an array
//! whose column order is the schema.
//!
//! ## Run it
//! `mastery run core/dataclasses-compare` (the table and the comparisons
//! above; `mastery run core/dataclasses-compare --deep` times many more
//! records per sample, and more samples), and `cargo test -p
//! mastery-core dataclasses_compare` (garde reports with field paths,
//! hand-written and garde rules agreeing, JSON round trips as property
//! tests, array vs object JSON). The code: the core below (the three
//! shapes); `post_init.rs` (the hand-written check), `validation.rs`
//! (Pydantic's constructor and `model_validate_json`), `conversions.rs`,
//! `demo.rs` with `demo/per_million.rs`, `tests.rs`.

use serde::{Deserialize, Serialize};

mod conversions;
mod demo;
mod post_init;
#[cfg(test)]
mod tests;
mod validation;

pub use post_init::FieldError;
pub use validation::RecordError;

// ANCHOR: core
// One record, three shapes. The derives write what `@dataclass` generates;
// the tuple struct is the NamedTuple; the garde attributes are Pydantic's
// field constraints, checked by `validate()` — all of them, every failure
// reported. The limits are constants so the hand-written check
// (`post_init.rs`) and the attributes cannot drift apart.

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// Shortest and longest e-mail address, in bytes.
pub const EMAIL_BYTES: (usize, usize) = (3, 254);
/// Youngest and oldest allowed age.
pub const AGE_RANGE: (u8, u8) = (13, 130);
/// Most tags on one user.
pub const MAX_TAGS: usize = 8;
/// Longest tag, in bytes (tags are ASCII).
pub const TAG_MAX_BYTES: usize = 32;

/// A user as a plain record: the lesson's `@dataclass`. Its fields are
/// `pub`, so whoever owns a `User` may change it; `frozen` has no twin on
/// the type (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Positive id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Age in years.
    pub age: u8,
    /// Labels; absent in JSON means none (`field(default_factory=list)`).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The same record as a tuple struct: `class UserRow(NamedTuple)`. Fields
/// by position: id, name, email, age, tags. Serialized as a JSON array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserRow(pub u64, pub String, pub String, pub u8, pub Vec<String>);

/// The same record with its rules attached: `class UserModel(BaseModel)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, garde::Validate)]
#[serde(deny_unknown_fields)]
pub struct ValidatedUser {
    /// Positive id.
    #[garde(range(min = 1))]
    pub id: u64,
    /// Display name: 1–64 characters, no surrounding whitespace.
    #[garde(length(chars, min = 1, max = NAME_MAX_CHARS), custom(no_surrounding_whitespace))]
    pub name: String,
    /// E-mail address: 3–254 bytes with an `@` (a sanity check, not RFC 5322).
    #[garde(length(min = EMAIL_BYTES.0, max = EMAIL_BYTES.1), contains("@"))]
    pub email: String,
    /// Age in years, 13–130.
    #[garde(range(min = AGE_RANGE.0, max = AGE_RANGE.1))]
    pub age: u8,
    /// At most 8 labels, each 1–32 ASCII characters.
    #[serde(default)]
    #[garde(length(max = MAX_TAGS), inner(ascii, length(min = 1, max = TAG_MAX_BYTES)))]
    pub tags: Vec<String>,
}

/// A garde `custom` rule: the value and the (here empty) context.
fn no_surrounding_whitespace(value: &str, _context: &()) -> garde::Result {
    if value.trim() != value {
        return Err(garde::Error::new("must not start or end with whitespace"));
    }
    Ok(())
}
// ANCHOR_END: core
