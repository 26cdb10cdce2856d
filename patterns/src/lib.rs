//! # mastery-patterns — software engineering patterns
//!
//! Decorators, dependency injection, plugins and pipelines, the Rust way.
//!
//! # Layout (see ROADMAP.md for status)
//! - [`decorator_factories`] — functions wrapping functions (logging, timing,
//!   retry, caching), one retry + cache wrapper written as a closure, a
//!   generic struct and `tower` layers, and a single-flight cache.
//! - `dependency_injection` — generics vs trait objects vs a type-map
//!   service locator; test doubles injected.
//! - `plugin_system` — `entry_points` → `inventory` at compile time and
//!   `cdylib` plugins behind a versioned C ABI at run time.
//! - `mini_dag` — tasks with dependencies: validation, parallel execution,
//!   retries, caching, DOT and Mermaid export (`mastery dag`).

#![forbid(unsafe_code)]

pub mod decorator_factories;
