//! The IO-bound variants: M concurrent waits on M threads, M tokio tasks
//! or M child processes, with what each wait holds in memory — measured a
//! different way for each, as [`MemorySource`] says.

use std::fmt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use super::TradeoffError;

/// One run of M concurrent waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitRun {
    /// Waits started.
    pub waits: usize,
    /// Waits that completed (all of them, or the run is an error).
    pub completed: usize,
    /// From the first start to the last completion.
    pub elapsed: Duration,
    /// Memory held per wait, sampled once all were started and before any
    /// was reaped (see [`WaitMemory`]); `None` where it cannot be read.
    pub memory: Option<WaitMemory>,
}

impl WaitRun {
    /// What the waits cost beyond the wait itself, per wait: start-up,
    /// scheduling and tear-down.
    pub fn overhead_per_wait(&self, wait: Duration) -> Duration {
        self.elapsed.saturating_sub(wait) / u32::try_from(self.waits.max(1)).unwrap_or(u32::MAX)
    }
}

/// Memory per pending wait, in bytes, and how it was measured. Each
/// [`MemorySource`] measures a different quantity, so two figures compare
/// only when their sources are the same.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitMemory {
    /// Bytes per wait.
    pub bytes_per_wait: f64,
    /// Where the figure comes from.
    pub source: MemorySource,
}

/// How a [`WaitMemory`] was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemorySource {
    /// Growth of this process's resident set (`VmRSS`): thread stacks are
    /// mapped memory, invisible to the allocator.
    ResidentGrowth,
    /// Heap retained by the spawned tasks, from the kit's counting
    /// allocator (exact; installed in the `mastery` binary).
    HeapRetained,
    /// The mean resident set (`/proc/PID/status`) of the children still
    /// running when sampled; shared library pages count in every child.
    ChildResident,
}

impl MemorySource {
    /// Every source, in the order the demo's table shows them.
    pub const ALL: [MemorySource; 3] = [
        MemorySource::ResidentGrowth,
        MemorySource::ChildResident,
        MemorySource::HeapRetained,
    ];

    /// What a figure from this source is, per wait, in words that keep it
    /// from being read as another source's.
    pub fn quantity(self) -> &'static str {
        match self {
            MemorySource::ResidentGrowth => "RSS growth of this process per thread",
            MemorySource::HeapRetained => "heap retained per task (counting allocator)",
            MemorySource::ChildResident => {
                "RSS of each child process (shared pages counted in each)"
            }
        }
    }
}

impl fmt::Display for MemorySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MemorySource::ResidentGrowth => "RSS",
            MemorySource::HeapRetained => "heap",
            MemorySource::ChildResident => "child RSS",
        })
    }
}

/// A field of `/proc/PID/status` (`VmRSS`, `VmSize`) in bytes, on Linux.
pub(super) fn proc_status_bytes(pid: Option<u32>, field: &str) -> Option<u64> {
    let path = match pid {
        Some(pid) => PathBuf::from(format!("/proc/{pid}/status")),
        None => PathBuf::from("/proc/self/status"),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))?;
    let kib: u64 = line.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

// ANCHOR: waits_threads
/// M OS threads, each sleeping `wait` (a blocking read's stand-in).
///
/// # Errors
/// [`TradeoffError::Spawn`] naming the first thread that could not start
/// (the started ones finish their wait first).
pub fn waits_threads(waits: usize, wait: Duration) -> Result<WaitRun, TradeoffError> {
    let completed = AtomicUsize::new(0);
    let rss_before = proc_status_bytes(None, "VmRSS");
    let started = Instant::now();
    let mut memory = None;
    let spawned = thread::scope(|s| {
        let mut handles = Vec::with_capacity(waits);
        for index in 0..waits {
            let completed = &completed;
            let handle = thread::Builder::new()
                .spawn_scoped(s, move || {
                    thread::sleep(wait);
                    completed.fetch_add(1, Ordering::Relaxed);
                })
                .map_err(TradeoffError::thread_spawn(index))?;
            handles.push(handle);
        }
        // Every thread started is still there, finished or not: a scoped
        // thread keeps its stack mapped until it is joined, below.
        if let (Some(before), Some(during)) = (rss_before, proc_status_bytes(None, "VmRSS")) {
            memory = (waits > 0).then(|| WaitMemory {
                bytes_per_wait: during.saturating_sub(before) as f64 / waits as f64,
                source: MemorySource::ResidentGrowth,
            });
        }
        for handle in handles {
            handle
                .join()
                .map_err(|_| TradeoffError::Panicked("waiting thread"))?;
        }
        Ok::<_, TradeoffError>(waits)
    })?;
    Ok(WaitRun {
        waits: spawned,
        completed: completed.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
        memory,
    })
}
// ANCHOR_END: waits_threads

