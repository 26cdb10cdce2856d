//! From a file to a [`Dag`], with every problem reported before anything
//! runs: the file's keys and values ([`spec::parse`]), then the graph —
//! duplicate ids, unknown deps (with the closest id as a suggestion), a
//! task listing a dep twice, and every cycle as its full path.

use std::collections::HashMap;
use std::path::Path;

use super::graph::{Dag, find_cycles, reverse};
use super::problem::{DagError, Problem, Problems, suggestion};
use super::spec::{self, Pipeline};

/// Reads, parses and validates the pipeline file at `path`.
///
/// # Errors
/// [`DagError::Read`] when the file cannot be read, [`DagError::Invalid`]
/// with every problem when it is not a valid pipeline.
pub fn load(path: &Path) -> Result<Dag, DagError> {
    let text = std::fs::read_to_string(path).map_err(|source| DagError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(&text, path).map_err(DagError::Invalid)
}

/// Parses and validates `text` as if read from `path`.
///
/// # Errors
/// Every problem of the file, sorted by line.
pub fn load_str(text: &str, path: &Path) -> Result<Dag, Problems> {
    let (pipeline, mut problems) = spec::parse(text, path);
    match validate(pipeline) {
        Ok(dag) if problems.is_empty() => Ok(dag),
        Ok(_) => Err(Problems::new(path, problems)),
        Err(graph) => {
            problems.extend(graph);
            Err(Problems::new(path, problems))
        }
    }
}

/// Checks the graph of a parsed pipeline.
///
/// # Errors
/// Every graph problem: duplicate ids, unknown or repeated deps, cycles.
pub fn validate(pipeline: Pipeline) -> Result<Dag, Vec<Problem>> {
    let mut problems = Vec::new();
    let tasks = &pipeline.tasks;
    // The first task with an id owns it; later ones are the duplicates.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, t) in tasks.iter().enumerate() {
        if let Some(&j) = first.get(t.id.as_str()) {
            problems.push(Problem::new(
                t.at,
                format!(
                    "duplicate task id `{}`: line {} already defines it; rename one",
                    t.id, tasks[j].at.line
                ),
            ));
        } else {
            first.insert(&t.id, i);
        }
    }
    let ids: Vec<&str> = first.keys().copied().collect();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort_unstable();
    // Edges among the owners only, so a duplicate does not invent a cycle.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for (i, t) in tasks.iter().enumerate() {
        if first.get(t.id.as_str()) != Some(&i) {
            continue;
        }
        for d in &t.deps {
            match first.get(d.as_str()) {
                Some(&j) if deps[i].contains(&j) => problems.push(Problem::new(
                    t.deps_at,
                    format!("task `{}` lists dep `{d}` twice", t.id),
                )),
                Some(&j) => deps[i].push(j),
                None => problems.push(Problem::new(
                    t.deps_at,
                    format!(
                        "task `{}` depends on unknown task `{d}`{}",
                        t.id,
                        suggestion(d, sorted_ids.iter().copied().filter(|&c| c != t.id))
                    ),
                )),
            }
        }
    }
    for cycle in find_cycles(&reverse(&deps)) {
        let path: Vec<&str> = cycle.iter().map(|&i| tasks[i].id.as_str()).collect();
        problems.push(Problem::new(
            tasks[cycle[0]].deps_at,
            format!(
                "dependency cycle: {} (each task must run before the next, so none can start); \
                 remove one of these deps",
                path.join(" → ")
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Dag::new(pipeline).expect("the checks above are the ones Dag::new makes"))
}
