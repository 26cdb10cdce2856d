//! The drop-order rules, every guard's exits (normal, early return, `?`,
//! panic), the ledger's arithmetic against a model, and the async
//! fallbacks under cancellation (on tokio's paused clock, so those tests
//! do not wait for the simulated round trips).

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::{sleep, timeout};

use super::connection::encode;
use super::demo::demo;
use super::*;

fn events(log: &EventLog) -> Vec<String> {
    log.events()
}

/// The log of a connection that was opened and then dropped without
/// `close()`, with `unflushed` messages still in its buffer.
fn opened_then_dropped(unflushed: usize) -> [String; 2] {
    [
        "open db".to_owned(),
        format!("drop db without close: {unflushed} unflushed messages lost"),
    ]
}

// ---- drop order ------------------------------------------------------------

#[test]
fn locals_drop_in_reverse_order_of_declaration() {
    let log = EventLog::new();
    {
        let _a = Noisy::new("a", &log);
        let _b = Noisy::new("b", &log);
        let _c = Noisy::new("c", &log);
    }
    assert_eq!(events(&log), ["drop c", "drop b", "drop a"]);
}

#[test]
fn fields_and_elements_drop_first_to_last() {
    struct Pair {
        _first: Noisy,
        _second: Noisy,
    }
    let log = EventLog::new();
    drop(Pair {
        _first: Noisy::new("field 1", &log),
        _second: Noisy::new("field 2", &log),
    });
    drop(vec![Noisy::new("vec[0]", &log), Noisy::new("vec[1]", &log)]);
    drop((Noisy::new("tuple.0", &log), Noisy::new("tuple.1", &log)));
    drop([Noisy::new("array[0]", &log), Noisy::new("array[1]", &log)]);
    assert_eq!(
        events(&log),
        [
            "drop field 1",
            "drop field 2",
            "drop vec[0]",
            "drop vec[1]",
            "drop tuple.0",
            "drop tuple.1",
            "drop array[0]",
            "drop array[1]"
        ]
    );
}

#[test]
fn a_temporary_drops_at_the_end_of_its_statement() {
    let log = EventLog::new();
    let len = Noisy::new("temp", &log).name().len();
    log.push("next statement");
    assert_eq!(len, 4);
    assert_eq!(events(&log), ["drop temp", "next statement"]);
}

#[test]
fn let_underscore_drops_at_once() {
    let log = EventLog::new();
    hold_guard_broken(&log);
    assert_eq!(events(&log), ["drop guard", "work"], "the broken version");
    log.clear();
    hold_guard(&log);
    assert_eq!(events(&log), ["work", "drop guard"], "the fix");
}

#[test]
fn shadowing_does_not_drop_and_moving_transfers_the_drop() {
    fn consume(_owned: Noisy) {
        // The parameter is the owner now: it drops when this returns.
    }
    let log = EventLog::new();
    {
        let x = Noisy::new("first x", &log);
        let _ = x.name();
        let x = Noisy::new("second x", &log); // shadows: the first lives on, unnamed
        let moved = Noisy::new("moved", &log);
        consume(moved);
        log.push("end of scope");
        let _ = x.name();
    }
    assert_eq!(
        events(&log),
        [
            "drop moved",
            "end of scope",
            "drop second x",
            "drop first x"
        ]
    );
}

#[test]
fn a_panic_unwinds_every_live_guard_in_reverse_order() {
    let log = EventLog::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let _a = Noisy::new("a", &log);
        let _b = Noisy::new("b", &log);
        panic!("boom");
    }));
    assert!(result.is_err());
    assert_eq!(events(&log), ["drop b", "drop a"]);
}

// ---- timer, defer, exit stack ------------------------------------------------

#[test]
fn the_timer_reports_once_on_drop_on_stop_and_on_unwind() {
    let reports = Mutex::new(Vec::new());
    {
        let _timer = time_scope(|d| reports.lock().expect("lock").push(d));
        std::thread::sleep(Duration::from_millis(5));
    }
    let timer = time_scope(|d| reports.lock().expect("lock").push(d));
    let stopped = timer.stop();
    let _ = panic::catch_unwind(AssertUnwindSafe(|| {
        let _timer = time_scope(|d| reports.lock().expect("lock").push(d));
        panic!("boom");
    }));
    let reports = reports.into_inner().expect("lock");
    assert_eq!(reports.len(), 3, "one report per guard, never two");
    assert!(reports[0] >= Duration::from_millis(5));
    assert_eq!(reports[1], stopped);
}

