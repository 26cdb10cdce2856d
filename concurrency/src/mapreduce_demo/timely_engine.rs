//! Engine 4: timely dataflow, on threads of one process or on processes
//! across hosts — the same dataflow either way.

use std::any::Any;
use std::cell::RefCell;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use timely::communication::allocator::ProcessBuilder;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::StreamVec;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::ToStream;
use timely::{CommunicationConfig, WorkerConfig};

use super::chunking::split_ranges;
use super::cluster::{ClusterSpec, TimelyError, connect_peers};
use super::counts::{WordCounts, stable_hash};

/// How to run the timely engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelySetup {
    /// Worker threads in this process.
    pub threads: usize,
    /// The other processes; `None` (or one process) for a single process.
    pub cluster: Option<ClusterSpec>,
    /// Chunk size of this process's share.
    pub chunk_bytes: usize,
}

/// What a timely run produced on this process.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelyRun {
    /// The whole table, on the process that holds worker 0; `None` on the
    /// others.
    pub counts: Option<WordCounts>,
    /// Time spent connecting to the peers.
    pub connect: Duration,
    /// Time from the start of the dataflow to its end on this process.
    pub count: Duration,
}

/// Engine 4: counts with timely dataflow. `share` is this process's part
/// of the corpus (all of it for a single process); the process holding
/// worker 0 gets the whole table. The dataflow is drawn at
/// `word_count_dataflow` below, and explained in the [lesson](super).
///
/// # Errors
/// Setting up the network ([`connect_peers`]), or timely failing while
/// running ([`TimelyError::Engine`]: a panic in a worker or network
/// thread, such as a peer that vanished, is caught and reported).
pub fn count_timely(share: Arc<String>, setup: &TimelySetup) -> Result<TimelyRun, TimelyError> {
    let threads = setup.threads.max(1);
    let ranges = Arc::new(split_ranges(&share, setup.chunk_bytes));
    run_workers(setup, move |worker| {
        word_count_dataflow(worker, Arc::clone(&share), Arc::clone(&ranges), threads)
    })
}

/// Connects to the peers, runs `dataflow` on every worker thread of this
/// process to its end, and returns the table of the worker that has one.
pub(super) fn run_workers<F>(setup: &TimelySetup, dataflow: F) -> Result<TimelyRun, TimelyError>
where
    F: Fn(&mut timely::worker::Worker) -> Option<WordCounts> + Send + Sync + 'static,
{
    let threads = setup.threads.max(1);
    let connecting = Instant::now();
    let (builders, network): (Vec<AllocatorBuilder>, Box<dyn Any + Send>) = match &setup.cluster {
        Some(cluster) if cluster.processes() > 1 => {
            let sockets = connect_peers(cluster)?;
            let hooks = Hooks::default();
            let local = ProcessBuilder::new_typed_vector(
                threads,
                hooks.refill.clone(),
                hooks.spill.clone(),
            );
            let (builders, guard) =
                initialize_networking_from_sockets(local, sockets, cluster.process, threads, hooks)
                    .map_err(|e| {
                        TimelyError::Engine(format!("starting the network threads: {e}"))
                    })?;
            (
                builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
                Box::new(guard),
            )
        }
        _ => CommunicationConfig::Process(threads)
            .try_build()
            .map_err(TimelyError::Engine)?,
    };
    let connect = connecting.elapsed();
    let counting = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let guards =
            timely::execute::execute_from(builders, network, WorkerConfig::default(), dataflow)?;
        // Joining the workers, then dropping the guards, which joins the
        // network threads: nothing of the computation outlives this call.
        Ok::<_, String>(guards.join())
    }));
    let count = counting.elapsed();
    let results = match outcome {
        Ok(Ok(results)) => results,
        Ok(Err(e)) => return Err(TimelyError::Engine(e)),
        Err(panic) => {
            return Err(TimelyError::Engine(format!(
                "a thread panicked: {}",
                mastery_kit::panics::panic_message(panic.as_ref())
            )));
        }
    };
    let mut counts = None;
    for (local, result) in results.into_iter().enumerate() {
        match result {
            Ok(Some(table)) => counts = Some(table),
            Ok(None) => {}
            Err(e) => {
                return Err(TimelyError::Engine(format!(
                    "worker thread {local} of this process failed: {e}"
                )));
            }
        }
    }
    Ok(TimelyRun {
        counts,
        connect,
        count,
    })
}

pub(super) type Pairs = CapacityContainerBuilder<Vec<(String, u64)>>;

/// One timely worker: builds the word-count dataflow, runs it to the end,
/// and returns the table if it is worker 0.
///
/// ```text
/// chunk indices ─▶ CountWords ──exchange by hash(word)──▶ SumByWord ──exchange to 0──▶ Gather
///   (this worker's)   (local map)                         (one owner per word)          (worker 0)
/// ```
fn word_count_dataflow(
    worker: &mut timely::worker::Worker,
    text: Arc<String>,
    ranges: Arc<Vec<Range<usize>>>,
    threads: usize,
) -> Option<WordCounts> {
    let index = worker.index();
    // Global index = process * threads + local index, in timely's numbering.
    let mine: Vec<usize> = (index % threads..ranges.len()).step_by(threads).collect();
    let gathered: Rc<RefCell<WordCounts>> = Rc::default();
    let sink = Rc::clone(&gathered);
    worker.dataflow::<u64, _, _>(move |scope| {
        let counted = mine.to_stream(scope).unary_frontier::<Pairs, _, _, _>(
            Pipeline,
            "CountWords",
            move |capability, _| {
                let mut capability = Some(capability);
                let mut counts = WordCounts::new();
                move |(input, frontier), output| {
                    input.for_each(|_, chunks| {
                        for &chunk in chunks.iter() {
                            counts.tally(&text[ranges[chunk].clone()]);
                        }
                    });
                    // Once no more input can come, emit the local table and
                    // let go of the capability, so downstream can finish.
                    if frontier.is_empty() {
                        if let Some(capability) = capability.take() {
                            output.session(&capability).give_iterator(counts.drain());
                        }
                    }
                }
            },
        );
        sum_and_gather(counted, sink);
    });
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    (index == 0).then(|| gathered.take())
}

// ANCHOR: exchange_by_word
/// The end of every word-count dataflow: the `(word, count)` pairs of the
/// local tables are exchanged by a stable hash of the word, so each word
/// has one owner; owners add up what they receive and, once their input is
/// complete, send their sums to worker 0, which gathers them into `sink`.
pub(super) fn sum_and_gather(
    counted: StreamVec<'_, u64, (String, u64)>,
    sink: Rc<RefCell<WordCounts>>,
) {
    counted
        .unary_frontier::<Pairs, _, _, _>(
            Exchange::new(|pair: &(String, u64)| stable_hash(&pair.0)),
            "SumByWord",
            |capability, _| {
                let mut capability = Some(capability);
                let mut counts = WordCounts::new();
                move |(input, frontier), output| {
                    input.for_each(|_, pairs| counts.extend(pairs.drain(..)));
                    if frontier.is_empty() {
                        if let Some(capability) = capability.take() {
                            output.session(&capability).give_iterator(counts.drain());
                        }
                    }
                }
            },
        )
        .sink(
            Exchange::new(|_: &(String, u64)| 0),
            "Gather",
            move |(input, _)| {
                input.for_each(|_, pairs| sink.borrow_mut().extend(pairs.drain(..)));
            },
        );
}
// ANCHOR_END: exchange_by_word
