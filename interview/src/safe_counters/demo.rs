//! The `interview/safe-counters` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! the racy counter losing adds, every fix measured at 1, 2 and 4 threads,
//! sharded against one atomic while both threads really overlap, and `INCR`
//! on a real `redis-server` per add, pipelined and batched.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;
use mastery_kit::stats::median;
use mastery_kit::{Area, Narrator, Topic, Unit};

use super::{
    AtomicCounter, BATCH, BatchedCounter, Counter, MutexCounter, RacyCounter, RedisCounter,
    RedisMode, RedisSource, RwLockCounter, ShardedCounter, THREAD_COUNTS, Tally, hammer,
    unique_key,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "interview/safe-counters",
        area: Area::Interview,
        rank: 4,
        title: "Concurrency-safe counters (locks vs atomics vs Redis)",
        python: "threading.Lock around count += 1; Redis INCR across processes",
        rust: "Mutex, RwLock, AtomicU64 (Relaxed is enough), sharded cache-padded and thread-local counters; INCR on a real redis-server",
        path: "interview/src/safe_counters/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Sizes of one demo run.
pub(super) struct Plan {
    /// Adds per thread of the racy runs (the yielding one makes a syscall
    /// per add).
    racy_adds: u64,
    /// Adds per thread, and runs, of each cell of the throughput table.
    adds: u64,
    runs: usize,
    /// Adds per thread, and alternating runs, of the headline comparison:
    /// milliseconds of work, so that a second thread woken on another core
    /// (of a shared VM, say) joins in before the first is done.
    compare_adds: u64,
    compare_runs: usize,
    redis_adds: u64,
    redis_fast_adds: u64,
    redis_runs: usize,
}

impl Plan {
    pub(super) fn for_mode(n: &Narrator) -> Plan {
        let mode = n.mode();
        Plan {
            racy_adds: mode.pick(10_000, 100_000),
            adds: mode.pick(50_000, 1_000_000),
            runs: mode.pick(1, 5),
            compare_adds: mode.pick(1_000_000, 2_000_000),
            compare_runs: mode.pick(3, 7),
            redis_adds: mode.pick(150, 5_000),
            redis_fast_adds: mode.pick(3_000, 50_000),
            redis_runs: mode.pick(1, 3),
        }
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let plan = Plan::for_mode(n);
    lost_updates(n, &plan)?;
    throughput_by_threads(n, &plan)?;
    sharded_versus_one_atomic(n, &plan)?;
    redis_counters(n, &plan)
}

fn lost_updates(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("The bug: count += 1 as a load and a store");
    n.say(
        "RacyCounter loads the value, adds, and stores it back: every access is atomic, so safe \
         Rust accepts it, but an add by another thread between the load and the store is \
         overwritten. Four threads add 1 each; the counter should end at the number of adds.",
    );
    n.show("let seen = value.load(Relaxed);   // another thread adds here ...");
    n.show("value.store(seen + 1, Relaxed);    // ... and its add is overwritten");
    let threads = 4;
    for (counter, label) in [
        (RacyCounter::new(), "as written"),
        (RacyCounter::yielding(), "yield in window"),
    ] {
        let tally = hammer(&counter, threads, plan.racy_adds)?;
        n.record_count(
            &format!("RacyCounter {label}: lost of {} adds", tally.expected),
            tally.lost(),
        );
    }
    let fixed = hammer(&AtomicCounter::new(), threads, plan.racy_adds)?;
    n.record_count(
        &format!("AtomicU64::fetch_add: lost of {} adds", fixed.expected),
        fixed.lost(),
    );
    anyhow::ensure!(fixed.lost() == 0, "fetch_add lost {} adds", fixed.lost());
    n.say(
        "The version as written loses adds only when two threads really run at once (a busy or \
         single-core machine may show 0 — the bug is still there); a yield between load and \
         store, like a thread switch in Python, makes the loss certain. fetch_add never loses \
         one.",
    );
    Ok(())
}

/// `tally`, or an error if the correct backend `counter` lost an add.
fn exact<C: Counter>(counter: &C, tally: Tally) -> anyhow::Result<Tally> {
    anyhow::ensure!(
        tally.counted == tally.expected,
        "{} counted {} of {} adds with {} threads",
        counter.name(),
        tally.counted,
        tally.expected,
        tally.threads
    );
    Ok(tally)
}

/// Median ops/s of `runs` runs; fails if a correct backend lost an add.
fn median_ops_per_sec<C: Counter>(
    counter: &C,
    threads: usize,
    adds: u64,
    runs: usize,
) -> anyhow::Result<f64> {
    let mut rates = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        rates.push(exact(counter, hammer(counter, threads, adds)?)?.ops_per_sec());
    }
    Ok(median(&mut rates))
}

/// Records ops/s at each of [`THREAD_COUNTS`]; returns them in that order.
fn throughput_row<C: Counter>(
    n: &mut Narrator,
    counter: &C,
    adds: u64,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    let mut row = Vec::with_capacity(THREAD_COUNTS.len());
    for threads in THREAD_COUNTS {
        let rate = median_ops_per_sec(counter, threads, adds, runs)?;
        n.record(
            &format!(
                "{}, {threads} thread{}",
                counter.name(),
                if threads == 1 { "" } else { "s" }
            ),
            rate,
            Unit::OpsPerSec,
        );
        row.push(rate);
    }
    Ok(row)
}

fn throughput_by_threads(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("The fixes: adds per second by thread count");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runs = match plan.runs {
        1 => "one run".to_owned(),
        r => format!("the median of {r} runs"),
    };
    n.say(&format!(
        "Each thread adds 1, {} times, and every count is checked exact; {runs} per cell on \
         this machine ({cores} cores: beyond that, threads take turns).",
        plan.adds
    ));
    throughput_row(n, &MutexCounter::new(), plan.adds, plan.runs)?;
    throughput_row(n, &RwLockCounter::new(), plan.adds, plan.runs)?;
    let relaxed = throughput_row(n, &AtomicCounter::new(), plan.adds, plan.runs)?;
    let seq_cst = throughput_row(
        n,
        &AtomicCounter::with_ordering(Ordering::SeqCst),
        plan.adds,
        plan.runs,
    )?;
    throughput_row(n, &ShardedCounter::new(), plan.adds, plan.runs)?;
    throughput_row(n, &BatchedCounter::new(BATCH), plan.adds, plan.runs)?;
    n.say(&format!(
        "Relaxed vs SeqCst: the ordering cannot change the count, only what other memory is \
         ordered around the add. This is {}. {}",
        std::env::consts::ARCH,
        seq_cst_note(std::env::consts::ARCH)
    ));
    n.compare(
        "fetch_add(Relaxed) vs fetch_add(SeqCst), 2 threads",
        relaxed[1],
        seq_cst[1],
        "AtomicU64::fetch_add(SeqCst)",
        Unit::OpsPerSec,
    );
    Ok(())
}

/// What SeqCst costs a `fetch_add` on `arch`, in the instructions compilers
/// emit for it.
pub(super) fn seq_cst_note(arch: &str) -> &'static str {
    match arch {
        "x86_64" => {
            "On x86-64 every atomic read-modify-write is a `lock`-prefixed instruction, already \
             a full barrier, so fetch_add(SeqCst) is the very instruction fetch_add(Relaxed) is \
             (`lock add`, or `lock xadd` when the old value is used): expect a tie. SeqCst \
             costs extra on x86-64 only for stores, an `xchg` instead of a plain `mov`."
        }
        "aarch64" => {
            "On aarch64 fetch_add(SeqCst) is the acquire-release form of the same instruction \
             (`ldaddal` with the LSE atomics, else an `ldaxr`/`stlxr` loop) where Relaxed uses \
             `ldadd` or `ldxr`/`stxr`; SeqCst loads and stores are `ldar`/`stlr`. No separate \
             fence: expect a tie or a small gap."
        }
        _ => {
            "On other CPUs SeqCst may add fences around the add; the comparison below shows what \
             they cost here."
        }
    }
}

