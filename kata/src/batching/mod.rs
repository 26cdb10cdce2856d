//! # Kata `batching`: collect requests into batches, answer each caller
//!
//! The reader writes `serve_batches(queue, max_batch, max_wait, handler)`,
//! the signature of the lesson's `serve_batches_simple`
//! (`interview/batching-service`): take the first request from the queue,
//! keep taking until the batch holds `max_batch` or the first has waited
//! `max_wait`, call `handler` once with the batch, send each caller its own
//! answer; when the queue is closed and empty, return.
//!
//! Every test runs on tokio's paused clock, so time moves only when every
//! task waits, and a batch's time is exact, never a race: each case is a
//! schedule of arrivals ([`Case`]) and what it saw ([`Seen`]) — each handler
//! call with its batch and its time, each caller's answer, and whether the
//! loop returned. A loop that never returns is cut by a day-long guard on
//! that clock (instant in real time). A property test holds any schedule to
//! what the lesson's loop does with it.

use std::fmt::Write as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mastery_interview::batching_service::serve_batches_simple;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
pub use tokio;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::failure::{KataFailure, KitTest};

pub mod ladder;

pub use ladder::ladder;

/// What the reader implements (`kata_tests!` writes the impl that calls
/// their `serve_batches`). The loop must be `Send`: a server runs it with
/// `tokio::spawn`.
pub trait BatchingKata {
    /// Serves `queue` in batches of at most `max_batch`, each sent once it
    /// is full or its first request has waited `max_wait`; ends when the
    /// queue is closed and empty.
    fn serve<Req, Resp, Fut>(
        queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
        max_batch: usize,
        max_wait: Duration,
        handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
    ) -> impl Future<Output = ()> + Send
    where
        Req: Send + 'static,
        Resp: Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static;
}

/// The handler's answer to request `x`: one a mix-up cannot fake.
pub fn answer(x: u64) -> u64 {
    x * 10 + 1
}

/// When the queue's sender is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// Once every caller has its answer (or the loop ended): batches form
    /// by size and time alone.
    AfterAnswers,
    /// Right after the last request is sent: the loop must still answer
    /// everything queued.
    AfterSending,
}

/// One schedule of requests.
#[derive(Debug, Clone)]
pub struct Case {
    /// The loop's batch size limit.
    pub max_batch: usize,
    /// How long a batch's first request may wait.
    pub max_wait: Duration,
    /// Request `i` arrives this many milliseconds after request `i - 1`.
    pub gaps_ms: Vec<u64>,
    /// When the queue closes.
    pub close: Close,
    /// A caller that drops its answer channel right after sending.
    pub gives_up: Option<usize>,
}

/// What a case saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Each handler call: when (on the paused clock, from the start) and
    /// the batch.
    pub batches: Vec<(Duration, Vec<u64>)>,
    /// Each caller's answer (`None`: none came, or the caller gave up).
    pub answers: Vec<Option<u64>>,
    /// Whether the loop returned before the guard cut it.
    pub ended: bool,
}

/// How long, on the paused clock, a loop may run before the guard calls it
/// hung: longer than any wait a test asks for.
const GUARD: Duration = Duration::from_secs(24 * 3600);

/// Runs `case` against the loop `T` on a paused clock; `Err` is the
/// message of a panic inside the loop.
///
/// # Errors
/// The loop panicked, or the runtime could not be built.
pub fn run_case<T: BatchingKata>(case: &Case) -> Result<Seen, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
    let seen =
        std::panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(serve_case::<T>(case))));
    seen.map_err(|payload| mastery_kit::panics::panic_message(&*payload).to_owned())
}

async fn serve_case<T: BatchingKata>(case: &Case) -> Seen {
    let start = Instant::now();
    let batches = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&batches);
    let handler = move |batch: Vec<u64>| {
        record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((start.elapsed(), batch.clone()));
        std::future::ready(batch.into_iter().map(answer).collect::<Vec<u64>>())
    };
    let (queue, requests) = mpsc::channel(case.gaps_ms.len().max(1));
    let server = tokio::time::timeout(
        GUARD,
        T::serve(requests, case.max_batch, case.max_wait, handler),
    );
    let clients = async move {
        let mut queue = Some(queue);
        let mut replies = Vec::new();
        for (x, &gap) in (0u64..).zip(&case.gaps_ms) {
            if gap > 0 {
                tokio::time::sleep(Duration::from_millis(gap)).await;
            }
            let (answer, reply) = oneshot::channel();
            let sent = match &queue {
                Some(q) => q.send((x, answer)).await.is_ok(),
                None => false,
            };
            let gave_up = case.gives_up == Some(replies.len());
            replies.push(if sent && !gave_up { Some(reply) } else { None });
        }
        if case.close == Close::AfterSending {
            queue = None;
        }
        let mut answers = Vec::new();
        for reply in replies {
            answers.push(match reply {
                Some(reply) => reply.await.ok(),
                None => None,
            });
        }
        drop(queue);
        answers
    };
    let (served, answers) = tokio::join!(server, clients);
    let batches = std::mem::take(&mut *batches.lock().unwrap_or_else(PoisonError::into_inner));
    Seen {
        batches,
        answers,
        ended: served.is_ok(),
    }
}

