//! The `interview/safe-counters` topic: its registration and demo.
//!
//! The lesson is the module doc of [`super`]; this file tells the story:
//! the racy counter losing adds, every fix measured at 1, 2 and 4 threads,
//! sharded against one atomic while both threads really overlap, and `INCR`
//! on a real `redis-server` per add, pipelined and batched.

use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam_utils::CachePadded;
use mastery_kit::stats::median;
use mastery_kit::{Area, Comparison, Mode, Narrator, Topic, Unit, Verdict};

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
    /// Adds per thread of the racy counter as written.
    racy_adds: u64,
    /// Adds per thread of the racy counter with a yield in its window: a
    /// syscall per add, and a few thousand lose most of them already.
    yielding_adds: u64,
    /// Adds per thread of one run of a throughput table cell.
    adds: u64,
    /// Adds per thread of one run of the headline comparison: milliseconds
    /// of work, so that a second thread woken on another core (of a shared
    /// VM, say) joins in before the first is done.
    compare_adds: u64,
    redis_adds: u64,
    redis_fast_adds: u64,
    /// Rounds of every table and comparison: each round runs every backend
    /// once, so a round's runs pair up.
    rounds: usize,
}

impl Plan {
    pub(super) fn for_mode(n: &Narrator) -> Plan {
        Plan::sized(n.mode(), n.samples())
    }

    /// The sizes `--deep` runs, for the story to name next to this run's.
    fn deep() -> Plan {
        Plan::sized(Mode::Deep, Mode::Deep.default_samples())
    }

    fn sized(mode: Mode, rounds: usize) -> Plan {
        Plan {
            racy_adds: mode.pick(10_000, 100_000),
            yielding_adds: mode.pick_deep(2_000, 10_000, 100_000),
            adds: super::ladder::ladder_adds(mode),
            compare_adds: mode.pick_deep(100_000, 1_000_000, 2_000_000),
            redis_adds: mode.pick_deep(20, 100, 1_000),
            redis_fast_adds: mode.pick_deep(500, 2_000, 10_000),
            rounds,
        }
    }
}

/// Where 2 threads sit in [`THREAD_COUNTS`]: the comparisons' column.
const TWO_THREADS: usize = 1;
const _: () = assert!(THREAD_COUNTS[TWO_THREADS] == 2);

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    let plan = Plan::for_mode(n);
    lost_updates(n, &plan)?;
    throughput_by_threads(n, &plan)?;
    super::ladder::climb_counters(n, plan.adds)?;
    sharded_versus_one_atomic(n, &plan)?;
    redis_counters(n, &plan)
}

/// What a comparison's verdict lets the demo say: `better` or `worse` only
/// when its interval excludes a tie.
fn verdict_says(c: &Comparison, better: &str, worse: &str) -> String {
    match c.verdict {
        Verdict::Better => better.to_owned(),
        Verdict::Worse => worse.to_owned(),
        Verdict::Tie { within } => {
            format!("No difference this run can see (±{:.1} %).", within * 100.0)
        }
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few rounds for a verdict; the default full run takes enough.".to_owned()
        }
    }
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
    for (counter, label, adds) in [
        (RacyCounter::new(), "as written", plan.racy_adds),
        (
            RacyCounter::yielding(),
            "yield in window",
            plan.yielding_adds,
        ),
    ] {
        let tally = hammer(&counter, threads, adds)?;
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
    n.say(&format!(
        "The version as written loses adds only when two threads really run at once (a busy or \
         single-core machine may show 0 — the bug is still there); a yield between load and \
         store, like a thread switch in Python, makes the loss certain (a syscall per add: \
         `--deep` yields {} times per thread). fetch_add never loses one.",
        Plan::deep().yielding_adds
    ));
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

/// A backend of a throughput table: its name, and one checked run of it —
/// `threads` threads adding its own number of adds each — in adds per
/// second.
struct Contender<'a> {
    name: String,
    run: Box<dyn Fn(usize) -> anyhow::Result<f64> + 'a>,
}

