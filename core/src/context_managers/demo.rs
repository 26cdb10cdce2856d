//! The demo of `core/context-managers`: drop order logged, a transaction
//! rolled back by `?` and by a panic, temp dirs removed on drop and on
//! unwind, guards timed against hand-written cleanup, and an async scope
//! function on success, error and cancellation.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mastery_kit::{Area, Narrator, Topic, Verdict};

use super::{
    ConnectOptions, Connection, EventLog, Ledger, LedgerError, Noisy, OnDrop, TempDir, defer,
    hold_guard_broken, time_scope, with_connection,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/context-managers",
        area: Area::Core,
        rank: 3,
        title: "Context managers (sync and async)",
        python: "with / __enter__ / __exit__, @contextmanager, ExitStack, async with (__aexit__ runs on cancellation)",
        rust: "RAII guards: Drop runs on return, ? and unwind; commit(self) consumes; no async Drop: scope fns + explicit close().await",
        path: "core/src/context_managers/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Every deliberate panic of the demo starts with this.
const DEMO_PANIC: &str = "demo panic:";

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    mastery_kit::panics::quiet_panics_starting_with(DEMO_PANIC);
    drop_order(n);
    transactions(n)?;
    temp_dirs(n)?;
    guard_overhead(n);
    async_cleanup(n)
}

fn drop_order(n: &mut Narrator) {
    n.section("Drop order, logged");
    let log = EventLog::new();
    {
        let _outer = Noisy::new("outer (declared 1st)", &log);
        let _inner = Noisy::new("inner (declared 2nd)", &log);
        let _pair = (Noisy::new("tuple.0", &log), Noisy::new("tuple.1", &log));
        black_box(Noisy::new("temporary", &log).name().len());
        log.push("next statement");
        log.push("hold_guard_broken: `let _ = guard`, then work");
        hold_guard_broken(&log);
        log.push("end of scope");
    }
    for (i, event) in log.events().iter().enumerate() {
        n.show(format!("{:>2}. {event}", i + 1));
    }
    n.say(
        "Locals unwind in reverse (like nested `with` blocks); a tuple's (and a Vec's, a \
         struct's) elements drop first to last; a temporary drops at the end of its statement; \
         `let _ = guard` drops the guard before the work it was meant to cover.",
    );
}

fn transactions(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A transaction guard: rollback unless committed");
    let mut ledger = Ledger::new();
    ledger.open_account("alice", 100);
    ledger.open_account("bob", 0);
    let balances = |l: &Ledger| {
        format!(
            "alice {}, bob {}",
            l.balance("alice").unwrap_or(0),
            l.balance("bob").unwrap_or(0)
        )
    };
    ledger.transfer("alice", "bob", 30)?;
    n.show(format!(
        "transfer 30 alice → bob: Ok        → {}",
        balances(&ledger)
    ));
    let refused = ledger.transfer("alice", "carol", 30);
    n.show(format!(
        "transfer 30 alice → carol: {}  → {}",
        refused
            .err()
            .map_or("Ok".to_owned(), |e| format!("Err({e})")),
        balances(&ledger)
    ));
    let panicked = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut tx = ledger.begin();
        let _ = tx.withdraw("alice", 50);
        panic!("{DEMO_PANIC} the audit service fell over mid-transaction");
    }));
    n.show(format!(
        "withdraw 50, then panic: caught = {}    → {}",
        panicked.is_err(),
        balances(&ledger)
    ));
    anyhow::ensure!(
        ledger.balance("alice") == Some(70),
        "the `?` and the panic must both have rolled back"
    );
    n.record_count(
        "transactions rolled back (by ? and by a panic)",
        ledger.rollbacks(),
    );
    Ok(())
}

fn temp_dirs(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A temp-dir guard: removed on drop, on unwind, kept on request");
    let dir = TempDir::new()?;
    std::fs::write(dir.path().join("data.txt"), "scratch")?;
    let path = dir.path().to_owned();
    drop(dir);
    let mut left = u32::from(path.exists());

    let mut unwound = PathBuf::new();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| -> io::Result<()> {
        let dir = TempDir::new()?;
        unwound = dir.path().to_owned();
        panic!("{DEMO_PANIC} a test failed while using the temp dir");
    }));
    left += u32::from(unwound.as_os_str().is_empty() || unwound.exists());

    let kept = TempDir::new()?.keep();
    let kept_exists = kept.exists();
    std::fs::remove_dir_all(&kept)?;
    n.show(format!(
        "dropped: removed = {}; unwound (caught = {}): removed = {}; keep(): still there = {kept_exists}",
        !path.exists(),
        caught.is_err(),
        !unwound.exists()
    ));
    n.record_count("temp dirs left behind after drop and unwind", left);

    // A mkdir and a remove_dir_all cost tens of microseconds here and
    // milliseconds on some disks, and their noise is far larger than any
    // difference between the two guards: a few dozen directories per
    // sample are enough to see that, and deep mode makes many more.
    let per_sample: u32 = n.mode().pick_deep(1, 20, 200);
    let failures = Cell::new(0u32);
    let dirs = n.compare_timed(
        "create + drop a temp dir",
        u64::from(per_sample),
        || create_and_drop(per_sample, TempDir::new, &failures),
        "tempfile::TempDir",
        || create_and_drop(per_sample, tempfile::TempDir::new, &failures),
    );
    let failures = failures.get();
    anyhow::ensure!(failures == 0, "{failures} temp dirs could not be created");
    n.say(&format!(
        "Ours against tempfile: {}. Both are a mkdir and a remove_dir_all: the system calls \
         are the cost, the guard is not.",
        dirs.in_words("ours is faster", "tempfile is faster")
    ));
    Ok(())
}

