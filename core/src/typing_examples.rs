//! # Advanced typing: Protocol, TypedDict, Literal, Annotated
//!
//! ## Python idiom
//! Modern Python annotates what a value must look like and lets a checker
//! (mypy, pyright) hold the code to it:
//!
//! ```python
//! class Shape(Protocol):                      # PEP 544: structural typing
//!     def area(self) -> float: ...
//!
//! class Upstream(TypedDict):                  # PEP 589: the shape of a dict
//!     host: str
//!     port: Annotated[int, Gt(0), Lt(65536)]  # PEP 593: metadata on a type
//!     weight: NotRequired[int]                # readers write up.get("weight", 1)
//!     tls_name: NotRequired[str]              # absent: plain TCP
//!
//! LogLevel = Literal["error", "warn", "info", "debug", "trace"]  # PEP 586
//! ```
//!
//! None of it is enforced at run time, though all of it is kept: the
//! annotations sit in `__annotations__` (`typing.get_type_hints(Upstream,
//! include_extras=True)` returns them, `Annotated` metadata included), and
//! nothing reads them unless a library does (Pydantic, beartype). A
//! `TypedDict` instance is a plain `dict`: `json.loads` hands back whatever
//! the document held, an extra key or a string where an `int` belongs
//! included. A builder whose `build()` needs `url()` first can only say so
//! by raising at run time.
//!
//! ## Rust answer
//! The same annotations, kept by the compiler and enforced at the boundary:
//!
//! - **Protocol → trait.** [`Shape`] is the protocol. A generic function
//!   ([`total_area`], `S: Shape`) is *static dispatch*: one copy per type,
//!   calls inlined. A trait object ([`total_area_dyn`], `&dyn Shape`) is
//!   *dynamic dispatch*: one copy, each call an indirect call through the
//!   vtable, a table of function pointers whose layout the compiler fixed.
//!   Python's `s.area()` is dynamic too, but by name: it looks `area` up at
//!   run time — along the type's MRO and in the instance `__dict__` (CPython
//!   caches the lookup) — then calls what it found. A closed set of
//!   implementers is an enum
//!   ([`AnyShape`]): a heterogeneous list with static dispatch. Unlike a
//!   Protocol, a trait is nominal: a type conforms by an `impl`, not by
//!   happening to have the method.
//! - **TypedDict → serde struct with `deny_unknown_fields`.** [`ProxyConfig`]
//!   and [`Upstream`] are the dict's shape. `NotRequired[T]` is
//!   `Option<T>` ([`Upstream::tls_name`]): an absent key reads as `None`
//!   (serde does that for an `Option` field by itself; `#[serde(default)]`
//!   says so out loud, and keeps it true under a `deserialize_with`), and
//!   `skip_serializing_if = "Option::is_none"` leaves the key out again on
//!   the way back. When absence stands for a known value — `weight`, which
//!   Python readers write as `up.get("weight", 1)` — the field is a plain
//!   `T` with `#[serde(default = ...)]`: the default is applied once, at
//!   parse time, and the struct no longer tells "absent" from "1". Parsing
//!   *is* checking: [`parse_typed`] returns the
//!   struct or a [`SchemaError`] naming the JSON path, the problem and the
//!   line and column — an unknown key, a missing key, a wrong type.
//! - **Literal → enum.** [`LogLevel`] accepts exactly its five names, in
//!   JSON and through `FromStr`, and a `match` on it must be exhaustive
//!   (Python's `assert_never`, checked by the compiler).
//! - **Annotated → newtypes and const generics.** [`Bounded<MIN, MAX>`](Bounded)
//!   carries its range in the type (`Bounded<1, 256>`); [`Port`] stores a
//!   `NonZeroU16`, so `Option<Port>` is still two bytes; [`NonEmpty`] is a
//!   string that cannot be empty. Each constructor validates once, and
//!   serde goes through it, so a value of the type *is* the proof of the
//!   check. (Their `Deserialize` is written by hand to check *while* the
//!   value is read, so serde_json's error points at the value;
//!   `#[serde(try_from = ...)]` checks afterwards, and its errors land at
//!   the end of the enclosing object.)
//! - **Typestate.** [`Request::builder`] returns a [`RequestBuilder`] whose
//!   type records which required steps are done; `build()` exists only on
//!   `RequestBuilder<WithUrl, WithMethod>`. Calling it early, setting the
//!   URL twice or reusing a consumed builder is a *compile* error (the
//!   `tests/ui/typestate` cases show the compiler's words).
//!
//! ```
//! use mastery_core::typing_examples::{parse_typed, Method, ProxyConfig, Request};
//!
//! let bad = r#"{"name": "edge", "listen": 8080, "log_level": "info", "workers": 4,
//!              "upstreams": [{"host": "10.0.0.1", "port": 80, "wieght": 3}]}"#;
//! let error = parse_typed::<ProxyConfig>(bad).unwrap_err();
//! assert_eq!(error.path, "$.upstreams[0].wieght");
//! assert!(error.message.starts_with("unknown field `wieght`"));
//! assert_eq!((error.line, error.column), (2, 68));
//!
//! let request = Request::builder().url("https://example.com").method(Method::Get).build();
//! assert_eq!(request.method, Method::Get);
//! ```
//!
//! ## When to use which
//! - **Generic (`impl Trait` / `T: Trait`)** by default: the compiler
//!   inlines through it. **`dyn Trait`** when the set of types is open and
//!   mixed in one collection (plugins, middleware stacks), when code size
//!   matters more than the call, or to keep a generic parameter out of a
//!   public type. An **enum** when the set is closed and yours. The demo
//!   measures all three; the gap is the inlining a vtable call prevents,
//!   and it shrinks to nothing when the method does real work.
//! - **A serde struct** for any document you did not write: the shape is
//!   checked once at the edge and the rest of the program works with typed
//!   fields. `deny_unknown_fields` for configuration (a typo must fail
//!   loudly); leave it off for payloads from a peer that may add fields
//!   (forward compatibility) — and it does not mix with `#[serde(flatten)]`.
//!   `serde_json::Value` when you really do not know the shape; it is the
//!   `dict` and costs more, as the demo measures.
//! - **A newtype** when a constraint is checked in more than one place or
//!   the value crosses an API; a `const`-generic bound when the limits are
//!   fixed per use site and you want them in the type's name. A plain
//!   `u16` plus a check is fine for one local value.
//! - **Typestate** for a few *required, ordered* steps on an API used by
//!   many callers (connections, protocol handshakes, builders of requests).
//!   It costs a type parameter per tracked step, harder-to-read docs, and
//!   errors that say "no method `build` found for `RequestBuilder<WithUrl,
//!   NoMethod>`" rather than "url is required". With one or two required
//!   values, a constructor that takes them as arguments is simpler; with
//!   requirements that depend on run-time data, a `build() -> Result`.
//!
//! ## Run it
//! `mastery run core/typing-examples` (static vs `dyn` vs enum dispatch,
//! typed parse vs `serde_json::Value`, the errors of real bad documents,
//! the typestate builder and the compiler's refusal), and
//! `cargo test -p mastery-core typing_examples` (unit and property tests,
//! doctests) plus `cargo test -p mastery-core --test typestate_ui` (the
//! compile-fail cases).

