//! The LRU ladder, climbed: every rung from the Python idiom to the `lru`
//! crate timed on the demo's workload in the same rounds
//! ([`mastery_kit::ladder::climb`]), each step against the one below.
//!
//! [`climb_ladder`] is shared by the topic's demo and the LRU kata: the
//! kata passes the reader's cache as a [`ReaderCache`], which is checked
//! like every rung, timed in the same rounds, and placed on the ladder.

use std::cell::RefCell;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Instant;

use hashbrown::DefaultHashBuilder;
use mastery_kit::ladder::{self, Climbed, Kind, Rung};
use mastery_kit::python::{self, Served};
use mastery_kit::{Mode, Narrator, Unit, workload};
use serde::Serialize;

use super::{LruCache, SimpleLru, TableLru, VecDequeLru, ZIPF_EXPONENT, count_hits};

pub(super) use crate::RUNG_ZERO;

/// How many parts a rung's timed sample walks the stream in: a sample runs
/// one part, so the ladder's many rungs fit the demo's time.
const PARTS: usize = 32;

/// A cache driven by the workload: given keys, it runs `get` (and `put` on
/// a miss) for each and returns its hits, as [`count_hits`] does.
pub type Driven<'a> = Box<dyn FnMut(&[u64]) -> u64 + 'a>;

/// The reader's cache as one more rung: its name, and a factory making an
/// empty cache of a given capacity, driven by the workload.
///
/// Any cache type fits, from any crate: [`ReaderCache::of`] takes its
/// constructor and how it gets and puts a `u64` key.
///
/// ```
/// use mastery_interview::lru_cache::{ReaderCache, SimpleLru};
///
/// let mut reader = ReaderCache::of(
///     "my SimpleLru",
///     |capacity| SimpleLru::new(capacity.get()).expect("capacity >= 1"),
///     |cache, key| cache.get(&key).is_some(),
///     |cache, key| {
///         cache.put(key, key);
///     },
/// );
/// assert_eq!(reader.name(), "my SimpleLru");
/// let mut run = reader.make(std::num::NonZeroUsize::MIN);
/// assert_eq!(run(&[7, 7, 8, 7]), 1); // capacity 1: only the second 7 hits
/// ```
pub struct ReaderCache<'a> {
    name: String,
    make: Box<dyn FnMut(NonZeroUsize) -> Driven<'a> + 'a>,
}

impl<'a> ReaderCache<'a> {
    /// A rung called `name` whose caches `make` builds, each already
    /// driven by the workload (see [`Driven`]).
    pub fn new(
        name: impl Into<String>,
        make: impl FnMut(NonZeroUsize) -> Driven<'a> + 'a,
    ) -> ReaderCache<'a> {
        ReaderCache {
            name: name.into(),
            make: Box::new(make),
        }
    }

    /// A rung for a cache type `C`: `new` makes one of a capacity, `get`
    /// looks a key up (true on a hit, marking it most recently used) and
    /// `put` stores a key mapped to itself.
    pub fn of<C: 'a>(
        name: impl Into<String>,
        mut new: impl FnMut(NonZeroUsize) -> C + 'a,
        get: impl Fn(&mut C, u64) -> bool + Clone + 'a,
        put: impl Fn(&mut C, u64) + Clone + 'a,
    ) -> ReaderCache<'a> {
        ReaderCache::new(name, move |capacity| {
            driven(new(capacity), get.clone(), put.clone())
        })
    }

    /// The rung's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// An empty cache of `capacity`, driven by the workload.
    pub fn make(&mut self, capacity: NonZeroUsize) -> Driven<'a> {
        (self.make)(capacity)
    }
}

impl std::fmt::Debug for ReaderCache<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderCache")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// `cache` driven by the workload through its `get` and `put`.
fn driven<'a, C: 'a>(
    mut cache: C,
    get: impl Fn(&mut C, u64) -> bool + 'a,
    put: impl Fn(&mut C, u64) + 'a,
) -> Driven<'a> {
    Box::new(move |keys| count_hits(&mut cache, keys, |c, k| get(c, k), |c, k| put(c, k)))
}

/// Operations in the key stream of each capacity: the same as the demo's
/// "ours vs the `lru` crate" section, so both time the same workload.
pub(super) fn stream_length(mode: Mode) -> usize {
    mode.pick_deep(20_000, 500_000, DEEP_STREAM)
}

/// The `--deep` stream length, for the demo's prose.
pub(super) const DEEP_STREAM: usize = 1_000_000;

/// The two capacities the demo times: small (fits a CPU cache) and large.
pub(super) fn capacities(mode: Mode) -> [usize; 2] {
    mode.pick([100, 1_000], [1_000, 100_000])
}

