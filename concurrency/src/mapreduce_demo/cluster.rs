//! Where the timely processes are and how they find each other: the
//! hostfile, [`ClusterSpec`], and [`connect_peers`], which makes timely's
//! connections itself so that a missing peer is an error with a deadline.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// The first default port: process `i` listens on `127.0.0.1:(2101 + i)`
/// (timely's defaults, on the loopback address).
pub const FIRST_DEFAULT_PORT: u16 = 2101;

/// Where the processes of a timely computation are, and which one this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// This process's index, `0..addresses.len()`.
    pub process: usize,
    /// `HOST:PORT` of every process, in process order.
    pub addresses: Vec<String>,
    /// How long to wait for the peers before giving up.
    pub connect_timeout: Duration,
}

/// What went wrong setting up or running the timely computation.
#[derive(Debug, thiserror::Error)]
pub enum TimelyError {
    /// `--processes 0`.
    #[error("--processes must be at least 1")]
    NoProcesses,
    /// The process index is not below the number of processes.
    #[error("--process {process} is out of range: with --processes {processes} it must be 0 to {}", processes - 1)]
    ProcessOutOfRange {
        /// The index given.
        process: usize,
        /// The number of processes.
        processes: usize,
    },
    /// The hostfile cannot be read.
    #[error("cannot read hostfile {}: {source}", path.display())]
    HostfileUnreadable {
        /// The hostfile.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A hostfile line is not `HOST:PORT`.
    #[error("{}:{line}: `{text}` is not an address of the form HOST:PORT", path.display())]
    HostfileLine {
        /// The hostfile.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// The hostfile has fewer addresses than processes.
    #[error("hostfile {} lists {found} address(es), but --processes is {processes}: write one HOST:PORT line per process, in process order", path.display())]
    HostfileShort {
        /// The hostfile.
        path: PathBuf,
        /// Addresses found.
        found: usize,
        /// Addresses needed.
        processes: usize,
    },
    /// This process cannot listen on its own address.
    #[error("process {process} cannot listen on {address}: {source}")]
    Listen {
        /// This process.
        process: usize,
        /// Its address.
        address: String,
        /// Why.
        source: io::Error,
    },
    /// A lower-numbered peer did not accept a connection in time.
    #[error(
        "process {process} could not reach process {peer} at {address} within {waited_s:.1} s ({last_error}); is it running, with the same hostfile?"
    )]
    Unreachable {
        /// This process.
        process: usize,
        /// The peer.
        peer: usize,
        /// The peer's address.
        address: String,
        /// Seconds waited.
        waited_s: f64,
        /// The last connection error.
        last_error: String,
    },
    /// Higher-numbered peers did not connect in time.
    #[error(
        "process {process} heard from no process {missing:?} at {address} within {waited_s:.1} s; are they running, with the same hostfile?"
    )]
    NotConnected {
        /// This process.
        process: usize,
        /// The peers still missing.
        missing: Vec<usize>,
        /// This process's address.
        address: String,
        /// Seconds waited.
        waited_s: f64,
    },
    /// A connection did not introduce itself properly.
    #[error("process {process}: bad handshake from {from}: {reason}")]
    Handshake {
        /// This process.
        process: usize,
        /// The connecting address.
        from: String,
        /// What was wrong.
        reason: String,
    },
    /// Timely failed while running (a worker or network thread panicked,
    /// a peer vanished).
    #[error("timely: {0}")]
    Engine(String),
}

impl TimelyError {
    /// Whether the error is in what the user asked for (exit code 2),
    /// rather than in carrying it out (exit code 1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            TimelyError::NoProcesses
                | TimelyError::ProcessOutOfRange { .. }
                | TimelyError::HostfileUnreadable { .. }
                | TimelyError::HostfileLine { .. }
                | TimelyError::HostfileShort { .. }
        )
    }
}

impl ClusterSpec {
    /// `processes` processes on this host: `127.0.0.1:2101`, `:2102`, ….
    ///
    /// # Errors
    /// When `processes` is 0 or `process` is out of range.
    pub fn loopback(
        processes: usize,
        process: usize,
        connect_timeout: Duration,
    ) -> Result<Self, TimelyError> {
        check_index(processes, process)?;
        let addresses = (0..processes)
            .map(|i| format!("127.0.0.1:{}", usize::from(FIRST_DEFAULT_PORT) + i))
            .collect();
        Ok(ClusterSpec {
            process,
            addresses,
            connect_timeout,
        })
    }

    /// The addresses from a hostfile, timely's format: one `HOST:PORT` per
    /// line, line `i` for process `i`; lines beyond `processes` are
    /// ignored, as timely does. Blank lines and `#` comments are skipped.
    ///
    /// # Errors
    /// A bad index, an unreadable file, a line that is not `HOST:PORT`
    /// (named by file and line), or too few lines.
    pub fn from_hostfile(
        path: &Path,
        processes: usize,
        process: usize,
        connect_timeout: Duration,
    ) -> Result<Self, TimelyError> {
        check_index(processes, process)?;
        let text =
            std::fs::read_to_string(path).map_err(|source| TimelyError::HostfileUnreadable {
                path: path.to_owned(),
                source,
            })?;
        let mut addresses = Vec::with_capacity(processes);
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if addresses.len() == processes {
                break;
            }
            if !is_host_port(line) {
                return Err(TimelyError::HostfileLine {
                    path: path.to_owned(),
                    line: number + 1,
                    text: line.to_owned(),
                });
            }
            addresses.push(line.to_owned());
        }
        if addresses.len() < processes {
            return Err(TimelyError::HostfileShort {
                path: path.to_owned(),
                found: addresses.len(),
                processes,
            });
        }
        Ok(ClusterSpec {
            process,
            addresses,
            connect_timeout,
        })
    }

    /// The number of processes.
    pub fn processes(&self) -> usize {
        self.addresses.len()
    }
}

