//! The parent's side: [`WorkerPool`], the `multiprocessing.Pool` analogue —
//! start the workers, shake hands, stream chunks to whichever worker is
//! free, merge the answers, and turn a dead worker into an error that
//! names it.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::chunking::split_chunks;
use super::counts::WordCounts;
use super::protocol::{FrameError, Message, PROTOCOL_VERSION, write_chunk};
use super::streaming::ChunkQueue;
use super::worker::WORKER_ENV;

/// How long workers have to say hello, by default.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a worker has to exit after its stdin closes before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What went wrong with the worker processes.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// A pool needs at least one worker.
    #[error("a worker pool needs at least one worker")]
    NoWorkers,
    /// This process is itself a worker ([`WORKER_ENV`] is set).
    #[error(
        "refusing to start worker processes from inside a worker process ({WORKER_ENV} is set)"
    )]
    Nested,
    /// The program could not be started.
    #[error("cannot start worker {index} from {program}: {source}")]
    Spawn {
        /// The worker's index.
        index: usize,
        /// The program.
        program: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The program is not a mastery worker: no hello, a wrong magic, or
    /// silence until the handshake deadline.
    #[error("worker {index} (pid {pid}) is not a mastery worker: {reason}")]
    NotAWorker {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What it did instead.
        reason: String,
    },
    /// The worker speaks another protocol version.
    #[error(
        "worker {index} (pid {pid}) speaks protocol version {theirs}, this program {PROTOCOL_VERSION}: are both the same build?"
    )]
    Version {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// Its protocol version.
        theirs: u32,
    },
    // ANCHOR: died
    /// The worker exited, or closed its pipe, in the middle of a job.
    #[error("worker {index} (pid {pid}) died {during}: {status}")]
    Died {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What the parent was doing with it.
        during: String,
        /// Its exit status (`exit status: 3`, `signal: 9 (SIGKILL)`).
        status: String,
    },
    // ANCHOR_END: died
    /// The worker reported a failure and stopped.
    #[error("worker {index} (pid {pid}) failed: {message} ({status})")]
    Failed {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// Its `Failure` frame.
        message: String,
        /// Its exit status.
        status: String,
    },
    /// The worker sent a frame that breaks the protocol.
    #[error("worker {index} (pid {pid}) broke the protocol: {reason}")]
    Protocol {
        /// The worker's index.
        index: usize,
        /// Its process id.
        pid: u32,
        /// What it sent.
        reason: String,
    },
    /// An earlier job failed; the pool does not run more.
    #[error("the worker pool is unusable after an earlier failure: {0}")]
    Broken(String),
}

/// One worker process and its two pipes.
struct WorkerProcess {
    index: usize,
    pid: u32,
    child: Child,
    /// `None` once closed: the worker's signal to exit.
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

/// A pool of `mastery worker` processes that count chunks of text sent
/// over their stdin and answer over their stdout — `multiprocessing.Pool`
/// for this one job. Dropping the pool ends every worker: it closes their
/// stdins, waits a moment, and kills the stragglers. A failed job leaves
/// the pool unusable.
pub struct WorkerPool {
    workers: Vec<WorkerProcess>,
    broken: Option<String>,
}

impl fmt::Debug for WorkerPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerPool")
            .field("pids", &self.pids())
            .field("broken", &self.broken)
            .finish()
    }
}

/// Why one worker's part of a job ended early.
enum JobFailure {
    /// Another worker failed; this one stopped at the flag.
    Aborted,
    /// Writing to the worker failed (the pipe broke: the status says why).
    Send { during: String },
    /// The worker's reply could not be read.
    Receive(FrameError),
    /// The worker's output ended where its counts should be.
    NoReply,
    /// The worker sent something else than its counts.
    Unexpected(Message),
}

impl WorkerPool {
    /// Starts `workers` copies of `program` as `program worker --index I`
    /// and waits (at most [`DEFAULT_HANDSHAKE_TIMEOUT`]) for each to say
    /// hello.
    ///
    /// # Errors
    /// [`ProcessError`]: no workers, a nested pool, a program that does not
    /// start, or one that is not a mastery worker of this protocol version.
    pub fn spawn(program: &Path, workers: usize) -> Result<Self, ProcessError> {
        Self::spawn_with_timeout(program, workers, DEFAULT_HANDSHAKE_TIMEOUT)
    }

