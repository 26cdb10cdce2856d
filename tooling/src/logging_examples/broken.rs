//! A bug story: holding a span's guard across `.await`.
//!
//! `span.enter()` is how synchronous code enters a span, so it is what most
//! people write first in an `async fn` too. It compiles, and the events of
//! the function look right. What goes wrong is everything else: when the
//! future yields at the `.await`, the guard still lives inside it, so the
//! span stays entered on the thread; the next task that thread polls logs
//! inside a request it has nothing to do with. `tracing`'s own docs call
//! this out on `Span::enter`.
//!
//! [`events_logged_in_a_foreign_span`] shows it: it runs a request beside a
//! second task on one thread and counts the second task's events that came
//! out carrying the request's span. The broken version leaks; the
//! instrumented one ([`super::handle_request_async`]) does not. The tests
//! pin both.

use std::future::Future;

use super::{LogLevel, json_events_of};

// ANCHOR: guard_across_await
/// BROKEN, kept to show the bug: the guard lives across the `.await`, so
/// while this future is suspended the span stays entered on the thread.
pub async fn handle_request_async_holding_the_guard(id: u64, user: &str) {
    let span = tracing::info_span!("request", id, user);
    let _entered = span.enter();
    tracing::info!("request received");
    tokio::task::yield_now().await; // suspended, span still entered
    tracing::info!(items = 3, "batch processed");
}
// ANCHOR_END: guard_across_await

/// Work that has nothing to do with any request: it logs once, at the moment
/// the request above is suspended (`join!` polls it right after).
async fn unrelated_task() {
    tracing::info!(task = "unrelated", "housekeeping");
}

/// Runs `request` and an unrelated task concurrently on one thread, logging
/// JSON into memory, and returns how many of the unrelated task's events
/// carry a span (they should carry none).
///
/// # Errors
/// When the runtime cannot be built or a logged line is not JSON.
pub fn events_logged_in_a_foreign_span(request: impl Future<Output = ()>) -> anyhow::Result<usize> {
    // One thread and one task: `join!` polls both futures in turn, which is
    // exactly the interleaving a busy runtime thread produces.
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let events = json_events_of(LogLevel::Info, || {
        runtime.block_on(async {
            tokio::join!(request, unrelated_task());
        });
    })?;
    let foreign = events
        .iter()
        .filter(|event| event["fields"]["task"] == "unrelated" && event.get("span").is_some())
        .count();
    Ok(foreign)
}
