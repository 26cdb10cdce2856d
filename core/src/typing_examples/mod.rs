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
//!   public type. An **enum** when the set is closed and yours.
//! - **A serde struct** for any document you did not write: the shape is
//!   checked once at the edge and the rest of the program works with typed
//!   fields. `deny_unknown_fields` for configuration (a typo must fail
//!   loudly); leave it off for payloads from a peer that may add fields
//!   (forward compatibility) — and it does not mix with `#[serde(flatten)]`.
//!   `serde_json::Value` when you really do not know the shape; it is the
//!   `dict`.
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
//! ## What it costs
//! The demo measures three comparisons:
//! - **One circle's area, generic `total_area::<Circle>` vs `&dyn
//!   Shape`**: the inlining a vtable call prevents (the generic loop can be
//!   unrolled and vectorised; each `&dyn` call is opaque to the compiler).
//!   The gap shrinks as the method does more work per call.
//! - **A mixed list, enum `AnyShape` vs `Box<dyn Shape>`**, too long for
//!   the branch predictor to learn the order of kinds: a `match` on a tag
//!   stored beside the values against a pointer hop to the heap and a
//!   vtable call. The size of one element of each is recorded beside it.
//! - **Parsing a config, typed `ProxyConfig` (every key checked) vs
//!   `serde_json::Value`** (the dict a TypedDict is at run time), in bytes
//!   per second.
//!
//! The rest of the bill is not paid at run time: generics cost compile
//! time and code size (one copy per type), a boxed `dyn` value an
//! allocation; a newtype costs nothing (`Option<Port>` stays two bytes,
//! `Bounded<1, 256>` is an `i64`), nor does typestate (its markers are
//! zero-sized) — the demo records those sizes — but each tracked step adds
//! a type parameter and wordier errors.
//!
//! ## Run it
//! `mastery run core/typing-examples` (static vs `dyn` vs enum dispatch,
//! typed parse vs `serde_json::Value`, the errors of real bad documents,
//! the typestate builder and the compiler's refusal;
//! `mastery run core/typing-examples --deep` times longer stretches, with
//! more samples), and `cargo test -p mastery-core typing_examples` (unit
//! and property tests, doctests) plus `cargo test -p mastery-core --test
//! typestate_ui` (the compile-fail cases). The code: the core below
//! (Protocol → trait); `newtypes.rs` (Annotated), `literals.rs` (Literal),
//! `typed_dict.rs` and `schema_error.rs` (TypedDict and its errors),
//! `typestate.rs`, `demo.rs`, `tests.rs`.

mod demo;
mod literals;
mod newtypes;
mod schema_error;
#[cfg(test)]
mod tests;
mod typed_dict;
mod typestate;

pub use literals::{LogLevel, UnknownVariant};
pub use newtypes::{BadPort, Bounded, EmptyString, NonEmpty, OutOfRange, Port, Weight, Workers};
pub use schema_error::{SchemaError, parse_typed};
pub use typed_dict::{ProxyConfig, Upstream};
pub use typestate::{Method, NoMethod, NoUrl, Request, RequestBuilder, WithMethod, WithUrl};

// ANCHOR: core
// A Protocol names what a value can do; a trait does the same, but a type
// conforms by an `impl`, not by happening to have the method. What the
// caller then chooses is the dispatch: a generic function is compiled once
// per type with the call inlined, a `dyn` one is compiled once and calls
// through the vtable, and an enum closes the set so a `match` can stand in
// for the vtable.

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
// ANCHOR_END: core
