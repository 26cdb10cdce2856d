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
//! - [`TimerGuard`] reports the time its scope took; [`Defer`] runs any
//!   closure at scope end (`try/finally`), and [`ExitStack`] runs many, last
//!   in first out — even when one of them panics.
//! - [`TempDir`] creates a private directory and removes it on drop (or on
//!   unwind); [`TempDir::keep`] disarms it, [`TempDir::close`] removes it
//!   *and reports errors*, which `Drop` cannot. The `tempfile` crate's
//!   `TempDir` is the production version; the demo times both.
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
//! money without the funds check — does not compile:
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
//!   magic, and the demo measures what each costs.
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
//! ## Run it
//! `mastery run core/context-managers` (drop order logged, a transaction
//! rolled back by `?` and by a panic, temp dirs removed on drop and on
//! unwind, our `TempDir` against `tempfile`'s, guard overhead against
//! manual cleanup, and an async scope function on success, error and
//! cancellation), and `cargo test -p mastery-core context_managers`.

// A `Result` that is always `Ok` hides where the real failures are (the
// ledger's `write` once returned one): clippy's pedantic lint, kept on here.
#![warn(clippy::unnecessary_wraps)]

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mastery_kit::{Area, Narrator, Topic, Unit};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/context-managers",
        area: Area::Core,
        rank: 3,
        title: "Context managers (sync and async)",
        python: "with / __enter__ / __exit__, @contextmanager, ExitStack, async with (__aexit__ runs on cancellation)",
        rust: "RAII guards: Drop runs on return, ? and unwind; commit(self) consumes; no async Drop: scope fns + explicit close().await",
        path: "core/src/context_managers.rs",
        source: include_str!("context_managers.rs"),
        run: demo,
    }
}

// ---- an event log ------------------------------------------------------------

/// A shared, thread-safe list of events: how the tests and the demo see
/// what ran, and in which order.
#[derive(Debug, Clone, Default)]
pub struct EventLog(Arc<Mutex<Vec<String>>>);

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.lock().push(event.into());
    }

    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Whether some event equals `event`.
    pub fn contains(&self, event: &str) -> bool {
        self.lock().iter().any(|e| e == event)
    }

    /// Forgets every event.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        // A panic while pushing cannot leave a half-written Vec behind, so a
        // poisoned log is still a good log (and the tests panic on purpose).
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A value that logs `drop <name>` when dropped: the probe of the
/// drop-order lessons.
#[derive(Debug)]
pub struct Noisy {
    name: String,
    log: EventLog,
}

impl Noisy {
    /// A probe named `name` logging to `log`.
    pub fn new(name: impl Into<String>, log: &EventLog) -> Self {
        Noisy {
            name: name.into(),
            log: log.clone(),
        }
    }

    /// The probe's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

/// **Broken on purpose.** `let _ = …` is not a binding: the guard is a
/// temporary and drops at the end of the statement, *before* the work it
/// was meant to cover (with a `MutexGuard` this runs the work unlocked).
/// The test `let_underscore_drops_at_once` catches it; the fix is
/// [`hold_guard`].
pub fn hold_guard_broken(log: &EventLog) {
    let _ = Noisy::new("guard", log);
    log.push("work");
}

/// The fix: a named binding (even `_guard`) lives to the end of the scope.
pub fn hold_guard(log: &EventLog) {
    let _guard = Noisy::new("guard", log);
    log.push("work");
}

// ---- timer, defer, exit stack --------------------------------------------------

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

/// `contextlib.ExitStack`: cleanups registered at run time, run last in,
/// first out when the stack is closed or dropped. A cleanup that panics
/// does not stop the others; the first panic is re-raised once all have
/// run (unless the stack is dropped during another panic).
#[derive(Default)]
pub struct ExitStack<'a> {
    callbacks: Vec<Box<dyn FnOnce() + 'a>>,
}

impl<'a> ExitStack<'a> {
    /// An empty stack.
    pub fn new() -> Self {
        ExitStack {
            callbacks: Vec::new(),
        }
    }

    /// Registers `cleanup` (`ExitStack.callback`).
    pub fn callback(&mut self, cleanup: impl FnOnce() + 'a) {
        self.callbacks.push(Box::new(cleanup));
    }

