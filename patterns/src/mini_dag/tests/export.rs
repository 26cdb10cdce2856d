//! DOT and Mermaid output, snapshot-tested as plain expected strings.

use super::super::*;
use super::dag;

const DIAMOND: &str = r#"
[pipeline]
name = "diamond"
[[task]]
id = "fetch"
run = "curl -o data.csv \"https://example.com/data\""
[[task]]
id = "left"
builtin = "noop"
deps = ["fetch"]
[[task]]
id = "right.side"
builtin = "sleep 5ms"
deps = ["fetch"]
[[task]]
id = "join"
builtin = "noop"
deps = ["left", "right.side"]
"#;

#[test]
fn dot_snapshot() {
    let expected = r#"digraph "diamond" {
  rankdir=LR;
  node [shape=box, style=rounded];
  "fetch" [tooltip="curl -o data.csv \"https://example.com/data\""];
  "left" [tooltip="builtin: noop"];
  "right.side" [tooltip="builtin: sleep 5ms"];
  "join" [tooltip="builtin: noop"];
  "fetch" -> "left";
  "fetch" -> "right.side";
  "left" -> "join";
  "right.side" -> "join";
}
"#;
    assert_eq!(to_dot(&dag(DIAMOND)), expected);
}

#[test]
fn mermaid_snapshot() {
    let expected = r#"flowchart LR
  t0["fetch"]
  t1["left"]
  t2["right.side"]
  t3["join"]
  t0 --> t1
  t0 --> t2
  t1 --> t3
  t2 --> t3
"#;
    assert_eq!(to_mermaid(&dag(DIAMOND)), expected);
}
