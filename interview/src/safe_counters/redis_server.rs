//! A Redis server to count on: one of our own ([`RedisServer`]), or one
//! given by URL ([`RedisSource`] chooses).
//!
//! The server is spawned with `--bind 127.0.0.1 --save '' --appendonly no` on
//! a port the OS just handed out, counted as ready when `INFO server` on that
//! port reports our child's pid (so a stranger that grabbed the port does not
//! count), and killed and reaped on drop.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mastery_kit::net::free_loopback_port;

use super::CounterError;

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

pub(super) fn is_truthy(value: &str) -> bool {
    let value = value.trim();
    value == "1" || value.eq_ignore_ascii_case("true")
}

/// Where `program` is on `PATH`, if anywhere.
pub(super) fn find_on_path(program: &str) -> Option<PathBuf> {
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
    /// How long [`RedisServer::spawn`] waits for the server to answer.
    pub const START_TIMEOUT: Duration = Duration::from_secs(5);

    /// Whether `redis-server` is on `PATH`.
    pub fn is_installed() -> bool {
        find_on_path(Self::BINARY).is_some()
    }

    /// Starts `redis-server --port <free> --bind 127.0.0.1 --save ''
    /// --appendonly no` and waits until `INFO server` on its port reports
    /// the child's pid.
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
    pub(super) fn start_on(binary: &Path, port: u16) -> Result<Self, CounterError> {
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

    /// Polls until *our* process answers on the port — `INFO server`
    /// reports our child's pid, so a stranger that grabbed the port does not
    /// count — the process exits, or `timeout` passes. `INFO` rather than
    /// `PING`, because `PONG` does not say who answered.
    pub(super) fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), CounterError> {
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
            let last_error = match self.answers_as_own() {
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

    fn answers_as_own(&self) -> Result<(), String> {
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
    pub(super) fn resolve_with(
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
