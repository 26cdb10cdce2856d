//! # Structured logging with `tracing`
//!
//! ## Python idiom
//! `structlog` or `loguru`: log calls carry key–value context
//! (`log.bind(request_id=7).info("batch processed", items=3)`), rendered as
//! text for people or JSON for machines; `logging.basicConfig(level=...)` and
//! per-logger levels choose what is kept. Context that should follow a
//! request through `await`s lives in `contextvars`
//! (`structlog.contextvars.bind_contextvars`), which every asyncio task copies
//! when it is created.
//!
//! ## Rust answer
//! `tracing`: **events** (`info!(items = 3, "batch processed")`) carry typed
//! fields, and **spans** (`info_span!("request", id = 7)`) carry context that
//! every event recorded while the span is *entered* inherits. Synchronous
//! code enters a span for a scope (`let _entered = span.enter();`). Async
//! code must not: a future that holds that guard across an `.await` leaves
//! the span entered on the thread while it is suspended, so whatever runs
//! there next logs inside it. The fix is to **instrument** the future
//! (`.instrument(span)` or `#[instrument]`), which enters the span on every
//! poll and leaves it when the future yields — [`handle_request_async`]
//! below, and [`broken::handle_request_async_holding_the_guard`] beside the
//! test that catches the mistake. (`tokio::spawn` refuses the broken future,
//! because the guard is `!Send`; inside one task's `join!` or `select!` it
//! compiles.)
//!
//! `tracing-subscriber` renders events as text or JSON and filters them with
//! `EnvFilter` (`RUST_LOG=mastery_kit=debug,warn`). The kit's own setup:
//! `-v` info, `-vv` debug, `-vvv` trace, `--log-format text|json`. `RUST_LOG`,
//! when set, replaces the *filter* (the level from `-v` or `log_level`); the
//! format still comes from `--log-format`. Logs go to stderr, so stdout stays
//! clean for `--json` output.
//!
//! ## When to use which
//! - `tracing` for anything async or multi-threaded, or whenever context
//!   should flow into every line (request ids, topic ids) — the default today.
//! - `log` + `env_logger` for a small synchronous CLI or a library that must
//!   not pull in `tracing`; `tracing` can consume `log` records and vice versa.
//! - `#[instrument]` for a function whose every call is a span; an explicit
//!   `.instrument(span)` when the span's fields are computed by the caller.
//!
//! ## What it costs
//! The demo measures three events per call: a `debug!` that the filter
//! rejects (a level check against a cached maximum, no formatting), an
//! `info!` formatted as text, and the same as JSON, each into a sink so that
//! no terminal I/O is counted. The lesson of the figures: leave `debug!` in
//! hot code, but an enabled event pays formatting and I/O on every call. It
//! also counts how many events of another task land in the wrong span when
//! the guard is held across `.await`, and with `.instrument`.
//!
//! ## Run it
//! `mastery run tooling/logging-examples`; try
//! `mastery -vv --log-format json run interview/lru-cache` and
//! `RUST_LOG=mastery_kit=debug mastery tour --quick`.

use tracing::Instrument;

pub mod broken;
mod capture;
mod demo;
mod setup;
#[cfg(test)]
mod tests;

pub use capture::{Captured, json_events_of};
pub use setup::{BadFilter, LogFormat, LogLevel, filter, init, subscriber};

// ANCHOR: core
/// Synchronous code: enter a span for the scope; every event inside it
/// carries the span's fields (`id`, `user`) as well as its own (`items`).
pub fn handle_request(id: u64, user: &str) {
    let span = tracing::info_span!("request", id, user);
    let _entered = span.enter();
    tracing::info!(items = 3, "batch processed");
    tracing::debug!("cache state dumped");
}

/// Async code: attach the span to the future instead of entering it. The
/// span is entered each time the future is polled and left each time it
/// yields, so the events after the `.await` still carry `id` and `user`, and
/// nothing else that runs on this thread meanwhile does.
pub async fn handle_request_async(id: u64, user: &str) {
    let span = tracing::info_span!("request", id, user);
    async {
        tracing::info!("request received");
        tokio::task::yield_now().await; // the task is suspended here
        tracing::info!(items = 3, "batch processed");
    }
    .instrument(span)
    .await;
}
// ANCHOR_END: core
