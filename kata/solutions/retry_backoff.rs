// The kata's entry point for the lesson's `retry_simple`
// (interview/retry-backoff, `ANCHOR: core`). The kit includes this in
// `mastery_kata::textbook`, and `mastery kata new retry-backoff --solution`
// pastes it after the lesson's code.
/// The name the kit's tests call.
///
/// # Errors
/// The last error, once every attempt failed.
pub fn retry<O, E>(
    policy: &Backoff,
    rng: impl RngCore,
    sleep: impl FnMut(Duration),
    op: impl FnMut() -> Result<O, E>,
) -> Result<O, RetryError<E>> {
    retry_simple(policy, rng, sleep, op)
}
