//! What can go wrong while counting, or while getting a Redis server to
//! count on: one error type for every backend.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// What went wrong while counting, or while getting a Redis server to count on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    /// No `redis-server` binary on `PATH`.
    #[error(
        "redis-server is not installed (not found on PATH): install it with `apt-get install redis-server`, or point at a running server with --redis URL / MASTERY_REDIS_URL"
    )]
    RedisNotInstalled,
    /// The operating system refused to start `redis-server`, or to report on it.
    #[error("could not run {}", binary.display())]
    RedisSpawn {
        /// The binary that was started.
        binary: PathBuf,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// No free loopback port could be reserved for the server.
    #[error("could not reserve a free port on 127.0.0.1 for redis-server")]
    NoFreePort(#[source] std::io::Error),
    /// The spawned server exited before it answered.
    #[error(
        "redis-server on 127.0.0.1:{port} exited during startup ({status}); its last output: {log}"
    )]
    RedisExited {
        /// The port it was told to listen on.
        port: u16,
        /// How it exited.
        status: ExitStatus,
        /// The tail of what it printed.
        log: String,
    },
    /// The spawned server did not report itself (`INFO server` with its pid)
    /// in time.
    #[error(
        "redis-server on 127.0.0.1:{port} did not answer INFO server with its own pid within {waited:?} (last attempt: {last_error})"
    )]
    RedisStartTimeout {
        /// The port it was told to listen on.
        port: u16,
        /// How long we waited.
        waited: Duration,
        /// What the last attempt to reach it said.
        last_error: String,
    },
    // A `redis::RedisError` prints its own cause and also returns it as its
    // source, so as a source it would be printed twice; the Redis variants
    // put it in their message instead.
    /// The Redis URL does not parse.
    #[error("`{url}` is not a valid redis URL (expected redis://HOST:PORT): {cause}")]
    InvalidRedisUrl {
        /// The URL as given.
        url: String,
        /// The parser's complaint.
        cause: redis::RedisError,
    },
    /// Nothing answered at the Redis address.
    #[error("cannot reach redis at {addr}: {cause} (is a redis-server listening there?)")]
    RedisUnreachable {
        /// `host:port` of the server.
        addr: String,
        /// The connection error.
        cause: redis::RedisError,
    },
    /// An add too large for Redis: it keeps counts as signed 64-bit integers
    /// and refuses to pass `i64::MAX` rather than wrap.
    #[error(
        "cannot add {amount} to redis key `{key}` on {addr}: Redis counts are signed 64-bit integers (at most i64::MAX) and never wrap; add at most i64::MAX at a time"
    )]
    RedisOverflow {
        /// `host:port` of the server.
        addr: String,
        /// The key added to.
        key: String,
        /// The add that does not fit.
        amount: u64,
    },
    /// A command failed on a reachable server.
    #[error("redis {command} on {addr} failed: {cause}")]
    RedisCommand {
        /// The command, e.g. `INCRBY`.
        command: &'static str,
        /// `host:port` of the server.
        addr: String,
        /// The server's or the connection's error.
        cause: redis::RedisError,
    },
    /// A counting thread could not be started.
    #[error("could not start counting thread {index}")]
    Thread {
        /// Which thread (0-based).
        index: usize,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A counting thread panicked (a bug in a backend, not an input error).
    #[error("a counting thread panicked while adding to {counter}")]
    ThreadPanicked {
        /// The counter's name.
        counter: String,
    },
}
