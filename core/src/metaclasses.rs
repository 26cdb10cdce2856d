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
//! the top of this module's code. A crate that re-exports the runtime under
//! another path says so with `#[register(crate = "facade::shapes")]`, as
//! serde's `#[serde(crate = "...")]`.
//!
//! The same registration without a proc-macro crate is a `macro_rules!`
//! macro that wraps the whole definition, so that it can see the fields;
//! `Triangle` is registered by `registered_shape!` in this module:
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
//! What auto-registration costs and cannot do:
//! - **Lookup costs what the map costs.** The registry *is* a `HashMap`
//!   once built; the demo measures it against the hand-written `HashMap`
//!   (the same work) and against a hand-written `match` (which the compiler
//!   turns into length and byte comparisons, cheaper than hashing for a
//!   handful of names). Building it is a walk of a linked list at start-up,
//!   measured too.
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
//! ## Run it
//! `mastery run core/metaclasses` lists the registered shapes with their
//! fields and origins, shows a duplicate name caught, measures lookup by
//! name against a hand-written `match` and `HashMap`, walking the entries
//! against a static array, building the registry, and counts the kit's own
//! topics. Tests: `cargo test -p mastery-core metaclasses` (registry,
//! lookup, `describe()`, duplicates), `cargo test -p mastery-core --test
//! derive_ui` (the compile errors, with trybuild) and `cargo test -p
//! mastery-core-macros` (the macro's parsing and output, as tables).

use std::cell::Cell;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hint::black_box;

use mastery_kit::{Area, Narrator, Topic, Unit};

/// The derive: see the module doc and `core/macros`.
pub use mastery_core_macros::Register;

// The derive names its runtime `mastery_core::metaclasses` (no leading
// `::`). Outside this crate that is the extern crate; here, this alias.
use crate as mastery_core;

mastery_kit::inventory::submit! {
    Topic {
        id: "core/metaclasses",
        area: Area::Core,
        rank: 2,
        title: "Auto-registering \"subclasses\" (metaclasses, __init_subclass__)",
        python: "class Shape: def __init_subclass__(cls, name=None): Shape.registry[name] = cls",
        rust: "#[derive(Register)] (syn/quote) generates describe() and an inventory::submit!; Registry::global() maps names to constructors and reports duplicates",
        path: "core/src/metaclasses.rs",
        source: include_str!("metaclasses.rs"),
        run: demo,
    }
}

// ---- the runtime: traits, entries, the registry ---------------------------

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

/// Types that claim one registry name.
#[derive(Debug, Clone)]
pub struct Clash {
    /// The name they claim.
    pub name: &'static str,
    /// Every entry claiming it (two or more), in definition order: by file,
    /// then line, whatever the link order.
    pub claimants: Vec<&'static Registration>,
}

/// Why the registry could not be built, or had no such entry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// Names registered more than once; every clash is listed.
    #[error("{}", clash_report(.0))]
    DuplicateNames(Vec<Clash>),
    /// A lookup of a name nobody registered.
    #[error("no shape is registered as `{name}`; registered: {}", .known.join(", "))]
    UnknownName {
        /// The name asked for.
        name: String,
        /// Every registered name, sorted.
        known: Vec<&'static str>,
    },
}

fn clash_report(clashes: &[Clash]) -> String {
    let mut out = format!(
        "{} registry name(s) claimed by more than one type; rename all but one with \
         #[register(name = \"...\")]:",
        clashes.len()
    );
    for c in clashes {
        out.push_str(&format!("\n  `{}`, claimed by", c.name));
        for entry in &c.claimants {
            out.push_str(&format!(
                "\n    `{}` at {} in {}",
                entry.type_name, entry.origin, entry.origin.module
            ));
        }
    }
    out
}

/// Registered shapes by name: the validated form of [`registrations()`].
#[derive(Debug, Clone)]
pub struct Registry {
    by_name: HashMap<&'static str, &'static Registration>,
}