fn check_index(processes: usize, process: usize) -> Result<(), TimelyError> {
    if processes == 0 {
        return Err(TimelyError::NoProcesses);
    }
    if process >= processes {
        return Err(TimelyError::ProcessOutOfRange { process, processes });
    }
    Ok(())
}

fn is_host_port(text: &str) -> bool {
    match text.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty() && !host.contains(char::is_whitespace) && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

/// Connects this process to every other one, timely's way: dial each
/// lower-numbered process and send our index (a big-endian `u64`), accept
/// each higher-numbered one and read its index. The listener is bound
/// before dialling, so higher-numbered processes can queue their
/// connections while we dial. Gives up at the spec's deadline.
///
/// The result has one entry per process, `None` at our own index — what
/// timely's `initialize_networking_from_sockets` expects.
///
/// # Errors
/// [`TimelyError::Listen`], [`TimelyError::Unreachable`],
/// [`TimelyError::NotConnected`] or [`TimelyError::Handshake`].
pub fn connect_peers(spec: &ClusterSpec) -> Result<Vec<Option<TcpStream>>, TimelyError> {
    let (me, n) = (spec.process, spec.processes());
    let started = Instant::now();
    let deadline = started + spec.connect_timeout;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    let my_address = &spec.addresses[me];
    let listener = if me + 1 < n {
        let listen_error = |source| TimelyError::Listen {
            process: me,
            address: my_address.clone(),
            source,
        };
        let listener = TcpListener::bind(my_address.as_str()).map_err(listen_error)?;
        listener.set_nonblocking(true).map_err(listen_error)?;
        Some(listener)
    } else {
        None
    };
    for (peer, slot) in sockets.iter_mut().enumerate().take(me) {
        let address = &spec.addresses[peer];
        let unreachable = |last_error: String| TimelyError::Unreachable {
            process: me,
            peer,
            address: address.clone(),
            waited_s: started.elapsed().as_secs_f64(),
            last_error,
        };
        let mut stream = dial(address, deadline).map_err(unreachable)?;
        stream
            .set_nodelay(true)
            .and_then(|()| stream.write_all(&(me as u64).to_be_bytes()))
            .map_err(|e| unreachable(e.to_string()))?;
        *slot = Some(stream);
    }
    let Some(listener) = listener else {
        return Ok(sockets);
    };
    loop {
        let missing: Vec<usize> = (me + 1..n).filter(|&i| sockets[i].is_none()).collect();
        if missing.is_empty() {
            return Ok(sockets);
        }
        match listener.accept() {
            Ok((stream, from)) => {
                let (peer, stream) = introduce(stream, me, n, deadline).map_err(|reason| {
                    TimelyError::Handshake {
                        process: me,
                        from: from.to_string(),
                        reason,
                    }
                })?;
                if sockets[peer].is_some() {
                    return Err(TimelyError::Handshake {
                        process: me,
                        from: from.to_string(),
                        reason: format!("process {peer} connected twice"),
                    });
                }
                sockets[peer] = Some(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(TimelyError::NotConnected {
                        process: me,
                        missing,
                        address: my_address.clone(),
                        waited_s: started.elapsed().as_secs_f64(),
                    });
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(source) => {
                return Err(TimelyError::Listen {
                    process: me,
                    address: my_address.clone(),
                    source,
                });
            }
        }
    }
}

/// Connects to `address`, retrying until `deadline`; the last error.
fn dial(address: &str, deadline: Instant) -> Result<TcpStream, String> {
    loop {
        let mut last_error = String::from("no address resolved");
        match address.to_socket_addrs() {
            Ok(addrs) => {
                for addr in addrs {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let attempt = left.clamp(Duration::from_millis(10), Duration::from_secs(1));
                    match TcpStream::connect_timeout(&addr, attempt) {
                        Ok(stream) => return Ok(stream),
                        Err(e) => last_error = e.to_string(),
                    }
                }
            }
            Err(e) => last_error = format!("cannot resolve: {e}"),
        }
        if Instant::now() >= deadline {
            return Err(last_error);
        }
        thread::sleep(Duration::from_millis(25));
    }
}

/// Reads an accepted peer's index and readies its socket for timely.
fn introduce(
    mut stream: TcpStream,
    me: usize,
    n: usize,
    deadline: Instant,
) -> Result<(usize, TcpStream), String> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(100));
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(left)))
        .map_err(|e| e.to_string())?;
    let mut index = [0u8; 8];
    stream
        .read_exact(&mut index)
        .map_err(|e| format!("no process index arrived: {e}"))?;
    let peer = u64::from_be_bytes(index);
    let peer = usize::try_from(peer)
        .ok()
        .filter(|p| (me + 1..n).contains(p))
        .ok_or_else(|| {
            format!(
                "it says it is process {peer}, but only processes {} to {} connect to process {me}",
                me + 1,
                n - 1
            )
        })?;
    // timely's network threads read with blocking calls and no timeout.
    stream
        .set_read_timeout(None)
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|e| e.to_string())?;
    Ok((peer, stream))
}
