//! The task graph: indices instead of names, edges both ways, a
//! topological order, and the cycles when there is no order.
//!
//! An edge `a → b` means *b depends on a*: a runs first. Cycles are found
//! with Tarjan's strongly connected components, written with an explicit
//! stack so a chain of ten thousand tasks does not overflow the thread's
//! stack; each knot of tasks is then reported as one concrete cycle, the
//! shortest through its first task, so the message is a path a reader can
//! follow (`a → b → c → a`) — `petgraph::algo::toposort` would name a
//! single task of it.

use std::collections::{HashMap, VecDeque};

use super::spec::{Pipeline, TaskSpec};

/// A validated pipeline: unique ids, known deps, no cycle. Built by
/// [`validate`](super::validate::validate) (or [`Dag::new`] in code).
#[derive(Debug, Clone)]
pub struct Dag {
    pipeline: Pipeline,
    index: HashMap<String, usize>,
    deps: Vec<Vec<usize>>,
    dependents: Vec<Vec<usize>>,
    order: Vec<usize>,
}

/// Why [`Dag::new`] refused a pipeline built in code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// Two tasks share an id.
    #[error("duplicate task id `{0}`")]
    Duplicate(String),
    /// A dep names no task.
    #[error("task `{task}` depends on unknown task `{dep}`")]
    UnknownDep {
        /// The task.
        task: String,
        /// The dep it names.
        dep: String,
    },
    /// The graph has a cycle: the path, first task repeated at the end.
    #[error("dependency cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
}

impl Dag {
    /// Checks and indexes `pipeline`; the first problem found is the error
    /// (files go through `validate`, which reports all of them).
    ///
    /// # Errors
    /// A duplicate id, an unknown dep or a cycle.
    pub fn new(pipeline: Pipeline) -> Result<Dag, GraphError> {
        let mut index = HashMap::with_capacity(pipeline.tasks.len());
        for (i, t) in pipeline.tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(GraphError::Duplicate(t.id.clone()));
            }
        }
        let mut deps = Vec::with_capacity(pipeline.tasks.len());
        for t in &pipeline.tasks {
            let mut mine: Vec<usize> = Vec::with_capacity(t.deps.len());
            for d in &t.deps {
                let &j = index.get(d).ok_or_else(|| GraphError::UnknownDep {
                    task: t.id.clone(),
                    dep: d.clone(),
                })?;
                if !mine.contains(&j) {
                    mine.push(j);
                }
            }
            deps.push(mine);
        }
        let dependents = reverse(&deps);
        let order = match topological_order(&deps, &dependents) {
            Some(order) => order,
            None => {
                let ids: Vec<&str> = pipeline.tasks.iter().map(|t| t.id.as_str()).collect();
                let cycle = find_cycles(&dependents)
                    .into_iter()
                    .next()
                    .expect("a graph without a topological order has a cycle");
                return Err(GraphError::Cycle(
                    cycle.iter().map(|&i| ids[i].to_owned()).collect(),
                ));
            }
        };
        Ok(Dag {
            pipeline,
            index,
            deps,
            dependents,
            order,
        })
    }

    /// The pipeline it was built from.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// How many tasks.
    pub fn len(&self) -> usize {
        self.deps.len()
    }

    /// Whether there are no tasks.
    pub fn is_empty(&self) -> bool {
        self.deps.is_empty()
    }

    /// Task `i`.
    pub fn task(&self, i: usize) -> &TaskSpec {
        &self.pipeline.tasks[i]
    }

    /// The index of the task with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The tasks `i` depends on (each once, in the order listed).
    pub fn deps(&self, i: usize) -> &[usize] {
        &self.deps[i]
    }

    /// The tasks that depend on `i`.
    pub fn dependents(&self, i: usize) -> &[usize] {
        &self.dependents[i]
    }

    /// Every task after all of its deps; ties keep file order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Every edge `(dep, dependent)`, in file order of the dependent.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.deps
            .iter()
            .enumerate()
            .flat_map(|(i, ds)| ds.iter().map(move |&d| (d, i)))
    }

    /// The length of the longest chain ending at each task, counted in
    /// tasks (a task without deps is at level 0): the "waves" a run with
    /// unbounded concurrency would go through.
    pub fn levels(&self) -> Vec<usize> {
        let mut level = vec![0; self.len()];
        for &i in &self.order {
            level[i] = self.deps[i]
                .iter()
                .map(|&d| level[d] + 1)
                .max()
                .unwrap_or(0);
        }
        level
    }
}

/// `dependents[d]` lists every `i` with `d` in `deps[i]`.
pub(super) fn reverse(deps: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut dependents = vec![Vec::new(); deps.len()];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            dependents[d].push(i);
        }
    }
    dependents
}

/// Kahn's algorithm with a FIFO of ready tasks seeded in index order;
/// `None` when a cycle leaves tasks that never become ready.
pub(super) fn topological_order(
    deps: &[Vec<usize>],
    dependents: &[Vec<usize>],
) -> Option<Vec<usize>> {
    let mut waiting: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: VecDeque<usize> = (0..deps.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push_back(j);
            }
        }
    }
    (order.len() == deps.len()).then_some(order)
}

// ANCHOR: find_cycles
/// One cycle per strongly connected component that has one (a component
/// of two or more tasks, or a task that depends on itself), following the
/// edges of `next` (`next[a]` holds `b` for each edge `a → b`). Each cycle
/// starts and ends at the component's lowest index and is the shortest
/// such cycle; cycles come in order of that index.
pub fn find_cycles(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut cycles: Vec<Vec<usize>> = strongly_connected(next)
        .into_iter()
        .filter(|c| c.len() > 1 || next[c[0]].contains(&c[0]))
        .map(|c| {
            let start = *c.iter().min().expect("components are not empty");
            shortest_cycle(next, start, &c)
        })
        .collect();
    cycles.sort();
    cycles
}
// ANCHOR_END: find_cycles

/// Tarjan's algorithm without recursion: every component, as indices.
fn strongly_connected(next: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = next.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    // (node, position of the next edge to look at)
    let mut call: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        call.push((root, 0));
        while let Some(&mut (v, ref mut edge)) = call.last_mut() {
            if *edge == 0 && index[v] == UNSEEN {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = next[v].get(*edge) {
                *edge += 1;
                if index[w] == UNSEEN {
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            // Every edge of v seen: close v, hand its low link to the caller.
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                loop {
                    let w = stack.pop().expect("v is on the stack");
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// Breadth-first from `start` inside `component` back to `start`: the
/// path, `start` at both ends.
fn shortest_cycle(next: &[Vec<usize>], start: usize, component: &[usize]) -> Vec<usize> {
    let inside: std::collections::HashSet<usize> = component.iter().copied().collect();
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        let mut targets: Vec<usize> = next[v].clone();
        targets.sort_unstable();
        for w in targets {
            if w == start {
                let mut chain = Vec::new();
                let mut at = v;
                while at != start {
                    chain.push(at);
                    at = parent[&at];
                }
                chain.reverse();
                let mut path = Vec::with_capacity(chain.len() + 2);
                path.push(start);
                path.extend(chain);
                path.push(start);
                return path;
            }
            if inside.contains(&w) && !parent.contains_key(&w) && w != start {
                parent.insert(w, v);
                queue.push_back(w);
            }
        }
    }
    unreachable!("a strongly connected component has a cycle through each of its tasks")
}
