//! Async cleanup without async `Drop`: a [`Connection`] closed by an
//! explicit `close().await` inside a scope function ([`with_connection`]),
//! with a synchronous `Drop` as the fallback when the future is cancelled.

use std::time::Duration;

use super::EventLog;

/// What a [`Connection`] dropped without `close().await` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDrop {
    /// Log that the buffered messages were lost (Drop cannot await a flush).
    #[default]
    Warn,
    /// Hand the buffered messages to a background task on the current
    /// tokio runtime, which flushes and closes; without a runtime, warn.
    SpawnClose,
}

/// How to open a [`Connection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The connection's name, used in the log.
    pub name: String,
    /// The simulated round trip of opening and of flushing.
    pub latency: Duration,
    /// The fallback when the connection is dropped open.
    pub on_drop: OnDrop,
}

impl ConnectOptions {
    /// Options for `name` with no latency and [`OnDrop::Warn`].
    pub fn new(name: impl Into<String>) -> Self {
        ConnectOptions {
            name: name.into(),
            latency: Duration::ZERO,
            on_drop: OnDrop::Warn,
        }
    }

    /// With this round-trip latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// With this drop fallback.
    pub fn on_drop(mut self, on_drop: OnDrop) -> Self {
        self.on_drop = on_drop;
        self
    }
}

/// A simulated network connection that buffers writes: they reach the
/// peer only when flushed, which takes a round trip — an `.await`. Closing
/// it properly is async ([`Connection::close`]); `Drop` is the fallback.
#[derive(Debug)]
pub struct Connection {
    options: ConnectOptions,
    log: EventLog,
    buffered: Vec<String>,
    closed: bool,
}

impl Connection {
    /// Opens a connection (one round trip), logging `open <name>`.
    pub async fn open(options: ConnectOptions, log: &EventLog) -> Connection {
        round_trip(options.latency).await;
        log.push(format!("open {}", options.name));
        Connection {
            options,
            log: log.clone(),
            buffered: Vec::new(),
            closed: false,
        }
    }

    /// Buffers a message.
    pub fn send(&mut self, message: impl Into<String>) {
        self.buffered.push(message.into());
    }

    /// How many messages wait for a flush.
    pub fn buffered(&self) -> usize {
        self.buffered.len()
    }

    /// Sends the buffered messages (one round trip), logging `flushed <n>`.
    /// Cancel-safe: if dropped before the round trip ends, nothing was sent
    /// and the messages are still buffered.
    pub async fn flush(&mut self) {
        round_trip(self.options.latency).await;
        let sent = std::mem::take(&mut self.buffered);
        self.log.push(format!("flushed {}", sent.len()));
    }

    /// Flushes and closes, logging `close <name>`. Takes the connection by
    /// value: nothing can use it afterwards.
    pub async fn close(mut self) {
        self.flush().await;
        self.log.push(format!("close {}", self.options.name));
        self.closed = true;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let pending = std::mem::take(&mut self.buffered);
        let runtime = tokio::runtime::Handle::try_current();
        match (self.options.on_drop, runtime) {
            (OnDrop::SpawnClose, Ok(runtime)) => {
                self.log.push(format!(
                    "drop {} open: close handed to a background task",
                    self.options.name
                ));
                let (name, latency, log) = (
                    self.options.name.clone(),
                    self.options.latency,
                    self.log.clone(),
                );
                // Detached: nobody awaits it, and a runtime shutting down drops it.
                runtime.spawn(async move {
                    round_trip(latency).await;
                    log.push(format!("flushed {} (background)", pending.len()));
                    log.push(format!("close {name} (background)"));
                });
            }
            _ => self.log.push(format!(
                "drop {} without close: {} unflushed messages lost",
                self.options.name,
                pending.len()
            )),
        }
    }
}

async fn round_trip(latency: Duration) {
    if latency.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(latency).await;
    }
}

/// The `async with` of this module: opens a connection, runs `body` on
/// it, and closes it with `close().await` whether `body` returned `Ok` or
/// `Err`. If the returned future is cancelled (dropped) before it ends,
/// `close()` does not run: the connection's `Drop` fallback
/// ([`ConnectOptions::on_drop`]) does.
///
/// # Errors
/// Whatever `body` returns.
pub async fn with_connection<T, E>(
    options: ConnectOptions,
    log: &EventLog,
    body: impl AsyncFnOnce(&mut Connection) -> Result<T, E>,
) -> Result<T, E> {
    let mut connection = Connection::open(options, log).await;
    let outcome = body(&mut connection).await;
    connection.close().await;
    outcome
}

/// **Broken on purpose.** Closing by hand after the work: the `?` returns
/// early on the error and `close().await` is skipped, so the messages sent
/// before the failure are lost (the `Drop` fallback says so). The test
/// `closing_by_hand_skips_close_on_error` catches it; [`with_connection`]
/// is the fix.
///
/// # Errors
/// When `fail` is set, after sending one message.
pub async fn send_then_close_broken(
    options: ConnectOptions,
    log: &EventLog,
    fail: bool,
) -> Result<(), String> {
    let mut connection = Connection::open(options, log).await;
    connection.send(encode("first", false)?);
    connection.send(encode("second", fail)?);
    connection.close().await;
    Ok(())
}

/// The work between open and close that may fail.
pub(super) fn encode(message: &str, fail: bool) -> Result<String, String> {
    if fail {
        return Err(format!("{message:?} could not be encoded"));
    }
    Ok(message.to_owned())
}