    /// Takes ownership of a guard and drops it when the stack unwinds
    /// (`ExitStack.enter_context`).
    pub fn enter<G: 'a>(&mut self, guard: G) {
        self.callback(move || drop(guard));
    }

    /// How many cleanups are registered.
    pub fn len(&self) -> usize {
        self.callbacks.len()
    }

    /// Whether no cleanup is registered.
    pub fn is_empty(&self) -> bool {
        self.callbacks.is_empty()
    }

    /// Moves every cleanup to a new stack and leaves this one empty
    /// (`ExitStack.pop_all`): "set up many things; if all succeeded, hand
    /// them over instead of cleaning up".
    pub fn pop_all(&mut self) -> ExitStack<'a> {
        ExitStack {
            callbacks: std::mem::take(&mut self.callbacks),
        }
    }

    /// Runs every cleanup now, last registered first.
    pub fn close(mut self) {
        self.unwind();
    }

    fn unwind(&mut self) {
        let mut first_panic: Option<Box<dyn Any + Send>> = None;
        while let Some(cleanup) = self.callbacks.pop() {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(cleanup)) {
                first_panic.get_or_insert(payload);
            }
        }
        // Re-raising while already unwinding would abort the process.
        match first_panic {
            Some(payload) if !std::thread::panicking() => panic::resume_unwind(payload),
            _ => {}
        }
    }
}

impl Drop for ExitStack<'_> {
    fn drop(&mut self) {
        self.unwind();
    }
}

impl fmt::Debug for ExitStack<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExitStack")
            .field("callbacks", &self.callbacks.len())
            .finish()
    }
}

// ---- a temporary directory --------------------------------------------------------

/// A private temporary directory, removed with its contents when dropped —
/// also while a panic unwinds. `tempfile::TempDir` is the production peer.
#[derive(Debug)]
pub struct TempDir {
    /// Empty once the directory has been kept or closed: nothing to remove.
    path: PathBuf,
}

/// Names tried before giving up on finding a free one.
const NAME_ATTEMPTS: u32 = 64;

impl TempDir {
    /// A new directory named `mastery-…` under the system's temp dir.
    ///
    /// # Errors
    /// When the directory cannot be created (the error names the path).
    pub fn new() -> io::Result<Self> {
        Self::new_in(std::env::temp_dir(), "mastery-")
    }

    /// A new directory under `parent`, its name starting with `prefix`.
    ///
    /// # Errors
    /// When the directory cannot be created, or no free name was found.
    pub fn new_in(parent: impl AsRef<Path>, prefix: &str) -> io::Result<Self> {
        let parent = parent.as_ref();
        for _ in 0..NAME_ATTEMPTS {
            let path = parent.join(format!("{prefix}{}", unique_suffix()));
            match create_private_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("creating temporary directory {}: {e}", path.display()),
                    ));
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "no free temporary directory name under {} after {NAME_ATTEMPTS} attempts",
                parent.display()
            ),
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Disarms the guard and returns the path: the directory stays.
    pub fn keep(mut self) -> PathBuf {
        std::mem::take(&mut self.path)
    }

    /// Removes the directory now and reports whether that worked — what
    /// `Drop`, which must ignore errors, cannot do.
    ///
    /// # Errors
    /// When removal fails (the directory vanished, permissions, a busy file).
    pub fn close(mut self) -> io::Result<()> {
        let path = std::mem::take(&mut self.path);
        std::fs::remove_dir_all(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("removing temporary directory {}: {e}", path.display()),
            )
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.path.as_os_str().is_empty() {
            return; // kept or closed
        }
        // Drop cannot return an error; `close` is the way to hear about one.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// 16 hex digits no other call in this process returns, and unlikely in
/// any other process: a per-process random key (std's `RandomState`)
/// hashing a counter and the clock.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::LazyLock<std::hash::RandomState> =
        std::sync::LazyLock::new(std::hash::RandomState::new);
    let mut hasher = KEYS.build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// Creates `path`, readable by its owner only where the platform allows.
fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

// ---- a transaction ----------------------------------------------------------------

/// Why a ledger operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// No account has this name.
    #[error("no account named {account:?}; open it first with Ledger::open_account")]
    UnknownAccount {
        /// The name asked for.
        account: String,
    },
    /// A withdrawal larger than the balance.
    #[error("account {account:?} holds {balance}, cannot withdraw {requested}")]
    InsufficientFunds {
        /// The account.
        account: String,
        /// Its balance.
        balance: i64,
        /// The amount asked for.
        requested: u64,
    },
    /// A deposit that would take the balance past `i64::MAX`.
    #[error(
        "account {account:?} holds {balance}; depositing {deposited} would take it past the \
         largest balance a ledger can hold ({max}); split the deposit across accounts",
        max = i64::MAX
    )]
    BalanceOverflow {
        /// The account.
        account: String,
        /// Its balance.
        balance: i64,
        /// The amount that did not fit.
        deposited: u64,
    },
}

