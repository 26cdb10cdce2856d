//! # Context managers (sync and async)
//!
//! ## Python idiom
//! `with` runs `__enter__`, the block, then `__exit__` — on normal exit, on
//! `return`, and on an exception, which `__exit__` sees (and may swallow).
//! `@contextlib.contextmanager` writes one as a generator with a
//! `try/finally`; `ExitStack` collects a dynamic number of them and unwinds
//! them last-in, first-out; `async with` awaits `__aenter__`/`__aexit__`:
//!
//! ```python
//! @contextmanager
//! def transaction(db):
//!     db.begin()
//!     try:
//!         yield db
//!         db.commit()
//!     except BaseException:
//!         db.rollback()
//!         raise
//!
//! with tempfile.TemporaryDirectory() as path, transaction(db) as tx:
//!     tx.transfer("alice", "bob", 30)           # raises → rolled back
//!
//! async with connect("db") as conn:              # __aexit__ awaits close()…
//!     await conn.send("x")                       # …even when the task is
//!                                                # cancelled: CancelledError
//! ```
//!
//! ## Rust answer
//! A guard is a value whose `Drop` does the `__exit__` work; the scope that
//! owns it is the `with` block. Drop runs when the owner goes out of scope
//! — on a normal end, an early `return`, a `?`, and while a panic unwinds —
//! so there is no block syntax to forget and no `finally` to write.
//! - [`Defer`] runs any closure at scope end (`try/finally` as a value)
//!   and [`TimerGuard`] reports the time its scope took: both are the core
//!   below, a few dozen lines. [`ExitStack`] runs many cleanups, last in
//!   first out — even when one of them panics.
//! - [`TempDir`] creates a private directory and removes it on drop (or on
//!   unwind); [`TempDir::keep`] disarms it, [`TempDir::close`] removes it
//!   *and reports errors*, which `Drop` cannot. The `tempfile` crate's
//!   `TempDir` is the production version.
//! - [`Transaction`] writes through to a [`Ledger`] with an undo log and
//!   rolls back in `Drop` unless [`Transaction::commit`] consumed it.
//!   `commit(self)` takes the guard by value, so using it afterwards does
//!   not compile, and the ledger is mutably borrowed while the transaction
//!   lives, so nothing else can see it half-done:
//!
//! ```compile_fail
//! use mastery_core::context_managers::Ledger;
//!
//! let mut ledger = Ledger::new();
//! ledger.open_account("alice", 100);
//! let mut tx = ledger.begin();
//! tx.withdraw("alice", 30)?;
//! tx.commit();
//! tx.withdraw("alice", 30)?; // error[E0382]: borrow of moved value: `tx`
//! # Ok::<(), mastery_core::context_managers::LedgerError>(())
//! ```
//!
//! Amounts are `u64`, so a negative one — a withdrawal that would add
//! money without the funds check — does not compile (below), and the
//! arithmetic is checked: a deposit past `i64::MAX` is
//! [`LedgerError::BalanceOverflow`], never a panic or a balance wrapped to
//! a negative one.
//!
//! ```compile_fail,E0600
//! use mastery_core::context_managers::Ledger;
//!
//! let mut ledger = Ledger::new();
//! ledger.open_account("alice", 100);
//! let mut tx = ledger.begin();
//! tx.withdraw("alice", -30)?; // error[E0600]: cannot apply unary operator `-` to type `u64`
//! tx.commit();
//! # Ok::<(), mastery_core::context_managers::LedgerError>(())
//! ```
//!
//! ```
//! use mastery_core::context_managers::{Ledger, LedgerError};
//!
//! let mut ledger = Ledger::new();
//! ledger.open_account("alice", 100);
//! ledger.open_account("bob", 0);
//! // Withdraws 30 from alice, then fails on the unknown account: the `?`
//! // returns early, the transaction drops, and alice gets her 30 back.
//! let err = ledger.transfer("alice", "carol", 30).unwrap_err();
//! assert_eq!(err, LedgerError::UnknownAccount { account: "carol".into() });
//! assert_eq!(ledger.balance("alice"), Some(100));
//! ledger.transfer("alice", "bob", 30)?;
//! assert_eq!((ledger.balance("alice"), ledger.balance("bob")), (Some(70), Some(30)));
//! # Ok::<(), LedgerError>(())
//! ```
//!
//! **Drop order** is fixed by the language, and the tests pin it down:
//! locals drop in reverse order of declaration (nested `with` blocks);
//! a struct's fields, and a `Vec`'s or tuple's elements, drop first to
//! last (so a `Vec` of guards unwinds in the *opposite* order to
//! `ExitStack`); a temporary drops at the end of its statement; and
//! `let _ = guard()` drops the guard *at once* — `let _guard = ...` keeps it
//! to the end of the scope ([`hold_guard_broken`] shows the bug).
//!
//! **Async: there is no async `Drop`.** A future that is cancelled — by
//! `tokio::time::timeout`, by losing a `select!`, by its task being
//! aborted — is simply dropped at the `.await` where it was waiting: no
//! more of its code runs, only destructors. So async cleanup is written as
//! an explicit `close().await` ([`Connection::close`]) inside a *scope
//! function*, [`with_connection`], which takes an async closure and closes
//! on success *and* on error. On cancellation `close()` cannot run; what
//! does run is the connection's synchronous `Drop`, the fallback: by
//! default it reports the unflushed messages as lost ([`OnDrop::Warn`]);
//! with [`OnDrop::SpawnClose`] it hands the buffered messages to a
//! background task on the current runtime, which flushes and closes after
//! the caller is gone.
//!
//! ## When to use which
//! - A guard type with `Drop` for anything that must be undone — a lock,
//!   a file, a temp dir, a transaction, a metric span. Give it a consuming
//!   `commit`/`close`/`keep` when the happy path must differ from the
//!   cleanup path, or when cleanup can fail and the caller should hear of
//!   it: `Drop` can only log or ignore errors, never return them.
//! - [`Defer`] for one-off cleanup in a function (the `scopeguard` crate is
//!   the packaged version); [`ExitStack`] when the number of resources is
//!   known only at run time. Plain locals already unwind in LIFO order.
//! - `tempfile` rather than a hand-written [`TempDir`] in real code: it
//!   handles more platforms, `NamedTempFile`, and its names come from a
//!   proper random source. The hand-written one shows that there is no
//!   magic.
//! - Async resources: a scope function (`with_x(|x| async { .. })`) when
//!   you control the API; an explicit `close().await` plus a `Drop` that
//!   warns (or spawns) otherwise. Do not block in `Drop` inside a runtime
//!   (`block_on` there panics, a blocking flush stalls the worker).
//!
//! What it cannot do: `Drop` is not guaranteed. `std::mem::forget` is safe
//! and skips it (tested below: a forgotten transaction keeps its writes),
//! an `Rc` cycle never drops, `panic = "abort"`, `process::exit` and a
//! killed process run no destructors — as `os._exit` runs no `finally`.
//! A background close spawned from `Drop` is detached: nobody awaits it,
//! its errors have nowhere to go, and a runtime shutting down drops it.
//!
//! ## What it costs
//! A guard costs what its cleanup costs: `Drop` is a call the compiler
//! inlines at every exit, the code you would have written by hand. The
//! demo measures that, and the places where a guard does pay:
//! - **`Defer` vs a manual cleanup call** and **`TimerGuard` vs
//!   `Instant::now` + `elapsed` by hand**, over many scopes: each guard
//!   against the code it replaces.
//! - **A transfer through the [`Transaction`] guard vs two unguarded
//!   writes** to the same kind of map: the difference is the undo log (a
//!   `Vec` push and an owned copy of the account name per write) — the
//!   price of all-or-nothing, not of `Drop`.
//! - **Our [`TempDir`] vs `tempfile::TempDir`**, created and dropped: both
//!   are a `mkdir` and a `remove_dir_all`, so the system calls dominate.
//! - **[`with_connection`] vs open, send, `close().await` by hand**: the
//!   scope function adds no work on the happy path; what it buys is the
//!   close on the error path.
//!
//! In memory a `Defer` is its closure and a `TimerGuard` its closure and an
//! `Instant`, on the stack; [`ExitStack`] boxes every callback (one
//! allocation each); a `Transaction` keeps one undo entry per write until
//! it ends. What you give up: `Drop` can neither return an error nor
//! `.await`, so fallible or async cleanup needs an explicit `close`, and
//! a destructor is not guaranteed to run (above).
//!
//! ## Run it
//! `mastery run core/context-managers` (drop order logged, a transaction
//! rolled back by `?` and by a panic, temp dirs removed on drop and on
//! unwind, the comparisons above, and an async scope function on success,
//! error and cancellation; `mastery run core/context-managers --deep` times
//! many more scopes, transfers and temp dirs per sample, with more
//! samples), and `cargo test -p mastery-core context_managers`. The code:
//! the core guards below; `drop_order.rs` (the probes), `exit_stack.rs`,
//! `temp_dir.rs`, `transaction.rs`, `connection.rs` (async close),
//! `demo.rs`, `tests.rs`.

