//! Running a [`Dag`]: a scheduler on the calling thread, a bounded pool of
//! worker threads, retries with the interview `Backoff`, failure
//! propagation, and the cache.
//!
//! The scheduler is the only owner of the run's state — which tasks wait
//! on how many deps, which are ready, which failed — so none of it needs a
//! lock. It hands ready tasks to workers over a channel (never more than
//! `concurrency` at once) and hears back over another: a retry planned, a
//! task done. Workers own nothing but the attempt they run. A failure
//! marks every task downstream of it as blocked; each is reported as
//! skipped once its last dep has ended, while tasks that do not need the
//! failed one go on.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mastery_interview::retry_backoff::{Backoff, Retry, RetryEvent};

use super::action::{Attempt, run_attempt};
use super::cache::{self, Hash, Record, Store};
use super::graph::Dag;
use super::problem::DagError;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Tasks at once, at least 1.
    pub concurrency: usize,
    /// Run every task, whatever the cache says (records are still written).
    pub force: bool,
    /// Read and write cache records and logs. Off: every task runs and
    /// nothing is written (the demo's timings).
    pub use_cache: bool,
    /// Variables every command gets, under each task's own `env`: injected
    /// here rather than set on the process (`set_var` races in tests).
    pub env: BTreeMap<String, String>,
}

impl RunOptions {
    /// Cached runs with `concurrency` workers and no extra environment.
    pub fn new(concurrency: usize) -> RunOptions {
        RunOptions {
            concurrency: concurrency.max(1),
            force: false,
            use_cache: true,
            env: BTreeMap::new(),
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It ran, and its last attempt succeeded.
    Succeeded,
    /// It did not run: its record matched (see [`cache`](super::cache)).
    Cached,
    /// It ran and every attempt failed (or it could not start): the last error.
    Failed(String),
    /// It did not run because this dependency (direct or not) failed.
    Skipped(String),
}

impl Status {
    /// A word for tables: `ran`, `cached`, `failed`, `skipped`.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Succeeded => "ran",
            Status::Cached => "cached",
            Status::Failed(_) => "failed",
            Status::Skipped(_) => "skipped",
        }
    }

    /// Whether dependents may run after it.
    pub fn is_ok(&self) -> bool {
        matches!(self, Status::Succeeded | Status::Cached)
    }
}

/// What one task did in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRun {
    /// Its id.
    pub id: String,
    /// How it ended.
    pub status: Status,
    /// Attempts made (0 when cached or skipped).
    pub attempts: u32,
    /// When it started and ended, from the start of the run.
    pub start: Duration,
    /// See `start`.
    pub end: Duration,
    /// Its cache key (hex), when the cache was used and the key computed.
    pub key: Option<String>,
    /// Its log file, when it ran a command with the cache on.
    pub log: Option<PathBuf>,
}

/// The result of a run: one [`TaskRun`] per task, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// Per task, by index.
    pub tasks: Vec<TaskRun>,
    /// From the start of the run to the end of its last task.
    pub total: Duration,
    /// The concurrency it ran with.
    pub concurrency: usize,
}

impl RunReport {
    /// Whether every task succeeded or was cached.
    pub fn succeeded(&self) -> bool {
        self.tasks.iter().all(|t| t.status.is_ok())
    }

    /// How many tasks ended with this status word (`ran`, `cached`, …).
    pub fn count(&self, word: &str) -> usize {
        self.tasks
            .iter()
            .filter(|t| t.status.word() == word)
            .count()
    }

    /// The ids of the tasks that ended with this status word, in file order.
    pub fn ids(&self, word: &str) -> Vec<&str> {
        self.tasks
            .iter()
            .filter(|t| t.status.word() == word)
            .map(|t| t.id.as_str())
            .collect()
    }
}

/// What a run tells its observer as it goes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A task was handed to a worker.
    Started {
        /// Its id.
        id: &'a str,
    },
    /// An attempt failed and another follows after `delay`.
    Retrying {
        /// Its id.
        id: &'a str,
        /// The attempt that failed, from 1.
        attempt: u32,
        /// Why.
        error: &'a str,
        /// The backoff before the next attempt.
        delay: Duration,
    },
    /// A task ended (any status).
    Finished(&'a TaskRun),
}

/// What workers send back.
enum Message {
    Retrying {
        task: usize,
        attempt: u32,
        error: String,
        delay: Duration,
    },
    Done {
        task: usize,
        result: Result<(), String>,
        attempts: u32,
        start: Instant,
        end: Instant,
    },
}

