//! Levels, JSON fields, `RUST_LOG`, and spans across `.await`.

use super::demo::demo;
use super::*;

#[test]
fn verbosity_maps_to_levels() {
    assert_eq!(LogLevel::from_verbosity(0), None);
    assert_eq!(LogLevel::from_verbosity(1), Some(LogLevel::Info));
    assert_eq!(LogLevel::from_verbosity(2), Some(LogLevel::Debug));
    assert_eq!(LogLevel::from_verbosity(9), Some(LogLevel::Trace));
}

#[test]
fn json_lines_carry_span_fields() -> anyhow::Result<()> {
    let lines = json_events_of(LogLevel::Info, || handle_request(7, "ada"))?;
    assert_eq!(lines.len(), 1, "debug is filtered at info: {lines:?}");
    assert_eq!(lines[0]["fields"]["items"], 3);
    assert_eq!(lines[0]["span"]["id"], 7);
    assert_eq!(lines[0]["span"]["user"], "ada");
    Ok(())
}

#[test]
fn rust_log_overrides_level_and_bad_values_are_errors() -> anyhow::Result<()> {
    let captured = Captured::default();
    let sub = subscriber(
        filter(LogLevel::Off, Some("debug"))?,
        LogFormat::Text,
        captured.clone(),
    );
    tracing::subscriber::with_default(sub, || handle_request(1, "x"));
    assert!(captured.text().contains("cache state dumped"));
    let err = filter(LogLevel::Warn, Some("mastery=loud")).expect_err("invalid level");
    assert!(
        err.to_string().contains("RUST_LOG=\"mastery=loud\""),
        "{err}"
    );
    Ok(())
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("tooling/logging-examples", demo);
    assert_eq!(n.measurements().len(), 5);
}

#[test]
fn holding_the_guard_across_await_leaks_the_span_into_other_tasks() -> anyhow::Result<()> {
    let leaked = broken::events_logged_in_a_foreign_span(
        broken::handle_request_async_holding_the_guard(7, "ada"),
    )?;
    assert_eq!(
        leaked, 1,
        "the unrelated task logged inside the request span"
    );
    Ok(())
}

#[test]
fn an_instrumented_future_keeps_its_span_to_itself() -> anyhow::Result<()> {
    let leaked = broken::events_logged_in_a_foreign_span(handle_request_async(7, "ada"))?;
    assert_eq!(leaked, 0);
    Ok(())
}

#[test]
fn events_after_the_await_still_carry_the_span() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let lines = json_events_of(LogLevel::Info, || {
        runtime.block_on(handle_request_async(9, "grace"));
    })?;
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["span"]["id"], 9, "{line}");
    }
    assert_eq!(lines[1]["fields"]["items"], 3);
    Ok(())
}
