//! # mastery-interview — interview-grade components
//!
//! The roadmap's "Interview-oriented algorithms", built to production grade
//! and benchmarked against the crates a senior engineer would reach for.
//!
//! # Layout
//! - [`lru_cache`] — `LruCache` (safe, O(1)), `memoize` (the
//!   `functools.lru_cache` analogue) and `ShardedLruCache`; peers: `lru`,
//!   `quick_cache`. Topic `interview/lru-cache`.
//!
//! Still to come, each its own module and topic: the batching service, retry
//! with backoff, concurrency-safe counters, streaming parsers (see ROADMAP.md).

#![forbid(unsafe_code)]

pub mod lru_cache;
