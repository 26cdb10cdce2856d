//! The Redis backend: a `redis-server` of our own ([`RedisServer`]), the
//! choice between it and a server given by URL ([`RedisSource`]), and the
//! counter itself ([`RedisCounter`]), whose handles are connections.
//!
//! The server is spawned with `--bind 127.0.0.1 --save '' --appendonly no` on
//! a port the OS just handed out, checked by `PING` (and by its pid, so a
//! stranger on the port does not count), and killed and reaped on drop.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mastery_kit::net::free_loopback_port;

use super::{Counter, CounterError, CounterHandle};

/// The environment variable that makes a missing `redis-server` a failure
/// instead of a skip (`1` or `true`); CI sets it.
pub const REQUIRE_REDIS_ENV: &str = "MASTERY_REQUIRE_REDIS";

/// The environment variable naming an existing server to use instead of
/// spawning one (the CLI also reads it, as the `redis_url` setting).
pub const REDIS_URL_ENV: &str = "MASTERY_REDIS_URL";

/// Whether [`REQUIRE_REDIS_ENV`] asks for Redis (`1` or `true`, any case).
pub fn redis_required_by_env() -> bool {
    std::env::var(REQUIRE_REDIS_ENV).is_ok_and(|v| is_truthy(&v))
}

fn is_truthy(value: &str) -> bool {
    let value = value.trim();
    value == "1" || value.eq_ignore_ascii_case("true")
}

/// How long a connection attempt to a Redis server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may wait for its reply.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where `program` is on `PATH`, if anywhere.
fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The last few kilobytes a child process printed, kept for error messages.
#[derive(Debug, Clone, Default)]
struct OutputTail(Arc<Mutex<String>>);

impl OutputTail {
    const KEEP: usize = 2_000;

    /// Drains `pipe` on a thread of its own (so the child never blocks on a
    /// full pipe); the thread ends when the child closes the pipe.
    fn drain(&self, pipe: impl Read + Send + 'static) {
        let tail = self.clone();
        let spawned = std::thread::Builder::new()
            .name("redis-server-output".to_owned())
            .spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    tail.push(&line);
                }
            });
        // Without the drain thread only the error text gets poorer: the pipe
        // closes with this end, and redis-server ignores SIGPIPE.
        drop(spawned);
    }

    fn push(&self, line: &str) {
        let mut text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        text.push_str(line.trim());
        text.push_str(" | ");
        if text.len() > Self::KEEP {
            let mut cut = text.len() - Self::KEEP;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            text.drain(..cut);
        }
    }

    fn text(&self) -> String {
        let text = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match text.trim_end_matches(" | ") {
            "" => "(nothing)".to_owned(),
            t => t.to_owned(),
        }
    }
}

// ANCHOR: redis_server
/// A `redis-server` of our own on a free `127.0.0.1` port, with persistence
/// off; killed and reaped when dropped, so no process outlives the value.
///
/// ```no_run
/// use mastery_interview::safe_counters::{RedisCounter, RedisServer, hammer};
///
/// let server = RedisServer::spawn()?;                // needs redis-server on PATH
/// let counter = RedisCounter::connect(server.url(), "visits")?;
/// assert_eq!(hammer(&counter, 4, 100)?.counted, 400); // 4 clients, INCR each
/// # Ok::<(), mastery_interview::safe_counters::CounterError>(())
/// ```
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    url: String,
    output: OutputTail,
}

impl RedisServer {
    /// The binary looked up on `PATH`.
    pub const BINARY: &'static str = "redis-server";
    /// How long [`RedisServer::spawn`] waits for the first `PONG`.
    pub const START_TIMEOUT: Duration = Duration::from_secs(5);

    /// Whether `redis-server` is on `PATH`.
    pub fn is_installed() -> bool {
        find_on_path(Self::BINARY).is_some()
    }

