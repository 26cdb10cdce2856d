//! What `mastery mapreduce` prints, read back; and the demo in quick mode.

use super::*;

#[test]
fn summaries_render_and_parse_back() {
    let counts = count_single("a b b");
    let summary = RunSummary::new("rayon, 2 threads", 6, &counts, Duration::from_millis(2));
    let text = format!("{}top 1:\n  2  b\n", summary.render());
    let back = RunSummary::parse(&text).expect("parses");
    assert_eq!(back.engine, "rayon, 2 threads");
    assert_eq!(
        (back.words, back.distinct, back.digest),
        (3, 2, counts.digest())
    );
    assert!((back.seconds - 0.002).abs() < 1e-9);
    assert!(RunSummary::parse("engine: x\n").is_none());
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("concurrency/mapreduce", demo);
    let labels: Vec<&str> = n.comparisons().iter().map(|c| c.label.as_str()).collect();
    assert!(labels.iter().any(|l| l.contains("rayon")), "{labels:?}");
    assert!(labels.iter().any(|l| l.contains("timely")), "{labels:?}");
    assert!(
        n.comparisons()
            .iter()
            .all(|c| c.speedup.is_finite() && c.speedup > 0.0)
    );
}