/// A toy bank: named accounts with integer balances.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    balances: BTreeMap<String, i64>,
    rollbacks: u64,
}

impl Ledger {
    /// A ledger with no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens (or resets) `account` with `balance`.
    pub fn open_account(&mut self, account: &str, balance: i64) {
        self.balances.insert(account.to_owned(), balance);
    }

    /// The balance of `account`, if it exists.
    pub fn balance(&self, account: &str) -> Option<i64> {
        self.balances.get(account).copied()
    }

    /// How many transactions were rolled back (dropped uncommitted).
    pub fn rollbacks(&self) -> u64 {
        self.rollbacks
    }

    /// Starts a transaction. The ledger is borrowed until it is committed
    /// or dropped; dropping it uncommitted undoes every change.
    pub fn begin(&mut self) -> Transaction<'_> {
        Transaction {
            ledger: self,
            undo: Vec::new(),
        }
    }

    /// Moves `amount` from one account to another, all or nothing.
    ///
    /// # Errors
    /// When either account is unknown, `from` holds too little or `to`
    /// would overflow; the ledger is then unchanged (the `?` drops the
    /// transaction, which rolls back the withdrawal already made).
    pub fn transfer(&mut self, from: &str, to: &str, amount: u64) -> Result<(), LedgerError> {
        let mut tx = self.begin();
        tx.withdraw(from, amount)?;
        tx.deposit(to, amount)?;
        tx.commit();
        Ok(())
    }
}

/// A transaction on a [`Ledger`]: writes go straight to the ledger and are
/// recorded in an undo log; [`Transaction::commit`] forgets the log, and
/// `Drop` without a commit replays it backwards.
///
/// Writing through with an undo log makes reads inside the transaction see
/// its own writes and makes commit free; the other design — stage writes
/// and apply them on commit — makes rollback free instead.
#[derive(Debug)]
#[must_use = "a transaction dropped at once rolls back at once"]
pub struct Transaction<'a> {
    ledger: &'a mut Ledger,
    /// `(account, balance before the first change in this transaction)`.
    undo: Vec<(String, i64)>,
}

impl Transaction<'_> {
    /// The balance of `account` as this transaction sees it.
    pub fn balance(&self, account: &str) -> Option<i64> {
        self.ledger.balance(account)
    }

    /// Adds `amount` to `account`; returns the new balance.
    ///
    /// Amounts are `u64`: a negative deposit would be a withdrawal that
    /// skips the funds check, so the type refuses it at compile time (a
    /// number read from outside goes through `u64::try_from`, which is
    /// where a negative one is turned away).
    ///
    /// # Errors
    /// [`LedgerError::UnknownAccount`], [`LedgerError::BalanceOverflow`];
    /// nothing is written then.
    pub fn deposit(&mut self, account: &str, amount: u64) -> Result<i64, LedgerError> {
        let before = self.current(account)?;
        // Checked: `before + amount` past `i64::MAX` would panic in a debug
        // build and wrap to a negative balance in a release build.
        let after =
            before
                .checked_add_unsigned(amount)
                .ok_or_else(|| LedgerError::BalanceOverflow {
                    account: account.to_owned(),
                    balance: before,
                    deposited: amount,
                })?;
        Ok(self.write(account, before, after))
    }

    /// Takes `amount` from `account`; returns the new balance.
    ///
    /// # Errors
    /// [`LedgerError::UnknownAccount`], [`LedgerError::InsufficientFunds`];
    /// nothing is written then.
    pub fn withdraw(&mut self, account: &str, amount: u64) -> Result<i64, LedgerError> {
        let before = self.current(account)?;
        // The funds check and the subtraction in one step: a balance below
        // zero is an overdraft, and `None` (below `i64::MIN`, for an amount
        // larger than any balance) is one too.
        match before.checked_sub_unsigned(amount) {
            Some(after) if after >= 0 => Ok(self.write(account, before, after)),
            _ => Err(LedgerError::InsufficientFunds {
                account: account.to_owned(),
                balance: before,
                requested: amount,
            }),
        }
    }

    /// How many writes the transaction holds.
    pub fn changes(&self) -> usize {
        self.undo.len()
    }

    /// Makes the changes permanent. Takes the transaction by value: it
    /// cannot be used (or rolled back) afterwards.
    pub fn commit(mut self) -> usize {
        let changes = self.undo.len();
        self.undo.clear();
        changes
    }

    /// Undoes the changes now (what dropping does; this names the intent).
    pub fn rollback(self) {}

    fn current(&self, account: &str) -> Result<i64, LedgerError> {
        self.ledger
            .balance(account)
            .ok_or_else(|| LedgerError::UnknownAccount {
                account: account.to_owned(),
            })
    }

    /// Records the undo entry, then stores `after`. Cannot fail, so it
    /// returns the balance, not a `Result`: every check (the account
    /// exists, the funds, the overflow) is made by the caller before it
    /// gets here, and a `Result` that is always `Ok` would send a reader
    /// looking for an error path that does not exist.
    fn write(&mut self, account: &str, before: i64, after: i64) -> i64 {
        self.undo.push((account.to_owned(), before));
        set_balance(&mut self.ledger.balances, account, after);
        after
    }
}