/// Climbs the LRU ladder at both capacities: Python's `OrderedDict` class
/// and `functools.lru_cache` (full and deep modes, when a `python3` is
/// there), [`VecDequeLru`] (small capacity only), [`SimpleLru`], `SimpleLru`
/// with foldhash, [`TableLru`], [`LruCache`] and the `lru` crate — and the
/// reader's cache when one is given, placed among them.
///
/// Every rung first runs the whole key stream once, which warms it and
/// checks it: all are exact LRUs and must hit exactly as often as
/// [`LruCache`]. A reader's cache that does not is an error that says so,
/// rather than a timing of different work.
///
/// # Errors
/// A rung (or the reader's cache) that hits differently from [`LruCache`];
/// a failing Python side when `require_python` is set.
pub fn climb_ladder(
    n: &mut Narrator,
    mut reader: Option<ReaderCache<'_>>,
) -> anyhow::Result<Vec<Climbed>> {
    n.section("The ladder: from the textbook to the lru crate");
    let ops = stream_length(n.mode());
    let [small, large] = capacities(n.mode());
    n.say(&format!(
        "Get, and put on a miss, over Zipf keys (ten times more distinct keys than capacity), \
         on every step from the Python idiom to the lru crate, all rungs timed in the same \
         rounds; each step is compared with the rung below it. \
         Every rung runs the whole stream of {ops} operations first, which warms it and checks \
         that it hits exactly as often as LruCache. VecDequeLru runs at capacity {small} only, \
         on the first quarter of the stream: its hit searches a queue of all {small} keys, and \
         at capacity {large} that O(n) would take most of the run. At capacity {large} the \
         rungs' caches take turns, so a sample finds less of its own cache in the CPU's caches \
         than when two caches alternate (the section before this one): compare the rungs with \
         each other rather than with that section."
    ));
    let python = start_python(n)?;
    let mut climbed = Vec::new();
    for capacity in [small, large] {
        let keys = workload::zipf_keys(ops, capacity as u64 * 10, ZIPF_EXPONENT, 42)?;
        climbed.push(climb_at(
            n,
            capacity,
            &keys,
            capacity == small,
            python.as_ref(),
            reader.as_mut(),
        )?);
    }
    Ok(climbed)
}

/// The Python side: one interpreter per Python rung (so their untimed
/// warm-ups run side by side), and the files they read the keys from.
struct PythonSide {
    /// `servers[i]` serves `PYTHON_RUNGS[i]`.
    servers: Vec<RefCell<Served>>,
    files: KeysFiles,
}

/// Starts `rung_zero.py` once per Python rung, or says why there is no
/// Python rung.
fn start_python(n: &mut Narrator) -> anyhow::Result<Option<PythonSide>> {
    if n.mode() == Mode::Quick {
        n.say("Quick mode times the Rust rungs only; full mode adds the Python rungs.");
        return Ok(None);
    }
    let python = python::interpreter(n.settings());
    let spawned: Vec<_> = PYTHON_RUNGS
        .iter()
        .map(|_| Served::spawn(&python, RUNG_ZERO, &[]))
        .collect();
    let started = spawned
        .into_iter()
        .map(|served| served.and_then(Served::ready))
        .collect::<Result<Vec<_>, _>>();
    let Some(servers) = python::skip_or_fail(n, "the Python rungs", started)? else {
        return Ok(None);
    };
    n.say(&format!(
        "The Python rungs run in CPython {}, on the same keys (written once to a file it \
         reads), timed by the interpreter itself around its loop only; a Python sample runs \
         a quarter as many operations as a Rust one.",
        servers.first().map_or("", Served::version)
    ));
    Ok(Some(PythonSide {
        servers: servers.into_iter().map(RefCell::new).collect(),
        files: KeysFiles::default(),
    }))
}

