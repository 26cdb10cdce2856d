//! The file format's problems, as a reader meets them: every one reported,
//! each with its line.

use std::path::Path;
use std::time::Duration;

use super::super::*;
use super::{dag, problems};

const GOOD: &str = r#"
[pipeline]
name = "build"
concurrency = 3

[[task]]
id = "fetch"
run = "echo fetch"
outputs = ["out/fetch.txt"]

[[task]]
id = "compile"
run = "echo compile"
deps = ["fetch"]
retries = 2
backoff = "50ms"
timeout = "1.5s"
env = { MODE = "release" }
inputs = ["src/a.c"]

[[task]]
id = "lint"
builtin = "sleep 20ms"
deps = ["fetch"]

[[task]]
id = "package"
builtin = "noop"
deps = ["compile", "lint"]
"#;

#[test]
fn a_good_file_parses_into_tasks_and_an_order() {
    let dag = dag(GOOD);
    let p = dag.pipeline();
    assert_eq!((p.name.as_str(), p.concurrency), ("build", Some(3)));
    let compile = dag.task(dag.index_of("compile").expect("a known task"));
    assert_eq!(compile.retries, 2);
    assert_eq!(compile.backoff, Duration::from_millis(50));
    assert_eq!(compile.timeout, Some(Duration::from_millis(1500)));
    assert_eq!(compile.env["MODE"], "release");
    assert_eq!(compile.at.line, 12);
    assert_eq!(
        dag.task(2).action,
        Action::Builtin(Builtin::Sleep(Duration::from_millis(20)))
    );
    let ids: Vec<&str> = dag
        .order()
        .iter()
        .map(|&i| dag.task(i).id.as_str())
        .collect();
    assert_eq!(ids, ["fetch", "compile", "lint", "package"]);
    assert_eq!(dag.levels(), [0, 1, 1, 2]);
}

#[test]
fn a_cycle_is_reported_as_its_whole_path() {
    let p = problems(
        r#"
[[task]]
id = "a"
run = "true"
deps = ["c"]
[[task]]
id = "b"
run = "true"
deps = ["a"]
[[task]]
id = "c"
run = "true"
deps = ["b"]
[[task]]
id = "free"
run = "true"
"#,
    );
    assert_eq!(p.list.len(), 1, "{p}");
    assert!(
        p.to_string()
            .contains("p.toml:5:8: dependency cycle: a → b → c → a"),
        "{p}"
    );
}

