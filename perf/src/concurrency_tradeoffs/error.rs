//! What can go wrong in a variant, as a value the demo prints in the
//! table cell instead of a figure.

use mastery_concurrency::mapreduce_demo::ProcessError;

/// What went wrong in one of the variants.
#[derive(Debug, thiserror::Error)]
pub enum TradeoffError {
    /// A thread or a process could not be started.
    #[error("cannot start {what} number {index}: {source}")]
    Spawn {
        /// What was being started (`thread`, `process \`sleep\``).
        what: String,
        /// How many had been started before it.
        index: usize,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A child process ended badly.
    #[error("{what} (pid {pid}) {status}")]
    Child {
        /// The program.
        what: String,
        /// Its process id.
        pid: u32,
        /// What happened to it (`exited with exit status: 1`, `could not be waited for: …`).
        status: String,
    },
    /// The process columns need the `mastery` binary to start as workers.
    #[error(
        "worker processes need the `mastery` binary (this process is not it): run `mastery run perf/concurrency-tradeoffs`"
    )]
    NoWorkerProgram,
    /// The worker processes failed.
    #[error("worker processes: {0}")]
    Workers(#[from] ProcessError),
    /// A tokio runtime could not be built.
    #[error("cannot build a tokio runtime: {0}")]
    Runtime(std::io::Error),
    /// A thread or task panicked.
    #[error("a {0} panicked")]
    Panicked(&'static str),
}

impl TradeoffError {
    /// The error for thread number `index`, which could not be started:
    /// `spawn(...).map_err(TradeoffError::thread_spawn(index))`.
    pub(super) fn thread_spawn(index: usize) -> impl FnOnce(std::io::Error) -> TradeoffError {
        move |source| TradeoffError::Spawn {
            what: "thread".into(),
            index,
            source,
        }
    }
}
