//! The notebooks in `showcase/notebooks/` are committed without outputs, so
//! the repository holds no stale figures: every code cell has no output and
//! no execution count. Each runs on the Rust kernel (`evcxr_jupyter`,
//! kernelspec `rust`), and every `:dep name = { path = "…" }` points, relative
//! to the notebook, at a crate of this workspace with that package name.
//! Executing them needs Jupyter and the kernel: `showcase/notebooks/run.sh`.

use std::path::{Path, PathBuf};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn notebooks() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("showcase/notebooks");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("showcase/notebooks exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    found.sort();
    found
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("a readable notebook");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}

fn cells(nb: &Value) -> &Vec<Value> {
    nb["cells"]
        .as_array()
        .expect("a notebook has a cells array")
}

/// A cell's source as one string (nbformat allows a string or a list of lines).
fn source(cell: &Value) -> String {
    match &cell["source"] {
        Value::String(s) => s.clone(),
        Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// The workspace members, as written in the root `Cargo.toml`.
fn workspace_members() -> Vec<String> {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).expect("Cargo.toml");
    let start = manifest.find("members = [").expect("a members list") + "members = [".len();
    let list = &manifest[start..start + manifest[start..].find(']').expect("a closed list")];
    list.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(','))
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

/// `(name, path)` of every `:dep name = { path = "…" }` line of a cell.
fn path_deps(src: &str) -> Vec<(String, String)> {
    src.lines()
        .filter_map(|line| line.trim().strip_prefix(":dep "))
        .filter_map(|spec| {
            let (name, rest) = spec.split_once('=')?;
            let after = rest.split("path").nth(1)?;
            let quoted = after.split('"').nth(1)?;
            Some((name.trim().to_owned(), quoted.to_owned()))
        })
        .collect()
}

#[test]
fn there_are_at_least_three_notebooks() {
    let found = notebooks();
    assert!(
        found.len() >= 3,
        "expected at least three notebooks, found {found:?}"
    );
}

#[test]
fn every_notebook_is_stripped_and_runs_on_the_rust_kernel() {
    for path in notebooks() {
        let nb = load(&path);
        let name = path.display();
        assert_eq!(
            nb["metadata"]["kernelspec"]["name"], "rust",
            "{name}: kernelspec must be `rust` (evcxr_jupyter)"
        );
        for (i, cell) in cells(&nb).iter().enumerate() {
            if cell["cell_type"] != "code" {
                continue;
            }
            assert_eq!(
                cell["outputs"],
                Value::Array(Vec::new()),
                "{name}: cell {i} has outputs; strip them (python3 showcase/notebooks/strip.py)"
            );
            assert!(
                cell["execution_count"].is_null(),
                "{name}: cell {i} has an execution count; strip it (python3 showcase/notebooks/strip.py)"
            );
        }
    }
}

#[test]
fn every_path_dep_is_a_workspace_crate() {
    let members = workspace_members();
    let root = Path::new(ROOT).canonicalize().expect("the workspace root");
    for path in notebooks() {
        let dir = path.parent().expect("a notebook has a folder");
        let deps: Vec<_> = cells(&load(&path))
            .iter()
            .flat_map(|c| path_deps(&source(c)))
            .collect();
        assert!(
            !deps.is_empty(),
            "{}: depends on no crate of the kit",
            path.display()
        );
        for (name, rel) in deps {
            let crate_dir = dir
                .join(&rel)
                .canonicalize()
                .unwrap_or_else(|e| panic!("{}: `{name}` path {rel}: {e}", path.display()));
            let member = crate_dir
                .strip_prefix(&root)
                .unwrap_or_else(|_| panic!("{}: {rel} is outside the workspace", path.display()))
                .to_string_lossy()
                .replace('\\', "/");
            assert!(
                members.contains(&member),
                "{}: {rel} ({member}) is not a workspace member",
                path.display()
            );
            let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml"))
                .expect("a member has a Cargo.toml");
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "{}: {rel} is not the package `{name}`",
                path.display()
            );
        }
    }
}

#[test]
fn the_dep_parser_reads_the_kernel_syntax() {
    let deps = path_deps(
        ":dep mastery-kit = { path = \"../../kit\" }\n:dep tokio = { version = \"1\" }\nlet x = 1;",
    );
    assert_eq!(
        deps,
        vec![("mastery-kit".to_owned(), "../../kit".to_owned())]
    );
}