#[test]
fn defer_runs_on_every_exit_unless_cancelled() {
    fn exits(log: &EventLog, early: bool) -> Result<(), String> {
        let _cleanup = defer(|| log.push("cleanup"));
        if early {
            return Err("early".into());
        }
        log.push("done");
        Ok(())
    }
    let log = EventLog::new();
    assert!(exits(&log, false).is_ok());
    assert!(exits(&log, true).is_err());
    defer(|| log.push("not me")).cancel();
    assert_eq!(events(&log), ["done", "cleanup", "cleanup"]);
}

#[test]
fn the_exit_stack_unwinds_last_in_first_out() {
    let log = EventLog::new();
    {
        let mut stack = ExitStack::new();
        for i in 0..3 {
            let log = log.clone();
            stack.callback(move || log.push(format!("callback {i}")));
        }
        stack.enter(Noisy::new("entered guard", &log));
        assert_eq!(stack.len(), 4);
    }
    assert_eq!(
        events(&log),
        [
            "drop entered guard",
            "callback 2",
            "callback 1",
            "callback 0"
        ]
    );
}

#[test]
fn pop_all_hands_the_cleanups_over() {
    let log = EventLog::new();
    let handed_over = {
        let mut stack = ExitStack::new();
        stack.enter(Noisy::new("resource", &log));
        // …every step of the setup succeeded: keep the resource.
        stack.pop_all()
    };
    assert!(events(&log).is_empty(), "nothing cleaned up yet");
    handed_over.close();
    assert_eq!(events(&log), ["drop resource"]);
}

#[test]
fn a_panicking_cleanup_does_not_stop_the_others() {
    let log = EventLog::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut stack = ExitStack::new();
        stack.callback(|| log.push("first registered"));
        stack.callback(|| panic!("cleanup failed"));
        stack.callback(|| log.push("last registered"));
        stack.close();
    }));
    assert!(result.is_err(), "the panic is re-raised after all ran");
    assert_eq!(events(&log), ["last registered", "first registered"]);
}

// ---- temp dir --------------------------------------------------------------

#[test]
fn the_temp_dir_is_removed_with_its_contents_on_drop() {
    let dir = TempDir::new().expect("temp dir");
    let path = dir.path().to_owned();
    std::fs::create_dir(path.join("sub")).expect("subdir");
    std::fs::write(path.join("sub/file.txt"), "x").expect("file");
    assert!(path.is_dir());
    drop(dir);
    assert!(!path.exists());
}

#[test]
fn the_temp_dir_is_removed_when_a_panic_unwinds() {
    let mut seen = PathBuf::new();
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let dir = TempDir::new().expect("temp dir");
        seen = dir.path().to_owned();
        panic!("boom");
    }));
    assert!(result.is_err());
    assert!(!seen.as_os_str().is_empty());
    assert!(!seen.exists(), "removed during unwinding");
}

#[test]
fn keep_disarms_the_guard_and_close_reports_errors() {
    let kept = TempDir::new().expect("temp dir").keep();
    assert!(kept.is_dir(), "kept after the guard is gone");
    std::fs::remove_dir_all(&kept).expect("clean up");

    let dir = TempDir::new().expect("temp dir");
    std::fs::remove_dir_all(dir.path()).expect("removed behind its back");
    let err = dir.close().expect_err("nothing left to remove");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("removing temporary directory"));
}

