// Kata batching: collect requests into batches, call the handler once per
// batch, answer each caller.
//
// Fill in the `todo!()` (README.md says what it must do), then run `cargo
// test`: the kit's own tests run against your `serve_batches`.
//
// Keep the name and the signature: the tests and the ladder call
// `serve_batches` directly.

use std::future::Future;
use std::time::Duration;

use mastery_kata::batching::tokio;
use tokio::sync::{mpsc, oneshot};

/// Serves `queue`: takes the first request, keeps taking until the batch
/// holds `max_batch` or the first has waited `max_wait`, calls `handler`
/// once with the batch's requests, and sends each caller its own answer
/// (the handler answers in the order it was given). Returns when the
/// queue is closed and empty.
pub async fn serve_batches<Req, Resp, Fut>(
    queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
    max_batch: usize,
    max_wait: Duration,
    handler: impl Fn(Vec<Req>) -> Fut,
) where
    Fut: Future<Output = Vec<Resp>>,
{
    let _ = (&queue, &handler); // keeps "unused" warnings quiet until you use them
    todo!("serve_batches: batches of {max_batch}, waiting {max_wait:?} at most")
}