use std::fmt;
use std::hint::black_box;
use std::num::NonZeroU16;
use std::str::FromStr;
use std::time::Duration;

use mastery_kit::{Area, Narrator, Topic, Unit};
use serde::de::{self, DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/typing-examples",
        area: Area::Core,
        rank: 4,
        title: "Advanced typing: Protocol, TypedDict, Literal, Annotated",
        python: "Protocol, TypedDict, Literal[...], Annotated[int, Gt(0)]: checked by mypy, kept in __annotations__ but not enforced at run time",
        rust: "traits (generic or dyn), serde structs with deny_unknown_fields, enums, validated newtypes and const generics, typestate builders",
        path: "core/src/typing_examples.rs",
        source: include_str!("typing_examples.rs"),
        run: demo,
    }
}

// ---- Protocol → traits ----------------------------------------------------

/// Anything with an area: `class Shape(Protocol): def area(self) -> float`.
pub trait Shape {
    /// The area, in square units.
    fn area(&self) -> f64;
}

/// A circle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    /// Radius.
    pub radius: f64,
}

/// An axis-aligned rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// A triangle given by base and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Triangle {
    /// Base.
    pub base: f64,
    /// Height over the base.
    pub height: f64,
}

impl Shape for Circle {
    fn area(&self) -> f64 {
        std::f64::consts::PI * self.radius * self.radius
    }
}

impl Shape for Rect {
    fn area(&self) -> f64 {
        self.width * self.height
    }
}

impl Shape for Triangle {
    fn area(&self) -> f64 {
        0.5 * self.base * self.height
    }
}

/// A closed set of shapes: a heterogeneous collection with static dispatch
/// (a `match`, which the compiler can inline, instead of a vtable call).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnyShape {
    /// A circle.
    Circle(Circle),
    /// A rectangle.
    Rect(Rect),
    /// A triangle.
    Triangle(Triangle),
}

impl Shape for AnyShape {
    fn area(&self) -> f64 {
        match self {
            AnyShape::Circle(c) => c.area(),
            AnyShape::Rect(r) => r.area(),
            AnyShape::Triangle(t) => t.area(),
        }
    }
}

/// Static dispatch: the compiler makes one copy of this function per `S`
/// and inlines `area` into the loop.
pub fn total_area<S: Shape>(shapes: &[S]) -> f64 {
    shapes.iter().map(Shape::area).sum()
}

/// Dynamic dispatch: one copy for every shape type; each `area` is an
/// indirect call through the value's vtable.
pub fn total_area_dyn(shapes: &[&dyn Shape]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}

/// Dynamic dispatch over owned, boxed shapes: a heterogeneous list whose
/// set of types is open (any `impl Shape` can join).
pub fn total_area_boxed(shapes: &[Box<dyn Shape>]) -> f64 {
    shapes.iter().map(|s| s.area()).sum()
}

// ---- Annotated → newtypes and const generics ------------------------------

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

// ---- Literal → enums --------------------------------------------------------

