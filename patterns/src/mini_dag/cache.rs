//! The cache: which tasks need not run again, and the records that let a
//! killed run resume.
//!
//! A task's **cache key** is a 128-bit XXH3 hash of everything that decides
//! what the task computes:
//! 1. a format tag (`mastery-dag/1`), so a new key layout misses old records;
//! 2. the action — the shell command's exact text, or the built-in;
//! 3. the task's `env`, sorted by name;
//! 4. each declared input's path and the hash of its contents (an input
//!    that cannot be read fails the task before it starts);
//! 5. for each dependency, sorted by id, its id and its **fingerprint**:
//!    the hashes of its declared outputs, or — for a dependency that
//!    declares none — its own cache key.
//!
//! Left out on purpose: `retries`, `backoff` and `timeout` (they change how
//! hard we try, not what is computed), the process environment (only the
//! file's `env` is declared), and time stamps (Make compares mtimes, which a
//! `git checkout` or a copy resets; contents do not lie).
//!
//! After a task succeeds, its record — key and output hashes — is written
//! to `STATE/NAME/cache/ID.json`, to a temporary file first and then
//! renamed over the old one, so a run killed at any instant leaves either
//! the old record or the new one, never half of one. A run finds a task
//! **cached** when a record with the same key exists and every declared
//! output still has the hash it was written with (an output deleted or
//! edited since makes the task run again). That is also the whole of
//! *resume*: what finished before a SIGKILL has its record; the rest runs.
//!
//! Dependencies enter through their outputs' hashes rather than their keys
//! when they declare outputs, so a dependency that re-runs and writes the
//! same bytes does not make its dependents run ("early cutoff", as in Bazel
//! and Shake).
//!
//! XXH3 is not a cryptographic hash: it guards against accidents (a changed
//! file), not against someone crafting a collision — Bazel uses SHA-256 for
//! a cache shared between people; a local, per-user cache can take the
//! faster hash.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::graph::Dag;
use super::problem::DagError;

/// A 128-bit content hash, printed as 32 hex digits.
pub type Hash = u128;

/// Where records (and logs) live for one pipeline: `STATE/NAME/`.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// What a finished task leaves behind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The key it ran with (hex).
    pub key: String,
    /// Each declared output's content hash (hex), by path as declared.
    pub outputs: BTreeMap<String, String>,
}

impl Store {
    /// The store of `dag`'s pipeline (nothing is created until a write).
    pub fn of(dag: &Dag) -> Store {
        let p = dag.pipeline();
        Store {
            dir: p.state_dir.join(&p.name),
        }
    }

    /// The record file of task `id`.
    pub fn record_path(&self, id: &str) -> PathBuf {
        self.dir.join("cache").join(format!("{id}.json"))
    }

    /// The log file of task `id`.
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{id}.log"))
    }

    /// The record of task `id`, if there is a readable one (a damaged record
    /// counts as none: the task runs again).
    pub fn read(&self, id: &str) -> Option<Record> {
        let text = std::fs::read_to_string(self.record_path(id)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Writes the record of task `id` atomically (temporary file, rename).
    ///
    /// # Errors
    /// [`DagError::State`] naming the file that could not be written.
    pub fn write(&self, id: &str, record: &Record) -> Result<(), DagError> {
        let path = self.record_path(id);
        let state = |source| DagError::State {
            path: path.clone(),
            source,
        };
        let dir = path.parent().expect("a record path has a parent");
        std::fs::create_dir_all(dir).map_err(state)?;
        let text = serde_json::to_string_pretty(record).expect("a record serializes");
        let tmp = dir.join(format!(".{id}.json.tmp"));
        std::fs::write(&tmp, text).map_err(state)?;
        std::fs::rename(&tmp, &path).map_err(state)
    }

    /// Deletes the record of task `id` (before it runs again: a run killed
    /// mid-task must not find the old record and call the task done).
    ///
    /// # Errors
    /// [`DagError::State`] when a record exists and cannot be removed.
    pub fn forget(&self, id: &str) -> Result<(), DagError> {
        let path = self.record_path(id);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(DagError::State { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

// ANCHOR: cache_key
/// The cache key of task `i`, given the fingerprints of its dependencies.
///
/// # Errors
/// A sentence naming an input that cannot be read.
pub fn cache_key(dag: &Dag, i: usize, fingerprints: &[Option<Hash>]) -> Result<Hash, String> {
    let task = dag.task(i);
    let base = &dag.pipeline().base_dir;
    let mut h = Xxh3::new();
    field(&mut h, b"mastery-dag/1");
    field(&mut h, task.action.to_string().as_bytes());
    for (name, value) in &task.env {
        field(&mut h, name.as_bytes());
        field(&mut h, value.as_bytes());
    }
    for input in &task.inputs {
        let hash = hash_file(&base.join(input))
            .map_err(|e| format!("input `{}` cannot be read: {e}", input.display()))?;
        field(&mut h, input.to_string_lossy().as_bytes());
        h.update(&hash.to_le_bytes());
    }
    let mut deps: Vec<usize> = dag.deps(i).to_vec();
    deps.sort_by(|&a, &b| dag.task(a).id.cmp(&dag.task(b).id));
    for d in deps {
        field(&mut h, dag.task(d).id.as_bytes());
        let fingerprint = fingerprints[d].expect("a dependency finishes before its dependents");
        h.update(&fingerprint.to_le_bytes());
    }
    Ok(h.digest128())
}
// ANCHOR_END: cache_key

/// The hashes of task `i`'s declared outputs as they are now.
///
/// # Errors
/// A sentence naming an output that is missing or unreadable.
pub fn output_hashes(dag: &Dag, i: usize) -> Result<BTreeMap<String, String>, String> {
    let base = &dag.pipeline().base_dir;
    dag.task(i)
        .outputs
        .iter()
        .map(|out| {
            let hash = hash_file(&base.join(out))
                .map_err(|e| format!("declared output `{}` was not written: {e}", out.display()))?;
            Ok((out.to_string_lossy().into_owned(), hex(hash)))
        })
        .collect()
}

/// What dependents of a task see: its outputs' hashes, or its key when it
/// declares no outputs.
pub fn fingerprint(key: Hash, outputs: &BTreeMap<String, String>) -> Hash {
    if outputs.is_empty() {
        return key;
    }
    let mut h = Xxh3::new();
    for (path, hash) in outputs {
        field(&mut h, path.as_bytes());
        field(&mut h, hash.as_bytes());
    }
    h.digest128()
}

/// 32 lowercase hex digits.
pub fn hex(hash: Hash) -> String {
    format!("{hash:032x}")
}

/// A length-prefixed field, so `("ab", "c")` and `("a", "bc")` differ.
fn field(h: &mut Xxh3, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

fn hash_file(path: &Path) -> io::Result<Hash> {
    let mut file = File::open(path)?;
    let mut h = Xxh3::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(h.digest128());
        }
        h.update(&buf[..n]);
    }
}

/// Whether the record matches `key` and every output still hashes as
/// recorded; the current output hashes when it does.
pub fn hit(dag: &Dag, i: usize, record: &Record, key: Hash) -> Option<BTreeMap<String, String>> {
    if record.key != hex(key) {
        return None;
    }
    let now = output_hashes(dag, i).ok()?;
    (now == record.outputs).then_some(now)
}
