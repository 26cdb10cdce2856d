//! The same records in CPython, measured in the same run: a `python3 -I`
//! child builds them under `tracemalloc` while the Rust side is measured,
//! and reports JSON. Without `python3`, CPython's published sizes are
//! printed as quotes, never recorded as measurements.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

use mastery_kit::{Narrator, Unit};

use super::records::{RustRecords, record_counts};

/// The measuring script. Each run builds a list of `n` records of one kind
/// under `tracemalloc` and reports the bytes traced (objects, their boxed
/// field values, and the list's pointers). `shared` runs give every record
/// the same field objects, so only the record objects themselves count.
const PYTHON_SCRIPT: &str = r#"
import gc, json, sys, tracemalloc

class Plain:
    def __init__(self, sensor, value, ok, timestamp):
        self.sensor = sensor; self.value = value; self.ok = ok; self.timestamp = timestamp

class Slotted:
    __slots__ = ("sensor", "value", "ok", "timestamp")
    def __init__(self, sensor, value, ok, timestamp):
        self.sensor = sensor; self.value = value; self.ok = ok; self.timestamp = timestamp

def fields(i):
    return (i, i * 0.5, i % 2 == 0, 1_700_000_000 + i)

SHARED = fields(1_000)
KINDS = {
    "class": lambda f: Plain(*f),
    "__slots__": lambda f: Slotted(*f),
    "dict": lambda f: {"sensor": f[0], "value": f[1], "ok": f[2], "timestamp": f[3]},
    "tuple": lambda f: (f[0], f[1], f[2], f[3]),
}