/// The ladder at one capacity.
fn climb_at(
    n: &mut Narrator,
    capacity: usize,
    keys: &[u64],
    small: bool,
    python: Option<&PythonSide>,
    reader: Option<&mut ReaderCache<'_>>,
) -> anyhow::Result<Climbed> {
    // Python's warm-ups run on the other core while the Rust rungs warm up
    // below (nothing is timed until every rung is warm).
    let python = match python {
        Some(side) => {
            let path = side.files.write(capacity, keys)?;
            for ((op, ..), served) in PYTHON_RUNGS.iter().zip(&side.servers) {
                served.borrow_mut().send(&Request {
                    op,
                    capacity,
                    keys: &path,
                    replay_from: 0,
                    start: 0,
                    stop: keys.len(),
                    fresh: true,
                })?;
            }
            Some((&side.servers, path))
        }
        None => None,
    };
    let capacity_nz = NonZeroUsize::new(capacity).ok_or(super::CapacityError::Zero)?;
    let parts: Vec<&[u64]> = keys.chunks_exact((keys.len() / PARTS).max(1)).collect();
    let quarter = &keys[..keys.len() / 4];
    let quarter_parts: Vec<&[u64]> = quarter
        .chunks_exact((quarter.len() / PARTS).max(1))
        .collect();
    let mut production = driven(
        LruCache::new(capacity)?,
        |c, k| c.get(&k).is_some(),
        |c, k| {
            c.put(k, k);
        },
    );
    let expected = production(keys);
    let stream = Stream {
        keys,
        parts: &parts,
        expected,
    };

    let mut rungs = Vec::new();
    if small {
        let expected = driven(
            LruCache::new(capacity)?,
            |c, k| c.get(&k).is_some(),
            |c, k| {
                c.put(k, k);
            },
        )(quarter);
        let quarter = Stream {
            keys: quarter,
            parts: &quarter_parts,
            expected,
        };
        let cache = driven(
            VecDequeLru::new(capacity)?,
            |c, k| c.get(&k).is_some(),
            |c, k| {
                c.put(k, k);
            },
        );
        let idea = "HashMap + VecDeque of keys: a hit searches the queue, O(n)";
        rungs.push(rust_rung(
            "VecDequeLru",
            Kind::Textbook,
            idea,
            cache,
            &quarter,
        )?);
    }
    let simple = driven(
        SimpleLru::new(capacity)?,
        |c, k| c.get(&k).is_some(),
        |c, k| {
            c.put(k, k);
        },
    );
    let idea = "slots linked by index: O(1) hit, the tail's slot reused; SipHash";
    rungs.push(rust_rung(
        "SimpleLru",
        Kind::Textbook,
        idea,
        simple,
        &stream,
    )?);
    let foldhash =
        SimpleLru::<u64, u64, DefaultHashBuilder>::with_hasher(capacity, <_>::default())?;
    let foldhash = driven(
        foldhash,
        |c, k| c.get(&k).is_some(),
        |c, k| {
            c.put(k, k);
        },
    );
    let idea = "only the hasher: SipHash → foldhash";
    rungs.push(rust_rung(
        "SimpleLru+foldhash",
        Kind::Step,
        idea,
        foldhash,
        &stream,
    )?);
    let table = driven(
        TableLru::new(capacity)?,
        |c, k| c.get(&k).is_some(),
        |c, k| {
            c.put(k, k);
        },
    );
    let idea = "a HashTable of u32 slot indices: each key stored once";
    rungs.push(rust_rung("TableLru", Kind::Step, idea, table, &stream)?);
    let idea = "links in their own array, each key's hash stored";
    rungs.push(timed(
        "LruCache",
        Kind::Production,
        idea,
        production,
        stream.parts,
    ));
    let peer = lru::LruCache::new(capacity_nz);
    let peer = driven(
        peer,
        |c, k| c.get(&k).is_some(),
        |c, k| {
            c.put(k, k);
        },
    );
    let idea = "the peer: a pointer-linked list over a hashbrown map";
    rungs.push(rust_rung("lru crate", Kind::Peer, idea, peer, &stream)?);

    if let Some(reader) = reader {
        let mut cache = reader.make(capacity_nz);
        let hits = cache(keys);
        anyhow::ensure!(
            hits == expected,
            "your cache hit {hits} times on this stream; an exact LRU hits {expected} \
             (capacity {capacity}, {} get-or-put operations on Zipf keys). It evicts or \
             keeps different keys than a least-recently-used cache would, so it is not timed: \
             run the kata's tests to see where",
            keys.len()
        );
        rungs.push(timed(
            reader.name(),
            Kind::Reader,
            "your cache",
            cache,
            stream.parts,
        ));
    }
    if let Some((servers, path)) = python {
        let mut python_rungs = Vec::new();
        for ((op, name, idea), served) in PYTHON_RUNGS.into_iter().zip(servers) {
            python_rungs.push(python_rung(
                served, op, name, idea, capacity, &path, &stream,
            )?);
        }
        rungs.splice(0..0, python_rungs);
    }
    ladder::climb(
        n,
        &format!("get/put, capacity {capacity}"),
        Unit::NsPerOp,
        rungs,
    )
}

/// A key stream, cut into the parts samples run, and the hits an exact LRU
/// makes on the whole of it.
struct Stream<'k> {
    keys: &'k [u64],
    parts: &'k [&'k [u64]],
    expected: u64,
}

/// Warms `cache` on the whole stream, checks its hits, and makes it a rung.
fn rust_rung<'a>(
    name: &str,
    kind: Kind,
    idea: &str,
    mut cache: Driven<'a>,
    stream: &Stream<'a>,
) -> anyhow::Result<Rung<'a>> {
    let hits = cache(stream.keys);
    anyhow::ensure!(
        hits == stream.expected,
        "{name} hit {hits} times where LruCache hit {}: every rung is an exact LRU, so one of \
         them is wrong (the ladder's property test should have caught it)",
        stream.expected
    );
    Ok(timed(name, kind, idea, cache, stream.parts))
}