    /// Starts `redis-server --port <free> --bind 127.0.0.1 --save ''
    /// --appendonly no` and waits until it answers `PING`.
    ///
    /// # Errors
    /// [`CounterError::RedisNotInstalled`] when the binary is not on `PATH`;
    /// otherwise why it could not start or did not answer within
    /// [`RedisServer::START_TIMEOUT`].
    pub fn spawn() -> Result<Self, CounterError> {
        Self::spawn_with_timeout(Self::START_TIMEOUT)
    }

    /// [`RedisServer::spawn`] with another start timeout.
    ///
    /// # Errors
    /// As [`RedisServer::spawn`].
    pub fn spawn_with_timeout(timeout: Duration) -> Result<Self, CounterError> {
        let binary = find_on_path(Self::BINARY).ok_or(CounterError::RedisNotInstalled)?;
        // The free port is released before redis-server binds it, so another
        // process may take it in between; try a fresh port a few times.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut server = Self::start_on(
                &binary,
                free_loopback_port().map_err(CounterError::NoFreePort)?,
            )?;
            match server.wait_until_ready(timeout) {
                Err(CounterError::RedisExited { log, .. })
                    if attempt < 3 && log.contains("in use") =>
                {
                    tracing::debug!(port = server.port, "port taken, retrying on another");
                }
                Err(e) => return Err(e),
                Ok(()) => return Ok(server),
            }
        }
    }

    /// The server's URL, `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on (on 127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the process on `port`; [`RedisServer::wait_until_ready`] checks
    /// it came up.
    fn start_on(binary: &Path, port: u16) -> Result<Self, CounterError> {
        let mut child = Command::new(binary)
            .args(["--port", &port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| CounterError::RedisSpawn {
                binary: binary.to_owned(),
                source,
            })?;
        let output = OutputTail::default();
        if let Some(out) = child.stdout.take() {
            output.drain(out);
        }
        if let Some(err) = child.stderr.take() {
            output.drain(err);
        }
        Ok(RedisServer {
            child,
            port,
            url: format!("redis://127.0.0.1:{port}/"),
            output,
        })
    }

    /// Polls until *our* process answers `PING` on the port (its `INFO`
    /// reports our child's pid, so a stranger that grabbed the port does not
    /// count), the process exits, or `timeout` passes.
    fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), CounterError> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.exit_status()? {
                // Give the drain threads a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(20));
                return Err(CounterError::RedisExited {
                    port: self.port,
                    status,
                    log: self.output.text(),
                });
            }
            let last_error = match self.ping_as_own() {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if started.elapsed() >= timeout {
                return Err(CounterError::RedisStartTimeout {
                    port: self.port,
                    waited: timeout,
                    last_error,
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn exit_status(&mut self) -> Result<Option<ExitStatus>, CounterError> {
        self.child
            .try_wait()
            .map_err(|source| CounterError::RedisSpawn {
                binary: PathBuf::from(Self::BINARY),
                source,
            })
    }

    fn ping_as_own(&self) -> Result<(), String> {
        let client = redis::Client::open(self.url.as_str()).map_err(|e| e.to_string())?;
        let mut con = client
            .get_connection_with_timeout(Duration::from_millis(250))
            .map_err(|e| e.to_string())?;
        con.set_read_timeout(Some(Duration::from_secs(1)))
            .map_err(|e| e.to_string())?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut con)
            .map_err(|e| e.to_string())?;
        let pid = info
            .lines()
            .find_map(|l| l.strip_prefix("process_id:"))
            .and_then(|p| p.trim().parse::<u32>().ok());
        match pid {
            Some(pid) if pid == self.child.id() => Ok(()),
            other => Err(format!(
                "port {} is answered by another redis-server (pid {other:?})",
                self.port
            )),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // SIGKILL then reap: nothing to save (persistence is off), and
        // waiting leaves no zombie. Errors mean it already exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
// ANCHOR_END: redis_server

/// Where the Redis part of the demo and the tests gets its server.
#[derive(Debug)]
pub enum RedisSource {
    /// A server someone else runs, by URL.
    External(String),
    /// A server we spawned; dropping this stops it.
    Spawned(RedisServer),
}

impl RedisSource {
    /// Picks the server: `url` when given; otherwise a spawned
    /// `redis-server`; otherwise `Ok(None)` (skip) — unless `required`, in
    /// which case a missing binary is an error.
    ///
    /// # Errors
    /// A missing binary when `required`, or a server that would not start.
    pub fn resolve(url: Option<&str>, required: bool) -> Result<Option<Self>, CounterError> {
        Self::resolve_with(url, required, RedisServer::spawn)
    }

    /// [`RedisSource::resolve`] with the spawning step given (tests use it
    /// to stand in for a machine without `redis-server`).
    fn resolve_with(
        url: Option<&str>,
        required: bool,
        spawn: impl FnOnce() -> Result<RedisServer, CounterError>,
    ) -> Result<Option<Self>, CounterError> {
        if let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) {
            return Ok(Some(RedisSource::External(url.to_owned())));
        }
        match spawn() {
            Ok(server) => Ok(Some(RedisSource::Spawned(server))),
            Err(CounterError::RedisNotInstalled) if !required => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The URL to connect to.
    pub fn url(&self) -> &str {
        match self {
            RedisSource::External(url) => url,
            RedisSource::Spawned(server) => server.url(),
        }
    }
}

impl fmt::Display for RedisSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedisSource::External(url) => write!(f, "the server at {url}"),
            RedisSource::Spawned(s) => write!(
                f,
                "a redis-server spawned on 127.0.0.1:{} (pid {})",
                s.port(),
                s.pid()
            ),
        }
    }
}

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
    /// `Batched`: the local sum not yet sent.
    pending: u64,
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

    fn incr_by(&mut self, n: u64) -> Result<(), CounterError> {
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
    fn add(&mut self, n: u64) -> Result<(), CounterError> {
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
                self.pending = self.pending.wrapping_add(n);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::safe_counters::hammer;
    use std::net::{Ipv4Addr, TcpListener};

    /// The server for a Redis test: `MASTERY_REDIS_URL`, else a spawned one;
    /// `None` (skip) only when redis-server is missing and not required.
    fn redis_for_test(test: &str) -> Option<RedisSource> {
        let url = std::env::var(REDIS_URL_ENV).ok();
        match RedisSource::resolve(url.as_deref(), redis_required_by_env()) {
            Ok(Some(source)) => Some(source),
            Ok(None) => {
                eprintln!(
                    "{test}: skipped: redis-server is not installed (apt-get install redis-server; \
                     set {REQUIRE_REDIS_ENV}=1 to fail instead)"
                );
                None
            }
            Err(e) => panic!(
                "{test}: Redis is required or installed but unusable: {}",
                chain(&e)
            ),
        }
    }

    /// An error with its causes, as the CLI prints it.
    fn chain(e: &dyn std::error::Error) -> String {
        let mut text = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            text.push_str(&format!(": {c}"));
            cause = c.source();
        }
        text
    }

    #[test]
    fn redis_counts_exactly_with_concurrent_clients() {
        let Some(source) = redis_for_test("redis_counts_exactly") else {
            return;
        };
        let counter =
            RedisCounter::connect(source.url(), unique_key("test-exact")).expect("server is up");
        for threads in [2, 4, 8] {
            let tally = hammer(&counter, threads, 150).expect("redis counts");
            assert_eq!(tally.counted, tally.expected, "INCR with {threads} clients");
        }
        for mode in [RedisMode::Pipelined(16), RedisMode::Batched(16)] {
            // 150 is not a multiple of 16: `finish` must send the remainder.
            let counter = counter.clone().with_mode(mode);
            let tally = hammer(&counter, 3, 150).expect("redis counts");
            assert_eq!(tally.counted, 450, "{mode}");
        }
        let before = counter.total().expect("GET");
        {
            let batched = counter.clone().with_mode(RedisMode::Batched(100));
            let mut handle = batched.handle().expect("connect");
            handle.add(5).expect("queued locally");
            // Dropped without `finish`: Drop still sends it.
        }
        assert_eq!(counter.total().expect("GET"), before + 5);
        counter.delete().expect("DEL");
        assert_eq!(counter.total().expect("GET"), 0);
    }

    #[test]
    fn spawned_redis_listens_on_loopback_only_and_stops_on_drop() {
        if std::env::var(REDIS_URL_ENV).is_ok() && !RedisServer::is_installed() {
            return; // CI with an external server and no binary: nothing to spawn
        }
        let server = match RedisServer::spawn() {
            Ok(server) => server,
            Err(CounterError::RedisNotInstalled) if !redis_required_by_env() => {
                eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
                return;
            }
            Err(e) => panic!("spawning redis-server: {}", chain(&e)),
        };
        let client = redis::Client::open(server.url()).expect("our own URL parses");
        let mut con = client.get_connection().expect("spawned server answers");
        let bind: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("bind")
            .query(&mut con)
            .expect("CONFIG GET bind");
        assert_eq!(bind, ["bind", "127.0.0.1"]);
        let save: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("save")
            .query(&mut con)
            .expect("CONFIG GET save");
        assert_eq!(save, ["save", ""], "persistence off");
        let (port, pid) = (server.port(), server.pid());
        drop(con);
        drop(server);
        assert!(
            std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "nothing listens on {port} after drop"
        );
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists() || !cfg!(target_os = "linux"),
            "redis-server {pid} reaped"
        );
    }

    #[test]
    fn unreachable_redis_is_an_error_naming_the_address_and_cause() {
        // Port 1 on loopback: nothing listens there, the connect is refused.
        let err = RedisCounter::connect("redis://127.0.0.1:1", "k").expect_err("closed port");
        assert!(
            matches!(err, CounterError::RedisUnreachable { .. }),
            "{err:?}"
        );
        let text = chain(&err);
        assert!(text.contains("127.0.0.1:1"), "{text}");
        assert!(
            text.to_lowercase().contains("refused"),
            "cause shown: {text}"
        );

        let err = RedisCounter::connect("not a url", "k").expect_err("malformed");
        assert!(
            matches!(err, CounterError::InvalidRedisUrl { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("`not a url`"));
    }

    #[test]
    fn missing_binary_is_a_skip_unless_required() {
        let not_installed = || Err(CounterError::RedisNotInstalled);
        assert!(matches!(
            RedisSource::resolve_with(None, false, not_installed),
            Ok(None)
        ));
        let err = RedisSource::resolve_with(None, true, not_installed).expect_err("required");
        assert!(
            err.to_string().contains("apt-get install redis-server"),
            "{err}"
        );
        // A URL is used as given, never replaced by a spawned server.
        let source = RedisSource::resolve_with(Some(" redis://10.0.0.1:7 "), true, not_installed)
            .expect("url wins");
        assert_eq!(
            source.map(|s| s.url().to_owned()).as_deref(),
            Some("redis://10.0.0.1:7")
        );
        assert!(is_truthy("1") && is_truthy("TRUE") && !is_truthy("0") && !is_truthy("yes"));
    }

    #[test]
    fn a_server_that_cannot_bind_is_a_clear_error() {
        let Some(binary) = find_on_path(RedisServer::BINARY) else {
            return; // covered by the skip logic above
        };
        // Hold the port so redis-server finds it taken.
        let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
        let port = taken.local_addr().expect("bound").port();
        let mut server = RedisServer::start_on(&binary, port).expect("the binary runs");
        let err = server
            .wait_until_ready(RedisServer::START_TIMEOUT)
            .expect_err("the port is taken");
        let text = err.to_string();
        assert!(matches!(err, CounterError::RedisExited { .. }), "{text}");
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(text.contains("in use"), "the server's own words: {text}");
    }
}
