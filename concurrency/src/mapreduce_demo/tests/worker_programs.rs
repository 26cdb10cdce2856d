//! Programs that are not workers are refused by name and never hang the
//! pool; child processes that outlive their deadline are killed.

use super::*;

#[cfg(unix)]
#[test]
fn programs_that_are_not_workers_are_refused_by_name() {
    use std::os::unix::fs::PermissionsExt as _;
    // A program that ignores its arguments and says nothing.
    let script = TempFile::new("silent.sh").expect("a temp file");
    std::fs::write(&script.0, "#!/bin/sh\nexec sleep 30\n").expect("write the script");
    std::fs::set_permissions(&script.0, std::fs::Permissions::from_mode(0o755))
        .expect("make it executable");
    let silent = script.0.clone();
    let cases: [(&str, Duration, &str); 3] = [
        (
            "/bin/echo",
            DEFAULT_HANDSHAKE_TIMEOUT,
            "its first output is not a hello frame: unknown frame kind 0x77",
        ),
        (
            "/bin/true",
            DEFAULT_HANDSHAKE_TIMEOUT,
            "it closed its output without a hello (exit status: 0)",
        ),
        (
            silent.to_str().expect("a UTF-8 temp path"),
            Duration::from_millis(200),
            "it said nothing within 0.2 s, so it was killed",
        ),
    ];
    for (program, timeout, want) in cases {
        let started = Instant::now();
        let error = WorkerPool::spawn_with_timeout(Path::new(program), 2, timeout)
            .expect_err("not a worker");
        let message = error.to_string();
        assert!(message.starts_with("worker 0 (pid "), "{message}");
        assert!(message.contains(want), "{program}: {message}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{program} made the pool hang"
        );
    }
    let error = WorkerPool::spawn(Path::new("/no/such/program"), 1).expect_err("no program");
    assert!(
        error
            .to_string()
            .starts_with("cannot start worker 0 from /no/such/program"),
        "{error}"
    );
    assert!(matches!(
        WorkerPool::spawn(Path::new("/bin/true"), 0),
        Err(ProcessError::NoWorkers)
    ));
}

#[test]
fn a_deadline_kills_what_is_still_running() {
    #[cfg(unix)]
    {
        let mut sleeper = Command::new("/bin/sleep");
        sleeper.arg("30");
        let started = Instant::now();
        let error = run_all_with_deadline(vec![sleeper], Duration::from_millis(200))
            .expect_err("sleep outlives the deadline");
        assert!(error.contains("were still running after"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let mut echo = Command::new("/bin/echo");
        echo.arg("hi");
        let out = run_all_with_deadline(vec![echo], Duration::from_secs(10)).expect("echo runs");
        assert_eq!(out[0].stdout, b"hi\n");
    }
}