impl Registry {
    /// The registry of everything linked into this program; an error if a
    /// name is claimed twice.
    pub fn global() -> Result<Registry, RegistryError> {
        Registry::from_entries(registrations())
    }

    /// A registry of the given entries; an error listing every name that
    /// more than one entry claims.
    pub fn from_entries(
        entries: impl IntoIterator<Item = &'static Registration>,
    ) -> Result<Registry, RegistryError> {
        let mut by_name = HashMap::new();
        let mut claimed: HashMap<&'static str, Vec<&'static Registration>> = HashMap::new();
        for entry in entries {
            match by_name.entry(entry.name) {
                Entry::Vacant(slot) => {
                    slot.insert(entry);
                }
                Entry::Occupied(taken) => claimed
                    .entry(entry.name)
                    .or_insert_with(|| vec![*taken.get()])
                    .push(entry),
            }
        }
        if claimed.is_empty() {
            return Ok(Registry { by_name });
        }
        let mut clashes: Vec<Clash> = claimed
            .into_iter()
            .map(|(name, mut claimants)| {
                claimants.sort_by_key(|e| (e.origin.file, e.origin.line, e.type_name));
                Clash { name, claimants }
            })
            .collect();
        clashes.sort_by_key(|c| c.name);
        Err(RegistryError::DuplicateNames(clashes))
    }

    /// The entry registered as `name`.
    pub fn get(&self, name: &str) -> Option<&'static Registration> {
        self.by_name.get(name).copied()
    }

    /// A new instance of the type registered as `name`.
    pub fn new_shape(&self, name: &str) -> Result<Box<dyn Shape>, RegistryError> {
        match self.get(name) {
            Some(entry) => Ok(entry.new_shape()),
            None => Err(RegistryError::UnknownName {
                name: name.to_owned(),
                known: self.names(),
            }),
        }
    }

    /// Every registered name, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> Vec<&'static Registration> {
        let mut entries: Vec<&'static Registration> = self.by_name.values().copied().collect();
        entries.sort_unstable_by_key(|e| e.name);
        entries
    }

    /// How many names are registered.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// What the generated code calls; not an API.
#[doc(hidden)]
pub mod __private {
    use std::fmt::{self, Write};

    use super::{Registered, Shape};

    pub use inventory;

    /// The constructor of every entry.
    pub fn construct<T: Registered>() -> Box<dyn Shape> {
        Box::new(T::default())
    }

    /// `name { a: 1, b: 2 }`, or `name` without fields.
    pub fn describe_named(name: &str, fields: &[(&str, &dyn fmt::Debug)]) -> String {
        let mut out = String::from(name);
        for (i, (label, value)) in fields.iter().enumerate() {
            let separator = if i == 0 { " { " } else { ", " };
            // Writing to a String cannot fail.
            let _ = write!(out, "{separator}{label}: {value:?}");
        }
        if !fields.is_empty() {
            out.push_str(" }");
        }
        out
    }

    /// `name(1, 2)`.
    pub fn describe_tuple(name: &str, fields: &[&dyn fmt::Debug]) -> String {
        let mut out = format!("{name}(");
        for (i, value) in fields.iter().enumerate() {
            let separator = if i == 0 { "" } else { ", " };
            let _ = write!(out, "{separator}{value:?}");
        }
        out.push(')');
        out
    }
}

// ---- the registered shapes ------------------------------------------------

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

/// A regular polygon, registered under a name of its own: `polygon`.
#[derive(Debug, Default, Clone, PartialEq, Register)]
#[register(name = "polygon")]
pub struct RegularPolygon {
    /// How many sides.
    pub sides: u32,
    /// The length of each.
    pub side: f64,
}

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

