//! The counter on a Redis server: [`RedisCounter`] keeps the count under
//! one key, and each thread's [`RedisHandle`] is a connection of its own
//! that sends adds one `INCR` at a time, pipelined, or summed into `INCRBY`
//! batches ([`RedisMode`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Counter, CounterError, CounterHandle};

/// How long a connection attempt to a Redis server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its reply.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// A key no other run uses: `mastery:safe-counters:<label>:<pid>:<n>:<nanos>`.
pub fn unique_key(label: &str) -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "mastery:safe-counters:{label}:{}:{}:{nanos}",
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    )
}

/// How a [`RedisCounter`]'s handles send their adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisMode {
    /// One `INCR` (or `INCRBY n`) per add: one network round trip each.
    PerAdd,
    /// Queue `INCRBY` commands and send them `depth` at a time in one
    /// pipeline: one round trip per `depth` adds, every add still a command.
    Pipelined(u32),
    /// Sum adds locally and send one `INCRBY sum` every `every` adds: the
    /// network twin of [`LocalBatch`](super::LocalBatch).
    Batched(u32),
}

impl fmt::Display for RedisMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisMode::PerAdd => f.write_str("Redis INCR per add"),
            RedisMode::Pipelined(d) => write!(f, "Redis pipeline of {d} INCRBY"),
            RedisMode::Batched(n) => write!(f, "Redis INCRBY every {n} adds"),
        }
    }
}

// ANCHOR: redis_counter
/// A counter stored under one key of a Redis server: `INCR`/`INCRBY` are
/// atomic on the server, which runs commands one at a time, so any number of
/// threads, processes or machines can share it. Each thread's handle is its
/// own connection.
#[derive(Debug, Clone)]
pub struct RedisCounter {
    client: redis::Client,
    addr: String,
    key: String,
    mode: RedisMode,
}

impl RedisCounter {
    /// A counter at `key` on the server at `url`, adding one `INCR` per add;
    /// checks the server answers `PING`.
    ///
    /// # Errors
    /// [`CounterError::InvalidRedisUrl`] for a malformed URL,
    /// [`CounterError::RedisUnreachable`] (naming the address) when nothing
    /// answers there.
    pub fn connect(url: &str, key: impl Into<String>) -> Result<Self, CounterError> {
        let client = redis::Client::open(url).map_err(|cause| CounterError::InvalidRedisUrl {
            url: url.to_owned(),
            cause,
        })?;
        let counter = RedisCounter {
            addr: client.get_connection_info().addr().to_string(),
            client,
            key: key.into(),
            mode: RedisMode::PerAdd,
        };
        let mut con = counter.connection()?;
        counter.run::<String>("PING", redis::cmd("PING"), &mut con)?;
        Ok(counter)
    }

    /// The same counter, with handles that send adds as `mode` says.
    pub fn with_mode(mut self, mode: RedisMode) -> Self {
        self.mode = mode;
        self
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The key the count lives under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How handles send their adds.
    pub fn mode(&self) -> RedisMode {
        self.mode
    }

    /// A new connection, with timeouts so a stalled server cannot hang us.
    ///
    /// # Errors
    /// [`CounterError::RedisUnreachable`] naming the address.
    pub fn connection(&self) -> Result<redis::Connection, CounterError> {
        let unreachable = |cause| CounterError::RedisUnreachable {
            addr: self.addr.clone(),
            cause,
        };
        let con = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(unreachable)?;
        con.set_read_timeout(Some(COMMAND_TIMEOUT))
            .map_err(unreachable)?;
        con.set_write_timeout(Some(COMMAND_TIMEOUT))
            .map_err(unreachable)?;
        Ok(con)
    }

    /// Removes the key (tidies an external server after a run).
    ///
    /// # Errors
    /// The server is unreachable or refuses.
    pub fn delete(&self) -> Result<(), CounterError> {
        let mut con = self.connection()?;
        self.run::<()>("DEL", redis::cmd("DEL").arg(&self.key).clone(), &mut con)
    }

    fn run<T: redis::FromRedisValue>(
        &self,
        command: &'static str,
        cmd: redis::Cmd,
        con: &mut redis::Connection,
    ) -> Result<T, CounterError> {
        cmd.query(con).map_err(|cause| CounterError::RedisCommand {
            command,
            addr: self.addr.clone(),
            cause,
        })
    }
}
// ANCHOR_END: redis_counter

/// One thread's connection to a [`RedisCounter`].
pub struct RedisHandle<'a> {
    counter: &'a RedisCounter,
    con: redis::Connection,
    /// `Pipelined`: commands queued; `Batched`: adds summed.
    queued: u32,
    /// `Batched`: the local sum not yet sent. Signed, like the integer Redis
    /// keeps, so the sum never holds what `INCRBY` could not carry.
    pending: i64,
    pipe: redis::Pipeline,
}

