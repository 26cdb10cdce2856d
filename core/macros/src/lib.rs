//! # mastery-core-macros — `#[derive(Register)]`
//!
//! The compile-time half of the `core/metaclasses` topic: where Python runs a
//! metaclass (or `__init_subclass__`) when a subclass is *defined*, Rust runs
//! this derive when a struct is *compiled*. For
//!
//! ```ignore
//! #[derive(Debug, Default, Register)]
//! #[register(name = "circle")]
//! struct Circle { radius: f64 }
//! ```
//!
//! it emits three things, all naming the runtime through one path
//! (`mastery_core::metaclasses` unless `#[register(crate = "...")]` says
//! otherwise):
//! - `impl Describe for Circle` — `describe()` renders the name and every
//!   field with its value, read from the struct definition itself, so it
//!   cannot drift from the fields the way a hand-written impl can;
//! - `impl Registered for Circle` — a `const REGISTRATION` holding the name,
//!   the Rust type name, the fields with their types, a constructor
//!   (`Default` behind `fn() -> Box<dyn Shape>`) and where it was defined;
//! - an `inventory::submit!` of that constant, which puts it in the
//!   process-wide registry before `main` runs.
//!
//! Misuse is a compile error with a span on the offending token: an enum or
//! a union, a generic struct, an unknown or repeated key, a name that is not
//! a kebab-case string literal, an unknown field key. Every check is here
//! (see `attributes.rs` and `expand.rs`); the trait bounds (the type must be a
//! `Shape` and `Default`) are checked by rustc against the runtime traits.
//!
//! # Layout
//! - `attributes` — parsing `#[register(...)]` on the struct and fields.
//! - `expand` — the checks, then the generated code.
//! - `spelling` — registry names in kebab case, field types as written.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attributes;
mod expand;
mod spelling;

/// Registers a struct as a `Shape` in `mastery_core::metaclasses`' registry
/// and implements `Describe` for it.
///
/// Keys on the struct: `#[register(name = "kebab-name")]` (default: the type
/// name in kebab case) and `#[register(crate = "path::to::metaclasses")]`
/// (default: `mastery_core::metaclasses`). Key on a field:
/// `#[register(skip)]` leaves it out of `describe()` and the field list.
#[proc_macro_derive(Register, attributes(register))]
pub fn derive_register(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::register(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
