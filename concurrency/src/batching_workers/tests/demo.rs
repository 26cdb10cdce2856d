//! The demo's order parsing, the sentences it builds from a report, and
//! the demo itself in quick mode.

use super::*;
use crate::batching_workers::demo::orders::{BAD_EVERY, Order, order_lines, parse_order};
use crate::batching_workers::demo::{
    LOST, PER_ITEM_PEER, UNACCOUNTED, backpressure_story, bottleneck_story, demo,
};

#[test]
fn bad_order_lines_get_errors_that_say_what_and_where() {
    let order = Order {
        id: 7,
        customer: 42,
        cents: 1999,
    };
    assert_eq!(parse_order("7, 42 ,1999"), Ok(order));
    let cases = [
        ("7,42", "found 2"),
        (
            "7,c42,10",
            "field `customer` is not a whole number: \"c42\"",
        ),
        ("7,42,-5", "field `cents`"),
    ];
    for (line, want) in cases {
        let e = parse_order(line).expect_err(line).to_string();
        assert!(e.contains(want) && e.contains(line), "{e}");
    }
    let bad = order_lines(100)
        .iter()
        .filter(|l| parse_order(l).is_err())
        .count();
    assert_eq!(bad, 100 / BAD_EVERY);
}

/// A report of `source → parse → sink` in which parse was busy for the
/// whole run and the source was blocked `source_blocked_sends` times.
fn report_with(source_blocked_sends: u64) -> Report {
    let stage = |name: &str, kind, busy_ms| StageReport {
        name: name.to_owned(),
        kind,
        workers: 1,
        received: 10,
        emitted: 10,
        rejected: 0,
        busy: Duration::from_millis(busy_ms),
        blocked: Duration::ZERO,
        blocked_sends: 0,
        active: Duration::from_millis(100),
        batches: None,
        outbox: None,
        rejections: Vec::new(),
    };
    let mut source = stage("source", StageKind::Source, 0);
    source.blocked_sends = source_blocked_sends;
    source.blocked = Duration::from_millis(40) * u32::try_from(source_blocked_sends).unwrap_or(0);
    Report {
        stages: vec![
            source,
            stage("parse", StageKind::Map, 100),
            stage("sink", StageKind::Sink, 10),
        ],
        elapsed: Duration::from_millis(100),
    }
}

#[test]
fn the_bottleneck_story_says_only_what_was_measured() {
    let (idle, share) = bottleneck_story(&report_with(0)).expect("a bottleneck");
    assert!(idle.contains("`parse`, busy 100%"), "{idle}");
    for claim in ["blocked in send", "ms in send"] {
        assert!(!idle.contains(claim), "no blocked time, no claim: {idle}");
    }
    assert!(idle.contains("nothing upstream waited"), "{idle}");
    assert!((share - 1.0).abs() < 1e-9);
    let (blocked, _) = bottleneck_story(&report_with(2)).expect("a bottleneck");
    assert!(
        blocked.contains("waited 80.0 ms in send, 2 times"),
        "{blocked}"
    );
    let calm = backpressure_story(&report_with(0).stages[0]);
    assert!(calm.contains("never found its queue full"), "{calm}");
    let pushed = backpressure_story(&report_with(3).stages[0]);
    assert!(
        pushed.contains("waited 3 times (120.0 ms in all)"),
        "{pushed}"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("concurrency/batching-workers", demo);
    let c = n.comparison_with(PER_ITEM_PEER);
    let c = c.expect("the batching comparison");
    assert!(c.speedup > 1.0, "batching beats per-item calls: {c:?}");
    for label in [LOST, UNACCOUNTED] {
        let zero = n.recorded(label) == Some(0.0);
        assert!(zero, "{label} is 0");
    }
}
