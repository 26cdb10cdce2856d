//! # mastery-interview — interview-grade components
//!
//! The roadmap's "Interview-oriented algorithms", built to production grade
//! and benchmarked against the crates a senior engineer would reach for.
//!
//! # Layout
//! - [`lru_cache`] — `SimpleLru` (the idea on a page), `LruCache` (safe,
//!   O(1): slab, index-linked recency list, `HashTable` of indices),
//!   `memoize` (the `functools.lru_cache` analogue) and `ShardedLruCache`;
//!   the ladder between them (`VecDequeLru`, `TableLru`, `climb_ladder`);
//!   peers: `lru`, `quick_cache`. Topic `interview/lru-cache`.
//! - [`batching_service`] — `serve_batches_simple` (the idea in one loop)
//!   and `Batcher`: callers submit one request and await their own answer;
//!   size-or-deadline batches, backpressure, a flushing shutdown. Peer: one
//!   handler call per request. Topic `interview/batching-service`.
//! - [`retry_backoff`] — the retry loop in a few lines (`retry_simple`), then
//!   `Backoff` policies with four jitter modes, `retry` and `retry_async`
//!   with an injectable clock. Peer: `backon`. Topic
//!   `interview/retry-backoff`.
//! - [`safe_counters`] — a racy counter that loses updates next to the
//!   `fetch_add` that fixes it, then `Mutex`, `RwLock`, sharded and
//!   per-thread batched counters, and `INCR` on a real `redis-server`. Topic
//!   `interview/safe-counters`.
//! - [`streaming_parsers`] — strict push parsers for JSON (RFC 8259), CSV
//!   (RFC 4180) and XML 1.0 with constant memory, one folder per format,
//!   and `SimpleCsvParser`, the idea in a few dozen lines (with
//!   `json::SimpleJsonParser`, the JSON ladder's textbook rung); `mastery parse`
//!   runs them over files. Peers: `serde_json`, `csv`, `quick-xml`. Topic
//!   `interview/streaming-parsers`.

#![forbid(unsafe_code)]

/// The Python rungs of the ladders (`interview/python/rung_zero.py`): each
/// component's Python idiom, timed by CPython itself on the same workload,
/// served one call per request (see `mastery_kit::python`).
pub(crate) const RUNG_ZERO: &str = include_str!("../python/rung_zero.py");

pub mod batching_service;
pub mod lru_cache;
pub mod retry_backoff;
pub mod safe_counters;
pub mod streaming_parsers;