/// `Literal["error", "warn", "info", "debug", "trace"]`: exactly these
/// names, in JSON and through [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Only errors.
    Error,
    /// Errors and warnings.
    Warn,
    /// The usual level.
    Info,
    /// Diagnostics for developers.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// Every level, most severe first.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    /// The level's name, as written in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// A name that is not one of the allowed literals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variant `{given}`, expected one of {}", quoted(.expected))]
pub struct UnknownVariant {
    /// What was given.
    pub given: String,
    /// The allowed names.
    pub expected: &'static [&'static str],
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for LogLevel {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const NAMES: &[&str] = &["error", "warn", "info", "debug", "trace"];
        LogLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == s)
            .ok_or_else(|| UnknownVariant {
                given: s.to_owned(),
                expected: NAMES,
            })
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---- TypedDict → serde structs ---------------------------------------------

/// One backend of a proxy: `class Upstream(TypedDict): host: str; port:
/// int; weight: NotRequired[int]; tls_name: NotRequired[str]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Host name or address.
    pub host: NonEmpty,
    /// Port to connect to.
    pub port: Port,
    /// Relative share of traffic. `NotRequired`, and absent means 1: the
    /// default is applied while parsing, so code never sees "absent".
    #[serde(default = "Weight::lowest")]
    pub weight: Weight,
    /// The server name to check when connecting over TLS; `None` (the key
    /// absent) connects in plain TCP. `NotRequired[str]` as `Option`: absent
    /// reads as `None`, and `None` is written back as no key at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_name: Option<NonEmpty>,
}

/// A proxy's configuration document: every key known, every value typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Name of the proxy, for logs.
    pub name: NonEmpty,
    /// Port the proxy listens on.
    pub listen: Port,
    /// Log verbosity, one of five names.
    pub log_level: LogLevel,
    /// Worker threads, 1–256.
    pub workers: Workers,
    /// Where requests go.
    pub upstreams: Vec<Upstream>,
}

/// Why a JSON document was rejected: where, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message} (line {line}, column {column})")]
pub struct SchemaError {
    /// Where the problem is, as a JSON path: `$` is the document,
    /// `$.upstreams[1].port` a field of the second upstream. For a missing
    /// field it is the object that lacks it (the message names the field).
    pub path: String,
    /// serde's description — unknown field, missing field, invalid type
    /// or value, unknown variant — or the message of a newtype's check.
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// Column of the error on that line (bytes, as serde_json counts).
    pub column: usize,
}

/// Parses `json` into `T` — the typed dict — or says where and why it does
/// not fit.
///
/// serde_json reports *what* went wrong and the line and column, but for a
/// wrong type not *which field*; the path is recovered here by walking the
/// text up to the error position (the document is well-formed that far, or
/// serde would have stopped earlier). The `serde_path_to_error` crate gets
/// the same by wrapping the deserializer.
///
/// # Errors
/// [`SchemaError`] for malformed JSON, unknown or missing fields, wrong
/// types, and values a newtype refuses.
pub fn parse_typed<T: DeserializeOwned>(json: &str) -> Result<T, SchemaError> {
    serde_json::from_str(json).map_err(|e| schema_error(json, &e))
}

fn schema_error(json: &str, error: &serde_json::Error) -> SchemaError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    SchemaError {
        path: json_path_at(json, byte_offset(json, line, column)),
        message,
        line,
        column,
    }
}

/// The byte offset just after serde_json's (1-based line, byte column).
fn byte_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut offset = (line_start + column).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Where the scan is inside one JSON container.
enum Frame {
    Object {
        key: Option<String>,
        expecting_key: bool,
    },
    Array {
        index: usize,
    },
}

/// The JSON path of the innermost value open at `end`, e.g.
/// `$.upstreams[1].port`, by scanning the text before it.
fn json_path_at(text: &str, end: usize) -> String {
    let bytes = &text.as_bytes()[..end.min(text.len())];
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                expecting_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expecting_key }) => {
                    *key = None;
                    *expecting_key = true;
                }
                None => {}
            },
            b'"' => {
                let close = string_end(bytes, i + 1);
                if let Some(Frame::Object {
                    key,
                    expecting_key: expecting_key @ true,
                }) = stack.last_mut()
                {
                    *key = Some(String::from_utf8_lossy(&bytes[i + 1..close]).into_owned());
                    *expecting_key = false;
                }
                i = close + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                path.push('.');
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Index of the quote closing the string whose content starts at `start`
/// (or the end of `bytes` when the string is cut off there).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

// ---- typestate ------------------------------------------------------------

/// An HTTP method: `Literal["GET", "POST", "PUT", "DELETE"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Read.
    Get,
    /// Create.
    Post,
    /// Replace.
    Put,
    /// Delete.
    Delete,
}

/// A request, complete: made only by [`RequestBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Where to send it.
    pub url: String,
    /// What to do.
    pub method: Method,
    /// Headers, in the order they were added.
    pub headers: Vec<(String, String)>,
    /// How long to wait for an answer; `None` waits forever.
    pub timeout: Option<Duration>,
}

impl Request {
    /// Starts a builder with nothing set. `url` and `method` are required,
    /// once each, in any order; `header` and `timeout` are optional.
    pub fn builder() -> RequestBuilder<NoUrl, NoMethod> {
        RequestBuilder {
            url_state: NoUrl,
            method_state: NoMethod,
            headers: Vec::new(),
            timeout: None,
        }
    }
}

