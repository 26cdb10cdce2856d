//! The demo: the same events as text and JSON, `RUST_LOG` against `-v`,
//! spans across `.await` done wrong and right, and what an event costs.

use mastery_kit::{Area, Narrator, Topic};

use super::{
    Captured, LogFormat, LogLevel, broken, filter, handle_request, handle_request_async, subscriber,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "tooling/logging-examples",
        area: Area::Tooling,
        rank: 4,
        title: "Structured logging (structlog / loguru)",
        python: "structlog.get_logger().bind(request_id=7).info(\"done\", items=3)",
        rust: "tracing spans + events with typed fields; tracing-subscriber text/JSON, EnvFilter",
        path: "tooling/src/logging_examples/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("The same events, rendered two ways (level info: the debug event is filtered)");
    for format in [LogFormat::Text, LogFormat::Json] {
        let captured = Captured::default();
        let sub = subscriber(filter(LogLevel::Info, None)?, format, captured.clone());
        tracing::subscriber::with_default(sub, || handle_request(7, "ada"));
        n.say(&format!("{format:?}:"));
        for line in captured.text().lines() {
            n.show(line.trim_start());
        }
    }

    n.section("RUST_LOG wins over -v");
    let per_module = "mastery_tooling=debug,warn";
    let captured = Captured::default();
    let sub = subscriber(
        filter(LogLevel::Warn, Some(per_module))?,
        LogFormat::Text,
        captured.clone(),
    );
    tracing::subscriber::with_default(sub, || handle_request(8, "grace"));
    n.say(&format!(
        "With RUST_LOG={per_module} this crate's debug events appear ({} lines) although the level flag says warn.",
        captured.text().lines().count()
    ));
    let bad = filter(LogLevel::Warn, Some("mastery=loud"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    n.say(&format!(
        "A bad filter is an error, not a silent default: {bad}"
    ));

    n.section("Spans across .await: the guard held (broken) vs .instrument");
    n.say(
        "A request logs, awaits, and logs again, while an unrelated task on the \
         same thread logs once in between. Counted: the unrelated task's events \
         that came out inside the request's span.",
    );
    n.record_count(
        "unrelated events inside the request span: span.enter() held across .await",
        broken::events_logged_in_a_foreign_span(broken::handle_request_async_holding_the_guard(
            7, "ada",
        ))?,
    );
    n.record_count(
        "unrelated events inside the request span: .instrument(span)",
        broken::events_logged_in_a_foreign_span(handle_request_async(7, "ada"))?,
    );

    n.section("What an event costs");
    let ops = n.mode().pick_deep(2_000, 30_000, 1_000_000);
    // Each event goes to a sink, so formatting is timed and terminal I/O is
    // not.
    let sink = |format| -> anyhow::Result<_> {
        Ok(subscriber(
            filter(LogLevel::Info, None)?,
            format,
            std::io::sink,
        ))
    };
    tracing::subscriber::with_default(sink(LogFormat::Text)?, || {
        n.measure("debug! event, filtered out at level info", ops, || {
            for i in 0..ops {
                tracing::debug!(i, "not recorded");
            }
        });
    });
    for (format, label) in [
        (
            LogFormat::Text,
            "info! event, formatted as text into a sink",
        ),
        (
            LogFormat::Json,
            "info! event, formatted as JSON into a sink",
        ),
    ] {
        tracing::subscriber::with_default(sink(format)?, || {
            n.measure(label, ops, || {
                for i in 0..ops {
                    tracing::info!(i, "recorded");
                }
            });
        });
    }
    Ok(())
}
