//! The kit's own answers as kata implementations: the lesson's textbook
//! code with the kata's trait, the very block `mastery kata new ID
//! --solution` writes after it (`kata/solutions/<id>.rs`). The kit's check
//! that every kata's tests are real starts here: the textbook passes them.

use std::hash::Hash;
use std::num::NonZeroUsize;

use crate::lru_cache::{LruFamily, LruKata};
pub use mastery_interview::lru_cache::SimpleLru;

include!("../solutions/lru_cache.rs");

/// `SimpleLru` at every key and value type.
#[derive(Debug)]
pub struct TextbookLru;

impl LruFamily for TextbookLru {
    type Of<K: Hash + Eq + Clone, V> = SimpleLru<K, V>;
}

/// `simple_order` (patterns/mini-dag) through the kata's entry point.
mod dag_order_solution {
    pub use mastery_patterns::mini_dag::simple_order;

    include!("../solutions/dag_order.rs");
}

/// The lesson's `simple_order` as the `dag-order` kata's answer.
#[derive(Debug)]
pub struct TextbookOrder;

impl crate::dag_order::DagOrderKata for TextbookOrder {
    fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
        dag_order_solution::order(n, edges)
    }
}

/// `MutexCounter` (interview/safe-counters) with the kata's trait.
mod safe_counters_solution {
    use crate::safe_counters::{CounterKata, KataHandle};
    use mastery_interview::safe_counters::MutexCounter;

    include!("../solutions/safe_counters.rs");
}

/// The lesson's `MutexCounter` as the `safe-counters` kata's answer.
pub use mastery_interview::safe_counters::MutexCounter;

/// `retry_simple` (interview/retry-backoff) through the kata's entry point.
pub mod retry_backoff_solution {
    use std::time::Duration;

    use crate::retry_backoff::{Backoff, RetryError, RngCore};
    use mastery_interview::retry_backoff::retry_simple;

    include!("../solutions/retry_backoff.rs");
}

/// The lesson's `retry_simple` as the `retry-backoff` kata's answer.
#[derive(Debug)]
pub struct TextbookRetry;

impl crate::retry_backoff::RetryKata for TextbookRetry {
    fn retry<O, E>(
        policy: &crate::retry_backoff::Backoff,
        rng: impl crate::retry_backoff::RngCore,
        sleep: impl FnMut(std::time::Duration),
        op: impl FnMut() -> Result<O, E>,
    ) -> Result<O, crate::retry_backoff::RetryError<E>> {
        retry_backoff_solution::retry(policy, rng, sleep, op)
    }
}

/// `serve_batches_simple` (interview/batching-service) through the kata's
/// entry point.
pub mod batching_solution {
    use std::future::Future;
    use std::time::Duration;

    use mastery_interview::batching_service::serve_batches_simple;
    use tokio::sync::{mpsc, oneshot};

    include!("../solutions/batching.rs");
}

/// `SimpleCsvParser` (interview/streaming-parsers) with the kata's trait.
mod csv_parser_solution {
    use crate::csv_parser::{CsvKata, ErrorKind};
    use mastery_interview::streaming_parsers::SimpleCsvParser;

    include!("../solutions/csv_parser.rs");
}

/// The lesson's `SimpleCsvParser` as the `csv-parser` kata's answer.
pub use mastery_interview::streaming_parsers::SimpleCsvParser;
