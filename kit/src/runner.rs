//! Running topics: one at a time, in roadmap order, each isolated so that a
//! failing or panicking demo is reported and the rest still run.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::capture::SharedBuffer;
use crate::narrator::{Mode, Narrator};
use crate::panics::panic_message;
use crate::report::TopicResult;
use crate::settings::Settings;
use crate::topic::Topic;

/// Where the story goes while topics run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narration {
    /// Straight to stdout as it is told (`mastery run`).
    Stream,
    /// Collected per topic and printed when the topic ends, so the progress
    /// bar on stderr is never torn (`mastery tour`).
    PerTopic,
    /// Not printed; figures are still recorded (`--json`).
    Silent,
}

/// How to run a batch of topics.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Quick or full sizes.
    pub mode: Mode,
    /// Samples per measurement in full and deep mode; `None` takes the
    /// mode's default.
    pub samples: Option<usize>,
    /// Where the story goes.
    pub narration: Narration,
    /// Whether to draw a progress bar on stderr (hidden when stderr is not a terminal).
    pub progress: bool,
    /// The reader's settings, handed to every demo ([`Narrator::settings`]).
    pub settings: Settings,
}

/// Runs every topic and returns one result each, in the given order.
pub fn run_topics(topics: &[&'static Topic], options: RunOptions) -> Vec<TopicResult> {
    let bar = if options.progress {
        let bar = ProgressBar::new(topics.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .expect("the template is a constant known to parse")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::with_capacity(topics.len());
    for topic in topics {
        bar.set_message(topic.id);
        let result = run_one(topic, &options, &bar);
        if !result.ok {
            let reason = result.error.as_deref().unwrap_or("failed");
            bar.suspend(|| eprintln!("error: topic {} failed: {reason}", topic.id));
        }
        results.push(result);
        bar.inc(1);
    }
    bar.finish_and_clear();
    results
}

fn run_one(topic: &'static Topic, options: &RunOptions, bar: &ProgressBar) -> TopicResult {
    // Under the progress bar the story waits here until the topic ends, so
    // the bar is never torn by a half-printed line.
    let buffer = SharedBuffer::default();
    let out: Box<dyn Write + Send> = match options.narration {
        Narration::Stream => Box::new(std::io::stdout()),
        Narration::PerTopic => Box::new(buffer.clone()),
        Narration::Silent => Box::new(std::io::sink()),
    };
    let mut narrator =
        Narrator::new(topic.id, options.mode, out).with_settings(options.settings.clone());
    if let Some(samples) = options.samples {
        narrator = narrator.with_samples(samples);
    }
    narrator.banner(topic.id, topic.title, topic.python, topic.rust);

    let span = tracing::info_span!("topic", id = topic.id, mode = ?options.mode);
    let _entered = span.enter();
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| (topic.run)(&mut narrator)));
    let seconds = start.elapsed().as_secs_f64();
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(format!("{err:#}")),
        Err(panic) => Some(format!("panicked: {}", panic_message(panic.as_ref()))),
    };
    tracing::info!(seconds, ok = error.is_none(), "topic finished");

    if options.narration == Narration::PerTopic {
        let text = buffer.take();
        bar.suspend(|| {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(&text);
            let _ = stdout.flush();
        });
    }
    let (measurements, comparisons) = narrator.into_records();
    TopicResult {
        id: topic.id.to_owned(),
        title: topic.title.to_owned(),
        ok: error.is_none(),
        seconds,
        error,
        measurements,
        comparisons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narrator::Unit;
    use crate::topic::Area;

    fn fine(n: &mut Narrator) -> anyhow::Result<()> {
        n.record("answer", 42.0, Unit::Count);
        Ok(())
    }
    fn fails(_: &mut Narrator) -> anyhow::Result<()> {
        anyhow::bail!("no luck")
    }
    fn panics(_: &mut Narrator) -> anyhow::Result<()> {
        panic!("demo exploded")
    }

    const fn topic(id: &'static str, run: fn(&mut Narrator) -> anyhow::Result<()>) -> Topic {
        Topic {
            id,
            area: Area::Testing,
            rank: 0,
            title: "t",
            python: "p",
            rust: "r",
            path: "",
            source: "",
            run,
        }
    }
    static FINE: Topic = topic("t/fine", fine);
    static FAILS: Topic = topic("t/fails", fails);
    static PANICS: Topic = topic("t/panics", panics);

    #[test]
    fn failures_are_isolated_and_reported() {
        let options = RunOptions {
            mode: Mode::Quick,
            samples: None,
            narration: Narration::Silent,
            progress: false,
            settings: Default::default(),
        };
        let results = run_topics(&[&PANICS, &FAILS, &FINE], options);
        assert_eq!(results.len(), 3);
        assert!(!results[0].ok);
        assert!(
            results[0]
                .error
                .as_deref()
                .unwrap_or_default()
                .contains("demo exploded")
        );
        assert_eq!(results[1].error.as_deref(), Some("no luck"));
        assert!(results[2].ok);
        assert_eq!(results[2].measurements[0].value, 42.0);
    }
}
