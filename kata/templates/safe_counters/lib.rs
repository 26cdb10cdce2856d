// Kata safe-counters: a counter many threads add to, with no add lost.
//
// Fill in the `todo!()`s (README.md says what each must do), then run
// `cargo test`: the kit's own tests run against your `SafeCounter`.
//
// Keep the names `SafeCounter`, `new`, `handle`, `total` and `add`: the
// tests call them through the two traits.

pub use mastery_kata::safe_counters::{CounterKata, KataHandle};

/// Your counter: starts at 0; any number of threads add to it at once,
/// each through its own handle.
#[derive(Debug)]
pub struct SafeCounter {
    // Replace this with your fields.
}

/// What one thread adds through. It may be `&'a SafeCounter` itself, or
/// keep a local batch — then it must hand the batch over when dropped
/// (`impl Drop for Handle<'_>`).
#[derive(Debug)]
pub struct Handle<'a> {
    counter: &'a SafeCounter,
    // Add fields if your handle keeps anything of its own.
}

impl CounterKata for SafeCounter {
    type Handle<'a> = Handle<'a>;

    /// A counter at 0.
    fn new() -> Self {
        todo!("SafeCounter::new")
    }

    /// A handle for the calling thread.
    fn handle(&self) -> Handle<'_> {
        todo!("SafeCounter::handle")
    }

    /// Every add of every dropped handle.
    fn total(&self) -> u64 {
        todo!("SafeCounter::total")
    }
}

impl KataHandle for Handle<'_> {
    /// Adds `n` (not 1).
    fn add(&mut self, n: u64) {
        todo!("Handle::add({n})")
    }
}
