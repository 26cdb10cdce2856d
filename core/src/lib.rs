//! # mastery-core — core Python mastery, answered in Rust
//!
//! The roadmap's first area: how Python's object model features map onto
//! Rust's type system.
//!
//! # Layout
//! One folder per roadmap file; each `mod.rs` opens with the lesson and
//! holds the topic's core idea, with the production parts, `demo.rs` and
//! `tests.rs` beside it.
//! - [`descriptors`] (`src/descriptors/`) — `__slots__`, `property` and
//!   descriptors → validated newtypes with accessor methods,
//!   `Cell`/`OnceCell`/`LazyLock`, memory layout and niches; bytes per
//!   record against CPython, measured. Topic `core/descriptors`.
//! - [`metaclasses`] (`src/metaclasses/`) — auto-registering subclasses →
//!   `inventory` plus `#[derive(Register)]` from `core/macros` (trybuild
//!   cases in `core/tests/ui/derive/`); the kit's own topic registry is the
//!   live example. Topic `core/metaclasses`.
//! - [`context_managers`] (`src/context_managers/`) — `with` / `async
//!   with` → RAII guards (timer, temp dir, transaction), `Drop` order,
//!   cleanup on unwind, and async scope functions with explicit
//!   `close().await` under cancellation. Topic `core/context-managers`.
//! - [`typing_examples`] (`src/typing_examples/`) — Protocol, TypedDict,
//!   Literal, Annotated → traits (static vs `dyn`, measured), serde structs
//!   whose errors name the field, enums, newtypes and const generics, a
//!   typestate builder (trybuild cases in `core/tests/ui/typestate/`).
//!   Topic `core/typing-examples`.
//! - [`dataclasses_compare`] (`src/dataclasses_compare/`) — dataclass vs
//!   NamedTuple vs Pydantic → struct, tuple struct, serde + `garde`:
//!   construction, validation and JSON per record, measured. Topic
//!   `core/dataclasses-compare`.

#![forbid(unsafe_code)]

pub mod context_managers;
pub mod dataclasses_compare;
pub mod descriptors;
pub mod metaclasses;
pub mod typing_examples;
