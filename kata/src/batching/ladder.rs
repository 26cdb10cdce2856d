//! The second half of `mastery kata check` for this kata: the reader's
//! loop as one more rung of the `interview/batching-service` overhead
//! ladder — the same 64 closed-loop clients, batch limits and free handler
//! as the lesson's loop and the `Batcher` — timed in the same rounds, then
//! placed.

use std::process::ExitCode;

use mastery_interview::batching_service::{ReaderServer, ServerFuture, climb_overhead_ladder};

use super::BatchingKata;

/// Climbs the overhead ladder with the reader's loop `T` as a rung and
/// prints where it lands; the mode comes from the command line (`--quick`,
/// `--deep`, else full). Exit code 1 when the ladder fails (the reader's
/// loop answered a request wrongly or not at all), 2 on a bad argument.
pub fn ladder<T: BatchingKata + 'static>() -> ExitCode {
    let mut n = match crate::ladder_narrator("kata/batching") {
        Ok(n) => n,
        Err(code) => return code,
    };
    // The topic's own runtime shape: two workers, time enabled.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start a tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reader = ReaderServer {
        name: "your serve_batches".to_owned(),
        start: |queue, max_batch, max_wait, handler| -> ServerFuture {
            Box::pin(T::serve(queue, max_batch, max_wait, handler))
        },
    };
    crate::ladder_exit(climb_overhead_ladder(&mut n, &runtime, Some(reader)))
}