impl<'a> Contender<'a> {
    /// `counter`, each thread adding `adds` times per run.
    fn of<C: Counter>(counter: &'a C, adds: u64) -> Self {
        Contender {
            name: counter.name(),
            run: Box::new(move |threads| {
                Ok(exact(counter, hammer(counter, threads, adds)?)?.ops_per_sec())
            }),
        }
    }
}

/// Runs every contender at every thread count in `rounds` rounds, and
/// records the median of each cell. A round runs each contender once per
/// thread count — in list order on even rounds, reversed on odd ones, so a
/// drift on the machine favours no one — which makes two contenders' runs
/// of one round a pair. Adds per second, indexed
/// `[contender][thread count][round]`.
fn throughput_table(
    n: &mut Narrator,
    contenders: &[Contender<'_>],
    rounds: usize,
) -> anyhow::Result<Vec<Vec<Vec<f64>>>> {
    let mut rates = vec![vec![Vec::with_capacity(rounds); THREAD_COUNTS.len()]; contenders.len()];
    for round in 0..rounds {
        for (column, &threads) in THREAD_COUNTS.iter().enumerate() {
            for i in 0..contenders.len() {
                let c = if round % 2 == 0 {
                    i
                } else {
                    contenders.len() - 1 - i
                };
                rates[c][column].push((contenders[c].run)(threads)?);
            }
        }
    }
    for (contender, row) in contenders.iter().zip(&rates) {
        for (threads, runs) in THREAD_COUNTS.iter().zip(row) {
            n.record(
                &format!(
                    "{}, {threads} thread{}",
                    contender.name,
                    if *threads == 1 { "" } else { "s" }
                ),
                median(&mut runs.clone()),
                Unit::OpsPerSec,
            );
        }
    }
    Ok(rates)
}

fn throughput_by_threads(n: &mut Narrator, plan: &Plan) -> anyhow::Result<()> {
    n.section("The fixes: adds per second by thread count");
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    n.say(&format!(
        "Each thread adds 1, {} times (`--deep`: {}), and every count is checked exact; each \
         cell is the median of {} rounds on this machine ({cores} cores: beyond that, threads \
         take turns). A round runs every backend once, in alternating order, so two backends' \
         runs of one round pair up for a comparison.",
        plan.adds,
        Plan::deep().adds,
        plan.rounds
    ));
    let mutex = MutexCounter::new();
    let rw_lock = RwLockCounter::new();
    let relaxed = AtomicCounter::new();
    let seq_cst = AtomicCounter::with_ordering(Ordering::SeqCst);
    let sharded = ShardedCounter::new();
    let batched = BatchedCounter::new(BATCH);
    let rates = throughput_table(
        n,
        &[
            Contender::of(&mutex, plan.adds),
            Contender::of(&rw_lock, plan.adds),
            Contender::of(&relaxed, plan.adds),
            Contender::of(&seq_cst, plan.adds),
            Contender::of(&sharded, plan.adds),
            Contender::of(&batched, plan.adds),
        ],
        plan.rounds,
    )?;
    n.say(&format!(
        "Relaxed vs SeqCst: the ordering cannot change the count, only what other memory is \
         ordered around the add. This is {}. {}",
        std::env::consts::ARCH,
        seq_cst_note(std::env::consts::ARCH)
    ));
    let [_, _, relaxed_rates, seq_cst_rates, _, _] = rates.as_slice() else {
        anyhow::bail!("the table has one row per contender");
    };
    let c = n.compare_samples(
        "fetch_add(Relaxed) vs fetch_add(SeqCst), 2 threads",
        &relaxed_rates[TWO_THREADS],
        &seq_cst_rates[TWO_THREADS],
        "AtomicU64::fetch_add(SeqCst)",
        Unit::OpsPerSec,
    );
    n.say(&verdict_says(
        &c,
        "Relaxed came out ahead, by more than this run's noise; where both orderings compile \
         to the same instruction, a gap like this comes from the run (code placement, the \
         other core), not from the ordering.",
        "SeqCst came out ahead, by more than this run's noise; where both orderings compile \
         to the same instruction, a gap like this comes from the run (code placement, the \
         other core), not from the ordering.",
    ));
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
         thread owns a {}-byte-padded shard of its own. {} rounds of 2 × {} adds each \
         (`--deep`: 2 × {}), the two taking turns to go first so machine noise hits both \
         alike. The gap exists only while both threads add at the same moment, so that share \
         of the time is measured too: on a machine too busy to give them two cores it is low, \
         nothing contends, and the two tie.",
        std::mem::size_of::<CachePadded<AtomicU64>>(),
        plan.rounds,
        plan.compare_adds,
        Plan::deep().compare_adds
    ));
    let sharded = ShardedCounter::new();
    let atomic = AtomicCounter::new();
    let (mut ours, mut peer, mut together) = (Vec::new(), Vec::new(), Vec::new());
    let run_sharded = || -> anyhow::Result<f64> {
        Ok(exact(&sharded, hammer(&sharded, 2, plan.compare_adds)?)?.ops_per_sec())
    };
    for round in 0..plan.rounds {
        let sharded_first = round % 2 == 0;
        if sharded_first {
            ours.push(run_sharded()?);
        }
        let tally = exact(&atomic, hammer(&atomic, 2, plan.compare_adds)?)?;
        peer.push(tally.ops_per_sec());
        together.push(tally.overlap);
        if !sharded_first {
            ours.push(run_sharded()?);
        }
    }
    let overlap = 100.0 * median(&mut together);
    n.record(
        "time both threads were adding at once (one atomic)",
        overlap,
        Unit::Percent,
    );
    let c = n.compare_samples(
        "ShardedCounter::add vs one AtomicU64, 2 threads",
        &ours,
        &peer,
        "AtomicU64::fetch_add",
        Unit::OpsPerSec,
    );
    let said = match c.verdict {
        Verdict::Tie { within } => format!(
            "No difference this run can see (±{:.1} %): with both threads adding at once \
             {overlap:.0} % of the time, there was little contention for sharding to save.",
            within * 100.0
        ),
        _ => verdict_says(
            &c,
            "Sharding came out ahead: while both threads added, one atomic's cache line moved \
             between the cores on every add, and each shard's stayed put.",
            "One atomic came out ahead in this run: finding the thread's shard cost more than \
             the contention sharding saved.",
        ),
    };
    n.say(&said);
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
    n.say(&format!(
        "Per add, each thread makes {} adds a run; pipelined and batched, {} (`--deep`: {} \
         and {}). Each cell is the median of {} rounds, each round running the three modes in \
         alternating order.",
        plan.redis_adds,
        plan.redis_fast_adds,
        Plan::deep().redis_adds,
        Plan::deep().redis_fast_adds,
        plan.rounds
    ));
    let per_add = counter.clone();
    let pipelined = counter.clone().with_mode(RedisMode::Pipelined(100));
    let batched = counter.clone().with_mode(RedisMode::Batched(100));
    let rates = throughput_table(
        n,
        &[
            Contender::of(&per_add, plan.redis_adds),
            Contender::of(&pipelined, plan.redis_fast_adds),
            Contender::of(&batched, plan.redis_fast_adds),
        ],
        plan.rounds,
    )?;
    let [per_add_rates, _, batched_rates] = rates.as_slice() else {
        anyhow::bail!("the table has one row per contender");
    };
    let c = n.compare_samples(
        "INCRBY every 100 adds vs INCR per add, 2 threads",
        &batched_rates[TWO_THREADS],
        &per_add_rates[TWO_THREADS],
        "Redis INCR per add",
        Unit::OpsPerSec,
    );
    n.say(&verdict_says(
        &c,
        "Batching came out ahead: a hundred adds share each round trip.",
        "Per-add INCR came out ahead in this run, against every expectation: a round trip per \
         add should cost more than one per hundred — look for a server under other load.",
    ));
    Ok(())
}