    /// [`WorkerPool::spawn`] with a deadline of its own for the handshake.
    ///
    /// # Errors
    /// As [`WorkerPool::spawn`].
    pub fn spawn_with_timeout(
        program: &Path,
        workers: usize,
        handshake_timeout: Duration,
    ) -> Result<Self, ProcessError> {
        if std::env::var_os(WORKER_ENV).is_some() {
            return Err(ProcessError::Nested);
        }
        if workers == 0 {
            return Err(ProcessError::NoWorkers);
        }
        // Until every worker has said hello, the children live in a guard
        // that kills and reaps them if anything fails on the way.
        let mut starting = Starting(Vec::with_capacity(workers));
        let mut pipes = Vec::with_capacity(workers);
        for index in 0..workers {
            let mut child = Command::new(program)
                .args(["worker", "--index", &index.to_string()])
                .env(WORKER_ENV, index.to_string())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|source| ProcessError::Spawn {
                    index,
                    program: program.to_owned(),
                    source,
                })?;
            let stdin = child.stdin.take().expect("stdin was set to Stdio::piped()");
            let stdout = child
                .stdout
                .take()
                .expect("stdout was set to Stdio::piped()");
            starting.0.push(child);
            pipes.push((stdin, BufReader::with_capacity(1 << 16, stdout)));
        }
        let (stdins, stdouts): (Vec<_>, Vec<_>) = pipes.into_iter().unzip();
        let stdouts = handshake(&mut starting.0, stdouts, handshake_timeout)?;
        let workers = std::mem::take(&mut starting.0)
            .into_iter()
            .zip(stdins.into_iter().zip(stdouts))
            .enumerate()
            .map(|(index, (child, (stdin, stdout)))| WorkerProcess {
                index,
                pid: child.id(),
                child,
                stdin: Some(stdin),
                stdout,
            })
            .collect();
        Ok(WorkerPool {
            workers,
            broken: None,
        })
    }

    /// The workers' process ids, by index.
    pub fn pids(&self) -> Vec<u32> {
        self.workers.iter().map(|w| w.pid).collect()
    }

    /// How many workers the pool has.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the pool has no workers (never true for a spawned pool).
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    // ANCHOR: pool_count
    /// Counts `text`: chunks of about `chunk_bytes`, cut at whitespace,
    /// streamed to the workers as they take them; the partial counts
    /// merged. The pool can run job after job.
    ///
    /// # Errors
    /// [`ProcessError::Died`] (and friends) naming the first worker that
    /// failed; the others are stopped and the pool is unusable afterwards
    /// ([`ProcessError::Broken`]).
    pub fn count(&mut self, text: &str, chunk_bytes: usize) -> Result<WordCounts, ProcessError> {
        let chunks = split_chunks(text, chunk_bytes);
        self.run(&Feed::Slice {
            chunks: &chunks,
            next: AtomicUsize::new(0),
        })
    }
    // ANCHOR_END: pool_count

    /// Counts the chunks of `queue`, streamed to the workers as they take
    /// them, until the queue ends (see [`stream_chunks`](super::stream_chunks)):
    /// each worker's thread in this process holds one chunk at a time.
    ///
    /// # Errors
    /// As [`WorkerPool::count`].
    pub fn count_stream(&mut self, queue: &ChunkQueue) -> Result<WordCounts, ProcessError> {
        self.run(&Feed::Queue {
            queue,
            taken: AtomicUsize::new(0),
        })
    }

    /// Runs one job: a thread per worker feeds it chunks from `feed`; the
    /// partial counts are merged.
    fn run(&mut self, feed: &Feed<'_>) -> Result<WordCounts, ProcessError> {
        if let Some(why) = &self.broken {
            return Err(ProcessError::Broken(why.clone()));
        }
        let abort = AtomicBool::new(false);
        let outcomes: Vec<Result<WordCounts, JobFailure>> = thread::scope(|s| {
            let jobs: Vec<_> = self
                .workers
                .iter_mut()
                .map(|worker| {
                    let abort = &abort;
                    s.spawn(move || {
                        let outcome = run_job(worker, feed, abort);
                        if outcome.is_err() {
                            abort.store(true, Ordering::Relaxed);
                        }
                        outcome
                    })
                })
                .collect();
            jobs.into_iter()
                .map(|job| {
                    job.join().unwrap_or_else(|_| {
                        Err(JobFailure::Unexpected(Message::Failure(
                            "the parent's thread for this worker panicked".into(),
                        )))
                    })
                })
                .collect()
        });
        let mut total = WordCounts::new();
        let mut failure = None;
        for (worker, outcome) in self.workers.iter_mut().zip(outcomes) {
            match outcome {
                Ok(counts) => total.merge(counts),
                Err(JobFailure::Aborted) => {}
                Err(why) if failure.is_none() => failure = Some(diagnose(worker, why)),
                Err(_) => {}
            }
        }
        match failure {
            Some(error) => {
                self.broken = Some(error.to_string());
                Err(error)
            }
            None => Ok(total),
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        // A closed stdin is a healthy worker's signal to exit; stragglers
        // are killed. Every child is waited for: no zombies, no orphans.
        for w in &mut self.workers {
            w.stdin.take();
        }
        for w in &mut self.workers {
            settle(&mut w.child, EXIT_GRACE);
        }
    }
}