/// Overwrites a balance without allocating a new key when the account
/// exists (it always does: a transaction cannot remove accounts).
fn set_balance(balances: &mut BTreeMap<String, i64>, account: &str, balance: i64) {
    match balances.get_mut(account) {
        Some(slot) => *slot = balance,
        None => {
            balances.insert(account.to_owned(), balance);
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.undo.is_empty() {
            return; // committed, or nothing to undo
        }
        while let Some((account, before)) = self.undo.pop() {
            set_balance(&mut self.ledger.balances, &account, before);
        }
        self.ledger.rollbacks += 1;
    }
}

// ---- async: explicit close, scope functions, cancellation ----------------------------

/// What a [`Connection`] dropped without `close().await` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDrop {
    /// Log that the buffered messages were lost (Drop cannot await a flush).
    #[default]
    Warn,
    /// Hand the buffered messages to a background task on the current
    /// tokio runtime, which flushes and closes; without a runtime, warn.
    SpawnClose,
}

/// How to open a [`Connection`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// The connection's name, used in the log.
    pub name: String,
    /// The simulated round trip of opening and of flushing.
    pub latency: Duration,
    /// The fallback when the connection is dropped open.
    pub on_drop: OnDrop,
}

impl ConnectOptions {
    /// Options for `name` with no latency and [`OnDrop::Warn`].
    pub fn new(name: impl Into<String>) -> Self {
        ConnectOptions {
            name: name.into(),
            latency: Duration::ZERO,
            on_drop: OnDrop::Warn,
        }
    }

    /// With this round-trip latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// With this drop fallback.
    pub fn on_drop(mut self, on_drop: OnDrop) -> Self {
        self.on_drop = on_drop;
        self
    }
}

/// A simulated network connection that buffers writes: they reach the
/// peer only when flushed, which takes a round trip — an `.await`. Closing
/// it properly is async ([`Connection::close`]); `Drop` is the fallback.
#[derive(Debug)]
pub struct Connection {
    options: ConnectOptions,
    log: EventLog,
    buffered: Vec<String>,
    closed: bool,
}

impl Connection {
    /// Opens a connection (one round trip), logging `open <name>`.
    pub async fn open(options: ConnectOptions, log: &EventLog) -> Connection {
        round_trip(options.latency).await;
        log.push(format!("open {}", options.name));
        Connection {
            options,
            log: log.clone(),
            buffered: Vec::new(),
            closed: false,
        }
    }

    /// Buffers a message.
    pub fn send(&mut self, message: impl Into<String>) {
        self.buffered.push(message.into());
    }

    /// How many messages wait for a flush.
    pub fn buffered(&self) -> usize {
        self.buffered.len()
    }

