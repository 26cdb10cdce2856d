//! # mastery-concurrency — concurrency and async patterns
//!
//! `asyncio` and `multiprocessing` idioms answered with tokio, threads,
//! rayon and a real distributed dataflow engine.
//!
//! # Layout (planned; see ROADMAP.md for status)
//! - `asyncio_patterns` — producer/consumer with backpressure, cancellation
//!   with `CancellationToken` and `select!`, timeouts, graceful shutdown.
//! - `task_groups` — PEP 654 TaskGroup / ExceptionGroup → `JoinSet` and
//!   `std::thread::scope`, first-error cancellation, collected errors.
//! - `batching_workers` — multi-stage pipelines over bounded channels,
//!   batching by size or deadline, per-stage metrics.
//! - `mapreduce_demo` — word count with rayon, with worker processes over
//!   pipes, and with timely dataflow across processes.
//!
//! Nothing is built here yet.

#![forbid(unsafe_code)]
