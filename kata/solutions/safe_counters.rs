// The kata's trait for the lesson's `MutexCounter` (interview/safe-counters,
// `ANCHOR: mutex_counter`): every thread adds through `&MutexCounter`. The
// kit includes this in `mastery_kata::textbook`, and `mastery kata new
// safe-counters --solution` pastes it after the lesson's code.
impl CounterKata for MutexCounter {
    type Handle<'a> = &'a MutexCounter;

    fn new() -> Self {
        MutexCounter::new()
    }

    fn handle(&self) -> &MutexCounter {
        self
    }

    fn total(&self) -> u64 {
        self.get()
    }
}

impl KataHandle for &MutexCounter {
    fn add(&mut self, n: u64) {
        MutexCounter::add(self, n);
    }
}