impl fmt::Debug for RedisHandle<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisHandle")
            .field("addr", &self.counter.addr)
            .field("key", &self.counter.key)
            .field("queued", &self.queued)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl RedisHandle<'_> {
    /// Sends whatever is queued or pending.
    ///
    /// # Errors
    /// The command failed; the adds it carried are not counted.
    pub fn flush(&mut self) -> Result<(), CounterError> {
        if self.queued == 0 {
            return Ok(());
        }
        self.queued = 0;
        match self.counter.mode {
            RedisMode::PerAdd => Ok(()),
            RedisMode::Pipelined(_) => {
                let result = self.pipe.query::<()>(&mut self.con);
                self.pipe.clear();
                result.map_err(|cause| CounterError::RedisCommand {
                    command: "INCRBY (pipelined)",
                    addr: self.counter.addr.clone(),
                    cause,
                })
            }
            RedisMode::Batched(_) => {
                let sum = std::mem::take(&mut self.pending);
                self.incr_by(sum)
            }
        }
    }

    fn incr_by(&mut self, n: i64) -> Result<(), CounterError> {
        let cmd = if n == 1 {
            redis::cmd("INCR").arg(&self.counter.key).clone()
        } else {
            redis::cmd("INCRBY").arg(&self.counter.key).arg(n).clone()
        };
        let name = if n == 1 { "INCR" } else { "INCRBY" };
        self.counter.run::<i64>(name, cmd, &mut self.con).map(drop)
    }
}

impl CounterHandle for RedisHandle<'_> {
    /// Adds `n` as the counter's [`RedisMode`] says.
    ///
    /// Redis keeps the count as a signed 64-bit integer and does not wrap:
    /// an `n` above `i64::MAX` is refused here, before anything is sent
    /// ([`CounterError::RedisOverflow`]), and an add that would take the
    /// stored value past `i64::MAX` is refused by the server ("increment or
    /// decrement would overflow", a [`CounterError::RedisCommand`]).
    fn add(&mut self, n: u64) -> Result<(), CounterError> {
        let Ok(n) = i64::try_from(n) else {
            return Err(CounterError::RedisOverflow {
                addr: self.counter.addr.clone(),
                key: self.counter.key.clone(),
                amount: n,
            });
        };
        match self.counter.mode {
            RedisMode::PerAdd => self.incr_by(n),
            RedisMode::Pipelined(depth) => {
                self.pipe
                    .cmd("INCRBY")
                    .arg(&self.counter.key)
                    .arg(n)
                    .ignore();
                self.queued += 1;
                if self.queued >= depth.max(1) {
                    self.flush()?;
                }
                Ok(())
            }
            RedisMode::Batched(every) => {
                // A local sum past `i64::MAX` could not be sent as one
                // INCRBY, and wrapping it would count the wrong amount:
                // send what is pending first and let the server judge.
                self.pending = match self.pending.checked_add(n) {
                    Some(sum) => sum,
                    None => {
                        self.flush()?;
                        n
                    }
                };
                self.queued += 1;
                if self.queued >= every.max(1) {
                    self.flush()?;
                }
                Ok(())
            }
        }
    }

    fn finish(mut self) -> Result<(), CounterError> {
        self.flush()
    }
}

impl Drop for RedisHandle<'_> {
    fn drop(&mut self) {
        // `finish` reports errors; a handle dropped without it still tries.
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "adds held by a dropped Redis handle were not counted");
        }
    }
}

impl Counter for RedisCounter {
    type Handle<'a> = RedisHandle<'a>;

    fn name(&self) -> String {
        self.mode.to_string()
    }

    fn handle(&self) -> Result<RedisHandle<'_>, CounterError> {
        Ok(RedisHandle {
            counter: self,
            con: self.connection()?,
            queued: 0,
            pending: 0,
            pipe: redis::pipe(),
        })
    }

    fn total(&self) -> Result<u64, CounterError> {
        let mut con = self.connection()?;
        let value: Option<u64> =
            self.run("GET", redis::cmd("GET").arg(&self.key).clone(), &mut con)?;
        Ok(value.unwrap_or(0))
    }
}