/// Runs `dag` under `options`, telling `observe` what happens.
///
/// # Errors
/// Only [`DagError::State`], when the state directory cannot be written;
/// failing tasks are a [`RunReport`] that did not succeed, not an error.
pub fn run(
    dag: &Dag,
    options: &RunOptions,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<RunReport, DagError> {
    let n = dag.len();
    let concurrency = options.concurrency.max(1);
    let workers = concurrency.min(n.max(1));
    let store = Store::of(dag);
    let t0 = Instant::now();
    let (job_tx, job_rx) = mpsc::channel::<(usize, Option<PathBuf>)>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (msg_tx, msg_rx) = mpsc::channel::<Message>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let msg_tx = msg_tx.clone();
            scope.spawn(move || work(dag, options, &job_rx, &msg_tx));
        }
        drop(msg_tx);
        let mut s = Scheduler::new(dag, options, &store, t0);
        let result = s.drive(concurrency, &job_tx, &msg_rx, observe);
        // Closing the job channel lets idle workers leave; the scope waits
        // for busy ones.
        drop(job_tx);
        result.map(|()| RunReport {
            total: s.runs.iter().map(|r| r.end).max().unwrap_or_default(),
            tasks: s.runs,
            concurrency,
        })
    })
}

/// A worker: take a task, run it with retries, report; until the channel closes.
fn work(
    dag: &Dag,
    options: &RunOptions,
    jobs: &Mutex<mpsc::Receiver<(usize, Option<PathBuf>)>>,
    out: &mpsc::Sender<Message>,
) {
    loop {
        // The lock is held only to take one job.
        let job = jobs.lock().map(|rx| rx.recv());
        let Ok(Ok((task, log))) = job else { return };
        let spec = dag.task(task);
        // ANCHOR: task_retry
        let policy = Backoff::builder()
            .base_delay(spec.backoff)
            .max_delay(spec.backoff.max(Duration::from_secs(10)))
            .max_attempts(spec.retries + 1)
            .build()
            .expect("a positive base under its cap and at least one attempt");
        // ANCHOR_END: task_retry
        let start = Instant::now();
        let mut attempts = 0;
        let result = Retry::new(policy)
            .notify(|e: &RetryEvent<'_, String>| {
                let _ = out.send(Message::Retrying {
                    task,
                    attempt: e.attempt,
                    error: e.error.clone(),
                    delay: e.delay,
                });
            })
            .call(|| {
                attempts += 1;
                let attempt = Attempt {
                    base_dir: &dag.pipeline().base_dir,
                    env: &options.env,
                    log: log.as_deref(),
                    number: attempts,
                };
                run_attempt(spec, attempt)
            })
            .map_err(|e| {
                if e.attempts > 1 {
                    format!("{} (after {} attempts)", e.last, e.attempts)
                } else {
                    e.last
                }
            });
        let end = Instant::now();
        let done = Message::Done {
            task,
            result,
            attempts,
            start,
            end,
        };
        if out.send(done).is_err() {
            return;
        }
    }
}

struct Scheduler<'a> {
    dag: &'a Dag,
    options: &'a RunOptions,
    store: &'a Store,
    t0: Instant,
    /// Unfinished deps per task.
    waiting: Vec<usize>,
    /// The failed task a task is downstream of, if any.
    blocked_by: Vec<Option<usize>>,
    /// What dependents see of each finished task (with the cache on).
    fingerprints: Vec<Option<Hash>>,
    keys: Vec<Option<Hash>>,
    ready: VecDeque<usize>,
    runs: Vec<TaskRun>,
    finished: usize,
    running: usize,
}

impl<'a> Scheduler<'a> {
    fn new(dag: &'a Dag, options: &'a RunOptions, store: &'a Store, t0: Instant) -> Self {
        let n = dag.len();
        let waiting: Vec<usize> = (0..n).map(|i| dag.deps(i).len()).collect();
        let ready = dag
            .order()
            .iter()
            .copied()
            .filter(|&i| waiting[i] == 0)
            .collect();
        let runs = (0..n)
            .map(|i| TaskRun {
                id: dag.task(i).id.clone(),
                status: Status::Skipped(String::new()),
                attempts: 0,
                start: Duration::ZERO,
                end: Duration::ZERO,
                key: None,
                log: None,
            })
            .collect();
        Scheduler {
            dag,
            options,
            store,
            t0,
            waiting,
            blocked_by: vec![None; n],
            fingerprints: vec![None; n],
            keys: vec![None; n],
            ready,
            runs,
            finished: 0,
            running: 0,
        }
    }

