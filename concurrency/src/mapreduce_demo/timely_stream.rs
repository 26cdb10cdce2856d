//! Engine 4 over files: the timely dataflow of `timely_engine.rs`, with
//! its first operator reading chunks from a [`ChunkQueue`] instead of
//! ranges of a text held in memory.

use std::cell::RefCell;
use std::rc::Rc;

use timely::dataflow::operators::generic::source;

use super::cluster::TimelyError;
use super::counts::WordCounts;
use super::streaming::ChunkQueue;
use super::timely_engine::{Pairs, TimelyRun, TimelySetup, run_workers, sum_and_gather};

/// Engine 4 over a queue: every worker thread of this process takes chunks
/// from `queue` (this process's share of the inputs, fed by
/// [`stream_chunks`](super::stream_chunks)) and counts them into its own
/// table; the tables then go through the same exchange as
/// [`count_timely`](super::count_timely)'s. Across processes, each process
/// streams its own share ([`InputList::share`](super::InputList::share))
/// and the process holding worker 0 gets the whole table. `listing` is
/// this process's [`InputList::fingerprint`](super::InputList::fingerprint):
/// process 0 checks that every process listed the same inputs, since
/// shares of different listings would count some words twice and others
/// never. `setup.chunk_bytes` is not used: the reader cuts the chunks.
///
/// # Errors
/// As [`count_timely`](super::count_timely); and, on the process holding
/// worker 0, [`TimelyError::Engine`] when another process could not read
/// its share or listed different inputs.
pub fn count_timely_stream(
    queue: ChunkQueue,
    listing: u64,
    setup: &TimelySetup,
) -> Result<TimelyRun, TimelyError> {
    let process = setup.cluster.as_ref().map_or(0, |c| c.process);
    let mut run = run_workers(setup, move |worker| {
        streaming_dataflow(worker, queue.clone(), process, listing)
    })?;
    if let Some(counts) = run.counts.as_mut() {
        check_markers(&counts.take_markers(), process, listing)?;
    }
    Ok(run)
}

/// Markers are keys of the table that no word can be, since words never
/// hold whitespace (see [`WordCounts::take_markers`]); the exchange carries
/// them to worker 0 with the counts. A worker whose reader failed adds
/// `"\n{process}\n{why}"`.
const FAILURE_MARK: char = '\n';

/// Every worker adds `"\t{process}\t{listing:016x}"`: its process's
/// listing fingerprint.
const LISTING_MARK: char = '\t';

/// A marker's process and message: `"{mark}{process}{mark}{message}"`.
fn parse_marker(key: &str, mark: char) -> Option<(usize, &str)> {
    let (from, message) = key.strip_prefix(mark)?.split_once(mark)?;
    Some((from.parse().ok()?, message))
}

/// On the process holding worker 0: an error if another process could not
/// read its share (this process's own failure is reported by its reader),
/// else if any process listed other inputs than this one. A failure comes
/// first: it is the more specific story.
fn check_markers(
    markers: &[(String, u64)],
    process: usize,
    listing: u64,
) -> Result<(), TimelyError> {
    let failed = markers
        .iter()
        .filter_map(|(key, _)| parse_marker(key, FAILURE_MARK))
        .find(|(from, _)| *from != process);
    if let Some((from, why)) = failed {
        return Err(TimelyError::Engine(format!(
            "process {from} could not read its share of the inputs, so the count is incomplete: {why}"
        )));
    }
    let mine = format!("{listing:016x}");
    let differs = markers
        .iter()
        .filter_map(|(key, _)| parse_marker(key, LISTING_MARK))
        .find(|(_, theirs)| *theirs != mine);
    if let Some((from, theirs)) = differs {
        return Err(TimelyError::Engine(format!(
            "process {from} listed other inputs than process {process} (listing fingerprint {theirs}, not {mine}), so the shares do not fit together: give every process the same --input paths, with the same files behind them on every host"
        )));
    }
    Ok(())
}

/// One timely worker over the queue:
///
/// ```text
/// queue ─▶ ReadAndCount ──exchange by hash(word)──▶ SumByWord ──exchange to 0──▶ Gather
///           (local map)                              (one owner per word)          (worker 0)
/// ```
///
/// `ReadAndCount` is a source: each time it is scheduled it takes one
/// chunk — waiting for the reader if the queue is empty — counts it, and
/// asks to be scheduled again; when the queue ends it emits its table and
/// drops its capability, which lets the rest of the dataflow finish.
/// Taking one chunk per activation, rather than draining the queue in one
/// go, gives timely a turn between chunks for its progress messages. If the
/// reader failed, the table carries a marker saying so (see
/// [`FAILURE_MARK`]), so that process 0 reports an error rather than the
/// counts of the shares that were read; every table carries its process's
/// listing fingerprint ([`LISTING_MARK`]).
fn streaming_dataflow(
    worker: &mut timely::worker::Worker,
    queue: ChunkQueue,
    process: usize,
    listing: u64,
) -> Option<WordCounts> {
    let index = worker.index();
    let gathered: Rc<RefCell<WordCounts>> = Rc::default();
    let sink = Rc::clone(&gathered);
    worker.dataflow::<u64, _, _>(move |scope| {
        let counted = source::<_, Pairs, _, _>(scope, "ReadAndCount", |capability, info| {
            let activator = scope.activator_for(info.address);
            let mut capability = Some(capability);
            let mut counts = WordCounts::new();
            move |output| {
                let Some(held) = capability.as_ref() else {
                    return;
                };
                match queue.next_chunk() {
                    Some(chunk) => {
                        counts.tally(&chunk);
                        activator.activate();
                    }
                    None => {
                        if let Some(why) = queue.failure() {
                            counts.add(&format!("{FAILURE_MARK}{process}{FAILURE_MARK}{why}"), 1);
                        }
                        counts.add(
                            &format!("{LISTING_MARK}{process}{LISTING_MARK}{listing:016x}"),
                            1,
                        );
                        output.session(held).give_iterator(counts.drain());
                        capability = None;
                    }
                }
            }
        });
        sum_and_gather(counted, sink);
    });
    while worker.has_dataflows() {
        worker.step_or_park(None);
    }
    (index == 0).then(|| gathered.take())
}