// ANCHOR: waits_tasks
/// M tokio tasks on `runtime`, each awaiting a `wait`-long timer.
///
/// # Errors
/// [`TradeoffError::Panicked`] when a task panicked.
pub fn waits_tasks(
    runtime: &Runtime,
    waits: usize,
    wait: Duration,
) -> Result<WaitRun, TradeoffError> {
    runtime.block_on(async {
        let started = Instant::now();
        let (mut set, heap) = mastery_kit::memory::heap_use_during(|| {
            let mut set = JoinSet::new();
            for _ in 0..waits {
                set.spawn(tokio::time::sleep(wait));
            }
            set
        });
        let memory = heap.map(|h| WaitMemory {
            bytes_per_wait: h.retained_bytes as f64 / waits.max(1) as f64,
            source: MemorySource::HeapRetained,
        });
        let mut completed = 0;
        while let Some(joined) = set.join_next().await {
            joined.map_err(|_| TradeoffError::Panicked("waiting task"))?;
            completed += 1;
        }
        Ok(WaitRun {
            waits,
            completed,
            elapsed: started.elapsed(),
            memory,
        })
    })
}
// ANCHOR_END: waits_tasks

/// M child processes of `program` (`sleep`), each given the wait in
/// seconds as its argument, started one after another and all waited for.
/// A process is the heaviest kind of wait: this measures process start-up.
///
/// # Errors
/// [`TradeoffError::Spawn`] when a child cannot be started (those already
/// started are killed and reaped), [`TradeoffError::Child`] when one fails.
pub fn waits_processes(
    program: &str,
    waits: usize,
    wait: Duration,
) -> Result<WaitRun, TradeoffError> {
    let seconds = format!("{:.3}", wait.as_secs_f64());
    let started = Instant::now();
    let mut children: Vec<Child> = Vec::with_capacity(waits);
    let mut failure = None;
    for index in 0..waits {
        let spawned = Command::new(program)
            .arg(&seconds)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(child) => children.push(child),
            Err(source) => {
                failure = Some(TradeoffError::Spawn {
                    what: format!("process `{program}`"),
                    index,
                    source,
                });
                break;
            }
        }
    }
    let resident: Vec<u64> = children
        .iter()
        .filter_map(|c| proc_status_bytes(Some(c.id()), "VmRSS"))
        .collect();
    let memory = (!resident.is_empty()).then(|| WaitMemory {
        bytes_per_wait: resident.iter().sum::<u64>() as f64 / resident.len() as f64,
        source: MemorySource::ChildResident,
    });
    let mut completed = 0;
    for child in &mut children {
        if failure.is_some() {
            let _ = child.kill();
        }
        let pid = child.id();
        match child.wait() {
            Ok(status) if status.success() => completed += 1,
            Ok(status) => {
                failure.get_or_insert(TradeoffError::Child {
                    what: format!("process `{program}`"),
                    pid,
                    status: format!("exited with {status}"),
                });
            }
            Err(e) => {
                failure.get_or_insert(TradeoffError::Child {
                    what: format!("process `{program}`"),
                    pid,
                    status: format!("could not be waited for: {e}"),
                });
            }
        }
    }
    match failure {
        Some(error) => Err(error),
        None => Ok(WaitRun {
            waits,
            completed,
            elapsed: started.elapsed(),
            memory,
        }),
    }
}