/// A rung whose every sample takes the next two of `parts` (wrapping
/// around): it replays the first untimed and times the second.
///
/// The replay is there because the rungs take turns: by a rung's turn, the
/// other rungs' caches have pushed its own out of the CPU caches, and at the
/// large capacity a sample that started cold would time that refill rather
/// than the cache — every rung alike, hiding the steps. Replaying the part
/// before brings its working set back, as a cache in steady use would have
/// it, and keeps the key stream in order.
fn timed<'a>(
    name: &str,
    kind: Kind,
    idea: &str,
    mut cache: Driven<'a>,
    parts: &'a [&'a [u64]],
) -> Rung<'a> {
    let mut next = parts.chunks_exact(2).cycle();
    Rung::new(name, kind, idea, move || {
        let Some(&[replay, part]) = next.next() else {
            anyhow::bail!("the ladder's stream is shorter than two parts");
        };
        cache(replay);
        let start = Instant::now();
        black_box(cache(part));
        Ok(start.elapsed().as_secs_f64() * 1e9 / part.len().max(1) as f64)
    })
}

/// The Python rungs: `rung_zero.py`'s op, the rung's name, what it is.
const PYTHON_RUNGS: [(&str, &str, &str); 2] = [
    (
        "lru_ordereddict",
        "OrderedDict",
        "Python's interview answer: move_to_end, popitem(last=False)",
    ),
    (
        "lru_functools",
        "functools.lru_cache",
        "Python's own LRU, written in C",
    ),
];

/// How many parts of the stream a Python sample runs: a quarter of a Rust
/// rung's part, as Python's operations cost several times more.
const PYTHON_PARTS: usize = 4 * PARTS;

/// One call to `rung_zero.py`.
#[derive(Serialize)]
pub(super) struct Request<'p> {
    pub(super) op: &'p str,
    pub(super) capacity: usize,
    pub(super) keys: &'p str,
    /// Runs `keys[replay_from..start]` untimed before the timed part.
    pub(super) replay_from: usize,
    pub(super) start: usize,
    pub(super) stop: usize,
    pub(super) fresh: bool,
}

/// A Python rung whose warm-up request was sent: its reply (a fresh cache
/// on the whole stream) is the check; then each sample runs the next part,
/// timed by Python.
fn python_rung<'a>(
    served: &'a RefCell<Served>,
    op: &'static str,
    name: &str,
    idea: &str,
    capacity: usize,
    path: &str,
    stream: &Stream<'_>,
) -> anyhow::Result<Rung<'a>> {
    let warm = served.borrow_mut().receive()?;
    anyhow::ensure!(
        warm.check == stream.expected,
        "Python's {name} hit {} times where LruCache hit {}: both are exact LRUs, so the \
         two sides did not run the same stream",
        warm.check,
        stream.expected
    );
    let path = path.to_owned();
    let part = (stream.keys.len() / PYTHON_PARTS).max(1);
    // Pairs of whole parts, as the Rust rungs take them (see `timed`): the
    // first replayed untimed, the second timed.
    let pairs = (stream.keys.len() / part / 2).clamp(1, PYTHON_PARTS / 2);
    let mut next = (0..pairs).cycle();
    Ok(Rung::new(name, Kind::Python, idea, move || {
        let replay_from = next.next().unwrap_or(0) * 2 * part;
        let reply = served.borrow_mut().call(&Request {
            op,
            capacity,
            keys: &path,
            replay_from,
            start: replay_from + part,
            stop: replay_from + 2 * part,
            fresh: false,
        })?;
        Ok(reply.ns_per_op)
    }))
}

/// The key streams written for Python, as little-endian `u64`s, one file
/// per capacity; removed when dropped.
#[derive(Default)]
pub(super) struct KeysFiles {
    written: RefCell<Vec<PathBuf>>,
}

impl KeysFiles {
    /// Writes `keys` for `capacity`; the file's path.
    pub(super) fn write(&self, capacity: usize, keys: &[u64]) -> anyhow::Result<String> {
        let path = std::env::temp_dir().join(format!(
            "mastery-lru-keys-{}-{capacity}.u64",
            std::process::id()
        ));
        let bytes: Vec<u8> = keys.iter().flat_map(|k| k.to_le_bytes()).collect();
        std::fs::write(&path, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write the keys to {}: {e}", path.display()))?;
        self.written.borrow_mut().push(path.clone());
        path.to_str().map(str::to_owned).ok_or_else(|| {
            anyhow::anyhow!(
                "the temp path {} is not UTF-8 (Python reads it from JSON)",
                path.display()
            )
        })
    }
}

impl Drop for KeysFiles {
    fn drop(&mut self) {
        for path in self.written.borrow().iter() {
            let _ = std::fs::remove_file(path);
        }
    }
}
