//! # mastery-core — core Python mastery, answered in Rust
//!
//! The roadmap's first area: how Python's object model features map onto
//! Rust's type system.
//!
//! # Layout (planned; see ROADMAP.md for status)
//! - `descriptors` — `__slots__` and descriptors → validated newtypes,
//!   accessor methods, `Cell`/`OnceCell`, memory layout and niches.
//! - `metaclasses` — auto-registering subclasses → `inventory` and a derive
//!   macro (the kit's own topic registry is the live example).
//! - `context_managers` — `with` / `async with` → RAII guards, `Drop`, panic
//!   safety, explicit async `close()`.
//! - `typing_examples` — Protocol, TypedDict, Literal, Annotated → traits,
//!   serde structs, enums, newtypes and const generics, typestate; and
//!   dataclasses vs NamedTuple vs Pydantic, measured.
//!
//! Nothing is built here yet: the crate compiles so the workspace shape is
//! fixed, and each module lands with its topic, tests and measurements.

#![forbid(unsafe_code)]
