//! The worker's side: what `mastery worker` does — say hello, count the
//! chunks of each job, answer each `End` with the job's counts.

use std::io::{self, BufReader, BufWriter, IsTerminal as _, Read, Write};

use super::counts::WordCounts;
use super::protocol::{FrameError, FrameKind, Message, PROTOCOL_VERSION};

/// Set in every worker's environment (to its index). A process that has it
/// refuses to start workers: whatever went wrong, workers never multiply.
/// (Not `MASTERY_*`: those are the kit's settings, and unknown ones are
/// refused.)
pub const WORKER_ENV: &str = "MAPREDUCE_DEMO_WORKER";

/// Test hook: `INDEX:CHUNK` makes worker `INDEX` exit with
/// [`CRASH_EXIT_CODE`] when its `CHUNK`-th chunk (counting from 1)
/// arrives, before counting it — a worker dying mid-job, on demand.
pub const CRASH_ENV: &str = "MAPREDUCE_DEMO_CRASH_WORKER";

/// The exit status of a worker crashed by [`CRASH_ENV`].
pub const CRASH_EXIT_CODE: i32 = 3;

/// How a worker serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkerOptions {
    /// Stop, without a word, when this chunk (counting from 1) arrives:
    /// the caller then exits as if it had crashed. See [`CRASH_ENV`].
    pub crash_at_chunk: Option<u64>,
}

impl WorkerOptions {
    /// The options for worker `index` given [`CRASH_ENV`]'s value.
    ///
    /// # Errors
    /// When the value is not `INDEX:CHUNK` with two numbers, CHUNK ≥ 1.
    pub fn from_crash_spec(index: usize, spec: Option<&str>) -> Result<Self, String> {
        let Some(spec) = spec else {
            return Ok(Self::default());
        };
        let parsed = spec
            .split_once(':')
            .and_then(|(i, c)| {
                Some((
                    i.trim().parse::<usize>().ok()?,
                    c.trim().parse::<u64>().ok()?,
                ))
            })
            .filter(|&(_, chunk)| chunk >= 1);
        match parsed {
            Some((i, chunk)) => Ok(WorkerOptions {
                crash_at_chunk: (i == index).then_some(chunk),
            }),
            None => Err(format!(
                "{CRASH_ENV}={spec:?} is not INDEX:CHUNK (two numbers, CHUNK counted from 1)"
            )),
        }
    }
}

/// Why a worker stopped serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerExit {
    /// The parent closed the worker's stdin between frames: the normal end.
    ParentClosed {
        /// Jobs answered.
        jobs: u64,
    },
    /// [`WorkerOptions::crash_at_chunk`] was reached.
    CrashRequested {
        /// The chunk that triggered it.
        chunk: u64,
    },
}

/// A worker that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reading or writing a pipe failed.
    #[error("talking to the parent failed: {0}")]
    Io(#[from] io::Error),
    /// The parent sent something unreadable.
    #[error("the parent sent a bad frame: {0}")]
    Frame(FrameError),
    /// The parent sent a frame only a worker sends.
    #[error("the parent sent a {0} frame, which only workers send")]
    Unexpected(FrameKind),
}

/// The worker's side of the protocol: says hello, then counts the chunks
/// of each job and answers every `End` with the job's counts, until the
/// parent closes `input`. On a bad frame it sends a `Failure` frame saying
/// why before returning the error.
///
/// # Errors
/// [`ServeError`] when a pipe fails or the parent breaks the protocol.
pub fn serve_worker(
    input: impl Read,
    output: impl Write,
    options: WorkerOptions,
) -> Result<WorkerExit, ServeError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let mut output = BufWriter::new(output);
    Message::Hello {
        version: PROTOCOL_VERSION,
        pid: std::process::id(),
    }
    .write_to(&mut output)?;
    output.flush()?;
    let mut counts = WordCounts::new();
    let (mut chunks, mut jobs) = (0u64, 0u64);
    loop {
        let message = match Message::read_from(&mut input) {
            Ok(Some(message)) => message,
            Ok(None) => return Ok(WorkerExit::ParentClosed { jobs }),
            Err(e) => {
                send_failure(&mut output, &format!("bad frame from the parent: {e}"));
                return Err(ServeError::Frame(e));
            }
        };
        match message {
            Message::Chunk(text) => {
                chunks += 1;
                if options.crash_at_chunk == Some(chunks) {
                    return Ok(WorkerExit::CrashRequested { chunk: chunks });
                }
                counts.tally(&text);
            }
            Message::End => {
                Message::Counts(std::mem::take(&mut counts)).write_to(&mut output)?;
                output.flush()?;
                jobs += 1;
            }
            other => {
                let kind = other.kind();
                send_failure(&mut output, &format!("unexpected {kind} frame"));
                return Err(ServeError::Unexpected(kind));
            }
        }
    }
}

fn send_failure(output: &mut impl Write, why: &str) {
    // Best effort: the parent may be gone already.
    let _ = Message::Failure(why.to_owned()).write_to(output);
    let _ = output.flush();
}

/// Whether stdin or stdout is a terminal: a `mastery worker` started by
/// hand rather than by a pool.
pub fn started_by_hand() -> bool {
    io::stdin().is_terminal() || io::stdout().is_terminal()
}
