//! A session fixture worth sharing: a parse service on a loopback port.
//!
//! The kind of resource a `conftest.py` starts once per session — a
//! server the tests talk to over a socket. It answers each connection with
//! what the interview parsers make of the bytes sent: the client writes a
//! header line (`json default`, a format and an options preset of the case
//! files), then the document, then shuts its half down; the server replies
//! with one line in the case files' notation (`events: …` or `error: Kind
//! at byte N`) and closes.
//!
//! Teardown is guaranteed twice over: [`LoopbackServer::shutdown`] stops
//! the accept loop, joins its thread and reports what the server did; if it
//! is never called (a panic on the way), `Drop` does the same. After either,
//! the port refuses connections.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use mastery_interview::streaming_parsers::Format;
use mastery_interview::streaming_parsers::conformance::{CaseOptions, describe};

/// How long the server waits on a silent client before dropping it.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// What a server did between start and teardown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerReport {
    /// The address it listened on (refusing connections once torn down).
    pub addr: SocketAddr,
    /// Requests answered.
    pub requests: u64,
    /// Connections dropped on an I/O error or a bad header.
    pub bad_requests: u64,
}

/// A parse service on `127.0.0.1`, on a port the OS picks.
#[derive(Debug)]
pub struct LoopbackServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    counts: Arc<(AtomicU64, AtomicU64)>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Binds a port on the loopback interface and starts answering.
    ///
    /// # Errors
    /// The I/O error of binding or of spawning the thread.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let thread = std::thread::Builder::new()
            .name("loopback-server".into())
            .spawn({
                let (stop, counts) = (Arc::clone(&stop), Arc::clone(&counts));
                move || serve(&listener, &stop, &counts)
            })?;
        Ok(LoopbackServer {
            addr,
            stop,
            counts,
            thread: Some(thread),
        })
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sends `input` to be parsed as `format` with the options `preset`;
    /// returns the server's one-line answer.
    ///
    /// # Errors
    /// The I/O error of the round trip.
    pub fn parse(&self, format: Format, preset: &str, input: &[u8]) -> io::Result<String> {
        let mut stream = TcpStream::connect(self.addr)?;
        stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
        let name = format!("{format}").to_lowercase();
        stream.write_all(format!("{name} {preset}\n").as_bytes())?;
        stream.write_all(input)?;
        stream.shutdown(Shutdown::Write)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.trim_end().to_owned())
    }

    /// Stops the server: no new connection is accepted, the thread is
    /// joined, and the report says what it served.
    pub fn shutdown(mut self) -> ServerReport {
        self.stop_and_join();
        ServerReport {
            addr: self.addr,
            requests: self.counts.0.load(Ordering::Relaxed),
            bad_requests: self.counts.1.load(Ordering::Relaxed),
        }
    }

    fn stop_and_join(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::SeqCst);
        // `accept` blocks: one connection of our own wakes it to see the flag.
        let _ = TcpStream::connect(self.addr);
        let _ = thread.join();
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn serve(listener: &TcpListener, stop: &AtomicBool, counts: &(AtomicU64, AtomicU64)) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            // The listener drops on return: the port closes with it.
            return;
        }
        let answered = stream.and_then(answer);
        let counter = if answered.is_ok() {
            &counts.0
        } else {
            &counts.1
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

fn answer(stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    let mut reader = BufReader::new(&stream);
    let mut header = String::new();
    reader.read_line(&mut header)?;
    let mut input = Vec::new();
    reader.read_to_end(&mut input)?;
    let options = options_from_header(header.trim()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad header {header:?}: expected `<csv|json|xml> <preset>`"),
        )
    })?;
    let line = describe(&options.outcome(&input));
    (&stream).write_all(line.as_bytes())?;
    (&stream).write_all(b"\n")
}

fn options_from_header(header: &str) -> Option<CaseOptions> {
    let (format, preset) = header.split_once(' ')?;
    let format = match format {
        "csv" => Format::Csv,
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    CaseOptions::preset(format, preset)
}