    /// Sends the buffered messages (one round trip), logging `flushed <n>`.
    /// Cancel-safe: if dropped before the round trip ends, nothing was sent
    /// and the messages are still buffered.
    pub async fn flush(&mut self) {
        round_trip(self.options.latency).await;
        let sent = std::mem::take(&mut self.buffered);
        self.log.push(format!("flushed {}", sent.len()));
    }

    /// Flushes and closes, logging `close <name>`. Takes the connection by
    /// value: nothing can use it afterwards.
    pub async fn close(mut self) {
        self.flush().await;
        self.log.push(format!("close {}", self.options.name));
        self.closed = true;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let pending = std::mem::take(&mut self.buffered);
        let runtime = tokio::runtime::Handle::try_current();
        match (self.options.on_drop, runtime) {
            (OnDrop::SpawnClose, Ok(runtime)) => {
                self.log.push(format!(
                    "drop {} open: close handed to a background task",
                    self.options.name
                ));
                let (name, latency, log) = (
                    self.options.name.clone(),
                    self.options.latency,
                    self.log.clone(),
                );
                // Detached: nobody awaits it, and a runtime shutting down drops it.
                runtime.spawn(async move {
                    round_trip(latency).await;
                    log.push(format!("flushed {} (background)", pending.len()));
                    log.push(format!("close {name} (background)"));
                });
            }
            _ => self.log.push(format!(
                "drop {} without close: {} unflushed messages lost",
                self.options.name,
                pending.len()
            )),
        }
    }
}

async fn round_trip(latency: Duration) {
    if latency.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(latency).await;
    }
}

/// The `async with` of this module: opens a connection, runs `body` on
/// it, and closes it with `close().await` whether `body` returned `Ok` or
/// `Err`. If the returned future is cancelled (dropped) before it ends,
/// `close()` does not run: the connection's `Drop` fallback
/// ([`ConnectOptions::on_drop`]) does.
///
/// # Errors
/// Whatever `body` returns.
pub async fn with_connection<T, E>(
    options: ConnectOptions,
    log: &EventLog,
    body: impl AsyncFnOnce(&mut Connection) -> Result<T, E>,
) -> Result<T, E> {
    let mut connection = Connection::open(options, log).await;
    let outcome = body(&mut connection).await;
    connection.close().await;
    outcome
}

/// **Broken on purpose.** Closing by hand after the work: the `?` returns
/// early on the error and `close().await` is skipped, so the messages sent
/// before the failure are lost (the `Drop` fallback says so). The test
/// `closing_by_hand_skips_close_on_error` catches it; [`with_connection`]
/// is the fix.
///
/// # Errors
/// When `fail` is set, after sending one message.
pub async fn send_then_close_broken(
    options: ConnectOptions,
    log: &EventLog,
    fail: bool,
) -> Result<(), String> {
    let mut connection = Connection::open(options, log).await;
    connection.send(encode("first", false)?);
    connection.send(encode("second", fail)?);
    connection.close().await;
    Ok(())
}

/// The work between open and close that may fail.
fn encode(message: &str, fail: bool) -> Result<String, String> {
    if fail {
        return Err(format!("{message:?} could not be encoded"));
    }
    Ok(message.to_owned())
}

// ---- the demo ---------------------------------------------------------------------

/// Every deliberate panic of the demo starts with this.
const DEMO_PANIC: &str = "demo panic:";

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
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
    n.record(
        "transactions rolled back (by ? and by a panic)",
        ledger.rollbacks() as f64,
        Unit::Count,
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
    n.record(
        "temp dirs left behind after drop and unwind",
        f64::from(left),
        Unit::Count,
    );

    let per_sample: u32 = n.mode().pick(20, 200);
    let failures = std::cell::Cell::new(0u32);
    n.compare_timed(
        "create + drop a temp dir",
        u64::from(per_sample),
        || {
            for _ in 0..per_sample {
                match TempDir::new() {
                    Ok(dir) => drop(black_box(dir)),
                    Err(_) => failures.set(failures.get() + 1),
                }
            }
        },
        "tempfile::TempDir",
        || {
            for _ in 0..per_sample {
                match tempfile::TempDir::new() {
                    Ok(dir) => drop(black_box(dir)),
                    Err(_) => failures.set(failures.get() + 1),
                }
            }
        },
    );
    let failures = failures.get();
    anyhow::ensure!(failures == 0, "{failures} temp dirs could not be created");
    n.say(
        "Both are a mkdir and a remove_dir_all: the system calls are the cost, the guard is not.",
    );
    Ok(())
}

