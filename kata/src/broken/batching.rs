//! Broken answers to the `batching` kata, one plausible mistake each. Each
//! is caught by the kit test named in its doc.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout, timeout_at};

use crate::batching::BatchingKata;

/// Calls the handler once with the batch (emptying it) and returns the
/// future that answers each caller, ignoring callers that gave up. It
/// borrows neither the batch nor the handler, so the loop's future stays
/// `Send` with a handler that is only `Send`.
fn flush<Req, Resp, Fut, H>(
    batch: &mut Vec<(Req, oneshot::Sender<Resp>)>,
    handler: &H,
) -> impl Future<Output = ()> + use<Req, Resp, Fut, H>
where
    H: Fn(Vec<Req>) -> Fut,
    Fut: Future<Output = Vec<Resp>>,
{
    let (requests, callers): (Vec<Req>, Vec<_>) = std::mem::take(batch).into_iter().unzip();
    let answers = (!requests.is_empty()).then(|| handler(requests));
    async move {
        if let Some(answers) = answers {
            for (caller, answer) in callers.into_iter().zip(answers.await) {
                let _ = caller.send(answer);
            }
        }
    }
}

/// Broken: waits `max_wait` for *each* next request, so a steady trickle
/// of requests never lets a batch go until it is full. Caught by
/// `the_deadline_counts_from_the_first_request`.
#[derive(Debug)]
pub struct DeadlineRestartsPerRequest;

impl BatchingKata for DeadlineRestartsPerRequest {
    async fn serve<Req, Resp, Fut>(
        mut queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
        max_batch: usize,
        max_wait: Duration,
        handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
    ) where
        Req: Send + 'static,
        Resp: Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static,
    {
        let mut batch = Vec::new();
        loop {
            let next = if batch.is_empty() {
                queue.recv().await
            } else {
                // BUG: a fresh max_wait per request, not one per batch.
                match timeout(max_wait, queue.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        flush(&mut batch, &handler).await;
                        continue;
                    }
                }
            };
            let Some(request) = next else {
                flush(&mut batch, &handler).await;
                return;
            };
            batch.push(request);
            if batch.len() == max_batch {
                flush(&mut batch, &handler).await;
            }
        }
    }
}

/// Broken: checks the size *before* adding, so a batch holds
/// `max_batch + 1`. Caught by
/// `full_batches_go_at_once_and_hold_at_most_max_batch`.
#[derive(Debug)]
pub struct OneTooMany;

impl BatchingKata for OneTooMany {
    async fn serve<Req, Resp, Fut>(
        mut queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
        max_batch: usize,
        max_wait: Duration,
        handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
    ) where
        Req: Send + 'static,
        Resp: Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static,
    {
        let mut open = true;
        while open {
            let Some(first) = queue.recv().await else {
                return;
            };
            let deadline = Instant::now() + max_wait;
            let mut batch = vec![first];
            // BUG: `<=` lets one more in than max_batch.
            while batch.len() <= max_batch {
                match timeout_at(deadline, queue.recv()).await {
                    Ok(Some(request)) => batch.push(request),
                    Ok(None) => {
                        open = false;
                        break;
                    }
                    Err(_) => break,
                }
            }
            flush(&mut batch, &handler).await;
        }
    }
}

/// Broken: when the queue closes while a batch is being collected, returns
/// at once — the requests already taken are never answered. Caught by
/// `closing_the_queue_flushes_what_is_queued_then_ends`.
#[derive(Debug)]
pub struct DropsTheLastBatchOnClose;

impl BatchingKata for DropsTheLastBatchOnClose {
    async fn serve<Req, Resp, Fut>(
        mut queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
        max_batch: usize,
        max_wait: Duration,
        handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
    ) where
        Req: Send + 'static,
        Resp: Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static,
    {
        let mut batch = Vec::with_capacity(max_batch);
        while queue.recv_many(&mut batch, max_batch).await > 0 {
            let deadline = Instant::now() + max_wait;
            while batch.len() < max_batch {
                let room = max_batch - batch.len();
                match timeout_at(deadline, queue.recv_many(&mut batch, room)).await {
                    Ok(0) => return, // BUG: closed; `batch` is dropped unanswered.
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            flush(&mut batch, &handler).await;
        }
    }
}
