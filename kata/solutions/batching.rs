// The kata's entry point for the lesson's `serve_batches_simple`
// (interview/batching-service, `ANCHOR: core`). The kit includes this in
// `mastery_kata::textbook`, and `mastery kata new batching --solution`
// pastes it after the lesson's code.
/// The name the kit's tests call.
pub async fn serve_batches<Req, Resp, Fut>(
    queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
    max_batch: usize,
    max_wait: Duration,
    handler: impl Fn(Vec<Req>) -> Fut,
) where
    Fut: Future<Output = Vec<Resp>>,
{
    serve_batches_simple(queue, max_batch, max_wait, handler).await;
}
