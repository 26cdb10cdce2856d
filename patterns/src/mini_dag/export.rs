//! The graph as Graphviz DOT and as a Mermaid flowchart.
//!
//! Both follow the file: tasks in file order, then edges in the file order
//! of the dependent, an arrow from each dep to the task that needs it — so
//! the output is stable and diffs well. Task ids are quoted (DOT) or
//! replaced by `t0`, `t1`, … with the id as the label (Mermaid, whose node
//! ids cannot hold every character an id may).

use std::fmt::Write;

use super::graph::Dag;
use super::spec::Action;

/// `digraph` text for `dot -Tsvg`.
pub fn to_dot(dag: &Dag) -> String {
    let mut out = String::new();
    let name = dot_quote(&dag.pipeline().name);
    out.push_str(&format!("digraph {name} {{\n"));
    out.push_str("  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for i in 0..dag.len() {
        let t = dag.task(i);
        let _ = writeln!(
            out,
            "  {} [tooltip={}];",
            dot_quote(&t.id),
            dot_quote(&action_text(&t.action))
        );
    }
    for (d, i) in dag.edges() {
        let _ = writeln!(
            out,
            "  {} -> {};",
            dot_quote(&dag.task(d).id),
            dot_quote(&dag.task(i).id)
        );
    }
    out.push_str("}\n");
    out
}

// ANCHOR: to_mermaid
/// A `flowchart LR` for Mermaid (Markdown, mdBook with mdbook-mermaid).
pub fn to_mermaid(dag: &Dag) -> String {
    let mut out = String::from("flowchart LR\n");
    for i in 0..dag.len() {
        let _ = writeln!(out, "  t{i}[\"{}\"]", mermaid_label(&dag.task(i).id));
    }
    for (d, i) in dag.edges() {
        let _ = writeln!(out, "  t{d} --> t{i}");
    }
    out
}
// ANCHOR_END: to_mermaid

fn action_text(action: &Action) -> String {
    match action {
        Action::Shell(command) => command.clone(),
        Action::Builtin(b) => format!("builtin: {b}"),
    }
}

/// A DOT double-quoted string: `"` and `\` escaped, newlines as `\n`.
fn dot_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Mermaid labels take entity codes for the characters that end them.
fn mermaid_label(text: &str) -> String {
    text.replace('"', "#quot;")
}
