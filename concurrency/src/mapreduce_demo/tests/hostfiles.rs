//! Hostfiles in timely's format, errors that name file and line, and a
//! peer that never answers.

use super::*;

#[test]
fn hostfiles_follow_timely_and_errors_name_file_and_line() {
    let dir = std::env::temp_dir().join(format!("mastery-hostfile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write hostfile");
        path
    };
    let t = Duration::from_secs(1);
    let good = write(
        "good",
        "# cluster\n127.0.0.1:3000\n\nnode1.example:3001\n[::1]:3002\nextra\n",
    );
    let spec = ClusterSpec::from_hostfile(&good, 3, 2, t).expect("valid");
    assert_eq!(
        spec.addresses,
        ["127.0.0.1:3000", "node1.example:3001", "[::1]:3002"]
    );
    let cases: Vec<(Result<ClusterSpec, TimelyError>, String, bool)> = vec![
        (
            ClusterSpec::from_hostfile(&good, 2, 2, t),
            "--process 2 is out of range: with --processes 2 it must be 0 to 1".into(),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&good, 0, 0, t),
            "--processes must be at least 1".into(),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&good, 5, 0, t),
            format!("{}:6: `extra` is not an address", good.display()),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&write("short", "127.0.0.1:1\n"), 2, 0, t),
            "lists 1 address(es), but --processes is 2".into(),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&write("noport", "localhost\n"), 1, 0, t),
            "noport:1: `localhost` is not".into(),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&write("badport", "h:99999\n"), 1, 0, t),
            "badport:1: `h:99999`".into(),
            true,
        ),
        (
            ClusterSpec::from_hostfile(&dir.join("missing"), 1, 0, t),
            "cannot read hostfile".into(),
            true,
        ),
    ];
    for (result, want, usage) in cases {
        let error = result.expect_err(&want);
        assert!(
            error.to_string().contains(&want),
            "{error} does not say {want:?}"
        );
        assert_eq!(error.is_usage(), usage, "{error}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let spec = ClusterSpec::loopback(3, 1, t).expect("valid");
    assert_eq!(
        spec.addresses,
        ["127.0.0.1:2101", "127.0.0.1:2102", "127.0.0.1:2103"]
    );
}

#[test]
fn an_unreachable_peer_times_out_with_its_name() {
    let port = free_loopback_port().expect("a loopback port");
    let spec = ClusterSpec {
        process: 1,
        addresses: vec![format!("127.0.0.1:{port}"), "127.0.0.1:0".into()],
        connect_timeout: Duration::from_millis(300),
    };
    let started = Instant::now();
    let error = connect_peers(&spec).expect_err("nobody listens");
    assert!(started.elapsed() < Duration::from_secs(5));
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "process 1 could not reach process 0 at 127.0.0.1:{port} within"
        )),
        "{message}"
    );
    assert!(!error.is_usage());
}