    fn drive(
        &mut self,
        concurrency: usize,
        jobs: &mpsc::Sender<(usize, Option<PathBuf>)>,
        messages: &mpsc::Receiver<Message>,
        observe: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), DagError> {
        let n = self.dag.len();
        while self.finished < n {
            while self.running < concurrency {
                let Some(i) = self.ready.pop_front() else {
                    break;
                };
                self.dispatch(i, jobs, observe)?;
            }
            if self.finished == n {
                break;
            }
            let message = messages
                .recv()
                .expect("workers outlive the scheduler's loop");
            match message {
                Message::Retrying {
                    task,
                    attempt,
                    error,
                    delay,
                } => observe(Event::Retrying {
                    id: &self.dag.task(task).id,
                    attempt,
                    error: &error,
                    delay,
                }),
                Message::Done {
                    task,
                    result,
                    attempts,
                    start,
                    end,
                } => {
                    self.running -= 1;
                    let run = &mut self.runs[task];
                    run.attempts = attempts;
                    run.start = start.saturating_duration_since(self.t0);
                    run.end = end.saturating_duration_since(self.t0);
                    let status = match result {
                        Ok(()) => self.record_success(task)?,
                        Err(e) => Status::Failed(e),
                    };
                    self.finish(task, status, observe);
                }
            }
        }
        Ok(())
    }

    /// Starts task `i`, or ends it at once: cached, or failed before it
    /// could start (an unreadable input).
    fn dispatch(
        &mut self,
        i: usize,
        jobs: &mpsc::Sender<(usize, Option<PathBuf>)>,
        observe: &mut dyn FnMut(Event<'_>),
    ) -> Result<(), DagError> {
        let dag = self.dag;
        let id = &dag.task(i).id;
        let now = self.t0.elapsed();
        let mut log = None;
        if self.options.use_cache {
            let key = match cache::cache_key(self.dag, i, &self.fingerprints) {
                Ok(key) => key,
                Err(e) => {
                    (self.runs[i].start, self.runs[i].end) = (now, now);
                    self.finish(i, Status::Failed(e), observe);
                    return Ok(());
                }
            };
            self.keys[i] = Some(key);
            self.runs[i].key = Some(cache::hex(key));
            if !self.options.force {
                let hit = self
                    .store
                    .read(id)
                    .and_then(|record| cache::hit(dag, i, &record, key));
                if let Some(outputs) = hit {
                    self.fingerprints[i] = Some(cache::fingerprint(key, &outputs));
                    (self.runs[i].start, self.runs[i].end) = (now, now);
                    self.finish(i, Status::Cached, observe);
                    return Ok(());
                }
            }
            self.store.forget(id)?;
            log = Some(self.store.log_path(id));
            self.runs[i].log.clone_from(&log);
        }
        jobs.send((i, log))
            .expect("workers keep the job channel open while the scheduler runs");
        self.running += 1;
        observe(Event::Started { id });
        Ok(())
    }

    /// After a successful attempt: check the outputs and write the record.
    fn record_success(&mut self, i: usize) -> Result<Status, DagError> {
        let Some(key) = self.keys[i] else {
            return Ok(Status::Succeeded);
        };
        let outputs = match cache::output_hashes(self.dag, i) {
            Ok(outputs) => outputs,
            Err(e) => return Ok(Status::Failed(e)),
        };
        self.fingerprints[i] = Some(cache::fingerprint(key, &outputs));
        let record = Record {
            key: cache::hex(key),
            outputs,
        };
        self.store.write(&self.dag.task(i).id, &record)?;
        Ok(Status::Succeeded)
    }

    /// Records how task `i` ended and releases its dependents; a dependent
    /// whose last dep ends while it is blocked is skipped at once, and so on
    /// down the graph.
    fn finish(&mut self, i: usize, status: Status, observe: &mut dyn FnMut(Event<'_>)) {
        let mut ended = vec![(i, status)];
        while let Some((i, status)) = ended.pop() {
            let ok = status.is_ok();
            let cause = match &status {
                Status::Failed(_) => Some(i),
                _ => self.blocked_by[i],
            };
            self.runs[i].status = status;
            self.finished += 1;
            observe(Event::Finished(&self.runs[i]));
            for &j in self.dag.dependents(i) {
                if !ok && self.blocked_by[j].is_none() {
                    self.blocked_by[j] = cause;
                }
                self.waiting[j] -= 1;
                if self.waiting[j] > 0 {
                    continue;
                }
                match self.blocked_by[j] {
                    Some(failed) => {
                        let now = self.t0.elapsed();
                        (self.runs[j].start, self.runs[j].end) = (now, now);
                        let because = self.dag.task(failed).id.clone();
                        ended.push((j, Status::Skipped(because)));
                    }
                    None => self.ready.push_back(j),
                }
            }
        }
    }
}
