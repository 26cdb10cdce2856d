//! The Redis backend against a real `redis-server`: spawned on a free
//! loopback port, or the one `MASTERY_REDIS_URL` names. Without the binary
//! these tests skip, unless `MASTERY_REQUIRE_REDIS=1` makes that a failure.

use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;

use crate::safe_counters::redis_server::{find_on_path, is_truthy};
use crate::safe_counters::{
    Counter, CounterError, CounterHandle, REDIS_URL_ENV, REQUIRE_REDIS_ENV, RedisCounter,
    RedisMode, RedisServer, RedisSource, hammer, redis_required_by_env, unique_key,
};

/// The server for a Redis test: `MASTERY_REDIS_URL`, else a spawned one;
/// `None` (skip) only when redis-server is missing and not required.
fn redis_for_test(test: &str) -> Option<RedisSource> {
    let url = std::env::var(REDIS_URL_ENV).ok();
    match RedisSource::resolve(url.as_deref(), redis_required_by_env()) {
        Ok(Some(source)) => Some(source),
        Ok(None) => {
            eprintln!(
                "{test}: skipped: redis-server is not installed (apt-get install redis-server; \
                 set {REQUIRE_REDIS_ENV}=1 to fail instead)"
            );
            None
        }
        Err(e) => panic!(
            "{test}: Redis is required or installed but unusable: {}",
            chain(&e)
        ),
    }
}

/// A counter under a fresh key for a Redis test, with the server it lives
/// on (keep that alive: dropping a spawned server stops it); `None` to skip.
fn counter_for_test(test: &str, label: &str) -> Option<(RedisSource, RedisCounter)> {
    let source = redis_for_test(test)?;
    let counter = RedisCounter::connect(source.url(), unique_key(label))
        .unwrap_or_else(|e| panic!("{test}: the server is up but refuses: {}", chain(&e)));
    Some((source, counter))
}

/// An error with its causes, as the CLI prints it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

#[test]
fn redis_counts_exactly_with_concurrent_clients() {
    let Some((_server, counter)) = counter_for_test("redis_counts_exactly", "test-exact") else {
        return;
    };
    for threads in [2, 4, 8] {
        let tally = hammer(&counter, threads, 150).expect("redis counts");
        assert_eq!(tally.counted, tally.expected, "INCR with {threads} clients");
    }
    for mode in [RedisMode::Pipelined(16), RedisMode::Batched(16)] {
        // 150 is not a multiple of 16: `finish` must send the remainder.
        let counter = counter.clone().with_mode(mode);
        let tally = hammer(&counter, 3, 150).expect("redis counts");
        assert_eq!(tally.counted, 450, "{mode}");
    }
    let before = counter.total().expect("GET");
    {
        let batched = counter.clone().with_mode(RedisMode::Batched(100));
        let mut handle = batched.handle().expect("connect");
        handle.add(5).expect("queued locally");
        // Dropped without `finish`: Drop still sends it.
    }
    assert_eq!(counter.total().expect("GET"), before + 5);
    counter.delete().expect("DEL");
    assert_eq!(counter.total().expect("GET"), 0);
}

#[test]
fn redis_counts_are_signed_64_bit_and_never_wrap() {
    let Some((_server, counter)) = counter_for_test("redis_counts_never_wrap", "test-overflow")
    else {
        return;
    };
    // An add no signed 64-bit integer holds is refused before it is sent, in
    // every mode. (A batch that summed it with wrapping arithmetic would
    // have sent a small, wrong INCRBY instead.)
    for mode in [
        RedisMode::PerAdd,
        RedisMode::Pipelined(4),
        RedisMode::Batched(4),
    ] {
        let counter = counter.clone().with_mode(mode);
        let mut handle = counter.handle().expect("connect");
        let err = handle
            .add(u64::MAX)
            .expect_err("u64::MAX does not fit an i64");
        assert!(
            matches!(
                err,
                CounterError::RedisOverflow {
                    amount: u64::MAX,
                    ..
                }
            ),
            "{mode}: {err:?}"
        );
        assert!(err.to_string().contains("never wrap"), "{err}");
        handle.add(2).expect("a small add still works");
        handle.finish().expect("the small add is sent");
    }
    assert_eq!(
        counter.total().expect("GET"),
        6,
        "only the small adds counted"
    );

    // Past i64::MAX the server itself refuses: "increment or decrement would
    // overflow", and the stored value stays at the maximum.
    let mut handle = counter.handle().expect("connect");
    handle
        .add(i64::MAX as u64 - 6)
        .expect("reaches i64::MAX exactly");
    assert_eq!(counter.total().expect("GET"), i64::MAX as u64);
    let err = handle.add(1).expect_err("one past i64::MAX");
    assert!(matches!(err, CounterError::RedisCommand { .. }), "{err:?}");
    assert!(err.to_string().contains("would overflow"), "{err}");
    assert_eq!(counter.total().expect("GET"), i64::MAX as u64);
    drop(handle);

    // A batch whose local sum would pass i64::MAX sends what it holds first,
    // so the server, not a wrapped sum, decides: here it refuses the rest.
    counter.delete().expect("DEL");
    let batched = counter.clone().with_mode(RedisMode::Batched(100));
    let mut handle = batched.handle().expect("connect");
    handle.add(i64::MAX as u64).expect("held locally");
    handle.add(2).expect("the held sum is sent, 2 is held");
    assert_eq!(counter.total().expect("GET"), i64::MAX as u64);
    let err = handle
        .finish()
        .expect_err("i64::MAX + 2 overflows on the server");
    assert!(err.to_string().contains("would overflow"), "{err}");
    counter.delete().expect("DEL");
}