/// Creates and drops `count` directories with `create`, counting the
/// failures (a failure must not end the timing loop early, or the two sides
/// would time different work; the caller checks the count afterwards).
fn create_and_drop<D>(count: u32, create: impl Fn() -> io::Result<D>, failures: &Cell<u32>) {
    for _ in 0..count {
        match create() {
            Ok(dir) => drop(black_box(dir)),
            Err(_) => failures.set(failures.get() + 1),
        }
    }
}

fn guard_overhead(n: &mut Narrator) {
    n.section("What a guard costs: against writing the cleanup by hand");
    // Each sample is long enough to dwarf the two clock reads around it
    // and short enough (well under a millisecond) that a busy machine
    // rarely preempts it, so the two samples of a pair see the same
    // machine; more scopes per sample do not change the time per scope.
    // Deep mode times long stretches instead.
    let ops: u32 = n.mode().pick_deep(2_000, 200_000, 10_000_000);
    // Timing a scope reads the clock twice per scope, so it takes fewer.
    let timed_scopes: u32 = n.mode().pick_deep(200, 2_000, 1_000_000);
    // Cells: both closures count into the same place, and both are alive
    // at once inside `compare_timed`.
    let cleaned = Cell::new(0u64);
    let deferred = n.compare_timed(
        "cleanup at scope end: Defer guard vs a manual call",
        u64::from(ops),
        || {
            for i in 0..ops {
                let _cleanup = defer(|| cleaned.set(cleaned.get() + 1));
                black_box(i);
            }
        },
        "manual cleanup call",
        || {
            for i in 0..ops {
                black_box(i);
                cleaned.set(cleaned.get() + 1);
            }
        },
    );
    let spent = Cell::new(Duration::ZERO);
    let timed = n.compare_timed(
        "time a scope: TimerGuard vs Instant::now + elapsed",
        u64::from(timed_scopes),
        || {
            for i in 0..timed_scopes {
                let _timer = time_scope(|d| spent.set(spent.get() + d));
                black_box(i);
            }
        },
        "manual Instant",
        || {
            for i in 0..timed_scopes {
                let started = Instant::now();
                black_box(i);
                spent.set(spent.get() + started.elapsed());
            }
        },
    );
    black_box((cleaned.get(), spent.get()));

    let mut ledger = Ledger::new();
    ledger.open_account("alice", i64::MAX / 2);
    ledger.open_account("bob", 0);
    // The peer: the same two balances in the same kind of map, written
    // without an undo log or a guard.
    let mut direct: BTreeMap<String, i64> =
        BTreeMap::from([("alice".to_owned(), i64::MAX / 2), ("bob".to_owned(), 0)]);
    let transfers: u32 = n.mode().pick_deep(200, 2_000, 100_000);
    let transferred = n.compare_timed(
        "transfer 1: transaction guard (undo log) vs unguarded writes",
        u64::from(transfers),
        || -> Result<(), LedgerError> {
            for _ in 0..transfers {
                ledger.transfer("alice", "bob", 1)?;
            }
            Ok(())
        },
        "unguarded writes",
        || {
            for _ in 0..transfers {
                if let Some(b) = direct.get_mut("alice") {
                    *b -= 1;
                }
                if let Some(b) = direct.get_mut("bob") {
                    *b += 1;
                }
            }
        },
    );
    n.say(&format!(
        "Defer against the manual call: {}; TimerGuard against the manual Instant: {}. A \
         guard's `Drop` is inlined at every exit, the code you would have written by hand.",
        deferred.in_words("the guard is faster", "the manual call is faster"),
        timed.in_words("the guard is faster", "the manual Instant is faster"),
    ));
    let undo_log = match transferred.verdict {
        Verdict::Worse => "The guarded transfer is the slower one: it pays for its undo log",
        Verdict::Better => {
            "The guarded transfer came out faster on this run, reported as measured, although \
             it pays for an undo log"
        }
        Verdict::Tie { .. } | Verdict::Equal => {
            "No difference this run can see between the two transfers, although the guarded \
             one pays for an undo log"
        }
        Verdict::TooFewSamples => {
            "Too few samples in this mode for a verdict on the transfers; the guarded one pays \
             for an undo log"
        }
    };
    n.say(&format!(
        "{undo_log} (a `Vec` and two owned key copies per transfer) — the price of \
         atomicity, not of the guard."
    ));
}

