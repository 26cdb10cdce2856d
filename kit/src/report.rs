//! What a run leaves behind: per-topic results, the machine they were
//! measured on, the JSON document and the Markdown report.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::chart;
use crate::comparison::Comparison;
use crate::narrator::{Measurement, format_value};

/// The outcome of one topic's demo.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TopicResult {
    /// The topic id.
    pub id: String,
    /// The topic title.
    pub title: String,
    /// Whether the demo finished without error or panic.
    pub ok: bool,
    /// Wall time of the demo.
    pub seconds: f64,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every figure the demo printed.
    pub measurements: Vec<Measurement>,
    /// Every comparison the demo printed.
    pub comparisons: Vec<Comparison>,
}

/// The machine the figures come from: figures mean little without it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model, from `/proc/cpuinfo` where there is one.
    pub cpu: String,
    /// Threads the process may run in parallel.
    pub cores: usize,
    /// Operating system (distribution name where known).
    pub os: String,
    /// CPU architecture.
    pub arch: String,
    /// The compiler that built this binary.
    pub rustc: String,
    /// Whether the binary was built with optimizations.
    pub optimized: bool,
    /// The mode the demos ran in.
    pub mode: crate::Mode,
}

impl Machine {
    /// The machine as a two-column Markdown table.
    pub fn table(&self) -> String {
        let m = self;
        let mut md = String::new();
        md.push_str("| machine | |\n|---|---|\n");
        for (k, v) in [
            ("CPU", m.cpu.clone()),
            ("cores", m.cores.to_string()),
            ("OS", m.os.clone()),
            ("arch", m.arch.clone()),
            ("rustc", m.rustc.clone()),
            (
                "build",
                if m.optimized {
                    "release"
                } else {
                    "debug (figures not representative)"
                }
                .to_owned(),
            ),
            ("mode", format!("{:?}", m.mode).to_lowercase()),
        ] {
            let _ = writeln!(md, "| {k} | {} |", cell(&v));
        }
        md
    }

    /// Describes the machine this process runs on.
    pub fn detect(mode: crate::Mode) -> Self {
        Machine {
            cpu: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: os_name(),
            arch: std::env::consts::ARCH.to_owned(),
            rustc: env!("MASTERY_RUSTC_VERSION").to_owned(),
            optimized: !cfg!(debug_assertions),
            mode,
        }
    }
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    pretty.unwrap_or_else(|| std::env::consts::OS.to_owned())
}

/// The document `mastery tour --json` and `mastery run --json` print.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// When the run started, UTC, RFC 3339 to the second: a results file
    /// without a date cannot say how old its figures are.
    pub measured_at: String,
    /// Where the figures were measured.
    pub machine: Machine,
    /// One entry per topic, in roadmap order.
    pub topics: Vec<TopicResult>,
}

impl Document {
    /// A document for a run that started at `started`.
    pub fn new(started: std::time::SystemTime, machine: Machine, topics: Vec<TopicResult>) -> Self {
        Document {
            measured_at: humantime::format_rfc3339_seconds(started).to_string(),
            machine,
            topics,
        }
    }

    /// Whether every topic succeeded.
    pub fn all_ok(&self) -> bool {
        self.topics.iter().all(|t| t.ok)
    }