/// The `macro_rules!` alternative to the derive: it wraps the whole
/// definition so that it can see the fields, and emits the same three items.
/// It knows one shape of struct — named fields, no generics — and checks
/// nothing a type error would not.
macro_rules! registered_shape {
    (
        $(#[$meta:meta])*
        $vis:vis struct $ty:ident as $name:literal {
            $( $(#[$field_meta:meta])* $field_vis:vis $field:ident : $field_ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $ty {
            $( $(#[$field_meta])* $field_vis $field: $field_ty ),*
        }

        impl $crate::metaclasses::Describe for $ty {
            fn describe(&self) -> String {
                $crate::metaclasses::__private::describe_named(
                    $name,
                    &[$((stringify!($field), &self.$field as &dyn ::core::fmt::Debug)),*],
                )
            }
        }

        impl $crate::metaclasses::Registered for $ty {
            const REGISTRATION: $crate::metaclasses::Registration =
                $crate::metaclasses::Registration {
                    name: $name,
                    type_name: stringify!($ty),
                    fields: &[$($crate::metaclasses::Field {
                        name: stringify!($field),
                        ty: stringify!($field_ty),
                    }),*],
                    constructor: $crate::metaclasses::__private::construct::<Self>,
                    origin: $crate::metaclasses::Origin {
                        module: module_path!(),
                        file: file!(),
                        line: line!(),
                    },
                };
        }

        $crate::metaclasses::__private::inventory::submit! {
            <$ty as $crate::metaclasses::Registered>::REGISTRATION
        }
    };
}

registered_shape! {
    /// A triangle, registered by `registered_shape!` (the `macro_rules!`
    /// alternative) instead of the derive.
    #[derive(Debug, Default, Clone, PartialEq)]
    pub struct Triangle as "triangle" {
        /// The base.
        pub base: f64,
        /// The height over the base.
        pub height: f64,
    }
}

impl Shape for Triangle {
    fn area(&self) -> f64 {
        self.base * self.height / 2.0
    }
}

// ---- the hand-written peers -----------------------------------------------

/// What a registry entry hands out: `Shape.registry[name]`.
type Constructor = fn() -> Box<dyn Shape>;

/// What the registry replaces: a list a person keeps in sync with the
/// types. The test `hand_written_lists_match_the_registry` is the price of
/// keeping it.
const HAND_WRITTEN: [(&str, Constructor); 7] = [
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
fn hand_written_match(name: &str) -> Option<Constructor> {
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

// ---- the demo -------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let registry = Registry::global()?;
    show_registry(n, &registry);
    show_duplicate(n)?;
    lookup_costs(n, &registry)?;
    walk_costs(n, &registry);
    kit_registry(n);
    Ok(())
}

fn show_registry(n: &mut Narrator, registry: &Registry) {
    n.section("The registry: every shape registered itself by being defined");
    n.say(
        "The shapes of this module derive Register, except Triangle, which uses the \
         macro_rules! alternative. No line of this demo names them: it reads what \
         inventory collected.",
    );
    for entry in registry.entries() {
        n.show(format!(
            "{:<10} {:<42} {}",
            entry.name,
            entry.signature(),
            entry.origin
        ));
    }
    n.record(
        "shapes registered in this binary",
        registry.len() as f64,
        Unit::Count,
    );
    n.say("describe(), generated from each definition, on a shape built by name:");
    for entry in registry.entries() {
        let shape = entry.new_shape();
        n.show(format!("{:<10} → {}", entry.name, shape.describe()));
    }
    let square = Square::new(3.0);
    let area = square.area();
    n.say(&format!(
        "A field marked #[register(skip)] stays out: Square::new(3.0) memoizes its area \
         ({area}) in such a field, and still describes itself as `{}`.",
        square.describe()
    ));
}

fn show_duplicate(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A name claimed twice is reported when the registry is built");
    // An impostor: what a second crate deriving `#[register(name = "circle")]`
    // would submit. Built by hand so this binary's registry stays valid.
    static CIRCLE: Registration = Circle::REGISTRATION;
    static IMPOSTOR: Registration = Registration {
        type_name: "Disc",
        origin: Origin {
            module: "other_crate::shapes",
            file: "other_crate/src/shapes.rs",
            line: 12,
        },
        ..Circle::REGISTRATION
    };
    let entries = [&CIRCLE, &IMPOSTOR, &Rectangle::REGISTRATION];
    let Err(error) = Registry::from_entries(entries) else {
        anyhow::bail!("a registry with `circle` twice was accepted");
    };
    for line in error.to_string().lines() {
        n.show(line);
    }
    n.say(
        "The compiler cannot catch this: the two crates are compiled apart, and only \
         the linker puts their entries side by side. Python's __init_subclass__ finds \
         it at import time, for the same reason.",
    );
    Ok(())
}

fn lookup_costs(n: &mut Narrator, registry: &Registry) -> anyhow::Result<()> {
    n.section("Lookup by name: the registry against hand-written lists");
    // Both sides look up the names both know. A shape registered by another
    // crate (or a test module) is in the registry and in no hand-written list.
    let (names, elsewhere): (Vec<&'static str>, Vec<&'static str>) = registry
        .names()
        .into_iter()
        .partition(|name| hand_written_match(name).is_some());
    if !elsewhere.is_empty() {
        n.say(&format!(
            "Registered outside this module, so missing from the hand-written lists: {}. \
             The registry found them without anyone editing a list.",
            elsewhere.join(", ")
        ));
    }
    if names.len() != HAND_WRITTEN.len() {
        anyhow::bail!(
            "the hand-written lists name {} shapes, the registry knows {} of them",
            HAND_WRITTEN.len(),
            names.len()
        );
    }
    let rounds = n.mode().pick(200, 20_000);
    let lookups = (names.len() * rounds) as u64;
    let hand_map: HashMap<&str, Constructor> = HAND_WRITTEN.into_iter().collect();

    n.compare_timed(
        "name → constructor: registry vs hand-written HashMap",
        lookups,
        || {
            count_found(&names, rounds, |name| {
                registry.get(name).map(|e| e.constructor)
            })
        },
        "hand-written HashMap",
        || count_found(&names, rounds, |name| hand_map.get(name).copied()),
    );
    n.compare_timed(
        "name → constructor: registry vs hand-written match",
        lookups,
        || {
            count_found(&names, rounds, |name| {
                registry.get(name).map(|e| e.constructor)
            })
        },
        "hand-written match",
        || count_found(&names, rounds, hand_written_match),
    );
    n.compare_timed(
        "name → constructor: HashMap vs scanning inventory's list",
        lookups,
        || {
            count_found(&names, rounds, |name| {
                registry.get(name).map(|e| e.constructor)
            })
        },
        "linear scan of registrations()",
        || {
            count_found(&names, rounds, |name| {
                registrations()
                    .find(|e| e.name == name)
                    .map(|e| e.constructor)
            })
        },
    );
    n.compare_timed(
        "name → new shape → area(): registry vs hand-written match",
        lookups,
        || {
            build_all(&names, rounds, |name| {
                registry.get(name).map(|e| e.constructor)
            })
        },
        "hand-written match",
        || build_all(&names, rounds, hand_written_match),
    );
    n.say(
        "The first pair is the same work (both are a HashMap with SipHash): \
         auto-registration costs nothing per lookup. A match on a handful of \
         names skips hashing; so does a linear scan, until the list grows. \
         Constructing the shape (a heap allocation) then costs the same on both \
         sides, and narrows the gap.",
    );
    Ok(())
}

/// Looks every name up `rounds` times; how many were found.
fn count_found(names: &[&str], rounds: usize, find: impl Fn(&str) -> Option<Constructor>) -> usize {
    let mut found = 0;
    for _ in 0..rounds {
        for name in names {
            found += usize::from(find(black_box(name)).is_some());
        }
    }
    found
}

/// Builds every shape by name `rounds` times; the total area.
fn build_all(names: &[&str], rounds: usize, find: impl Fn(&str) -> Option<Constructor>) -> f64 {
    let mut total = 0.0;
    for _ in 0..rounds {
        for name in names {
            if let Some(constructor) = find(black_box(name)) {
                total += constructor().area();
            }
        }
    }
    total
}

fn walk_costs(n: &mut Narrator, registry: &Registry) {
    n.section("Walking every entry, and building the registry");
    let rounds = n.mode().pick(200, 20_000);
    let visits = (registry.len() * rounds) as u64;
    n.compare_timed(
        "visit every entry: inventory's linked list vs a static array",
        visits,
        || {
            (0..rounds)
                .map(|_| {
                    registrations()
                        .map(|e| black_box(e.name).len())
                        .sum::<usize>()
                })
                .sum::<usize>()
        },
        "hand-written static array",
        || {
            (0..rounds)
                .map(|_| {
                    HAND_WRITTEN
                        .iter()
                        .map(|(name, _)| black_box(*name).len())
                        .sum::<usize>()
                })
                .sum::<usize>()
        },
    );
    let builds = n.mode().pick(20, 2_000);
    let timing = n.measure(
        "Registry::global(): walk, dedupe, build the map",
        builds,
        || {
            (0..builds)
                .map(|_| Registry::global().map_or(0, |r| r.len()))
                .sum::<usize>()
        },
    );
    n.record(
        "Registry::global() per registered shape",
        timing.ns_per_op / registry.len().max(1) as f64,
        Unit::NsPerOp,
    );
    n.say(
        "inventory's list is a chain of statics, one pointer hop per entry; the array \
         is contiguous. Either is nanoseconds per entry: build the registry once, at \
         start-up, and keep it.",
    );
}

fn kit_registry(n: &mut Narrator) {
    n.section("The live example: the kit's own topic registry");
    let topics = mastery_kit::registry();
    n.say(
        "Every topic of this kit is an inventory::submit! of a mastery_kit::Topic in \
         its own module; mastery_kit::registry() collects and sorts them. The kit \
         crate names no topic. In this binary:",
    );
    for area in Area::ALL {
        let ids: Vec<&str> = topics
            .iter()
            .filter(|t| t.area == area)
            .map(|t| t.id)
            .collect();
        if !ids.is_empty() {
            n.show(format!(
                "{:<12} {:>2}  {}",
                area.name(),
                ids.len(),
                ids.join(", ")
            ));
        }
    }
    n.record(
        "topics registered in this binary",
        topics.len() as f64,
        Unit::Count,
    );
    if let Some(me) = topics.iter().find(|t| t.id == "core/metaclasses") {
        n.say(&format!(
            "This topic is among them: `{}`, rank {} in {}, from {}.",
            me.id,
            me.rank,
            me.area.name(),
            me.path
        ));
    }
    let calls = n.mode().pick(20, 2_000);
    n.measure("mastery_kit::registry(): collect and sort", calls, || {
        (0..calls)
            .map(|_| mastery_kit::registry().len())
            .sum::<usize>()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type this module registers, by the derive or by the macro.
    const OURS: [&str; 7] = [
        "Circle",
        "Rectangle",
        "Square",
        "Ellipse",
        "RegularPolygon",
        "Point",
        "Triangle",
    ];

    /// Registered from a test module: the derive works here too (the alias
    /// `mastery_core` reaches it through `use super::*`).
    #[derive(Debug, Default, Register)]
    #[register(name = "test-hexagon")]
    struct Hexagon {
        side: f64,
    }

    impl Shape for Hexagon {
        fn area(&self) -> f64 {
            1.5 * 3f64.sqrt() * self.side * self.side
        }
    }

    #[test]
    fn every_registered_type_is_in_the_registry_exactly_once() {
        for type_name in OURS.iter().copied().chain(["Hexagon"]) {
            let count = registrations().filter(|e| e.type_name == type_name).count();
            assert_eq!(count, 1, "{type_name} registered {count} times");
        }
    }

    #[test]
    fn the_global_registry_has_no_duplicate_names() {
        let registry = Registry::global().expect("this binary registers each name once");
        assert_eq!(registry.len(), registrations().count());
        assert_eq!(
            registry.names(),
            [
                "circle",
                "ellipse",
                "point",
                "polygon",
                "rectangle",
                "square",
                "test-hexagon",
                "triangle"
            ]
        );
    }

    #[test]
    fn lookup_by_name_constructs_the_registered_type() {
        let registry = Registry::global().expect("no duplicates");
        let cases = [
            ("circle", "Circle", "circle { radius: 0.0 }"),
            (
                "polygon",
                "RegularPolygon",
                "polygon { sides: 0, side: 0.0 }",
            ),
            ("point", "Point", "point"),
            (
                "triangle",
                "Triangle",
                "triangle { base: 0.0, height: 0.0 }",
            ),
            ("test-hexagon", "Hexagon", "test-hexagon { side: 0.0 }"),
        ];
        for (name, type_name, described) in cases {
            let entry = registry.get(name).expect("registered");
            assert_eq!(entry.type_name, type_name);
            let shape = registry.new_shape(name).expect("registered");
            assert_eq!(shape.describe(), described);
            assert_eq!(shape.area(), 0.0, "{name}: Default is the empty shape");
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_listing_the_known_ones() {
        let registry = Registry::global().expect("no duplicates");
        let error = registry.new_shape("hexgon").err().expect("not registered");
        let text = error.to_string();
        assert!(text.contains("`hexgon`"), "{text}");
        assert!(text.contains("circle, ellipse, point"), "{text}");
    }

    #[test]
    fn describe_lists_the_fields_as_declared() {
        let mut memoized = Square::new(2.0);
        assert_eq!(memoized.area(), 4.0);
        memoized.side = 5.0; // the memo is stale now, and invisible
        let cases: [(&dyn Describe, &str); 7] = [
            (&Circle { radius: 1.5 }, "circle { radius: 1.5 }"),
            (
                &Rectangle {
                    width: 2.0,
                    height: 3.0,
                },
                "rectangle { width: 2.0, height: 3.0 }",
            ),
            (&memoized, "square { side: 5.0 }"),
            (&Ellipse(2.0, 1.0), "ellipse(2.0, 1.0)"),
            (
                &RegularPolygon {
                    sides: 6,
                    side: 1.0,
                },
                "polygon { sides: 6, side: 1.0 }",
            ),
            (&Point, "point"),
            (
                &Triangle {
                    base: 4.0,
                    height: 3.0,
                },
                "triangle { base: 4.0, height: 3.0 }",
            ),
        ];
        for (shape, expected) in cases {
            assert_eq!(shape.describe(), expected);
        }
    }

    #[test]
    fn the_entry_is_read_from_the_definition() {
        let field = |name, ty| Field { name, ty };
        let cases: [(Registration, &str, &[Field]); 5] = [
            (
                Rectangle::REGISTRATION,
                "Rectangle { width: f64, height: f64 }",
                &[field("width", "f64"), field("height", "f64")],
            ),
            (
                Square::REGISTRATION,
                "Square { side: f64 }",
                &[field("side", "f64")],
            ),
            (
                Ellipse::REGISTRATION,
                "Ellipse(f64, f64)",
                &[field("0", "f64"), field("1", "f64")],
            ),
            (Point::REGISTRATION, "Point", &[]),
            (
                Triangle::REGISTRATION,
                "Triangle { base: f64, height: f64 }",
                &[field("base", "f64"), field("height", "f64")],
            ),
        ];
        for (entry, signature, fields) in cases {
            assert_eq!(entry.signature(), signature);
            assert_eq!(entry.fields, fields, "{signature}");
            assert_eq!(entry.origin.module, "mastery_core::metaclasses");
            assert!(
                entry.origin.file.ends_with("metaclasses.rs"),
                "{}",
                entry.origin
            );
        }
    }

    #[test]
    fn the_origin_line_is_the_line_of_the_type_name() {
        let source = include_str!("metaclasses.rs");
        for entry in [
            Circle::REGISTRATION,
            Square::REGISTRATION,
            Ellipse::REGISTRATION,
            RegularPolygon::REGISTRATION,
        ] {
            let line = source
                .lines()
                .nth(entry.origin.line as usize - 1)
                .expect("the line exists");
            assert!(
                line.contains(&format!("pub struct {}", entry.type_name)),
                "{}: line {} is `{line}`",
                entry.type_name,
                entry.origin.line
            );
        }
    }

    #[test]
    fn duplicate_names_are_reported_with_every_claimant_and_origin() {
        static CIRCLE: Registration = Circle::REGISTRATION;
        static DISC: Registration = Registration {
            type_name: "Disc",
            origin: Origin {
                module: "other::shapes",
                file: "other/src/shapes.rs",
                line: 7,
            },
            ..Circle::REGISTRATION
        };
        static SQUARE: Registration = Square::REGISTRATION;
        static BLOCK: Registration = Registration {
            type_name: "Block",
            ..Square::REGISTRATION
        };
        static TILE: Registration = Registration {
            type_name: "Tile",
            origin: Origin {
                module: "other::shapes",
                file: "other/src/shapes.rs",
                line: 30,
            },
            ..Square::REGISTRATION
        };
        // Whatever the order the linker chose, the same report.
        for entries in [
            [&CIRCLE, &DISC, &SQUARE, &BLOCK, &TILE],
            [&TILE, &BLOCK, &DISC, &SQUARE, &CIRCLE],
        ] {
            let error = Registry::from_entries(entries).expect_err("two names are claimed twice");
            let RegistryError::DuplicateNames(clashes) = &error else {
                panic!("wrong error: {error}")
            };
            let claims: Vec<(&str, Vec<&str>)> = clashes
                .iter()
                .map(|c| (c.name, c.claimants.iter().map(|e| e.type_name).collect()))
                .collect();
            assert_eq!(
                claims,
                [
                    ("circle", vec!["Circle", "Disc"]),
                    ("square", vec!["Block", "Square", "Tile"])
                ]
            );
            let text = error.to_string();
            assert!(text.starts_with("2 registry name(s)"), "{text}");
            assert!(
                text.contains("`circle`, claimed by\n    `Circle` at core/src/metaclasses.rs:"),
                "{text}"
            );
            assert!(text.contains("other/src/shapes.rs:7"), "{text}");
            assert!(text.contains("core/src/metaclasses.rs:"), "{text}");
        }
        assert!(Registry::from_entries([&CIRCLE, &SQUARE]).is_ok());
    }

    #[test]
    fn hand_written_lists_match_the_registry() {
        // The maintenance the derive saves: this test fails when a shape is
        // added without updating the peers.
        let registry = Registry::global().expect("no duplicates");
        let ours: Vec<&str> = registry
            .names()
            .into_iter()
            .filter(|name| !name.starts_with("test-"))
            .collect();
        let hand: Vec<&str> = HAND_WRITTEN.iter().map(|(name, _)| *name).collect();
        assert_eq!(ours, hand);
        for name in ours {
            let by_match = hand_written_match(name).expect("the match knows every name")();
            let by_registry = registry.new_shape(name).expect("registered");
            assert_eq!(by_match.describe(), by_registry.describe());
        }
    }

    #[test]
    fn the_lesson_quotes_the_compiler_verbatim() {
        let lesson = mastery_kit::lesson::module_doc(include_str!("metaclasses.rs"));
        let pinned = include_str!("../tests/ui/derive/fail_unknown_key.stderr");
        assert!(
            lesson.contains(pinned.trim_end()),
            "the lesson's excerpt differs from tests/ui/derive/fail_unknown_key.stderr:\n{pinned}"
        );
    }

    #[test]
    fn demo_runs_in_quick_mode() {
        let mut n = Narrator::silent("core/metaclasses", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "quick means quick"
        );
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "hand-written match")
        );
        let shapes = n
            .measurements()
            .iter()
            .find(|m| m.label == "shapes registered in this binary")
            .expect("the demo counts the shapes");
        assert_eq!(shapes.value, 8.0, "seven shapes and the test hexagon");
    }
}