fn async_cleanup(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Async: no async Drop — scope function, close().await, cancellation");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let latency = Duration::from_millis(2);
    let log = EventLog::new();
    let scenarios: [(&str, OnDrop, Scenario); 4] = [
        ("body returns Ok", OnDrop::Warn, Scenario::Succeed),
        ("body returns Err", OnDrop::Warn, Scenario::Fail),
        (
            "cancelled mid-body (Warn fallback)",
            OnDrop::Warn,
            Scenario::Hang,
        ),
        (
            "cancelled mid-body (SpawnClose fallback)",
            OnDrop::SpawnClose,
            Scenario::Hang,
        ),
    ];
    let mut closes_after_cancel = Vec::new();
    for (title, on_drop, scenario) in scenarios {
        log.clear();
        let options = ConnectOptions::new("db").latency(latency).on_drop(on_drop);
        let outcome = runtime.block_on(run_scenario(options, &log, scenario));
        // Give a background close the time to finish before reading the log.
        runtime.block_on(wait_for(
            &log,
            "close db (background)",
            on_drop == OnDrop::SpawnClose,
        ));
        n.show(format!("{title} → {outcome}"));
        for event in log.events() {
            n.show(format!("    {event}"));
        }
        if scenario == Scenario::Hang {
            let closed = log
                .events()
                .iter()
                .filter(|e| e.starts_with("close db"))
                .count();
            closes_after_cancel.push(closed);
        }
    }
    if let [unguarded, guarded] = closes_after_cancel[..] {
        n.record_count("closes run after cancellation, Warn fallback", unguarded);
        n.record_count(
            "closes run after cancellation, SpawnClose fallback",
            guarded,
        );
    }
    n.say(
        "Python's `async with` runs `__aexit__` on cancellation because cancelling raises \
         CancelledError inside the task. A Rust future is just dropped at its `.await`: no more \
         of its code runs, only destructors — so the close either happens in `Drop` (sync) or is \
         handed to a task that outlives the caller.",
    );

    // An open, send and close on the current-thread runtime is about a
    // microsecond: a few thousand make a sample well above the clock's
    // resolution and short enough to rarely be preempted.
    let per_sample: u32 = n.mode().pick_deep(100, 2_000, 50_000);
    let quick = ConnectOptions::new("db");
    let quiet = EventLog::new();
    let scoped = n.compare_timed(
        "open, send, close: with_connection scope fn vs by hand",
        u64::from(per_sample),
        || {
            quiet.clear();
            runtime.block_on(async {
                for _ in 0..per_sample {
                    let sent = with_connection(quick.clone(), &quiet, async |c| {
                        c.send("x");
                        Ok::<_, ()>(c.buffered())
                    })
                    .await;
                    let _ = black_box(sent);
                }
            });
        },
        "open/send/close().await by hand",
        || {
            quiet.clear();
            runtime.block_on(async {
                for _ in 0..per_sample {
                    let mut c = Connection::open(quick.clone(), &quiet).await;
                    c.send("x");
                    black_box(c.buffered());
                    c.close().await;
                }
            });
        },
    );
    n.say(&format!(
        "The scope function against the same calls by hand: {}. On the happy path it runs \
         the same open, send and close; what it buys is the close on the error path.",
        scoped.in_words("the scope function is faster", "by hand is faster")
    ));
    Ok(())
}

/// What the body given to [`with_connection`] does in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Succeed,
    Fail,
    /// Sends, then waits forever (until cancelled).
    Hang,
}

/// Runs `with_connection` with a body acting out `scenario`. A hanging
/// body is cancelled by a `select!` as soon as it signals that it has sent
/// its messages and is waiting — no timing involved, so the demo shows the
/// same story on a loaded machine.
async fn run_scenario(options: ConnectOptions, log: &EventLog, scenario: Scenario) -> String {
    let waiting = tokio::sync::Notify::new();
    let work = with_connection(options, log, async |c| {
        c.send("a");
        c.send("b");
        match scenario {
            Scenario::Succeed => Ok(c.buffered()),
            Scenario::Fail => Err("bad row"),
            Scenario::Hang => {
                waiting.notify_one();
                std::future::pending::<()>().await;
                Ok(c.buffered())
            }
        }
    });
    tokio::select! {
        outcome = work => match outcome {
            Ok(sent) => format!("Ok({sent})"),
            Err(e) => format!("Err({e:?})"),
        },
        () = waiting.notified() => "cancelled: select! dropped the future".to_owned(),
        // A hang guard only: every scenario ends within milliseconds.
        () = tokio::time::sleep(Duration::from_secs(10)) => "hang guard fired".to_owned(),
    }
}

/// Polls the log until `event` shows up (or a generous deadline passes),
/// when `wanted`.
async fn wait_for(log: &EventLog, event: &str, wanted: bool) {
    if !wanted {
        return;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !log.contains(event) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