/// The case as the replay's lines.
fn replay(case: &Case) -> Vec<String> {
    let mut arrivals = String::new();
    let mut at = 0;
    for (i, gap) in case.gaps_ms.iter().enumerate() {
        at += gap;
        let _ = write!(arrivals, "{}{i} at {at}ms", if i > 0 { ", " } else { "" });
    }
    let mut lines = vec![
        format!(
            "let (queue, requests) = mpsc::channel({});",
            case.gaps_ms.len().max(1)
        ),
        format!(
            "tokio::spawn(serve_batches(requests, {}, Duration::from_millis({}), handler)); // handler: each x answered x * 10 + 1",
            case.max_batch,
            case.max_wait.as_millis()
        ),
        format!(
            "// on a paused clock, requests {}",
            if arrivals.is_empty() {
                "none".to_owned()
            } else {
                arrivals
            }
        ),
    ];
    if let Some(i) = case.gives_up {
        lines.push(format!(
            "// caller {i} drops its answer channel right after sending"
        ));
    }
    lines.push(match case.close {
        Close::AfterAnswers => "// the queue closes once every caller has its answer".to_owned(),
        Close::AfterSending => "drop(queue); // right after the last request is sent".to_owned(),
    });
    lines
}

/// What a run saw, in words.
pub fn describe(seen: &Seen) -> String {
    let calls = if seen.batches.is_empty() {
        "no handler call".to_owned()
    } else {
        let list: Vec<String> = seen
            .batches
            .iter()
            .map(|(at, batch)| format!("{batch:?} at {at:?}"))
            .collect();
        format!("handler called with {}", list.join(", "))
    };
    let wrong: Vec<String> = (0u64..)
        .zip(&seen.answers)
        .filter_map(|(x, a)| match a {
            Some(a) if *a == answer(x) => None,
            Some(a) => Some(format!("caller {x} got {a}")),
            None => Some(format!("caller {x} none")),
        })
        .collect();
    let answers = if wrong.is_empty() {
        "every caller answered".to_owned()
    } else {
        format!("answers: {}", wrong.join(", "))
    };
    let ended = if seen.ended {
        "the loop returned"
    } else {
        "the loop never returned"
    };
    format!("{calls}; {answers}; {ended}")
}