fn guard_overhead(n: &mut Narrator) {
    n.section("What a guard costs: against writing the cleanup by hand");
    let ops: u32 = n.mode().pick(10_000, 1_000_000);
    // Cells: both closures count into the same place, and both are alive
    // at once inside `compare_timed`.
    let cleaned = std::cell::Cell::new(0u64);
    n.compare_timed(
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
    let spent = std::cell::Cell::new(Duration::ZERO);
    n.compare_timed(
        "time a scope: TimerGuard vs Instant::now + elapsed",
        u64::from(ops),
        || {
            for i in 0..ops {
                let _timer = time_scope(|d| spent.set(spent.get() + d));
                black_box(i);
            }
        },
        "manual Instant",
        || {
            for i in 0..ops {
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
    let mut direct = ledger.clone();
    let transfers: u32 = n.mode().pick(1_000, 100_000);
    n.compare_timed(
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
                if let Some(b) = direct.balances.get_mut("alice") {
                    *b -= 1;
                }
                if let Some(b) = direct.balances.get_mut("bob") {
                    *b += 1;
                }
            }
        },
    );
    n.say(
        "A guard compiles to the code you would have written by hand: its `Drop` is inlined at \
         every exit. The transaction pays for its undo log (a `Vec` and two owned key copies per \
         transfer) — \
         that is the price of atomicity, not of the guard.",
    );
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
        n.record(
            "closes run after cancellation, Warn fallback",
            unguarded as f64,
            Unit::Count,
        );
        n.record(
            "closes run after cancellation, SpawnClose fallback",
            guarded as f64,
            Unit::Count,
        );
    }
    n.say(
        "Python's `async with` runs `__aexit__` on cancellation because cancelling raises \
         CancelledError inside the task. A Rust future is just dropped at its `.await`: no more \
         of its code runs, only destructors — so the close either happens in `Drop` (sync) or is \
         handed to a task that outlives the caller.",
    );

    let per_sample: u32 = n.mode().pick(1_000, 50_000);
    let quick = ConnectOptions::new("db");
    let quiet = EventLog::new();
    n.compare_timed(
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{sleep, timeout};

    fn events(log: &EventLog) -> Vec<String> {
        log.events()
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

    #[tokio::test(start_paused = true)]
    async fn cancelled_by_timeout_close_does_not_run_but_drop_does() {
        let log = EventLog::new();
        let work = with_connection(options(OnDrop::Warn), &log, async |c| {
            c.send("a");
            c.send("b");
            sleep(Duration::from_secs(3600)).await;
            Ok::<_, String>(())
        });
        let outcome = timeout(Duration::from_secs(1), work).await;
        assert!(outcome.is_err(), "timed out");
        sleep(Duration::from_secs(10)).await; // nothing more is coming
        assert_eq!(
            events(&log),
            [
                "open db",
                "drop db without close: 2 unflushed messages lost"
            ]
        );
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
        assert_eq!(
            events(&log),
            [
                "open db",
                "drop db without close: 1 unflushed messages lost"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_spawn_close_fallback_finishes_the_close_in_the_background() {
        let log = EventLog::new();
        let work = with_connection(options(OnDrop::SpawnClose), &log, async |c| {
            c.send("a");
            c.send("b");
            sleep(Duration::from_secs(3600)).await;
            Ok::<_, String>(())
        });
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
        assert_eq!(
            events(&log),
            [
                "open db",
                "drop db without close: 1 unflushed messages lost"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn closing_by_hand_skips_close_on_error() {
        let log = EventLog::new();
        let broken = send_then_close_broken(options(OnDrop::Warn), &log, true).await;
        assert!(broken.is_err());
        assert_eq!(
            events(&log),
            [
                "open db",
                "drop db without close: 1 unflushed messages lost"
            ],
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
        let mut n = Narrator::silent("core/context-managers", mastery_kit::Mode::Quick);
        let started = Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "quick means quick"
        );
        assert!(
            n.comparisons()
                .iter()
                .any(|c| c.peer_name == "tempfile::TempDir")
        );
        let value = |label: &str| {
            n.measurements()
                .iter()
                .find(|m| m.label == label)
                .map(|m| m.value)
        };
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
}