/// Where a job's chunks come from.
enum Feed<'a> {
    /// Cut in advance; the workers share the index of the next one.
    Slice {
        chunks: &'a [&'a str],
        next: AtomicUsize,
    },
    /// Streamed through a queue while the job runs.
    Queue {
        queue: &'a ChunkQueue,
        taken: AtomicUsize,
    },
}

impl Feed<'_> {
    /// The next chunk and its number (from 1), or `None` when there are no
    /// more.
    fn next_chunk(&self) -> Option<(usize, Cow<'_, str>)> {
        match self {
            Feed::Slice { chunks, next } => {
                let i = next.fetch_add(1, Ordering::Relaxed);
                chunks.get(i).map(|chunk| (i + 1, Cow::Borrowed(*chunk)))
            }
            Feed::Queue { queue, taken } => {
                let chunk = queue.next_chunk()?;
                Some((taken.fetch_add(1, Ordering::Relaxed) + 1, Cow::Owned(chunk)))
            }
        }
    }

    /// "chunk 3 of 10", or "chunk 3" when the total is not known.
    fn describe(&self, number: usize) -> String {
        match self {
            Feed::Slice { chunks, .. } => format!("chunk {number} of {}", chunks.len()),
            Feed::Queue { .. } => format!("chunk {number}"),
        }
    }
}

/// Children that have not all said hello yet: killed and reaped on drop.
struct Starting(Vec<Child>);

impl Drop for Starting {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads every worker's hello, each on a thread of its own that owns the
/// pipe and hands it back. A worker silent at the deadline is killed;
/// its reader thread is then left behind rather than waited for (a wrong
/// program may have a grandchild holding the pipe open), so the handshake
/// never outlasts its deadline by more than a moment.
fn handshake(
    children: &mut [Child],
    stdouts: Vec<BufReader<ChildStdout>>,
    timeout: Duration,
) -> Result<Vec<BufReader<ChildStdout>>, ProcessError> {
    type Heard = (
        usize,
        Result<Option<Message>, FrameError>,
        BufReader<ChildStdout>,
    );
    let n = stdouts.len();
    let (tx, rx) = mpsc::channel::<Heard>();
    for (index, mut stdout) in stdouts.into_iter().enumerate() {
        let tx = tx.clone();
        thread::spawn(move || {
            let hello = Message::read_from(&mut stdout);
            let _ = tx.send((index, hello, stdout));
        });
    }
    drop(tx);
    let mut heard: Vec<Option<Heard>> = (0..n).map(|_| None).collect();
    let mut killed = vec![false; n];
    let mut deadline = Instant::now() + timeout;
    let mut in_grace = false;
    while heard.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(message) => {
                let index = message.0;
                heard[index] = Some(message);
            }
            Err(mpsc::RecvTimeoutError::Timeout) if !in_grace => {
                // Kill the silent ones, then give their readers a moment
                // to see the end of the pipe.
                for (index, child) in children.iter_mut().enumerate() {
                    if heard[index].is_none() {
                        let _ = child.kill();
                        killed[index] = true;
                    }
                }
                in_grace = true;
                deadline = Instant::now() + Duration::from_millis(500);
            }
            Err(_) => break,
        }
    }
    let mut stdouts = Vec::with_capacity(n);
    for (index, (child, heard)) in children.iter_mut().zip(heard).enumerate() {
        let pid = child.id();
        let reason = match heard {
            _ if killed[index] => format!(
                "it said nothing within {:.1} s, so it was killed",
                timeout.as_secs_f64()
            ),
            Some((_, Ok(Some(Message::Hello { version, .. })), stdout))
                if version == PROTOCOL_VERSION =>
            {
                stdouts.push(stdout);
                continue;
            }
            Some((_, Ok(Some(Message::Hello { version, .. })), _)) => {
                return Err(ProcessError::Version {
                    index,
                    pid,
                    theirs: version,
                });
            }
            Some((_, Ok(Some(other)), _)) => format!("it opened with a {} frame", other.kind()),
            Some((_, Ok(None), _)) => format!(
                "it closed its output without a hello ({})",
                settle(child, EXIT_GRACE)
            ),
            Some((_, Err(e), _)) => format!("its first output is not a hello frame: {e}"),
            None => "its reader thread vanished".to_owned(),
        };
        return Err(ProcessError::NotAWorker { index, pid, reason });
    }
    Ok(stdouts)
}