def traced(make, n, shared):
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    records = [make(SHARED if shared else fields(i)) for i in range(n)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del records
    return after - before

sizes = [int(a) for a in sys.argv[1:]]
runs = []
for kind, make in KINDS.items():
    runs.append({"kind": kind, "n": sizes[0], "shared": True, "bytes": traced(make, sizes[0], True)})
    for n in sizes:
        runs.append({"kind": kind, "n": n, "shared": False, "bytes": traced(make, n, False)})
print(json.dumps({
    "version": sys.version.split()[0],
    "getsizeof": {kind: sys.getsizeof(make(SHARED)) for kind, make in KINDS.items()},
    "runs": runs,
}))
"#;

/// What the script prints.
#[derive(Debug, serde::Deserialize)]
struct PythonReport {
    version: String,
    getsizeof: BTreeMap<String, u64>,
    runs: Vec<TracedRun>,
}

/// One `tracemalloc` run of the script.
#[derive(Debug, serde::Deserialize)]
struct TracedRun {
    kind: String,
    n: u64,
    shared: bool,
    bytes: u64,
}

/// The Python measurement, started in the background.
pub(super) enum PythonRun {
    Started { child: Child, sizes: Vec<u64> },
    Unavailable(String),
}

impl PythonRun {
    pub(super) fn start(mode: mastery_kit::Mode) -> PythonRun {
        let sizes: Vec<u64> = record_counts(mode).into_iter().map(u64::from).collect();
        let spawned = Command::new("python3")
            .arg("-I") // isolated: no user site-packages, no PYTHON* variables
            .arg("-S") // no `site` import: the script needs only the standard library
            .arg("-c")
            .arg(PYTHON_SCRIPT)
            .args(sizes.iter().map(u64::to_string))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        match spawned {
            Ok(child) => PythonRun::Started { child, sizes },
            Err(e) => PythonRun::Unavailable(format!("python3 could not be started ({e})")),
        }
    }

    fn finish(self) -> Result<(PythonReport, Vec<u64>), String> {
        let (child, sizes) = match self {
            PythonRun::Started { child, sizes } => (child, sizes),
            PythonRun::Unavailable(why) => return Err(why),
        };
        let output = child
            .wait_with_output()
            .map_err(|e| format!("waiting for python3 failed ({e})"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().last().unwrap_or("no message");
            return Err(format!("python3 exited with {} ({last})", output.status));
        }
        let stdout = String::from_utf8(output.stdout)
            .map_err(|e| format!("python3 printed non-UTF-8 output ({e})"))?;
        let report = serde_json::from_str::<PythonReport>(stdout.trim())
            .map_err(|e| format!("python3's report could not be parsed ({e})"))?;
        Ok((report, sizes))
    }
}

pub(super) fn python_records(
    n: &mut Narrator,
    python: PythonRun,
    rust: &RustRecords,
) -> anyhow::Result<()> {
    n.section("The same records in CPython: class, __slots__, dict, tuple");
    let (report, sizes) = match python.finish() {
        Ok(done) => done,
        Err(why) => {
            quoted_cpython_facts(n, &why);
            return Ok(());
        }
    };
    let peer = format!("CPython {}", report.version);
    n.say(&format!(
        "Measured by running `python3` ({peer}) in this run: `sys.getsizeof` of one record, \
         then `tracemalloc` around building a list of records, which counts the objects, \
         the field values that are objects of their own (each float, and each int outside \
         the small-int cache; small ints and bools are shared) and the list's pointers — \
         the same things the counting allocator counts for a `Vec`."
    ));
    for (kind, bytes) in &report.getsizeof {
        n.record(
            &format!("CPython sys.getsizeof(one {kind} record)"),
            *bytes as f64,
            Unit::Bytes,
        );
    }
    n.say(
        "`getsizeof` of a plain instance leaves out where its attributes live (since 3.11 a \
         values array or dict beside the object), so only tracemalloc's totals compare.",
    );
    let traced = |kind: &str, records: u64, shared: bool| {
        report
            .runs
            .iter()
            .find(|r| r.kind == kind && r.n == records && r.shared == shared)
            .map(|r| r.bytes as f64)
    };
    n.say(
        "Bytes per record from tracemalloc; \"object alone\" gives every record the same \
         field objects, so only the record (and its list slot) is counted:",
    );
    let smallest = sizes.first().copied().unwrap_or(1);
    for kind in ["class", "__slots__", "dict", "tuple"] {
        if let Some(bytes) = traced(kind, smallest, true) {
            n.record(
                &format!("CPython {kind}, object alone: bytes/record"),
                bytes / smallest as f64,
                Unit::Bytes,
            );
        }
        for &size in &sizes {
            if let Some(bytes) = traced(kind, size, false) {
                n.record(
                    &format!("CPython {kind}, N = {size}: bytes/record"),
                    bytes / size as f64,
                    Unit::Bytes,
                );
            }
        }
    }
    let records = u64::from(rust.records);
    for kind in ["__slots__", "class"] {
        let Some(bytes) = traced(kind, records, false) else {
            anyhow::bail!("python3's report lacks the {kind} run for N = {records}");
        };
        n.compare(
            &format!("heap for {records} records: Vec<Reading> vs CPython {kind}"),
            rust.bytes,
            bytes,
            &format!("{peer} {kind}"),
            Unit::Bytes,
        );
    }
    n.say(
        "Each CPython record is an object with a header, reached through a list of pointers \
         and pointing at its field objects (a new float and a new timestamp int per record; \
         small ints and the bools are shared); the Rust struct stores its four fields inline. \
         `__slots__` removes the per-instance dictionary, not the boxing.",
    );
    Ok(())
}

/// When `python3` is not available: CPython's sizes as published facts,
/// printed as quotes and never recorded as measurements.
fn quoted_cpython_facts(n: &mut Narrator, why: &str) {
    n.say(&format!(
        "{why}; CPython's sizes below are quoted, not measured (CPython 3.11, 64-bit Linux, \
         the same script as this demo runs):"
    ));
    for line in [
        "quoted, not measured: sys.getsizeof(instance with 4 __slots__) = 64 bytes",
        "quoted, not measured: sys.getsizeof(plain instance) = 56 bytes, attribute storage not included",
        "quoted, not measured: sys.getsizeof(4-tuple) = 72 bytes, sys.getsizeof(4-key dict) = 184 bytes",
        "quoted, not measured: tracemalloc, 1_000_000 records with boxed field values: \
         class ≈ 204 bytes/record, __slots__ ≈ 164, tuple ≈ 172, dict ≈ 284",
        "quoted, not measured: tracemalloc, the record object alone (shared field values): \
         class ≈ 112 bytes/record, __slots__ ≈ 72, tuple ≈ 80, dict ≈ 192",
    ] {
        n.show(line);
    }
    n.say("Install python3 to measure them on this machine in the same run.");
}