// A `Result` that is always `Ok` hides where the real failures are (the
// ledger's `write` once returned one): clippy's pedantic lint, kept on for
// every file of this topic.
#![warn(clippy::unnecessary_wraps)]

use std::fmt;
use std::time::{Duration, Instant};

mod connection;
mod demo;
mod drop_order;
mod exit_stack;
mod temp_dir;
#[cfg(test)]
mod tests;
mod transaction;

pub use connection::{ConnectOptions, Connection, OnDrop, send_then_close_broken, with_connection};
pub use drop_order::{EventLog, Noisy, hold_guard, hold_guard_broken};
pub use exit_stack::ExitStack;
pub use temp_dir::TempDir;
pub use transaction::{Ledger, LedgerError, Transaction};

// ANCHOR: core
// A guard is a value whose `Drop` does the `__exit__` work. Whoever owns it
// is the `with` block: when the owner's scope ends — normally, by
// `return`, by `?`, or while a panic unwinds — `drop` runs. Both guards
// keep their action in an `Option` so that it runs at most once: whichever
// comes first, `Drop` or an explicit `stop`/`cancel`, empties it, and the
// other then finds nothing to do.

/// Runs a closure when dropped: `try/finally` as a value.
#[must_use = "a Defer dropped at once runs its closure at once; bind it: `let _cleanup = ...`"]
pub struct Defer<F: FnOnce()> {
    action: Option<F>,
}

