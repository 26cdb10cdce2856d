//! `contextlib.ExitStack`: a run-time number of cleanups, unwound last in,
//! first out — and every one runs, even when an earlier one panics.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

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