fn sharded_versus_one_atomic(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("Sharded vs one atomic, 2 threads");
    n.say(&format!(
        "With one AtomicU64 the two cores take turns owning its cache line; sharded, each \
         thread owns a {}-byte-padded shard of its own. {} runs of 2 × {} adds, alternating \
         so machine noise hits both alike. The gap exists only while both threads add at the \
         same moment, so that share of the time is measured too: on a machine too busy to give \
         them two cores it is low, nothing contends, and the two tie.",
        std::mem::size_of::<CachePadded<AtomicU64>>(),
        plan.compare_runs,
        plan.compare_adds
    ));
    let sharded = ShardedCounter::new();
    let atomic = AtomicCounter::new();
    let (mut ours, mut peer, mut together) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..plan.compare_runs {
        let tally = exact(&sharded, hammer(&sharded, 2, plan.compare_adds)?)?;
        ours.push(tally.ops_per_sec());
        let tally = exact(&atomic, hammer(&atomic, 2, plan.compare_adds)?)?;
        peer.push(tally.ops_per_sec());
        together.push(tally.overlap);
    }
    n.record(
        "time both threads were adding at once (one atomic)",
        100.0 * median(&mut together),
        Unit::Percent,
    );
    n.compare(
        "ShardedCounter::add vs one AtomicU64, 2 threads",
        median(&mut ours),
        median(&mut peer),
        "AtomicU64::fetch_add",
        Unit::OpsPerSec,
    );
    Ok(())
}

pub(super) fn redis_counters(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("Across processes: Redis INCR");
    let url = n.settings().redis_url.clone();
    let required = n.settings().require_redis;
    let Some(source) = RedisSource::resolve(url.as_deref(), required)? else {
        n.say(
            "skipped: redis-server is not installed — install it with `apt-get install \
             redis-server` (or pass --redis URL) to see INCR measured; set \
             MASTERY_REQUIRE_REDIS=1 to make this a failure.",
        );
        return Ok(());
    };
    let counter = RedisCounter::connect(source.url(), unique_key("demo"))?;
    n.say(&format!(
        "Using {source}, key {}. Each thread has its own connection; INCR is atomic because \
         the server runs one command at a time. Every add is a round trip, so the Redis \
         analogue of the local batch is sending many adds per trip: a pipeline (every add \
         still a command) or one INCRBY per 100 adds.",
        counter.key()
    ));
    let result = redis_rows(n, plan, &counter);
    let tidy = counter.delete();
    result?;
    tidy?;
    Ok(())
}

fn redis_rows(n: &mut Narrator, plan: &Plan, counter: &RedisCounter) -> anyhow::Result<()> {
    let per_add = counter.clone();
    let per_add_row = throughput_row(n, &per_add, plan.redis_adds, plan.redis_runs)?;
    let pipelined = counter.clone().with_mode(RedisMode::Pipelined(100));
    throughput_row(n, &pipelined, plan.redis_fast_adds, plan.redis_runs)?;
    let batched = counter.clone().with_mode(RedisMode::Batched(100));
    let batched_row = throughput_row(n, &batched, plan.redis_fast_adds, plan.redis_runs)?;
    n.compare(
        "INCRBY every 100 adds vs INCR per add, 2 threads",
        batched_row[1],
        per_add_row[1],
        "Redis INCR per add",
        Unit::OpsPerSec,
    );
    Ok(())
}