/// Runs `case` and compares what it saw with `want`.
fn expect<T: BatchingKata>(
    test: &'static str,
    case: &Case,
    want: &Seen,
    why: &str,
) -> Result<(), KataFailure> {
    let got = match run_case::<T>(case) {
        Ok(seen) => seen,
        Err(panic) => {
            return Err(KataFailure {
                test,
                expected: format!("{} ({why})", describe(want)),
                got: format!("the loop panicked: {panic}"),
                replay: replay(case),
            });
        }
    };
    if &got == want {
        return Ok(());
    }
    Err(KataFailure {
        test,
        expected: format!("{} ({why})", describe(want)),
        got: describe(&got),
        replay: replay(case),
    })
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every request answered with its own answer, in any order of batches.
fn all_answered(n: u64) -> Vec<Option<u64>> {
    (0..n).map(|x| Some(answer(x))).collect()
}

fn case(max_batch: usize, max_wait: Duration, gaps_ms: &[u64], close: Close) -> Case {
    Case {
        max_batch,
        max_wait,
        gaps_ms: gaps_ms.to_vec(),
        close,
        gives_up: None,
    }
}

/// Ten requests at once, batches of four: each caller gets the answer to
/// its own request.
pub fn every_caller_gets_its_own_answer<T: BatchingKata>() -> Result<(), KataFailure> {
    let want = Seen {
        batches: vec![
            (ms(0), vec![0, 1, 2, 3]),
            (ms(0), vec![4, 5, 6, 7]),
            (ms(10), vec![8, 9]),
        ],
        answers: all_answered(10),
        ended: true,
    };
    expect::<T>(
        "every_caller_gets_its_own_answer",
        &case(4, ms(10), &[0; 10], Close::AfterAnswers),
        &want,
        "answer i goes to caller i",
    )
}

/// Seven requests at once, `max_batch` 3 and an hour's `max_wait`: two
/// full batches go at once, the seventh request waits its hour alone.
pub fn full_batches_go_at_once_and_hold_at_most_max_batch<T: BatchingKata>()
-> Result<(), KataFailure> {
    let want = Seen {
        batches: vec![
            (ms(0), vec![0, 1, 2]),
            (ms(0), vec![3, 4, 5]),
            (Duration::from_secs(3600), vec![6]),
        ],
        answers: all_answered(7),
        ended: true,
    };
    expect::<T>(
        "full_batches_go_at_once_and_hold_at_most_max_batch",
        &case(3, Duration::from_secs(3600), &[0; 7], Close::AfterAnswers),
        &want,
        "a full batch does not wait; none holds more than max_batch",
    )
}

/// Two requests, room for ten: the batch goes when the first has waited
/// `max_wait`, not before and not later.
pub fn a_partial_batch_goes_when_its_first_request_has_waited_max_wait<T: BatchingKata>()
-> Result<(), KataFailure> {
    let want = Seen {
        batches: vec![(ms(50), vec![0, 1])],
        answers: all_answered(2),
        ended: true,
    };
    expect::<T>(
        "a_partial_batch_goes_when_its_first_request_has_waited_max_wait",
        &case(10, ms(50), &[0, 0], Close::AfterAnswers),
        &want,
        "max_wait 50ms",
    )
}

/// Arrivals at 0, 30 and 60 ms with `max_wait` 50 ms: the first batch goes
/// at 50 ms with two requests — the wait counts from the batch's *first*
/// request, not from the latest.
pub fn the_deadline_counts_from_the_first_request<T: BatchingKata>() -> Result<(), KataFailure> {
    let want = Seen {
        batches: vec![(ms(50), vec![0, 1]), (ms(110), vec![2])],
        answers: all_answered(3),
        ended: true,
    };
    expect::<T>(
        "the_deadline_counts_from_the_first_request",
        &case(10, ms(50), &[0, 30, 30], Close::AfterAnswers),
        &want,
        "each batch's deadline is its first request's arrival + max_wait",
    )
}

/// The queue closes with five requests in it and an hour's `max_wait`:
/// they are answered at once and the loop returns; a queue closed empty
/// ends the loop with no handler call.
pub fn closing_the_queue_flushes_what_is_queued_then_ends<T: BatchingKata>()
-> Result<(), KataFailure> {
    let test = "closing_the_queue_flushes_what_is_queued_then_ends";
    let want = Seen {
        batches: vec![(ms(0), vec![0, 1, 2, 3, 4])],
        answers: all_answered(5),
        ended: true,
    };
    let hour = Duration::from_secs(3600);
    expect::<T>(
        test,
        &case(10, hour, &[0; 5], Close::AfterSending),
        &want,
        "a closed queue has no more to wait for",
    )?;
    let empty = Seen {
        batches: Vec::new(),
        answers: Vec::new(),
        ended: true,
    };
    expect::<T>(
        test,
        &case(10, hour, &[], Close::AfterSending),
        &empty,
        "nothing queued, nothing to call",
    )
}

/// Caller 1 drops its answer channel right after sending: the others are
/// answered, and the loop serves a later request too.
pub fn a_caller_that_gave_up_does_not_stop_the_loop<T: BatchingKata>() -> Result<(), KataFailure> {
    let want = Seen {
        batches: vec![(ms(50), vec![0, 1, 2]), (ms(150), vec![3])],
        answers: vec![Some(answer(0)), None, Some(answer(2)), Some(answer(3))],
        ended: true,
    };
    let mut case = case(10, ms(50), &[0, 0, 0, 100], Close::AfterAnswers);
    case.gives_up = Some(1);
    expect::<T>(
        "a_caller_that_gave_up_does_not_stop_the_loop",
        &case,
        &want,
        "a send to a caller that is gone fails, and that is fine",
    )
}

/// The lesson's `serve_batches_simple` as a [`BatchingKata`]: the
/// reference of the property test.
struct Reference;

impl BatchingKata for Reference {
    fn serve<Req, Resp, Fut>(
        queue: mpsc::Receiver<(Req, oneshot::Sender<Resp>)>,
        max_batch: usize,
        max_wait: Duration,
        handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
    ) -> impl Future<Output = ()> + Send
    where
        Req: Send + 'static,
        Resp: Send + 'static,
        Fut: Future<Output = Vec<Resp>> + Send + 'static,
    {
        serve_batches_simple(queue, max_batch, max_wait, handler)
    }
}

/// Any schedule — up to 12 requests 0–50 ms apart (multiples of 10 ms),
/// `max_batch` 1–5, `max_wait` an odd multiple of 5 ms (so no deadline
/// falls on an arrival), either close — gives the batches, times and
/// answers the lesson's loop gives; the shrunk failing case is the replay.
pub fn forms_the_same_batches_as_the_lesson<T: BatchingKata>() -> Result<(), KataFailure> {
    let test = "forms_the_same_batches_as_the_lesson";
    // A first run outside the runner: an unfinished `todo!()` fails here
    // with its own message, not after many shrinking panics.
    if let Err(panic) = run_case::<T>(&case(1, ms(5), &[0], Close::AfterAnswers)) {
        return Err(KataFailure {
            test,
            expected: "one request served".into(),
            got: format!("the loop panicked: {panic}"),
            replay: replay(&case(1, ms(5), &[0], Close::AfterAnswers)),
        });
    }
    let config = Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (
        1usize..6,
        0u64..10,
        proptest::collection::vec(0u64..6, 0..12),
        any::<bool>(),
    );
    let to_case = |(max_batch, wait, gaps, close): (usize, u64, Vec<u64>, bool)| Case {
        max_batch,
        max_wait: ms(10 * wait + 5),
        gaps_ms: gaps.into_iter().map(|g| 10 * g).collect(),
        close: if close {
            Close::AfterSending
        } else {
            Close::AfterAnswers
        },
        gives_up: None,
    };
    let compare = |case: &Case| -> Result<(), KataFailure> {
        let want = run_case::<Reference>(case).map_err(|panic| KataFailure {
            test,
            expected: "the lesson's loop to run".into(),
            got: format!("it panicked: {panic}"),
            replay: replay(case),
        })?;
        expect::<T>(
            test,
            case,
            &want,
            "what the lesson's serve_batches_simple does",
        )
    };
    let result = runner.run(&strategy, |input| {
        compare(&to_case(input)).map_err(|f| TestCaseError::fail(f.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(_, input)) => {
            let case = to_case(input);
            compare(&case)
        }
        Err(TestError::Abort(reason)) => Err(KataFailure {
            test,
            expected: "the property test to run".into(),
            got: format!("proptest aborted: {reason}"),
            replay: Vec::new(),
        }),
    }
}

/// Every kit test of this kata, for the reader's `T`.
pub fn tests<T: BatchingKata>() -> Vec<KitTest> {
    crate::__kata_batching!(table, T)
}

/// The list of kit tests, written once (see `lru_cache`'s).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_batching {
    ($mode:ident, $imp:ty) => {
        $crate::__kata_emit! {$mode, batching, $imp;
            every_caller_gets_its_own_answer,
            full_batches_go_at_once_and_hold_at_most_max_batch,
            a_partial_batch_goes_when_its_first_request_has_waited_max_wait,
            the_deadline_counts_from_the_first_request,
            closing_the_queue_flushes_what_is_queued_then_ends,
            a_caller_that_gave_up_does_not_stop_the_loop,
            forms_the_same_batches_as_the_lesson,
        }
    };
}

/// The reader's `serve_batches` function as a [`BatchingKata`] named
/// `$name`: what `kata_tests!` and the starter's ladder binary both need.
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_batching_entry {
    ($name:ident, $($serve:tt)+) => {
        /// The reader's `serve_batches` as the kata's implementation.
        #[derive(Debug)]
        pub struct $name;

        impl $crate::batching::BatchingKata for $name {
            fn serve<Req, Resp, Fut>(
                queue: $crate::batching::tokio::sync::mpsc::Receiver<(
                    Req,
                    $crate::batching::tokio::sync::oneshot::Sender<Resp>,
                )>,
                max_batch: usize,
                max_wait: ::std::time::Duration,
                handler: impl Fn(Vec<Req>) -> Fut + Send + 'static,
            ) -> impl ::std::future::Future<Output = ()> + Send
            where
                Req: Send + 'static,
                Resp: Send + 'static,
                Fut: ::std::future::Future<Output = Vec<Resp>> + Send + 'static,
            {
                $($serve)+(queue, max_batch, max_wait, handler)
            }
        }
    };
}