/// One worker's share of a job: chunks until none are left (or another
/// worker failed), then `End`, then its counts.
fn run_job(
    worker: &mut WorkerProcess,
    feed: &Feed<'_>,
    abort: &AtomicBool,
) -> Result<WordCounts, JobFailure> {
    let Some(stdin) = worker.stdin.as_mut() else {
        return Err(JobFailure::Send {
            during: "before the job (its stdin was closed)".into(),
        });
    };
    loop {
        if abort.load(Ordering::Relaxed) {
            return Err(JobFailure::Aborted);
        }
        let Some((number, chunk)) = feed.next_chunk() else {
            break;
        };
        write_chunk(stdin, &chunk).map_err(|_| JobFailure::Send {
            during: format!("while receiving {}", feed.describe(number)),
        })?;
    }
    Message::End
        .write_to(stdin)
        .and_then(|()| stdin.flush())
        .map_err(|_| JobFailure::Send {
            during: "at the end of the job".into(),
        })?;
    match Message::read_from(&mut worker.stdout) {
        Ok(Some(Message::Counts(counts))) => Ok(counts),
        Ok(Some(other)) => Err(JobFailure::Unexpected(other)),
        Ok(None) => Err(JobFailure::NoReply),
        Err(e) => Err(JobFailure::Receive(e)),
    }
}

/// Turns a worker's failure into an error that names it, with its exit
/// status and, when it managed to send one, its `Failure` message.
fn diagnose(worker: &mut WorkerProcess, failure: JobFailure) -> ProcessError {
    let (index, pid) = (worker.index, worker.pid);
    let died = |during: String, worker: &mut WorkerProcess| {
        let status = settle(&mut worker.child, EXIT_GRACE);
        // The worker is gone now, so this read cannot block: it finds its
        // last words, if it had time to say any.
        match Message::read_from(&mut worker.stdout) {
            Ok(Some(Message::Failure(message))) => ProcessError::Failed {
                index,
                pid,
                message,
                status,
            },
            _ => ProcessError::Died {
                index,
                pid,
                during,
                status,
            },
        }
    };
    match failure {
        JobFailure::Send { during } => died(during, worker),
        JobFailure::NoReply => died("before sending its counts".into(), worker),
        JobFailure::Receive(FrameError::Io(_) | FrameError::Truncated { .. }) => {
            died("while sending its counts".into(), worker)
        }
        JobFailure::Receive(e) => {
            settle(&mut worker.child, Duration::ZERO);
            ProcessError::Protocol {
                index,
                pid,
                reason: e.to_string(),
            }
        }
        JobFailure::Unexpected(Message::Failure(message)) => ProcessError::Failed {
            index,
            pid,
            message,
            status: settle(&mut worker.child, EXIT_GRACE),
        },
        JobFailure::Unexpected(other) => {
            settle(&mut worker.child, Duration::ZERO);
            ProcessError::Protocol {
                index,
                pid,
                reason: format!(
                    "it answered with a {} frame instead of counts",
                    other.kind()
                ),
            }
        }
        JobFailure::Aborted => ProcessError::Broken("stopped after another worker failed".into()),
    }
}

/// Waits up to `grace` for `child` to exit, then kills it; either way it
/// is reaped. Returns its status as a sentence.
fn settle(child: &mut Child, grace: Duration) -> String {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) => break,
            Err(e) => return format!("its status is unknown ({e})"),
        }
    }
    let _ = child.kill();
    match child.wait() {
        Ok(status) => format!("still running, so it was killed ({status})"),
        Err(e) => format!("still running; killing it failed ({e})"),
    }
}
