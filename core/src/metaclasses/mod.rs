//! # Auto-registering "subclasses" (metaclasses, `__init_subclass__`)
//!
//! ## Python idiom
//! A base class that keeps a registry of its subclasses: defining the class
//! *is* registering it. Plugin systems, serializers and codecs looked up by
//! name, Django models and SQLAlchemy's declarative base all work this way.
//! Since Python 3.6 the hook is `__init_subclass__`; before, a metaclass:
//!
//! ```python
//! class Shape:
//!     registry: dict[str, type["Shape"]] = {}
//!
//!     def __init_subclass__(cls, /, name=None, **kwargs):
//!         super().__init_subclass__(**kwargs)
//!         key = name or cls.__name__.lower()
//!         if key in Shape.registry:
//!             raise TypeError(f"shape {key!r} is already {Shape.registry[key]}")
//!         Shape.registry[key] = cls
//!
//! @dataclass
//! class RegularPolygon(Shape, name="polygon"):
//!     sides: int = 0
//!     side: float = 0.0
//!
//! Shape.registry["polygon"]()   # construct by name
//! ```
//!
//! The hook runs when the `class` statement executes, that is at import
//! time, and it can read what the class body defined (`cls.__annotations__`,
//! `vars(cls)`) — but not what a class decorator adds afterwards: `@dataclass`
//! runs only once the class exists, so `dataclasses.fields(cls)` inside the
//! hook raises `TypeError: must be called with a dataclass type or instance`.
//! Its two classic bugs: a module nobody imports never registers its
//! classes, and a duplicate name is found only when both modules have been
//! imported.
//!
//! ## Rust answer
//! Rust has no class statement to hook, and it splits the metaclass's two
//! jobs between two tools.
//!
//! **Collecting entries from anywhere: [`inventory`].** The runtime declares
//! a registry of one type, `inventory::collect!(Registration)`, and any crate
//! linked into the program adds values with `inventory::submit! { ... }`; a
//! static constructor per entry links it into a list before `main` runs, and
//! [`registrations()`] walks it. Nobody edits a central list. The kit itself
//! is built on this: every topic module submits a `mastery_kit::Topic`, and
//! `mastery_kit::registry()` collects them — the demo counts them, live.
//!
//! **Reading the definition: a derive macro.** [`Register`] (crate
//! `mastery-core-macros`, `core/macros`) does what a metaclass body does
//! with the class it is handed. For a struct it generates:
//! - `impl` [`Describe`] — `describe()` prints the registry name and every
//!   field with its value, in declaration order, so it cannot drift from the
//!   struct the way a hand-written impl (or a hand-written `__repr__`) can;
//!   `#[register(skip)]` on a field leaves it out (`field(repr=False)`);
//! - `impl` [`Registered`] — a constant [`Registration`]: the registry name
//!   (`#[register(name = "...")]`, or the type name in kebab case), the Rust
//!   type name, the [`Field`]s with their types as written, a constructor
//!   (`Default`, boxed as `dyn Shape`) and the [`Origin`] (`file:line` of the
//!   struct);
//! - the `inventory::submit!` of that constant.
//!
//! [`Shape`] is the base class: the one trait a registered type implements
//! by hand. [`Registry::global`] turns the collected entries into a map from
//! name to entry, and is where a name registered twice is reported — with
//! both types and both `file:line` — because it cannot be known earlier:
//! crates are compiled separately and only the linker puts their entries
//! side by side.
//!
//! ```
//! use mastery_core::metaclasses::{Describe, Register, Registry, Shape};
//!
//! /// Defined in another crate; registered by being defined.
//! #[derive(Debug, Default, Register)]
//! #[register(name = "hexagon")]
//! struct Hexagon {
//!     side: f64,
//! }
//!
//! impl Shape for Hexagon {
//!     fn area(&self) -> f64 {
//!         1.5 * 3f64.sqrt() * self.side * self.side
//!     }
//! }
//!
//! let registry = Registry::global()?;
//! let hexagon = registry.new_shape("hexagon")?; // construct by name
//! assert_eq!(hexagon.describe(), "hexagon { side: 0.0 }");
//! assert!(registry.names().contains(&"polygon")); // this crate's shapes are here too
//! # Ok::<(), mastery_core::metaclasses::RegistryError>(())
//! ```
//!
//! Misuse is a compile error that points at the mistake and says what to
//! do: deriving on an enum or a union, on a generic struct, an unknown or
//! repeated key, a `name` that is not a string literal or not kebab case, a
//! struct that is not a `Shape` or has no `Default`. Each case is a file in
//! `core/tests/ui/derive/` with the compiler's exact output beside it. Part
//! of the output:
//!
//! ```text
//! error: unknown key `nmae` in #[register(...)]: the struct accepts `name = "..."` and `crate = "..."`
//!  --> tests/ui/derive/fail_unknown_key.rs:4:12
//!   |
//! 4 | #[register(nmae = "circle")]
//!   |            ^^^^
//! ```
//!
//! How the generated code finds this module: it names it
//! `mastery_core::metaclasses`, without a leading `::`. In any other crate
//! that is the extern crate; inside `mastery-core`, where the crate has no
//! extern name for itself, it is the alias `use crate as mastery_core;` at
//! the top of each file here that derives it (`shapes.rs`, `tests.rs`). A
//! crate that re-exports the runtime under
//! another path says so with `#[register(crate = "facade::shapes")]`, as
//! serde's `#[serde(crate = "...")]`.
//!
//! The same registration without a proc-macro crate is a `macro_rules!`
//! macro that wraps the whole definition, so that it can see the fields;
//! `Triangle` is registered by `registered_shape!` in `registered_shape.rs`:
//!
//! ```ignore
//! registered_shape! {
//!     #[derive(Debug, Default)]
//!     pub struct Triangle as "triangle" {
//!         pub base: f64,
//!         pub height: f64,
//!     }
//! }
//! ```
//!
//! It produces the same `Describe`, `Registered` and `submit!`, and costs no
//! extra crate and no `syn` to compile. But it accepts only the struct shape
//! its pattern spells out — a tuple struct is "no rules expected `(`", and
//! generics would need another rule — it forwards field attributes without
//! reading them (`#[register(skip)]` is "cannot find attribute `register`"),
//! and it checks only what the types check: `as 42` is "mismatched types:
//! expected `&str`", `as "Big Circle"` compiles.
//!
//! ## When to use which
//! - **A hand-written `match` or `HashMap`** when the set is closed and lives
//!   in one crate: nothing happens before `main`, every entry is in one
//!   place to read, and it works on every target. What it costs is the
//!   list: each new type is a second edit, and forgetting it is a bug that
//!   only a test catches (this module has such a test for its hand-written
//!   peer). An `enum` is the closed set with exhaustiveness checking.
//! - **`inventory::submit!` by hand** when entries are values rather than
//!   types — the kit's topics are ids, titles and a `run` function — and
//!   come from several crates.
//! - **A derive** when entries are types and something must be read from
//!   their definition (field names and types, attributes), when many types
//!   or other people's crates register, and when misuse deserves an error
//!   with a span. It costs a proc-macro crate and `syn` in the build.
//! - **`macro_rules!`** when the derive's cost is not worth it: few types,
//!   all yours, one shape of struct.
//!
//! What auto-registration cannot do:
//! - **Like an unimported module, an unlinked crate registers nothing.** A
//!   crate whose items are never used can be left out of the link, and its
//!   entries with it: the `mastery` binary and the kit's completeness test
//!   say `use mastery_core as _;` to keep every area crate in.
//! - **Life before `main`** needs the platform's static constructors: Linux,
//!   macOS, Windows, the BSDs, and WebAssembly with a recent toolchain
//!   (`inventory` lists them). Elsewhere, a hand-written list.
//! - **No generics:** an entry constructs one concrete type; register each
//!   instantiation as its own struct. **No order:** entries arrive in link
//!   order, which nothing promises; [`Registry::names`] sorts.
//!
//! ## What it costs
//! Lookup costs what the map costs: once built, the registry *is* a
//! `HashMap`. The demo measures:
//! - **name → constructor, the registry vs a hand-written `HashMap`**: the
//!   same hashing (both use SipHash); the registry's value points at the
//!   entry that holds the constructor, so registering automatically adds
//!   at most a pointer hop per lookup;
//! - **the registry vs a hand-written `match`**, which the compiler turns
//!   into comparisons of lengths and bytes and so skips hashing — the
//!   cheaper choice for a handful of names;
//! - **the registry vs a linear scan of [`registrations()`]**, inventory's
//!   own list, which needs no map while the list is short;
//! - **name → new shape → `area()`, registry vs `match`**: once each side
//!   also allocates the shape, the same allocation narrows the gap;
//! - **visiting every entry, inventory's linked list vs a static array**
//!   (a pointer hop per entry against contiguous memory), and the time to
//!   build [`Registry::global`] and the kit's `mastery_kit::registry()`.
//!
//! What is paid outside the run: the derive brings a proc-macro crate and
//! `syn` into the build; the registry is built at start-up, once; an entry
//! exists only if its crate is linked.
//!
//! ## Run it
//! `mastery run core/metaclasses` lists the registered shapes with their
//! fields and origins, shows a duplicate name caught, runs the comparisons
//! above, and counts the kit's own topics;
//! `mastery run core/metaclasses --deep` times ten times as many lookups
//! per sample, with more samples. Tests: `cargo test -p mastery-core
//! metaclasses` (registry, lookup, `describe()`, duplicates), `cargo test
//! -p mastery-core --test derive_ui` (the compile errors, with trybuild)
//! and `cargo test -p mastery-core-macros` (the macro's parsing and
//! output, as tables). The code: the core runtime below; `registry.rs`
//! (the map and the duplicate report), `shapes.rs` (the derived shapes),
//! `registered_shape.rs` (the `macro_rules!` alternative),
//! `hand_written.rs` (the peers), `derive_runtime.rs` (what generated code
//! calls), `demo.rs`, `tests.rs`.