/// Typestate: the URL is not set yet (zero-sized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoUrl;
/// Typestate: the URL is set, and here it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithUrl(String);
/// Typestate: the method is not set yet (zero-sized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoMethod;
/// Typestate: the method is set, and here it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithMethod(Method);

/// A [`Request`] under construction. The type parameters record whether
/// the URL (`U`) and the method (`M`) are set, and hold them when they are:
/// `build` exists only for `RequestBuilder<WithUrl, WithMethod>`, and takes
/// the values out of the state types — no `Option`, no run-time check, no
/// "url is required" error to handle.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build()` is called"]
pub struct RequestBuilder<U, M> {
    url_state: U,
    method_state: M,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
}

impl<M> RequestBuilder<NoUrl, M> {
    /// Sets the URL. Only available while it is unset: a second call does
    /// not compile.
    pub fn url(self, url: impl Into<String>) -> RequestBuilder<WithUrl, M> {
        RequestBuilder {
            url_state: WithUrl(url.into()),
            method_state: self.method_state,
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}

impl<U> RequestBuilder<U, NoMethod> {
    /// Sets the method. Only available while it is unset.
    pub fn method(self, method: Method) -> RequestBuilder<U, WithMethod> {
        RequestBuilder {
            url_state: self.url_state,
            method_state: WithMethod(method),
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}

impl<U, M> RequestBuilder<U, M> {
    /// Adds a header; allowed any number of times, in any state.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the timeout; the last call wins, like a keyword argument.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl RequestBuilder<WithUrl, WithMethod> {
    /// The finished request. Exists only once both required steps are done.
    pub fn build(self) -> Request {
        Request {
            url: self.url_state.0,
            method: self.method_state.0,
            headers: self.headers,
            timeout: self.timeout,
        }
    }
}

// ---- demo -------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    dispatch_costs(n)?;
    typed_parsing(n)?;
    validation_errors(n)?;
    literals_and_newtypes(n)?;
    typestate(n);
    Ok(())
}

/// A seeded sequence of shapes of mixed kinds in pseudo-random order (a
/// linear congruential generator picks the kind).
fn mixed_shapes(count: usize) -> Vec<AnyShape> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let size = 1.0 + (i % 7) as f64;
            match state >> 62 {
                0 | 1 => AnyShape::Circle(Circle { radius: size }),
                2 => AnyShape::Rect(Rect {
                    width: size,
                    height: 2.0,
                }),
                _ => AnyShape::Triangle(Triangle {
                    base: size,
                    height: 3.0,
                }),
            }
        })
        .collect()
}

fn boxed(shape: AnyShape) -> Box<dyn Shape> {
    match shape {
        AnyShape::Circle(c) => Box::new(c),
        AnyShape::Rect(r) => Box::new(r),
        AnyShape::Triangle(t) => Box::new(t),
    }
}

/// Runs `pass` `reps` times over `black_box`ed input, so the optimizer can
/// neither hoist the work out of the loop nor see through the slice.
fn repeat<T: ?Sized>(reps: usize, input: &T, pass: impl Fn(&T) -> f64) -> f64 {
    let mut sum = 0.0;
    for _ in 0..reps {
        sum += pass(black_box(input));
    }
    sum
}

fn dispatch_costs(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Protocol → trait: static vs dynamic dispatch, measured");
    // 4 096 shapes stay in L1/L2, so the figures are about the call, not
    // about memory; full mode repeats the pass to time a longer stretch.
    const SHAPES: usize = 4_096;
    let reps = n.mode().pick(4, 64);
    let ops = (SHAPES * reps) as u64;
    let circles: Vec<Circle> = (0..SHAPES)
        .map(|i| Circle {
            radius: 1.0 + (i % 13) as f64,
        })
        .collect();
    let circle_refs: Vec<&dyn Shape> = circles.iter().map(|c| c as &dyn Shape).collect();
    anyhow::ensure!(
        total_area(&circles) == total_area_dyn(&circle_refs),
        "both dispatches must compute the same sum"
    );
    n.say(&format!(
        "The same {SHAPES} circles summed {reps} times: through a generic `S: Shape` (the call \
         inlined) and through `&dyn Shape` (a vtable call per circle). Inputs pass through \
         std::hint::black_box, so neither loop can be folded away."
    ));
    let homogeneous = n.compare_timed(
        "area of one circle: generic `total_area::<Circle>` vs `&dyn Shape`",
        ops,
        || repeat(reps, circles.as_slice(), total_area),
        "&dyn Shape",
        || repeat(reps, circle_refs.as_slice(), total_area_dyn),
    );
    explain_ratio(
        n,
        homogeneous.speedup,
        "The generic",
        "`&dyn`",
        "with `area` inlined the loop is a multiply and an add per circle, and the \
         compiler may unroll and vectorise the multiplies; through `&dyn` every circle is an \
         indirect call it cannot see into.",
    );

    // Long enough that the branch predictors cannot memorise the order of
    // kinds, as they do for a few thousand shapes summed over and over (the
    // enum then looks three times faster than it is in a real, unseen list).
    const MIXED: usize = 1 << 16;
    let mixed_reps = n.mode().pick(1, 8);
    let mixed = mixed_shapes(MIXED);
    let boxes: Vec<Box<dyn Shape>> = mixed.iter().copied().map(boxed).collect();
    anyhow::ensure!(
        total_area(&mixed) == total_area_boxed(&boxes),
        "enum and boxed dispatch must compute the same sum"
    );
    n.say(&format!(
        "A mixed list of {MIXED} circles, rectangles and triangles in pseudo-random order, \
         summed {mixed_reps} times: as a closed enum (`Vec<AnyShape>`, a match per element, \
         values inline) and as an open set (`Vec<Box<dyn Shape>>`, a heap pointer and a \
         vtable call per element)."
    ));
    let heterogeneous = n.compare_timed(
        "area of one mixed shape: enum `AnyShape` vs `Box<dyn Shape>`",
        (MIXED * mixed_reps) as u64,
        || repeat(mixed_reps, mixed.as_slice(), total_area),
        "Box<dyn Shape>",
        || repeat(mixed_reps, boxes.as_slice(), total_area_boxed),
    );
    explain_ratio(
        n,
        heterogeneous.speedup,
        "The enum",
        "`Box<dyn>`",
        "the match branches on a tag stored next to the values, where `Box<dyn>` first \
         follows a pointer to the heap, then calls through the vtable. Both mispredict the \
         same unpredictable order of kinds.",
    );
    n.record(
        "size of one AnyShape (values inline)",
        std::mem::size_of::<AnyShape>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of one Box<dyn Shape> (fat pointer; value on the heap)",
        std::mem::size_of::<Box<dyn Shape>>() as f64,
        Unit::Bytes,
    );
    Ok(())
}

