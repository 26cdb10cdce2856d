//! # mastery-concurrency — concurrency and async patterns
//!
//! `asyncio` and `multiprocessing` idioms answered with tokio, threads,
//! rayon and a real distributed dataflow engine.
//!
//! # Layout
//! - [`asyncio_patterns`] — producer/consumer over a bounded channel with
//!   backpressure, cancellation with `CancellationToken` and `select!`,
//!   timeouts, graceful drain vs hard stop with exact counts. `mod.rs` holds
//!   the lesson and `pipeline_simple`; `pipeline.rs`, `producer.rs`,
//!   `report.rs`, `config.rs`, `pairing.rs` (the `select!` bug story).
//!   Topic `concurrency/asyncio-patterns`.
//! - [`task_groups`] — PEP 654 TaskGroup / ExceptionGroup → `TaskGroup` on
//!   `JoinSet` (fail-fast or collect-all into an `ErrorGroup`, panics as
//!   errors) and its `std::thread::scope` counterpart. `mod.rs` holds the
//!   lesson and `join_fail_fast_simple`; `task_group.rs`, `thread_group.rs`,
//!   `error_group.rs`, `policy.rs`. Topic `concurrency/task-groups`.
//!
//! - [`batching_workers`] — `queue.Queue` worker pipelines → a builder of
//!   stages over metered bounded channels (batching by size or deadline,
//!   per-stage throughput, blocked time and queue depth, nothing lost on
//!   shutdown, a failing stage named). Topic `concurrency/batching-workers`.
//!   A folder: `mod.rs` (the lesson and `next_batch`), `channel.rs`,
//!   `builder.rs`, `workers.rs`, `pipeline.rs`, `metrics.rs`, `report.rs`,
//!   `error.rs`, `demo.rs`, `tests/`.
//!
//! - [`mapreduce_demo`] — `multiprocessing.Pool` / Ray → word count three
//!   ways with identical answers: rayon, worker processes over framed pipes
//!   (`mastery worker`), and timely dataflow across processes or hosts
//!   (`mastery mapreduce --engine timely`). Topic `concurrency/mapreduce`.
//!   A folder: `mod.rs` (the lesson, one thread and rayon fold/reduce),
//!   `corpus.rs`, `chunking.rs`, `counts.rs`, `rayon_engine.rs`,
//!   `protocol.rs`, `worker.rs`, `pool.rs`, `cluster.rs`, `timely_engine.rs`,
//!   `summary.rs`, `child_processes.rs`, `demo.rs`, `tests/`.

#![forbid(unsafe_code)]

pub mod asyncio_patterns;
pub mod batching_workers;
pub mod mapreduce_demo;
pub mod task_groups;