use std::fmt;

/// The derive: see the module doc and `core/macros`.
pub use mastery_core_macros::Register;

mod demo;
mod derive_runtime;
mod hand_written;
mod registered_shape;
mod registry;
mod shapes;
#[cfg(test)]
mod tests;

pub use registered_shape::Triangle;
pub use registry::{Clash, Registry, RegistryError};
pub use shapes::{Circle, Ellipse, Point, Rectangle, RegularPolygon, Square};

/// What the generated code calls; not an API.
#[doc(hidden)]
pub mod __private {
    pub use super::derive_runtime::{construct, describe_named, describe_tuple};
    pub use inventory;
}

// ANCHOR: core
// A metaclass does two jobs: it collects every subclass, and it reads each
// one's definition. Collecting is `inventory`: one `collect!` declares a
// registry of `Registration` values, any linked crate adds to it with
// `submit!`, and `registrations()` walks them — nobody keeps a list.
// Reading is the derive's job: it turns a struct's definition into the
// constant `Registered::REGISTRATION` below (its name, fields and origin)
// and submits it.

/// The base class: what every registered type can do, implemented by hand.
/// The registry constructs entries as `Box<dyn Shape>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is registered as a shape but does not implement `Shape`",
    label = "registered here, so it must be a `Shape`",
    note = "add `impl Shape for {Self} {{ fn area(&self) -> f64 {{ ... }} }}`: the registry hands out every entry as a `Box<dyn Shape>`"
)]
pub trait Shape: Describe {
    /// The area, in square units.
    fn area(&self) -> f64;
}