/// States what a measured ratio means, without claiming more than it shows:
/// `why` explains a win for `ours`, and is said only when ours did win.
fn explain_ratio(n: &mut Narrator, speedup: f64, ours: &str, peer: &str, why: &str) {
    let text = if (0.9..=1.1).contains(&speedup) {
        format!(
            "Within 10%: a tie on this machine. The sum is one chain of dependent float \
             additions (it may not be reordered), and the cost of {peer} hides behind it."
        )
    } else if speedup > 1.0 {
        format!("{ours} is {speedup:.1}× faster on this run: {why}")
    } else {
        format!(
            "{peer} came out {:.1}× faster on this run — reported as measured; the usual \
             expectation is the opposite.",
            1.0 / speedup
        )
    };
    n.say(&text);
}

const GOOD_CONFIG: &str = r#"{
  "name": "edge-proxy",
  "listen": 8443,
  "log_level": "info",
  "workers": 8,
  "upstreams": [
    {"host": "10.0.0.1", "port": 8080, "weight": 3},
    {"host": "10.0.0.2", "port": 8080}
  ]
}"#;

fn typed_parsing(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("TypedDict → serde struct: parse once, typed from then on");
    let config: ProxyConfig = parse_typed(GOOD_CONFIG)?;
    n.say(
        "A well-formed document parses into `ProxyConfig`; the missing `weight` took its default, \
         and the missing `tls_name` (an `Option`) is `None`:",
    );
    for upstream in &config.upstreams {
        n.show(format!(
            "upstream {}:{} weight {} tls_name {:?}",
            upstream.host,
            upstream.port,
            upstream.weight,
            upstream.tls_name.as_ref().map(NonEmpty::as_str)
        ));
    }
    let docs = n.mode().pick(200, 5_000);
    let bytes = (GOOD_CONFIG.len() * docs) as u64;
    n.say(&format!(
        "Parsing the same {}-byte document {docs} times into the typed struct — every key \
         checked, every value converted and validated — against parsing it into \
         `serde_json::Value`, which is what a TypedDict is at run time: a dict, nothing checked.",
        GOOD_CONFIG.len()
    ));
    let parse = n.compare_throughput(
        "parse: typed ProxyConfig (checked) vs serde_json::Value (unchecked dict)",
        bytes,
        || {
            (0..docs)
                .filter(|_| serde_json::from_str::<ProxyConfig>(black_box(GOOD_CONFIG)).is_ok())
                .count()
        },
        "serde_json::Value",
        || {
            (0..docs)
                .filter(|_| {
                    serde_json::from_str::<serde_json::Value>(black_box(GOOD_CONFIG)).is_ok()
                })
                .count()
        },
    );
    if parse.speedup > 1.0 {
        n.say(
            "The typed parse checks more and still wins: field names are matched and dropped \
             instead of allocated as map keys, and numbers land in machine integers rather \
             than in a tree of `Value`s.",
        );
    } else {
        n.say("On this run the untyped parse was not slower; the checks were not free.");
    }
    Ok(())
}

/// Bad documents and what each one gets wrong, for the demo and the tests.
const BAD_CONFIGS: [(&str, &str); 6] = [
    (
        "a misspelt key",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8, "upstream": []}"#,
    ),
    (
        "a missing key",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "upstreams": []}"#,
    ),
    (
        "a string where a number belongs",
        r#"{"name": "edge", "listen": "8443", "log_level": "info", "workers": 8, "upstreams": []}"#,
    ),
    (
        "a value outside Literal[...]",
        r#"{"name": "edge", "listen": 8443, "log_level": "verbose", "workers": 8, "upstreams": []}"#,
    ),
    (
        "a value outside Annotated bounds",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8,
  "upstreams": [{"host": "10.0.0.1", "port": 8080}, {"host": "10.0.0.2", "port": 70000}]}"#,
    ),
    (
        "an empty name",
        r#"{"name": " ", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": []}"#,
    ),
];