#[test]
fn a_self_dependency_and_two_separate_cycles_are_each_reported() {
    let p = problems(
        r#"
[[task]]
id = "me"
run = "true"
deps = ["me"]
[[task]]
id = "x"
run = "true"
deps = ["y"]
[[task]]
id = "y"
run = "true"
deps = ["x"]
"#,
    );
    assert!(p.mentions("dependency cycle: me → me"), "{p}");
    assert!(p.mentions("dependency cycle: x → y → x"), "{p}");
    assert_eq!(p.list.len(), 2);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let p = problems(
        r#"
[pipeline]
name = "bad"
concurency = 2

[[task]]
id = "build"
run = "make"
dpes = ["fetch"]

[[task]]
id = "test"
run = "make test"
deps = ["biuld", "nothing-like-it"]
timeout = "soon"

[[task]]
id = "build"
builtin = "noop"

[[task]]
run = "echo no id"
retries = -1
"#,
    );
    let text = p.to_string();
    let expected = [
        "p.toml:4:1: unknown key `concurency` in [pipeline] (did you mean `concurrency`?)",
        "p.toml:9:1: unknown key `dpes` in a [[task]] (did you mean `deps`?)",
        "p.toml:14:8: task `test` depends on unknown task `biuld` (did you mean `build`?)",
        "p.toml:14:8: task `test` depends on unknown task `nothing-like-it`\n",
        "p.toml:15:11: `timeout` `soon` is not a duration",
        "p.toml:18:6: duplicate task id `build`: line 7 already defines it",
        "p.toml:21:1: a [[task]] has no `id`",
        "p.toml:23:11: `retries` must be a whole number from 0 to 100",
    ];
    for line in expected {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert_eq!(p.list.len(), expected.len(), "{text}");
}

#[test]
fn bad_values_name_what_is_expected() {
    let cases = [
        (
            "builtin = \"nop\"",
            "unknown builtin `nop` (did you mean `noop`?)",
        ),
        ("builtin = \"flaky x\"", "the count must be a whole number"),
        ("run = \"\"", "`run` is an empty command"),
        (
            "run = \"x\"\nbuiltin = \"noop\"",
            "has both `run` and `builtin`",
        ),
        (
            "deps = \"a\"",
            "`deps` must be a list of strings, not string",
        ),
        ("env = { A = 1 }", "`env.A` must be a string"),
        ("outputs = [1]", "`outputs` must hold strings, not integer"),
        ("id2 = 1", "unknown key `id2`"),
    ];
    for (extra, message) in cases {
        let text = format!("[[task]]\nid = \"t\"\n{extra}\n");
        let text = if extra.contains("run") || extra.contains("builtin") {
            text
        } else {
            format!("{text}run = \"true\"\n")
        };
        let p = problems(&text);
        assert!(p.mentions(message), "{extra}: {p}");
    }
}

#[test]
fn broken_toml_and_top_level_mistakes_have_places() {
    let p = problems("[[task]]\nid = \"a\nrun = \"x\"\n");
    assert!(
        p.to_string()
            .starts_with("p.toml is not a valid pipeline: 1 problem\np.toml:2:"),
        "{p}"
    );
    assert!(p.mentions("not valid TOML"));
    let p = problems("[[tasks]]\nid = \"a\"\nrun = \"x\"\n");
    assert!(
        p.mentions("unknown key `tasks` at the top level (did you mean `task`?)"),
        "{p}"
    );
    assert!(p.mentions("no tasks"));
    let p = problems("[[task]]\nid = \"bad id\"\nrun = \"x\"\n");
    assert!(p.mentions("id `bad id` may hold only"), "{p}");
}

#[test]
fn durations_and_builtins_parse() {
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert!(parse_duration("-1s").is_err() && parse_duration("5 parsecs").is_err());
    assert_eq!(Builtin::parse("flaky 3"), Ok(Builtin::Flaky(3)));
    assert!(Builtin::parse("noop extra").is_err());
}

#[test]
fn load_names_a_missing_file() {
    let e = load(Path::new("/no/such/pipeline.toml")).expect_err("an error");
    assert!(matches!(e, DagError::Read { .. }));
    assert!(e.to_string().contains("/no/such/pipeline.toml"));
}

#[test]
fn dag_new_refuses_what_validate_reports() {
    let dir = Path::new(".");
    let noop = || Action::Builtin(Builtin::Noop);
    let cyc = Pipeline::in_dir(
        "c",
        dir,
        vec![
            TaskSpec::new("a", noop()).after(["b"]),
            TaskSpec::new("b", noop()).after(["a"]),
        ],
    );
    assert_eq!(
        Dag::new(cyc).expect_err("an error"),
        GraphError::Cycle(vec!["a".into(), "b".into(), "a".into()])
    );
    let unknown = Pipeline::in_dir("u", dir, vec![TaskSpec::new("a", noop()).after(["zz"])]);
    assert!(matches!(
        Dag::new(unknown),
        Err(GraphError::UnknownDep { .. })
    ));
}

#[test]
fn cycles_in_a_long_chain_do_not_overflow_the_stack() {
    // 0 → 1 → … → 99_999 → 0: Tarjan without recursion.
    let n = 100_000;
    let next: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
    let cycles = find_cycles(&next);
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].len(), n + 1);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// On any small directed graph: cycles are reported exactly when there
    /// is no topological order, and each reported cycle is a real one — a
    /// closed path along existing edges that repeats no task.
    #[test]
    fn reported_cycles_are_real_and_missing_only_without_cycles(
        edges in proptest::collection::vec((0usize..8, 0usize..8), 0..16)
    ) {
        let n = 8;
        let mut next = vec![Vec::new(); n];
        for (a, b) in edges {
            if !next[a].contains(&b) {
                next[a].push(b);
            }
        }
        let deps = super::super::graph::reverse(&next);
        let ordered = super::super::graph::topological_order(&deps, &next).is_some();
        let cycles = find_cycles(&next);
        proptest::prop_assert_eq!(cycles.is_empty(), ordered);
        for cycle in &cycles {
            proptest::prop_assert!(cycle.len() >= 2 && cycle.first() == cycle.last());
            for pair in cycle.windows(2) {
                proptest::prop_assert!(next[pair[0]].contains(&pair[1]), "{:?}", cycle);
            }
            let mut inner = cycle[..cycle.len() - 1].to_vec();
            inner.sort_unstable();
            inner.dedup();
            proptest::prop_assert_eq!(inner.len(), cycle.len() - 1);
        }
    }

    /// The textbook order agrees with the production graph on any small
    /// graph: an order exists for both or neither, every order it returns
    /// puts each edge's `before` first, and every cycle it returns is a
    /// closed path along given edges.
    #[test]
    fn the_textbook_order_agrees_with_the_production_graph(
        n in 1usize..9,
        raw in proptest::collection::vec((0usize..9, 0usize..9), 0..20)
    ) {
        let edges: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
        let mut next = vec![Vec::new(); n];
        for &(a, b) in &edges {
            next[a].push(b);
        }
        let deps = super::super::graph::reverse(&next);
        let production = super::super::graph::topological_order(&deps, &next);
        match simple_order(n, &edges) {
            Ok(order) => {
                proptest::prop_assert!(production.is_some(), "textbook ordered a cyclic graph");
                let mut position = vec![usize::MAX; n];
                for (at, &task) in order.iter().enumerate() {
                    proptest::prop_assert_eq!(position[task], usize::MAX, "{} twice", task);
                    position[task] = at;
                }
                proptest::prop_assert_eq!(order.len(), n);
                for &(a, b) in &edges {
                    proptest::prop_assert!(position[a] < position[b], "{:?} breaks ({}, {})", order, a, b);
                }
            }
            Err(cycle) => {
                proptest::prop_assert!(production.is_none(), "textbook found {:?} in an acyclic graph", cycle);
                proptest::prop_assert!(!find_cycles(&next).is_empty());
                proptest::prop_assert!(cycle.len() >= 2 && cycle.first() == cycle.last(), "{:?}", cycle);
                for pair in cycle.windows(2) {
                    proptest::prop_assert!(edges.contains(&(pair[0], pair[1])), "{:?} is no edge path", cycle);
                }
            }
        }
    }
}

#[test]
fn the_textbook_order_names_its_cycle_and_survives_a_long_chain() {
    assert_eq!(simple_order(3, &[(0, 1), (1, 2)]), Ok(vec![0, 1, 2]));
    assert_eq!(simple_order(2, &[]), Ok(vec![0, 1]));
    assert_eq!(simple_order(3, &[(2, 2)]), Err(vec![2, 2]));
    // 0 → 1 → 2 → 0, with 3 waiting behind the cycle.
    let cycle = simple_order(4, &[(0, 1), (1, 2), (2, 0), (2, 3)]).expect_err("a cycle");
    assert_eq!(cycle.len(), 4);
    assert_eq!(cycle.first(), cycle.last());
    // Deep enough to overflow a recursive walk's stack in a test thread.
    let n = 200_000;
    let chain: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
    assert_eq!(simple_order(n, &chain).map(|o| o.len()), Ok(n));
    let mut ring = chain;
    ring.push((n - 1, 0));
    assert_eq!(simple_order(n, &ring).map_err(|c| c.len()), Err(n + 1));
}