/// One line about a value: its registry name and its fields with their
/// values, `rectangle { width: 2.0, height: 3.0 }`. `#[derive(Register)]`
/// implements it from the struct definition.
pub trait Describe {
    /// The description; see the trait doc.
    fn describe(&self) -> String;
}

/// A type's registry entry, as a constant: what `#[derive(Register)]`
/// submits to the registry. Tests can also build a [`Registry`] from such
/// constants directly ([`Registry::from_entries`]).
pub trait Registered: Shape + Default + 'static {
    /// The entry for `Self`.
    const REGISTRATION: Registration;
}

/// One registered type: the registry's record of a "subclass".
#[derive(Debug, Clone, Copy)]
pub struct Registration {
    /// The registry name, kebab case: `circle`, `polygon`.
    pub name: &'static str,
    /// The Rust type's name: `Circle`, `RegularPolygon`.
    pub type_name: &'static str,
    /// The fields `describe()` shows, in declaration order.
    pub fields: &'static [Field],
    /// Constructs the type with `Default`: `Shape.registry[name]()`.
    pub constructor: fn() -> Box<dyn Shape>,
    /// Where the type is defined.
    pub origin: Origin,
}

impl Registration {
    /// A new instance of the registered type (its `Default`).
    pub fn new_shape(&self) -> Box<dyn Shape> {
        (self.constructor)()
    }

    /// The definition as a reader would write it: `Circle { radius: f64 }`,
    /// `Ellipse(f64, f64)`, `Point`.
    pub fn signature(&self) -> String {
        if self.fields.is_empty() {
            return self.type_name.to_owned();
        }
        let tuple = self
            .fields
            .iter()
            .all(|f| f.name.bytes().all(|b| b.is_ascii_digit()));
        if tuple {
            let types: Vec<&str> = self.fields.iter().map(|f| f.ty).collect();
            return format!("{}({})", self.type_name, types.join(", "));
        }
        let fields: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.name, f.ty))
            .collect();
        format!("{} {{ {} }}", self.type_name, fields.join(", "))
    }
}

/// A field of a registered type, read from its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// The field's name; `0`, `1`, … in a tuple struct.
    pub name: &'static str,
    /// Its type, as written in the definition.
    pub ty: &'static str,
}

/// Where a registered type is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `module_path!()` of the definition.
    pub module: &'static str,
    /// `file!()` of the definition.
    pub file: &'static str,
    /// The line of the type's name.
    pub line: u32,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

inventory::collect!(Registration);

/// Every entry submitted by any crate linked into this program, in link
/// order (which nothing promises), duplicates included.
pub fn registrations() -> impl Iterator<Item = &'static Registration> {
    inventory::iter::<Registration>.into_iter()
}
// ANCHOR_END: core