fn validation_errors(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Bad documents: the error says where and what");
    let mut rejected = 0;
    for (what, doc) in BAD_CONFIGS {
        match parse_typed::<ProxyConfig>(doc) {
            Ok(config) => anyhow::bail!("{what} was accepted: {config:?}"),
            Err(error) => {
                n.show(format!("{what}:"));
                n.show(format!("  {error}"));
                rejected += 1;
            }
        }
    }
    n.record(
        "bad documents rejected, each with path, line and column",
        f64::from(rejected),
        Unit::Count,
    );
    n.say(
        "Python's TypedDict would have accepted every one of these from json.loads; mypy \
         checks only code it can see, never the file read at run time.",
    );
    Ok(())
}

fn literals_and_newtypes(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Literal → enum, Annotated → newtype");
    match "verbose".parse::<LogLevel>() {
        Ok(level) => anyhow::bail!("`verbose` parsed as {level}"),
        Err(e) => n.show(format!("\"verbose\".parse::<LogLevel>()  → {e}")),
    }
    for value in [0, 8, 300] {
        match Workers::new(value) {
            Ok(w) => n.show(format!("Workers::new({value:<3})              → Ok({w})")),
            Err(e) => n.show(format!("Workers::new({value:<3})              → Err: {e}")),
        }
    }
    n.record(
        "size of Port (a NonZeroU16)",
        std::mem::size_of::<Port>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of Option<Port> (0 is the None niche)",
        std::mem::size_of::<Option<Port>>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of Bounded<1, 256> (an i64; the bounds live in the type)",
        std::mem::size_of::<Workers>() as f64,
        Unit::Bytes,
    );
    Ok(())
}

/// The compiler's refusal of `build()` before `method()`, as checked by
/// the trybuild test.
const BUILD_BEFORE_METHOD: &str = include_str!("../tests/ui/typestate/build_before_method.stderr");

fn typestate(n: &mut Narrator) {
    n.section("Typestate: a builder that cannot be used wrongly");
    let request = Request::builder()
        .url("https://api.example.com/v1/items")
        .header("accept", "application/json")
        .method(Method::Get)
        .timeout(Duration::from_secs(5))
        .build();
    n.say("Used in order, it builds:");
    n.show(format!("{request:?}"));
    n.say(
        "Used out of order, it does not compile. This is rustc's answer to \
         `Request::builder().url(..).build()` — the file that `cargo test --test typestate_ui` \
         checks, so it cannot drift from what the compiler says:",
    );
    for line in BUILD_BEFORE_METHOD.lines() {
        n.show(line);
    }
    n.record(
        "size of RequestBuilder<NoUrl, NoMethod> (state markers are zero-sized)",
        std::mem::size_of::<RequestBuilder<NoUrl, NoMethod>>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of RequestBuilder<WithUrl, WithMethod>",
        std::mem::size_of::<RequestBuilder<WithUrl, WithMethod>>() as f64,
        Unit::Bytes,
    );
}

