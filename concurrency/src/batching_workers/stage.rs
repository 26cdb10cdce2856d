//! [`Stage`], a stage as the user describes it: a name, the capacity of the
//! queue it feeds, a number of workers. The builder checks and wires it; the
//! stage's metrics take their name and worker count from it.

/// One stage's name, the capacity of the queue it feeds, and its workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub(super) name: String,
    pub(super) queue: usize,
    pub(super) workers: usize,
}

impl Stage {
    /// A stage called `name` (unique in its pipeline: it labels metrics and
    /// errors) whose output queue holds `queue` items; one worker.
    pub fn new(name: impl Into<String>, queue: usize) -> Self {
        Stage {
            name: name.into(),
            queue,
            workers: 1,
        }
    }

    /// Runs `workers` tasks that share the stage's inbox. With more than one
    /// the stage's output order is no longer its input order.
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }
}
