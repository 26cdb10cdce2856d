//! # mastery-patterns — software engineering patterns
//!
//! Decorators, dependency injection, plugins and pipelines, the Rust way.
//!
//! # Layout (see ROADMAP.md for status)
//! - [`decorator_factories`] — functions wrapping functions (logging, timing,
//!   retry, caching), one retry + cache wrapper written as a closure, a
//!   generic struct and `tower` layers, and a single-flight cache.
//! - [`dependency_injection`] — one notifier wired four ways: generic
//!   parameters, `&dyn`, `Arc<dyn>` and a `TypeId`-keyed service locator;
//!   a missing dependency as a compile error or an `Err` naming its type;
//!   test doubles injected per way (trybuild cases in
//!   `tests/ui/dependency_injection/`).
//! - `plugin_system` — `entry_points` → `inventory` at compile time and
//!   `cdylib` plugins behind a versioned C ABI at run time.
//! - [`mini_dag`] — tasks with dependencies: validation, parallel execution,
//!   retries, caching, DOT and Mermaid export (`mastery dag`).

#![forbid(unsafe_code)]

pub mod decorator_factories;
pub mod dependency_injection;
pub mod mini_dag;
