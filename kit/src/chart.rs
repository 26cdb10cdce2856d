//! Charts for the report: every comparison of a run as a ratio with its
//! noise band, drawn as SVG by `plotters`.
//!
//! One row per comparison. The dot is the ratio (ours against the peer,
//! above 1 means ours is better), the whisker is the interval the verdict
//! was read from, and the colour is the verdict — so a reader sees at a
//! glance which wins are real and which are ties. Ratios span orders of
//! magnitude (a SIMD kernel against a Python loop next to a 3 % tie), so the
//! axis is logarithmic with the line of no difference at 1.
//!
//! The SVG backend writes labels as `<text>` for the browser to draw, so no
//! font library is needed; plotters only estimates text widths, which is why
//! the label area is sized from the longest label here.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::comparison::{Comparison, Verdict};
use crate::report::TopicResult;

/// Height of one comparison's row, in pixels.
const ROW: u32 = 26;
/// Labels longer than this many characters are shortened with `…`.
const MAX_LABEL: usize = 64;

/// One chart row: what was compared, and where its ratio and band lie.
struct Row {
    label: String,
    ratio: f64,
    band: Option<(f64, f64)>,
    verdict: Verdict,
}

impl Row {
    /// A row for `c`, or `None` when its ratio cannot sit on a log axis (a
    /// zero or infinite ratio, e.g. a peer that allocated nothing).
    fn of(c: &Comparison, prefix: &str) -> Option<Row> {
        let finite = |x: f64| x.is_finite() && x > 0.0;
        if !finite(c.speedup) {
            return None;
        }
        let band = c
            .interval
            .map(|i| (i.low, i.high))
            .filter(|&(lo, hi)| finite(lo) && finite(hi));
        Some(Row {
            label: shorten(&format!("{prefix}{} vs {}", c.label, c.peer_name)),
            ratio: c.speedup,
            band,
            verdict: c.verdict,
        })
    }

    fn extent(&self) -> (f64, f64) {
        let (lo, hi) = self.band.unwrap_or((self.ratio, self.ratio));
        (lo.min(self.ratio), hi.max(self.ratio))
    }
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL {
        label.to_owned()
    } else {
        let cut: String = label.chars().take(MAX_LABEL - 1).collect();
        format!("{cut}…")
    }
}

fn colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Better => RGBColor(0x1a, 0x7f, 0x37),
        Verdict::Worse => RGBColor(0xcf, 0x22, 0x2e),
        Verdict::Tie { .. } | Verdict::Equal => RGBColor(0x57, 0x60, 0x6a),
        Verdict::TooFewSamples => RGBColor(0xbf, 0x87, 0x00),
    }
}

/// The chart of one topic's comparisons, or `None` when it has none that
/// can be drawn.
///
/// # Errors
/// When plotters fails to lay the chart out (it reports, never panics).
pub fn topic_svg(topic: &TopicResult) -> anyhow::Result<Option<String>> {
    let rows: Vec<Row> = topic
        .comparisons
        .iter()
        .filter_map(|c| Row::of(c, ""))
        .collect();
    svg(&format!("{} — {}", topic.id, topic.title), &rows)
}

/// Every topic's comparisons in one chart, each row prefixed by its topic.
///
/// # Errors
/// As [`topic_svg`].
pub fn overview_svg(topics: &[TopicResult]) -> anyhow::Result<Option<String>> {
    let rows: Vec<Row> = topics
        .iter()
        .flat_map(|t| {
            t.comparisons
                .iter()
                .filter_map(|c| Row::of(c, &format!("{}: ", t.id)))
        })
        .collect();
    svg("Every comparison of this run", &rows)
}

fn svg(title: &str, rows: &[Row]) -> anyhow::Result<Option<String>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let (lo, hi) = rows
        .iter()
        .map(Row::extent)
        .fold((1.0_f64, 1.0_f64), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    // Room on both sides, so a dot at the edge is not cut in half.
    let (lo, hi) = (lo / 1.5, hi * 1.5);
    let longest = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_area = u32::try_from(longest).unwrap_or(u32::MAX).saturating_mul(7) + 16;
    let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let size = (label_area + 560, ROW.saturating_mul(n) + 130);

    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&root, title, rows, (lo, hi), label_area).map_err(|e| anyhow::anyhow!("{e}"))?;
        root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(Some(out))
}

type Failure = Box<dyn std::error::Error>;

