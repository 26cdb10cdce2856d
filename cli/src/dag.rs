//! `mastery dag FILE.toml [--dot|--mermaid|--run]`: the mini DAG framework
//! of `patterns/mini-dag` as a tool.
//!
//! Every form validates first: a file with problems prints all of them
//! (`FILE:LINE:COL: message`, a cycle as its whole path) and exits 2.
//! Without a flag, a valid file prints its tasks level by level; `--dot`
//! and `--mermaid` print the graph; `--run` runs it and prints what each
//! task did, then the timeline with the critical path marked (`--json`:
//! the timeline as JSON on stdout, progress on stderr). Exit codes: 0 valid /
//! everything succeeded, 1 a task failed, 2 usage error or invalid file.

use std::io::Write;

use mastery_patterns::mini_dag::{self, Dag, DagError, Event, RunOptions, Status, Timeline};
use mastery_tooling::cli_tools::DagArgs;

use crate::error::{AppError, EXIT_FAILURE};

/// Carries out `mastery dag`; `Ok` holds the exit code.
///
/// # Errors
/// [`AppError::Usage`] for an unreadable or invalid file or bad options,
/// [`AppError::Failure`] when output cannot be written.
pub fn dag(args: &DagArgs) -> Result<u8, AppError> {
    let dag = mini_dag::load(&args.file).map_err(|e| match e {
        DagError::Invalid(problems) => AppError::usage(problems.to_string()),
        other => AppError::usage(other.to_string()),
    })?;
    let mut out = std::io::stdout().lock();
    if args.dot {
        out.write_all(mini_dag::to_dot(&dag).as_bytes())?;
        return Ok(0);
    }
    if args.mermaid {
        out.write_all(mini_dag::to_mermaid(&dag).as_bytes())?;
        return Ok(0);
    }
    if args.run {
        drop(out);
        return run(args, &dag);
    }
    summary(&mut out, &dag)?;
    Ok(0)
}

/// `--run`: progress as tasks end, then the summary; exit 1 when a task
/// failed. With `--json` the progress goes to stderr and stdout holds
/// only JSON.
fn run(args: &DagArgs, dag: &Dag) -> Result<u8, AppError> {
    let concurrency = match args.jobs.or(dag.pipeline().concurrency) {
        Some(0) => return Err(AppError::usage("--jobs must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let mut options = RunOptions::new(concurrency);
    options.force = args.force;
    let mut progress: Box<dyn Write> = if args.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let _ = writeln!(
        progress,
        "running `{}`: {} tasks, up to {concurrency} at once{}",
        dag.pipeline().name,
        dag.len(),
        if args.force {
            ", ignoring the cache"
        } else {
            ""
        }
    );
    let mut write_error = None;
    let report = mini_dag::run(dag, &options, &mut |event| {
        if let Err(e) = progress_line(&mut progress, &event) {
            write_error.get_or_insert(e);
        }
    })
    .map_err(AppError::failure)?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    writeln!(
        progress,
        "{} ran, {} cached, {} failed, {} skipped in {} (state in {})",
        report.count("ran"),
        report.count("cached"),
        report.count("failed"),
        report.count("skipped"),
        show(report.total),
        dag.pipeline()
            .state_dir
            .join(&dag.pipeline().name)
            .display(),
    )?;
    let timeline = Timeline::of(dag, &report);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &timeline.to_json()).map_err(AppError::failure)?;
        writeln!(out)?;
    } else {
        writeln!(out)?;
        out.write_all(timeline.render(40).as_bytes())?;
    }
    Ok(if report.succeeded() { 0 } else { EXIT_FAILURE })
}

fn progress_line(out: &mut dyn Write, event: &Event<'_>) -> std::io::Result<()> {
    match event {
        Event::Started { id } => writeln!(out, "  ▶ {id}"),
        Event::Retrying {
            id,
            attempt,
            error,
            delay,
        } => writeln!(
            out,
            "  ↻ {id}: attempt {attempt} failed: {error}; retrying in {}",
            show(*delay)
        ),
        Event::Finished(t) => {
            let took = show(t.end.saturating_sub(t.start));
            let attempts = if t.attempts > 1 {
                format!(", {} attempts", t.attempts)
            } else {
                String::new()
            };
            match &t.status {
                Status::Succeeded => writeln!(out, "  ✓ {}  ran in {took}{attempts}", t.id),
                Status::Cached => writeln!(
                    out,
                    "  = {}  cached (key {}…)",
                    t.id,
                    t.key.as_deref().map_or("", |k| &k[..12.min(k.len())])
                ),
                Status::Failed(e) => writeln!(out, "  ✗ {}  failed: {e}", t.id),
                Status::Skipped(because) => writeln!(
                    out,
                    "  - {}  skipped: it needs `{because}`, which failed",
                    t.id
                ),
            }
        }
    }
}

fn show(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// The tasks level by level: what could run together with enough workers.
fn summary(out: &mut impl Write, dag: &Dag) -> std::io::Result<()> {
    let levels = dag.levels();
    let depth = levels.iter().max().map_or(0, |&l| l + 1);
    writeln!(
        out,
        "{}: valid pipeline `{}`, {} tasks, {} dependencies, {depth} levels",
        dag.pipeline().file.display(),
        dag.pipeline().name,
        dag.len(),
        dag.edges().count(),
    )?;
    for level in 0..depth {
        let ids: Vec<&str> = (0..dag.len())
            .filter(|&i| levels[i] == level)
            .map(|i| dag.task(i).id.as_str())
            .collect();
        writeln!(out, "  level {level}: {}", ids.join(", "))?;
    }
    writeln!(
        out,
        "Run it with --run; draw it with --dot (Graphviz) or --mermaid."
    )
}