    /// The document as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .expect("the document holds only strings, numbers and bools")
    }

    /// The Markdown report: the machine, then one section per topic.
    pub fn to_markdown(&self) -> String {
        let mut md = String::from(
            "# Results\n\nEvery figure below was measured by `mastery tour` in one run on this machine.\n\n",
        );
        let _ = writeln!(md, "Measured at {}.\n", self.measured_at);
        if self.topics.iter().any(|t| !t.comparisons.is_empty()) {
            md.push_str(
                "Each chart shows a comparison's ratio (ours vs the peer; right of 1 is ours \
                 better) with the interval its verdict comes from; a whisker that crosses 1 \
                 is a tie.\n\n![every comparison](charts/overview.svg)\n\n",
            );
        }
        md.push_str(&self.machine.table());
        for t in &self.topics {
            let status = if t.ok {
                "ok".to_owned()
            } else {
                format!(
                    "**failed**: {}",
                    cell(t.error.as_deref().unwrap_or("unknown error"))
                )
            };
            let _ = write!(
                md,
                "\n## `{}` — {}\n\n{status} in {:.2} s\n",
                t.id,
                cell(&t.title),
                t.seconds
            );
            md.push_str(&topic_tables(t));
            if !t.comparisons.is_empty() {
                let _ = writeln!(
                    md,
                    "\n![{} compared](charts/{}.svg)",
                    t.id,
                    chart_name(&t.id)
                );
            }
        }
        md
    }

    /// Parses a document that `mastery tour --json` printed.
    ///
    /// # Errors
    /// When the text is not such a document.
    pub fn from_json(text: &str) -> serde_json::Result<Document> {
        serde_json::from_str(text)
    }

    /// Writes `dir/RESULTS.md` and, beside it, `dir/charts/*.svg` (one per
    /// topic with comparisons, and the overview the report links to), then
    /// returns the report's path.
    ///
    /// # Errors
    /// When a directory cannot be created, a file written or a chart laid
    /// out; the error names the path.
    pub fn write_report(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        use anyhow::Context as _;
        let charts = dir.join("charts");
        std::fs::create_dir_all(&charts)
            .with_context(|| format!("creating report directory {}", charts.display()))?;
        let mut svgs = vec![("overview".to_owned(), chart::overview_svg(&self.topics))];
        for t in &self.topics {
            svgs.push((chart_name(&t.id), chart::topic_svg(t)));
        }
        for (name, svg) in svgs {
            let path = charts.join(format!("{name}.svg"));
            if let Some(svg) = svg.with_context(|| format!("drawing {}", path.display()))? {
                std::fs::write(&path, svg)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        let path = dir.join("RESULTS.md");
        std::fs::write(&path, self.to_markdown())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

/// A topic's figures as Markdown: the comparisons (ours, the peer, the
/// ratio and the verdict with its interval), then the other measurements.
pub fn topic_tables(t: &TopicResult) -> String {
    let mut md = String::new();
    if !t.comparisons.is_empty() {
        md.push_str("\n| comparison | ours | peer | against | unit | ratio | verdict |\n|---|---:|---:|---|---|---:|---|\n");
        for c in &t.comparisons {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {:.2}× | {} |",
                cell(&c.label),
                format_value(c.ours),
                format_value(c.peer),
                cell(&c.peer_name),
                c.unit,
                c.speedup,
                cell(&c.verdict_text())
            );
        }
    }
    if !t.measurements.is_empty() {
        md.push_str("\n| measurement | value | unit |\n|---|---:|---|\n");
        for x in &t.measurements {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                cell(&x.label),
                format_value(x.value),
                x.unit
            );
        }
    }
    md
}

/// The chart file for a topic: its id with the area's slash as a dash.
pub fn chart_name(id: &str) -> String {
    id.replace('/', "-")
}

/// Escapes a value for a Markdown table cell.
fn cell(text: &str) -> String {
    // `<` too: a label such as `Vec<u64>` is text, not an HTML tag.
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Mode, Unit};

    fn doc() -> Document {
        Document::new(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_796_300_000),
            Machine::detect(Mode::Quick),
            vec![TopicResult {
                id: "a/b".into(),
                title: "A | B".into(),
                ok: false,
                seconds: 0.5,
                error: Some("boom".into()),
                measurements: vec![Measurement {
                    topic: "a/b".into(),
                    label: "x".into(),
                    value: 3.0,
                    unit: Unit::Count,
                }],
                comparisons: vec![Comparison::paired(
                    "a/b",
                    "y",
                    (&[1.0; 7], &[2.0; 7]),
                    "peer",
                    Unit::NsPerOp,
                )],
            }],
        )
    }

    #[test]
    fn json_has_the_documented_shape() {
        let v: serde_json::Value = serde_json::from_str(&doc().to_json()).expect("valid json");
        assert_eq!(v["measured_at"], "2026-12-03T12:13:20Z");
        assert!(v["machine"]["cores"].as_u64().expect("cores") >= 1);
        let t = &v["topics"][0];
        assert_eq!(t["id"], "a/b");
        assert_eq!(t["ok"], false);
        assert_eq!(t["measurements"][0]["unit"], "count");
        let c = &t["comparisons"][0];
        assert_eq!(c["speedup"], 2.0);
        assert_eq!(c["peer_name"], "peer");
        assert_eq!(c["pairs"], 7);
        assert_eq!(c["verdict"]["kind"], "better");
        assert_eq!(c["interval"]["low"], 2.0);
        assert!(c["interval"]["confidence"].as_f64().expect("a number") > 0.98);
    }

    #[test]
    fn a_document_reads_back_what_it_wrote() -> serde_json::Result<()> {
        let json = doc().to_json();
        let back = Document::from_json(&json)?;
        assert_eq!(back.to_json(), json);
        assert_eq!(
            back.topics[0].comparisons[0].verdict_text(),
            doc().topics[0].comparisons[0].verdict_text()
        );
        Ok(())
    }

    #[test]
    fn markdown_report_is_written_with_tables() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = doc().write_report(&dir.path().join("nested"))?;
        let md = std::fs::read_to_string(path)?;
        assert!(md.contains("| cores |"));
        assert!(md.contains("A \\| B"), "pipes escaped");
        assert!(
            md.contains("| y | 1 | 2 | peer | ns/op | 2.00× | ours 2.00× better (98.4 % interval 2.00–2.00×, 7 pairs) |"),
            "{md}"
        );
        assert!(md.contains("**failed**: boom"));
        assert!(md.contains("Measured at 2026-12-03T"), "{md}");
        assert!(md.contains("](charts/overview.svg)") && md.contains("](charts/a-b.svg)"));
        for chart in ["overview.svg", "a-b.svg"] {
            let svg = std::fs::read_to_string(dir.path().join("nested/charts").join(chart))?;
            assert!(svg.contains("y vs peer"), "{chart} names the comparison");
        }
        assert!(!doc().all_ok());
        Ok(())
    }
}