#[test]
fn temp_dirs_are_unique_private_and_named_with_the_prefix() {
    let parent = tempfile::tempdir().expect("parent");
    let dirs: Vec<TempDir> = (0..50)
        .map(|_| TempDir::new_in(parent.path(), "case-").expect("temp dir"))
        .collect();
    let names: std::collections::HashSet<_> = dirs.iter().map(|d| d.path()).collect();
    assert_eq!(names.len(), 50);
    assert!(dirs.iter().all(|d| d.path().starts_with(parent.path())));
    let name = dirs[0]
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    assert!(
        name.starts_with("case-") && name.len() == "case-".len() + 16,
        "{name}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dirs[0].path())
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[test]
fn an_unwritable_parent_is_a_clear_error() {
    let err = TempDir::new_in("/nonexistent/parent/dir", "x-").expect_err("no parent");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(err.to_string().contains("/nonexistent/parent/dir"), "{err}");
}

// ---- transactions ------------------------------------------------------------

fn ledger() -> Ledger {
    let mut ledger = Ledger::new();
    ledger.open_account("alice", 100);
    ledger.open_account("bob", 0);
    ledger
}

#[test]
fn a_committed_transaction_keeps_its_changes() {
    let mut ledger = ledger();
    let mut tx = ledger.begin();
    tx.withdraw("alice", 30).expect("funds");
    tx.deposit("bob", 30).expect("account");
    assert_eq!(
        tx.balance("alice"),
        Some(70),
        "reads see the transaction's writes"
    );
    assert_eq!(tx.commit(), 2);
    assert_eq!(
        (ledger.balance("alice"), ledger.balance("bob")),
        (Some(70), Some(30))
    );
    assert_eq!(ledger.rollbacks(), 0);
}

#[test]
fn rollback_on_question_mark_early_return_explicit_and_panic() {
    fn with_question_mark(ledger: &mut Ledger) -> Result<(), LedgerError> {
        let mut tx = ledger.begin();
        tx.withdraw("alice", 10)?;
        tx.withdraw("alice", 1_000)?; // insufficient: `?` returns, tx drops
        tx.commit();
        Ok(())
    }
    fn with_early_return(ledger: &mut Ledger, stop: bool) -> u32 {
        let mut tx = ledger.begin();
        if tx.withdraw("alice", 10).is_err() || stop {
            return 0;
        }
        tx.commit();
        1
    }
    let mut ledger = ledger();
    let before = ledger.clone();

    let err = with_question_mark(&mut ledger).expect_err("insufficient funds");
    assert_eq!(
        err,
        LedgerError::InsufficientFunds {
            account: "alice".into(),
            balance: 90,
            requested: 1_000
        }
    );
    assert_eq!(with_early_return(&mut ledger, true), 0);
    let mut tx = ledger.begin();
    tx.deposit("bob", 5).expect("account");
    tx.rollback();
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        let mut tx = ledger.begin();
        tx.withdraw("alice", 50).expect("funds");
        panic!("boom");
    }));
    assert!(caught.is_err());

    assert_eq!(ledger.balance("alice"), before.balance("alice"));
    assert_eq!(ledger.balance("bob"), before.balance("bob"));
    assert_eq!(ledger.rollbacks(), 4);
    assert_eq!(with_early_return(&mut ledger, false), 1);
    assert_eq!(ledger.balance("alice"), Some(90));
}

#[test]
fn several_writes_to_one_account_roll_back_to_the_first_value() {
    let mut ledger = ledger();
    {
        let mut tx = ledger.begin();
        for _ in 0..5 {
            tx.withdraw("alice", 7).expect("funds");
            tx.deposit("alice", 2).expect("account");
        }
        assert_eq!(tx.changes(), 10);
        assert_eq!(tx.balance("alice"), Some(75));
    }
    assert_eq!(ledger.balance("alice"), Some(100));
}

#[test]
fn transfer_is_all_or_nothing() {
    /// from, to, amount, the outcome (an error's telling part), then
    /// the balances of alice and bob afterwards.
    type Case = (
        &'static str,
        &'static str,
        u64,
        Result<(), &'static str>,
        (i64, i64),
    );
    let cases: [Case; 4] = [
        ("alice", "bob", 30, Ok(()), (70, 30)),
        (
            "alice",
            "carol",
            30,
            Err("no account named \"carol\""),
            (100, 0),
        ),
        (
            "alice",
            "bob",
            101,
            Err("holds 100, cannot withdraw 101"),
            (100, 0),
        ),
        ("dave", "bob", 1, Err("no account named \"dave\""), (100, 0)),
    ];
    for (from, to, amount, want, (alice, bob)) in cases {
        let mut ledger = ledger();
        let got = ledger.transfer(from, to, amount);
        match (want, got) {
            (Ok(()), Ok(())) => {}
            (Err(want), Err(e)) => assert!(e.to_string().contains(want), "{e}"),
            (want, got) => panic!("{from}→{to} {amount}: wanted {want:?}, got {got:?}"),
        }
        assert_eq!(
            (ledger.balance("alice"), ledger.balance("bob")),
            (Some(alice), Some(bob)),
            "{from}→{to} {amount}"
        );
    }
}

