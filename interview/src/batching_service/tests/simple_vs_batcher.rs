//! The differential test: the lesson's [`serve_batches_simple`] and the
//! production [`Batcher`] form the same batches from the same arrivals.
//!
//! Both run on a paused clock, so each run is deterministic. Requests
//! arrive on multiples of 10 ms and every deadline falls on an odd multiple
//! of 5 ms, so no request arrives at the very instant a batch's deadline
//! passes (which of the two happens first would then be up to the
//! scheduler, not to the batching logic). The handler takes no time, so the
//! production worker's deadline (from when the first request was queued)
//! and the simple loop's (from when it took it) are the same instant.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use tokio::sync::{mpsc, oneshot};

use super::super::{BatchConfig, Batcher, serve_batches_simple};

/// The batches a handler saw, in call order.
type Batches = Arc<Mutex<Vec<Vec<u64>>>>;

fn record(batches: &Batches, batch: &[u64]) {
    batches.lock().expect("batches lock").push(batch.to_vec());
}

/// Waits `gap` tens of milliseconds; no wait (and no yield) for 0, so
/// requests with no gap between them are queued together.
async fn wait_tens_of_ms(gap: u64) {
    if gap > 0 {
        tokio::time::sleep(Duration::from_millis(10 * gap)).await;
    }
}

/// Request `i` arrives `gaps[i]` tens of milliseconds after request `i - 1`.
async fn simple_batches(max_batch: usize, max_wait: Duration, gaps: &[u64]) -> Vec<Vec<u64>> {
    let batches = Batches::default();
    let seen = Arc::clone(&batches);
    let (queue, requests) = mpsc::channel(gaps.len().max(1));
    let server = tokio::spawn(serve_batches_simple(
        requests,
        max_batch,
        max_wait,
        move |batch: Vec<u64>| {
            record(&seen, &batch);
            async move { batch }
        },
    ));
    let mut replies = Vec::new();
    for (x, &gap) in (0u64..).zip(gaps) {
        wait_tens_of_ms(gap).await;
        let (answer, reply) = oneshot::channel();
        queue
            .try_send((x, answer))
            .expect("the queue has room for all");
        replies.push((x, reply));
    }
    drop(queue); // the loop ends once it has served what is queued
    server.await.expect("the simple loop does not panic");
    for (x, reply) in replies {
        assert_eq!(reply.await, Ok(x), "each caller gets its own answer");
    }
    batches.lock().expect("batches lock").clone()
}

async fn batcher_batches(max_batch: usize, max_wait: Duration, gaps: &[u64]) -> Vec<Vec<u64>> {
    let batches = Batches::default();
    let seen = Arc::clone(&batches);
    let config = BatchConfig {
        max_batch,
        max_wait,
        queue_capacity: gaps.len().max(1),
    };
    let batcher = Batcher::new(config, move |batch: Vec<u64>| {
        record(&seen, &batch);
        async move { Ok::<_, String>(batch.into_iter().map(Ok).collect()) }
    })
    .expect("valid config");
    let mut tickets = Vec::new();
    for (x, &gap) in (0u64..).zip(gaps) {
        wait_tens_of_ms(gap).await;
        tickets.push((
            x,
            batcher.try_submit(x).expect("the queue has room for all"),
        ));
    }
    batcher.shutdown().await; // serves what is queued, then stops
    for (x, ticket) in tickets {
        assert_eq!(ticket.await, Ok(x), "each caller gets its own answer");
    }
    batches.lock().expect("batches lock").clone()
}

fn on_paused_clock<T>(run: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a runtime")
        .block_on(run)
}

fn max_wait() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_millis(5)),
        Just(Duration::from_millis(15)),
        Just(Duration::from_millis(25)),
        // No deadline: a batch goes when full, or when the queue closes.
        Just(Duration::MAX),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_simple_loop_and_the_batcher_form_the_same_batches(
        max_batch in 1usize..6,
        max_wait in max_wait(),
        gaps in proptest::collection::vec(0u64..4, 0..30),
    ) {
        let simple = on_paused_clock(simple_batches(max_batch, max_wait, &gaps));
        let production = on_paused_clock(batcher_batches(max_batch, max_wait, &gaps));
        prop_assert_eq!(simple, production);
    }
}