#[test]
fn spawned_redis_listens_on_loopback_only_and_stops_on_drop() {
    if std::env::var(REDIS_URL_ENV).is_ok() && !RedisServer::is_installed() {
        return; // CI with an external server and no binary: nothing to spawn
    }
    let server = match RedisServer::spawn() {
        Ok(server) => server,
        Err(CounterError::RedisNotInstalled) if !redis_required_by_env() => {
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return;
        }
        Err(e) => panic!("spawning redis-server: {}", chain(&e)),
    };
    let client = redis::Client::open(server.url()).expect("our own URL parses");
    let mut con = client.get_connection().expect("spawned server answers");
    let bind: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("bind")
        .query(&mut con)
        .expect("CONFIG GET bind");
    assert_eq!(bind, ["bind", "127.0.0.1"]);
    let save: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query(&mut con)
        .expect("CONFIG GET save");
    assert_eq!(save, ["save", ""], "persistence off");
    let (port, pid) = (server.port(), server.pid());
    drop(con);
    drop(server);
    assert!(
        std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
        "nothing listens on {port} after drop"
    );
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists() || !cfg!(target_os = "linux"),
        "redis-server {pid} reaped"
    );
}

#[test]
fn unreachable_redis_is_an_error_naming_the_address_and_cause() {
    // Port 1 on loopback: nothing listens there, the connect is refused.
    let err = RedisCounter::connect("redis://127.0.0.1:1", "k").expect_err("closed port");
    assert!(
        matches!(err, CounterError::RedisUnreachable { .. }),
        "{err:?}"
    );
    let text = chain(&err);
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(
        text.to_lowercase().contains("refused"),
        "cause shown: {text}"
    );

    let err = RedisCounter::connect("not a url", "k").expect_err("malformed");
    assert!(
        matches!(err, CounterError::InvalidRedisUrl { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("`not a url`"));
}

#[test]
fn missing_binary_is_a_skip_unless_required() {
    let not_installed = || Err(CounterError::RedisNotInstalled);
    assert!(matches!(
        RedisSource::resolve_with(None, false, not_installed),
        Ok(None)
    ));
    let err = RedisSource::resolve_with(None, true, not_installed).expect_err("required");
    assert!(
        err.to_string().contains("apt-get install redis-server"),
        "{err}"
    );
    // A URL is used as given, never replaced by a spawned server.
    let source = RedisSource::resolve_with(Some(" redis://10.0.0.1:7 "), true, not_installed)
        .expect("url wins");
    assert_eq!(
        source.map(|s| s.url().to_owned()).as_deref(),
        Some("redis://10.0.0.1:7")
    );
    assert!(is_truthy("1") && is_truthy("TRUE") && !is_truthy("0") && !is_truthy("yes"));
}

#[test]
fn a_server_that_cannot_bind_is_a_clear_error() {
    let Some(binary) = find_on_path(RedisServer::BINARY) else {
        return; // covered by the skip logic above
    };
    // Hold the port so redis-server finds it taken.
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    let port = taken.local_addr().expect("bound").port();
    let mut server = RedisServer::start_on(&binary, port).expect("the binary runs");
    let err = server
        .wait_until_ready(RedisServer::START_TIMEOUT)
        .expect_err("the port is taken");
    let text = err.to_string();
    assert!(matches!(err, CounterError::RedisExited { .. }), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(text.contains("in use"), "the server's own words: {text}");
}