#[test]
fn a_deposit_that_would_overflow_is_refused_and_changes_nothing() {
    let mut ledger = ledger();
    ledger.open_account("bob", i64::MAX);
    let mut tx = ledger.begin();
    let err = tx.deposit("bob", 1).expect_err("past i64::MAX");
    assert_eq!(
        err,
        LedgerError::BalanceOverflow {
            account: "bob".into(),
            balance: i64::MAX,
            deposited: 1
        }
    );
    assert!(err.to_string().contains("split the deposit"), "{err}");
    assert_eq!(tx.changes(), 0, "a refused deposit writes nothing");
    assert_eq!(tx.balance("bob"), Some(i64::MAX));
}

#[test]
fn a_transfer_into_a_full_account_rolls_back_the_withdrawal() {
    let mut ledger = ledger();
    ledger.open_account("bob", i64::MAX);
    assert!(ledger.transfer("alice", "bob", 30).is_err());
    assert_eq!(
        ledger.balance("alice"),
        Some(100),
        "the withdrawal was undone"
    );
    assert_eq!(ledger.balance("bob"), Some(i64::MAX));
    assert_eq!(ledger.rollbacks(), 1);
}

#[test]
fn a_withdrawal_larger_than_any_balance_is_insufficient_funds() {
    let mut ledger = ledger();
    ledger.open_account("overdrawn", -5);
    for (account, amount) in [("alice", u64::MAX), ("alice", 101), ("overdrawn", 0)] {
        let mut tx = ledger.begin();
        let err = tx.withdraw(account, amount).expect_err("too much");
        assert!(
            matches!(err, LedgerError::InsufficientFunds { requested, .. } if requested == amount),
            "{err}"
        );
        assert_eq!(tx.changes(), 0);
    }
    assert_eq!(ledger.balance("alice"), Some(100));
}

proptest::proptest! {
    /// Any deposit or withdrawal, on any balance, either does exactly
    /// what arithmetic on unbounded integers says, or is refused and
    /// leaves the balance as it was; it never panics.
    #[test]
    fn deposits_and_withdrawals_agree_with_unbounded_arithmetic(
        balance in proptest::prelude::any::<i64>(),
        ops in proptest::collection::vec(
            (proptest::prelude::any::<bool>(), proptest::prelude::any::<u64>()),
            1..20,
        ),
    ) {
        let mut ledger = Ledger::new();
        ledger.open_account("a", balance);
        let mut tx = ledger.begin();
        let mut model = i128::from(balance);
        for (is_deposit, amount) in ops {
            let wanted = if is_deposit {
                model + i128::from(amount)
            } else {
                model - i128::from(amount)
            };
            let fits = if is_deposit { wanted <= i128::from(i64::MAX) } else { wanted >= 0 };
            let got = if is_deposit { tx.deposit("a", amount) } else { tx.withdraw("a", amount) };
            match got {
                Ok(after) => {
                    proptest::prop_assert!(fits);
                    proptest::prop_assert_eq!(i128::from(after), wanted);
                    model = wanted;
                }
                Err(_) => proptest::prop_assert!(!fits),
            }
            proptest::prop_assert_eq!(tx.balance("a").map(i128::from), Some(model));
        }
    }
}

#[test]
fn a_forgotten_transaction_keeps_its_writes_drop_is_not_guaranteed() {
    let mut ledger = ledger();
    let mut tx = ledger.begin();
    tx.withdraw("alice", 40).expect("funds");
    std::mem::forget(tx); // safe, and skips Drop: no rollback
    assert_eq!(ledger.balance("alice"), Some(60));
    assert_eq!(ledger.rollbacks(), 0);
}

// ---- async -------------------------------------------------------------------

fn options(on_drop: OnDrop) -> ConnectOptions {
    ConnectOptions::new("db")
        .latency(Duration::from_millis(10))
        .on_drop(on_drop)
}

#[tokio::test(start_paused = true)]
async fn the_scope_function_closes_on_success() {
    let log = EventLog::new();
    let sent = with_connection(options(OnDrop::Warn), &log, async |c| {
        c.send("a");
        c.send("b");
        Ok::<_, String>(c.buffered())
    })
    .await;
    assert_eq!(sent, Ok(2));
    assert_eq!(events(&log), ["open db", "flushed 2", "close db"]);
}