/// Runs `action` at the end of the current scope, however it ends.
pub fn defer<F: FnOnce()>(action: F) -> Defer<F> {
    Defer {
        action: Some(action),
    }
}

impl<F: FnOnce()> Defer<F> {
    /// Disarms the guard: the closure will not run.
    pub fn cancel(mut self) {
        self.action = None;
    }
}

impl<F: FnOnce()> Drop for Defer<F> {
    fn drop(&mut self) {
        if let Some(action) = self.action.take() {
            action();
        }
    }
}

impl<F: FnOnce()> fmt::Debug for Defer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Defer")
            .field("armed", &self.action.is_some())
            .finish()
    }
}

/// Times its scope and reports the elapsed time when dropped — or when
/// [`TimerGuard::stop`] is called. Reports on unwind too.
#[must_use = "a timer guard dropped at once times nothing; bind it: `let _timer = ...`"]
pub struct TimerGuard<F: FnOnce(Duration)> {
    started: Instant,
    report: Option<F>,
}

/// Starts a [`TimerGuard`] that hands the elapsed time to `report`.
pub fn time_scope<F: FnOnce(Duration)>(report: F) -> TimerGuard<F> {
    TimerGuard {
        started: Instant::now(),
        report: Some(report),
    }
}

impl<F: FnOnce(Duration)> TimerGuard<F> {
    /// The time since the guard started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Stops now: reports and returns the elapsed time.
    pub fn stop(mut self) -> Duration {
        let elapsed = self.elapsed();
        if let Some(report) = self.report.take() {
            report(elapsed);
        }
        elapsed
    }
}

impl<F: FnOnce(Duration)> Drop for TimerGuard<F> {
    fn drop(&mut self) {
        if let Some(report) = self.report.take() {
            report(self.started.elapsed());
        }
    }
}

impl<F: FnOnce(Duration)> fmt::Debug for TimerGuard<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerGuard")
            .field("elapsed", &self.elapsed())
            .field("armed", &self.report.is_some())
            .finish()
    }
}
// ANCHOR_END: core
