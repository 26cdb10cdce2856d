//! Running several child processes at once under one deadline: how the demo
//! and the tests drive `mastery mapreduce` processes without ever hanging.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `commands` at once, collecting their output; kills all of them if
/// they are not all done within `timeout`. Every child is reaped.
///
/// # Errors
/// When a command cannot start, or the deadline passes (naming which ones
/// were still running).
pub fn run_all_with_deadline(
    commands: Vec<Command>,
    timeout: Duration,
) -> Result<Vec<Output>, String> {
    struct Running {
        child: Child,
        stdout: Option<thread::JoinHandle<Vec<u8>>>,
        stderr: Option<thread::JoinHandle<Vec<u8>>>,
    }
    /// Kills and reaps whatever is still running when dropped early.
    struct Group(Vec<Running>);
    impl Drop for Group {
        fn drop(&mut self) {
            for r in &mut self.0 {
                if matches!(r.child.try_wait(), Ok(None)) {
                    let _ = r.child.kill();
                }
                let _ = r.child.wait();
            }
        }
    }
    fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<thread::JoinHandle<Vec<u8>>> {
        pipe.map(|mut pipe| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        })
    }

    let mut group = Group(Vec::with_capacity(commands.len()));
    for (i, mut command) in commands.into_iter().enumerate() {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start command {i} ({command:?}): {e}"))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        group.0.push(Running {
            child,
            stdout,
            stderr,
        });
    }
    let deadline = Instant::now() + timeout;
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; group.0.len()];
    while statuses.iter().any(Option::is_none) {
        for (r, status) in group.0.iter_mut().zip(statuses.iter_mut()) {
            if status.is_none() {
                *status = r
                    .child
                    .try_wait()
                    .map_err(|e| format!("waiting for pid {}: {e}", r.child.id()))?;
            }
        }
        if statuses.iter().any(Option::is_none) {
            if Instant::now() >= deadline {
                let running: Vec<u32> = group
                    .0
                    .iter()
                    .zip(&statuses)
                    .filter(|(_, s)| s.is_none())
                    .map(|(r, _)| r.child.id())
                    .collect();
                return Err(format!(
                    "processes {running:?} were still running after {:.0} s and were killed",
                    timeout.as_secs_f64()
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
    let mut outputs = Vec::with_capacity(group.0.len());
    for (r, status) in group.0.iter_mut().zip(statuses) {
        let collect = |handle: Option<thread::JoinHandle<Vec<u8>>>| {
            handle.and_then(|h| h.join().ok()).unwrap_or_default()
        };
        outputs.push(Output {
            status: status.expect("the loop above ends only when every status is known"),
            stdout: collect(r.stdout.take()),
            stderr: collect(r.stderr.take()),
        });
    }
    Ok(outputs)
}