#[tokio::test(start_paused = true)]
async fn the_scope_function_closes_on_error() {
    let log = EventLog::new();
    let outcome = with_connection(options(OnDrop::Warn), &log, async |c| {
        c.send("a");
        c.flush().await;
        c.send("b");
        Err::<(), _>("bad row")
    })
    .await;
    assert_eq!(outcome, Err("bad row"));
    assert_eq!(
        events(&log),
        ["open db", "flushed 1", "flushed 1", "close db"]
    );
}

/// `with_connection` around a body that buffers two messages and then
/// waits an hour: the future a test cancels.
async fn send_two_then_hang(on_drop: OnDrop, log: &EventLog) -> Result<(), String> {
    with_connection(options(on_drop), log, async |c| {
        c.send("a");
        c.send("b");
        sleep(Duration::from_secs(3600)).await;
        Ok(())
    })
    .await
}

#[tokio::test(start_paused = true)]
async fn cancelled_by_timeout_close_does_not_run_but_drop_does() {
    let log = EventLog::new();
    let work = send_two_then_hang(OnDrop::Warn, &log);
    let outcome = timeout(Duration::from_secs(1), work).await;
    assert!(outcome.is_err(), "timed out");
    sleep(Duration::from_secs(10)).await; // nothing more is coming
    assert_eq!(events(&log), opened_then_dropped(2));
}

#[tokio::test(start_paused = true)]
async fn losing_a_select_cancels_even_in_the_middle_of_close() {
    let log = EventLog::new();
    let work = with_connection(options(OnDrop::Warn), &log, async |c| {
        c.send("a");
        Ok::<_, String>(())
    });
    // open takes 10 ms, close's flush another 10: stop at 15, mid-close.
    tokio::select! {
        _ = work => panic!("the close takes longer than the deadline"),
        () = sleep(Duration::from_millis(15)) => {}
    }
    assert_eq!(events(&log), opened_then_dropped(1));
}

#[tokio::test(start_paused = true)]
async fn a_spawn_close_fallback_finishes_the_close_in_the_background() {
    let log = EventLog::new();
    let work = send_two_then_hang(OnDrop::SpawnClose, &log);
    assert!(timeout(Duration::from_secs(1), work).await.is_err());
    assert_eq!(
        events(&log),
        ["open db", "drop db open: close handed to a background task"],
        "at the moment of cancellation, nothing is flushed yet"
    );
    sleep(Duration::from_millis(20)).await;
    assert_eq!(
        events(&log)[2..],
        ["flushed 2 (background)", "close db (background)"]
    );
}

#[test]
fn without_a_runtime_spawn_close_falls_back_to_warning() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let log = EventLog::new();
    let mut connection = runtime.block_on(Connection::open(options(OnDrop::SpawnClose), &log));
    connection.send("a");
    drop(runtime);
    drop(connection); // no runtime to spawn on
    assert_eq!(events(&log), opened_then_dropped(1));
}

#[tokio::test(start_paused = true)]
async fn closing_by_hand_skips_close_on_error() {
    let log = EventLog::new();
    let broken = send_then_close_broken(options(OnDrop::Warn), &log, true).await;
    assert!(broken.is_err());
    assert_eq!(
        events(&log),
        opened_then_dropped(1),
        "the `?` skipped close().await"
    );
    log.clear();
    assert_eq!(
        send_then_close_broken(options(OnDrop::Warn), &log, false).await,
        Ok(())
    );
    assert_eq!(events(&log), ["open db", "flushed 2", "close db"]);

    // The fix: the scope function closes on the error path too.
    log.clear();
    let fixed = with_connection(options(OnDrop::Warn), &log, async |c| {
        c.send(encode("first", false)?);
        c.send(encode("second", true)?);
        Ok::<(), String>(())
    })
    .await;
    assert!(fixed.is_err());
    assert_eq!(events(&log), ["open db", "flushed 1", "close db"]);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("core/context-managers", demo);
    assert!(n.comparison_with("tempfile::TempDir").is_some());
    let value = |label: &str| n.recorded(label);
    assert_eq!(
        value("temp dirs left behind after drop and unwind"),
        Some(0.0)
    );
    assert_eq!(
        value("transactions rolled back (by ? and by a panic)"),
        Some(2.0)
    );
    assert_eq!(
        value("closes run after cancellation, Warn fallback"),
        Some(0.0)
    );
    assert_eq!(
        value("closes run after cancellation, SpawnClose fallback"),
        Some(1.0)
    );
}
