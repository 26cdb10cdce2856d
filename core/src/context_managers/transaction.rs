//! A transaction guard: writes go through to a [`Ledger`] with an undo
//! log, and dropping the [`Transaction`] without `commit` replays the log
//! backwards — on an error's `?`, an early `return` or a panic alike.

use std::collections::BTreeMap;

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

// ANCHOR: rollback_on_drop
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
// ANCHOR_END: rollback_on_drop