fn draw(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    title: &str,
    rows: &[Row],
    (lo, hi): (f64, f64),
    label_area: u32,
) -> Result<(), Failure> {
    root.fill(&WHITE)?;
    let (plot, legend) = root.split_vertically(root.dim_in_pixel().1 - 24);
    draw_legend(&legend)?;
    let n = i32::try_from(rows.len())?;
    // `0..n` makes n + 1 segments: the first comparison sits in the top
    // one, the last in segment 1, and segment 0 is a margin above the axis.
    let row_at = |i: i32| SegmentValue::CenterOf(n - i);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(label_area)
        .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())?;
    let label_of = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(i) => usize::try_from(n - *i)
            .ok()
            .and_then(|i| rows.get(i))
            .map(|r| r.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(rows.len())
        .y_label_formatter(&label_of)
        .x_desc("ours vs peer (> 1: ours better; log scale; whisker: the run's interval)")
        .x_label_formatter(&|x| times(*x))
        .label_style(("sans-serif", 12))
        .draw()?;

    // The line of no difference: a band that crosses it is a tie.
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Last)],
        BLACK.stroke_width(1),
    )))?;
    chart.draw_series(rows.iter().zip(0..).filter_map(|(r, i)| {
        let (low, high) = r.band?;
        Some(ErrorBar::new_horizontal(
            row_at(i),
            low,
            r.ratio,
            high,
            colour(r.verdict).stroke_width(2),
            8,
        ))
    }))?;
    chart.draw_series(
        rows.iter()
            .zip(0..)
            .map(|(r, i)| Circle::new((r.ratio, row_at(i)), 5, colour(r.verdict).filled())),
    )?;
    Ok(())
}

/// An axis label: as many decimals as the magnitude needs.
fn times(x: f64) -> String {
    match x {
        x if x >= 10.0 => format!("{x:.0}×"),
        x if x >= 1.0 => format!("{x:.1}×"),
        x if x >= 0.1 => format!("{x:.2}×"),
        x => format!("{x:.3}×"),
    }
}

/// What the colours mean, in one line under the chart.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), Failure> {
    let entries = [
        (Verdict::Better, "ours better"),
        (Verdict::Worse, "ours worse"),
        (Verdict::Tie { within: 0.0 }, "tie or equal"),
        (Verdict::TooFewSamples, "too few pairs for a verdict"),
    ];
    let mut x = 16;
    for (verdict, text) in entries {
        area.draw(&Circle::new((x, 10), 5, colour(verdict).filled()))?;
        area.draw(&Text::new(text, (x + 10, 4), ("sans-serif", 12)))?;
        x += 24 + i32::try_from(text.len())? * 7;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Unit;

    fn topic(comparisons: Vec<Comparison>) -> TopicResult {
        TopicResult {
            id: "a/b".into(),
            title: "A <&> B".into(),
            ok: true,
            seconds: 0.1,
            error: None,
            measurements: vec![],
            comparisons,
        }
    }

    #[test]
    fn a_chart_names_every_comparison_and_escapes_text() -> anyhow::Result<()> {
        let faster = Comparison::paired(
            "a/b",
            "lookup",
            (&[1.0; 7], &[2.0; 7]),
            "peer",
            Unit::NsPerOp,
        );
        let tie = Comparison::paired(
            "a/b",
            "insert",
            (&[1.0, 1.1, 0.9, 1.0, 1.05, 0.95, 1.0], &[1.0; 7]),
            "peer",
            Unit::NsPerOp,
        );
        let bytes = Comparison::exact("a/b", "heap", (10.0, 40.0), "peer", Unit::Bytes);
        let svg = topic_svg(&topic(vec![faster, tie, bytes]))?.expect("three rows");
        assert!(svg.starts_with("<svg"), "{}", &svg[..80.min(svg.len())]);
        for label in ["lookup vs peer", "insert vs peer", "heap vs peer"] {
            assert!(svg.contains(label), "{label} missing");
        }
        assert!(svg.contains("A &lt;&amp;&gt; B"), "title escaped");
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        Ok(())
    }

    #[test]
    fn nothing_to_draw_gives_no_chart() -> anyhow::Result<()> {
        assert!(topic_svg(&topic(vec![]))?.is_none());
        let zero = Comparison::exact("a/b", "allocs", (0.0, 3.0), "peer", Unit::Count);
        assert!(
            topic_svg(&topic(vec![zero]))?.is_none(),
            "an infinite ratio is left out"
        );
        Ok(())
    }

    #[test]
    fn the_overview_prefixes_rows_with_their_topic() -> anyhow::Result<()> {
        let c = Comparison::exact("a/b", "heap", (10.0, 40.0), "peer", Unit::Bytes);
        let svg = overview_svg(&[topic(vec![c])])?.expect("one row");
        assert!(svg.contains("a/b: heap vs peer"));
        Ok(())
    }

    #[test]
    fn long_labels_are_shortened() {
        let s = shorten(&"x".repeat(200));
        assert_eq!(s.chars().count(), MAX_LABEL);
        assert!(s.ends_with('…'));
    }
}