// ---- tests ------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rejects(doc: &str) -> SchemaError {
        parse_typed::<ProxyConfig>(doc).expect_err("the document is invalid")
    }

    #[test]
    fn the_good_document_parses_with_defaults() {
        let config: ProxyConfig = parse_typed(GOOD_CONFIG).expect("valid");
        assert_eq!(config.name.as_str(), "edge-proxy");
        assert_eq!(config.listen.get(), 8443);
        assert_eq!(config.log_level, LogLevel::Info);
        assert_eq!(config.workers.get(), 8);
        assert_eq!(config.upstreams[0].weight.get(), 3);
        assert_eq!(
            config.upstreams[1].weight,
            Weight::LOWEST,
            "NotRequired → default"
        );
        assert!(
            config.upstreams.iter().all(|u| u.tls_name.is_none()),
            "NotRequired → Option: absent is None"
        );
    }

    #[test]
    fn not_required_is_an_option_absent_both_ways() {
        let with_tls = r#"{"host": "a", "port": 443, "tls_name": "api.internal"}"#;
        let upstream: Upstream = parse_typed(with_tls).expect("valid");
        assert_eq!(
            upstream.tls_name.as_ref().map(NonEmpty::as_str),
            Some("api.internal")
        );
        let plain: Upstream = parse_typed(r#"{"host": "a", "port": 80}"#).expect("valid");
        assert_eq!(plain.tls_name, None);
        let written = serde_json::to_string(&plain).expect("serializes");
        assert!(!written.contains("tls_name"), "None is no key: {written}");
        assert_eq!(parse_typed::<Upstream>(&written), Ok(plain));
        let empty = r#"{"host": "a", "port": 443, "tls_name": ""}"#;
        assert_eq!(rejects_upstream(empty).path, "$.tls_name");
    }

    fn rejects_upstream(doc: &str) -> SchemaError {
        parse_typed::<Upstream>(doc).expect_err("the upstream is invalid")
    }

    /// (document, path, message prefix, line, column)
    const CASES: [(&str, &str, &str, usize, usize); 11] = [
        (
            r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8, "upstream": []}"#,
            "$.upstream",
            "unknown field `upstream`, expected one of `name`, `listen`, `log_level`, `workers`, `upstreams`",
            1,
            78,
        ),
        (
            r#"{"name": "edge", "listen": 8443, "log_level": "info", "upstreams": []}"#,
            "$",
            "missing field `workers`",
            1,
            70,
        ),
        (
            r#"{"name": "edge", "listen": "8443", "log_level": "info", "workers": 8, "upstreams": []}"#,
            "$.listen",
            "invalid type: string \"8443\", expected a port number 1..=65535",
            1,
            33,
        ),
        (
            r#"{"name": "edge", "listen": 8443, "workers": 8, "upstreams": [], "log_level": "verbose"}"#,
            "$.log_level",
            "unknown variant `verbose`, expected one of `error`, `warn`, `info`, `debug`, `trace`",
            1,
            86,
        ),
        (
            "{\"name\": \"edge\", \"listen\": 8443, \"log_level\": \"info\", \"workers\": 8,\n  \"upstreams\": [{\"host\": \"a\", \"port\": 80}, {\"host\": \"b\", \"port\": 70000}]}",
            "$.upstreams[1].port",
            "port 70000 is outside 1..=65535",
            2,
            70,
        ),
        (
            "{\"name\": \"edge\", \"listen\": 8443, \"log_level\": \"info\", \"workers\": 8,\n  \"upstreams\": [{\"host\": \"a\", \"port\": 80}, {\"host\": \"b\"}]}",
            "$.upstreams[1]",
            "missing field `port`",
            2,
            56,
        ),
        (
            r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 0, "upstreams": []}"#,
            "$.workers",
            "0 is outside the allowed range 1..=256",
            1,
            66,
        ),
        (
            r#"{"listen": 8443, "log_level": "info", "workers": 8, "upstreams": [], "name": ""}"#,
            "$.name",
            "must not be empty or only whitespace",
            1,
            79,
        ),
        (
            r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": [{"host": "a", "port": 1, "weight": 0.5}]}"#,
            "$.upstreams[0].weight",
            "invalid type: floating point `0.5`, expected an integer in 1..=100",
            1,
            117,
        ),
        (
            r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": [5]}"#,
            "$.upstreams[0]",
            "invalid type: integer `5`, expected struct Upstream",
            1,
            80,
        ),
        (
            r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "workers": 9, "upstreams": []}"#,
            "$.workers",
            "duplicate field `workers`",
            1,
            74,
        ),
    ];

    #[test]
    fn every_rejection_names_the_path_the_problem_and_the_position() {
        for (doc, path, message, line, column) in CASES {
            let error = rejects(doc);
            assert_eq!(error.path, path, "{error}");
            assert!(
                error.message.starts_with(message),
                "message {:?} should start with {message:?}",
                error.message
            );
            assert_eq!((error.line, error.column), (line, column), "{error}");
            let shown = error.to_string();
            assert!(shown.starts_with(path) && shown.contains(&format!("line {line}")));
        }
    }

    #[test]
    fn the_demo_documents_are_all_rejected() {
        for (what, doc) in BAD_CONFIGS {
            assert!(parse_typed::<ProxyConfig>(doc).is_err(), "{what}");
        }
    }

    #[test]
    fn json_paths_follow_nesting_and_indices() {
        let text = r#"{"a": [1, {"b": "x,y", "c": [true, {"d"#;
        let cases = [
            (0, "$"),
            (1, "$"),
            (text.find('[').expect("[") + 1, "$.a[0]"),
            (text.find("{\"b").expect("b") + 5, "$.a[1].b"),
            (text.find("x,y").expect("x") + 3, "$.a[1].b"),
            (text.len(), "$.a[1].c[1].d"),
        ];
        for (end, want) in cases {
            assert_eq!(json_path_at(text, end), want, "at {end}");
        }
        assert_eq!(json_path_at(r#"{"k\"ey": 1"#, 11), "$.k\\\"ey");
    }

    #[test]
    fn literal_enum_accepts_its_names_and_rejects_others_by_name() {
        for level in LogLevel::ALL {
            let json = serde_json::to_string(&level).expect("serializes");
            assert_eq!(json, format!("\"{level}\""), "serde and as_str agree");
            assert_eq!(level.as_str().parse::<LogLevel>(), Ok(level));
        }
        let error = "verbose".parse::<LogLevel>().expect_err("not a level");
        assert_eq!(error.given, "verbose");
        assert_eq!(
            error.to_string(),
            "unknown variant `verbose`, expected one of `error`, `warn`, `info`, `debug`, `trace`"
        );
        assert!("INFO".parse::<LogLevel>().is_err(), "literals are exact");
    }

    #[test]
    fn bounded_enforces_its_const_bounds() {
        assert_eq!(Workers::new(1).map(Bounded::get), Ok(1));
        assert_eq!(Workers::new(256).map(Bounded::get), Ok(256));
        assert_eq!(
            Workers::new(257),
            Err(OutOfRange {
                value: 257,
                min: 1,
                max: 256
            })
        );
        assert!(Workers::new(0).is_err());
        assert_eq!(Bounded::<-5, 5>::new(-5).map(i64::from), Ok(-5));
        assert!(Bounded::<-5, 5>::new(-6).is_err());
        assert_eq!(Bounded::<7, 7>::new(7).map(Bounded::get), Ok(7));
        assert_eq!(
            serde_json::from_str::<Weight>("101")
                .expect_err("above 100")
                .to_string(),
            "101 is outside the allowed range 1..=100 at line 1 column 3"
        );
    }

    #[test]
    fn port_and_non_empty_validate_and_keep_their_niche() {
        assert_eq!(Port::new(443).map(Port::get), Ok(443));
        for bad in [0, -1, 65_536] {
            assert_eq!(Port::new(bad), Err(BadPort(bad)));
        }
        assert_eq!(std::mem::size_of::<Option<Port>>(), 2);
        assert_eq!(NonEmpty::new("x").map(String::from), Ok("x".to_owned()));
        assert_eq!(NonEmpty::new(" \t"), Err(EmptyString));
        assert!(serde_json::from_str::<NonEmpty>("\"\"").is_err());
    }

    #[test]
    fn typestate_builder_builds_when_used_in_order() {
        let request = Request::builder()
            .method(Method::Post)
            .header("content-type", "application/json")
            .url("https://example.com/items")
            .timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(2))
            .build();
        assert_eq!(
            request,
            Request {
                url: "https://example.com/items".into(),
                method: Method::Post,
                headers: vec![("content-type".into(), "application/json".into())],
                timeout: Some(Duration::from_secs(2)),
            }
        );
        assert_eq!(std::mem::size_of::<NoUrl>(), 0);
        assert_eq!(std::mem::size_of::<NoMethod>(), 0);
    }

    #[test]
    fn every_dispatch_computes_the_same_areas() {
        let mixed = mixed_shapes(300);
        let boxes: Vec<Box<dyn Shape>> = mixed.iter().copied().map(boxed).collect();
        let refs: Vec<&dyn Shape> = mixed.iter().map(|s| s as &dyn Shape).collect();
        assert_eq!(total_area(&mixed), total_area_boxed(&boxes));
        assert_eq!(total_area(&mixed), total_area_dyn(&refs));
        let kinds = mixed
            .iter()
            .map(std::mem::discriminant)
            .collect::<std::collections::HashSet<_>>();
        assert_eq!(kinds.len(), 3, "the mix holds every kind");
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("core/typing-examples", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "quick means quick"
        );
        assert!(n.comparisons().iter().any(|c| c.peer_name == "&dyn Shape"));
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "Box<dyn Shape>")
        );
        assert!(
            n.measurements()
                .iter()
                .any(|m| m.label.starts_with("bad documents rejected")
                    && m.value == BAD_CONFIGS.len() as f64)
        );
    }

    fn upstream() -> impl Strategy<Value = Upstream> {
        (
            "[a-z0-9.-]{1,20}",
            1i64..=65_535,
            1i64..=100,
            proptest::option::of("[a-z.]{1,12}"),
        )
            .prop_map(|(host, port, weight, tls_name)| Upstream {
                host: NonEmpty::new(host).expect("generated non-empty"),
                port: Port::new(port).expect("generated in range"),
                weight: Weight::new(weight).expect("generated in range"),
                tls_name: tls_name.map(|name| NonEmpty::new(name).expect("generated non-empty")),
            })
    }

    proptest! {
        /// Every valid config survives a JSON round trip unchanged.
        #[test]
        fn valid_configs_round_trip(
            name in "[a-z][a-z-]{0,15}",
            listen in 1i64..=65_535,
            level in 0usize..5,
            workers in 1i64..=256,
            upstreams in proptest::collection::vec(upstream(), 0..4),
        ) {
            let config = ProxyConfig {
                name: NonEmpty::new(name).expect("generated non-empty"),
                listen: Port::new(listen).expect("generated in range"),
                log_level: LogLevel::ALL[level],
                workers: Workers::new(workers).expect("generated in range"),
                upstreams,
            };
            let json = serde_json::to_string_pretty(&config).expect("serializes");
            prop_assert_eq!(parse_typed::<ProxyConfig>(&json), Ok(config));
        }

        /// Any integer is a Bounded exactly when it lies in the bounds, and
        /// serde agrees with the constructor.
        #[test]
        fn bounded_agrees_with_its_range(value in -1_000i64..1_000) {
            let direct = Bounded::<-100, 100>::new(value);
            prop_assert_eq!(direct.is_ok(), (-100..=100).contains(&value));
            let parsed = serde_json::from_str::<Bounded<-100, 100>>(&value.to_string());
            prop_assert_eq!(parsed.ok(), direct.ok());
        }

        /// The path finder never panics, whatever the text and offset.
        #[test]
        fn json_path_never_panics(text in "[\\[\\]{}\",:a-z0-9\\\\ ]{0,40}", end in 0usize..50) {
            let path = json_path_at(&text, end);
            prop_assert!(path.starts_with('$'));
        }
    }
}
