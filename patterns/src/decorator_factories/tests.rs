use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mastery_interview::lru_cache::CapacityError;
use mastery_interview::retry_backoff::{Backoff, Jitter, ManualClock, RetryError, StopReason};
use tower::{Service, ServiceBuilder};

use super::demo::{Unavailable, demo};
use super::*;

/// Retries without waiting: a zero base delay and no jitter.
fn no_wait(max_attempts: u32) -> Backoff {
    Backoff::builder()
        .base_delay(Duration::ZERO)
        .jitter(Jitter::None)
        .max_attempts(max_attempts)
        .build()
        .expect("a zero base delay with no jitter is a valid policy")
}

#[test]
fn logged_writes_the_call_and_its_result() {
    let mut lines = Vec::new();
    {
        let mut parse = logged(
            "parse",
            |line| lines.push(line),
            |s: &str| s.parse::<u8>().map_err(|e| e.to_string()),
        );
        assert_eq!(parse("7"), Ok(7));
        assert!(parse("x").is_err());
    }
    assert_eq!(
        lines,
        [
            "parse(\"7\") -> Ok(7)",
            "parse(\"x\") -> Err(\"invalid digit found in string\")"
        ]
    );
}

#[test]
fn timed_records_one_duration_per_call() {
    let mut durations = Vec::new();
    {
        let mut square = timed(|d| durations.push(d), |x: u64| x * x);
        assert_eq!((square(3), square(4)), (9, 16));
    }
    assert_eq!(durations.len(), 2);
}

#[test]
fn retrying_calls_again_until_success_or_the_last_attempt() {
    let calls = Cell::new(0);
    let mut flaky = retrying(no_wait(4), |x: u32| {
        calls.set(calls.get() + 1);
        if calls.get() < 3 {
            Err("busy")
        } else {
            Ok(x + 1)
        }
    });
    assert_eq!(flaky(1), Ok(2));
    assert_eq!(calls.get(), 3);

    let mut down = retrying(no_wait(4), |_: u32| Err::<u32, _>("down"));
    let error = down(1).expect_err("every attempt fails");
    assert_eq!((error.attempts, error.reason), (4, StopReason::Exhausted));
}

#[test]
fn cached_is_memoize_one_call_per_key() {
    let calls = Cell::new(0);
    let mut square = cached(8, |x: u64| {
        calls.set(calls.get() + 1);
        x * x
    })
    .expect("8 is a valid capacity");
    let answers: Vec<u64> = [2, 3, 2, 2, 3].into_iter().map(&mut square).collect();
    assert_eq!(answers, [4, 9, 4, 4, 9]);
    assert_eq!(calls.get(), 2);
}

#[test]
fn cached_ok_forgets_errors() {
    let calls = Cell::new(0);
    let mut once_broken = cached_ok(8, |x: u32| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            Err("timeout")
        } else {
            Ok(x)
        }
    })
    .expect("8 is a valid capacity");
    assert_eq!(once_broken(5), Err("timeout"));
    assert_eq!(once_broken(5), Ok(5)); // tried again: the error was not kept
    assert_eq!(once_broken(5), Ok(5)); // now a hit
    assert_eq!(calls.get(), 2);
}

#[test]
fn a_zero_capacity_is_an_error_for_every_way() {
    let f = |x: u32| Ok::<u32, ()>(x);
    assert_eq!(cached(0, |x: u32| x).err(), Some(CapacityError::Zero));
    assert_eq!(cached_ok(0, f).err(), Some(CapacityError::Zero));
    assert_eq!(
        retry_cached(no_wait(2), 0, f).err(),
        Some(CapacityError::Zero)
    );
    assert_eq!(
        RetryCache::<u32, u32, _>::new(no_wait(2), 0, f).err(),
        Some(CapacityError::Zero)
    );
    assert_eq!(
        CacheLayer::<u32, u32>::new(0).err(),
        Some(CapacityError::Zero)
    );
    assert_eq!(
        SingleFlight::<u32, u32>::new(0).err(),
        Some(CapacityError::Zero)
    );
    assert_eq!(
        PlainCache::<u32, u32>::new(0).err(),
        Some(CapacityError::Zero)
    );
}

/// A scripted flaky backend shared by clones (tower clones it per attempt):
/// keys divisible by 3 fail their first attempt, keys divisible by 5 always
/// fail, others answer `key * 10`.
#[derive(Clone, Default)]
struct Script {
    attempts: Arc<Mutex<HashMap<u64, u32>>>,
}

impl Script {
    fn call(&self, key: u64) -> Result<u64, Unavailable> {
        let mut attempts = self.attempts.lock().expect("no test panics holding it");
        let n = attempts.entry(key).or_insert(0);
        *n += 1;
        match key {
            k if k % 5 == 0 => Err(Unavailable),
            k if k % 3 == 0 && *n == 1 => Err(Unavailable),
            k => Ok(k * 10),
        }
    }

    fn total(&self) -> u32 {
        self.attempts
            .lock()
            .expect("no test panics holding it")
            .values()
            .sum()
    }
}

/// What a caller sees: the value, or how many attempts failed.
fn outcome(result: Result<u64, RetryError<Unavailable>>) -> Result<u64, u32> {
    result.map_err(|e| e.attempts)
}

#[test]
fn the_three_ways_answer_alike_and_make_the_same_calls() {
    const CAPACITY: usize = 4;
    let keys: Vec<u64> = [1, 3, 5, 1, 3, 6, 7, 8, 9, 1, 10, 3, 2, 4, 1]
        .into_iter()
        .collect();
    let expected: Vec<Result<u64, u32>> = keys
        .iter()
        .map(|&k| if k % 5 == 0 { Err(3) } else { Ok(k * 10) })
        .collect();

    let script = Script::default();
    let mut closure = retry_cached(no_wait(3), CAPACITY, |k| script.call(k)).expect("capacity");
    let by_closure: Vec<_> = keys.iter().map(|&k| outcome(closure(k))).collect();
    let closure_calls = script.total();

    let script = Script::default();
    let mut wrapper = RetryCache::new(no_wait(3), CAPACITY, |k| script.call(k)).expect("capacity");
    let by_struct: Vec<_> = keys.iter().map(|&k| outcome(wrapper.call(k))).collect();
    let struct_calls = script.total();

    let script = Script::default();
    let inner = script.clone();
    let mut service = ServiceBuilder::new()
        .layer(CacheLayer::new(CAPACITY).expect("capacity"))
        .layer(RetryLayer::new(no_wait(3)))
        .service(sync_service_fn(move |k| inner.call(k)));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let by_tower: Vec<_> = keys
        .iter()
        .map(|&k| outcome(rt.block_on(ready_call(&mut service, k))))
        .collect();
    let tower_calls = script.total();

    assert_eq!(by_closure, expected);
    assert_eq!(by_struct, expected);
    assert_eq!(by_tower, expected);
    assert_eq!((closure_calls, struct_calls), (tower_calls, tower_calls));
    let stats = wrapper.stats();
    assert_eq!(stats.hits + stats.misses, keys.len() as u64);
    assert_eq!(stats.attempts, u64::from(struct_calls));
    assert_eq!(stats.failures, 2); // key 5 and key 10
}

#[test]
fn retry_cache_sleeps_its_schedule_on_an_injected_clock() {
    let policy = Backoff::builder()
        .base_delay(Duration::from_secs(1))
        .jitter(Jitter::None)
        .max_attempts(3)
        .build()
        .expect("a valid policy");
    let clock = ManualClock::new();
    let mut down = RetryCache::new(policy, 4, |_: u8| Err::<u8, _>("down"))
        .expect("capacity")
        .with_timer(clock.clone());
    let error = down.call(1).expect_err("every attempt fails");
    assert_eq!(error.attempts, 3);
    assert_eq!(clock.elapsed(), Duration::from_secs(1 + 2));
    assert!(down.is_empty());
}

#[test]
fn a_cache_layer_is_shared_by_every_clone_of_its_service() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let layer = CacheLayer::new(8).expect("capacity");
    let mut first = ServiceBuilder::new()
        .layer(layer.clone())
        .service(sync_service_fn(move |k: u32| {
            counted.fetch_add(1, Ordering::Relaxed);
            Ok::<u32, ()>(k + 1)
        }));
    let mut second = first.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    assert_eq!(rt.block_on(ready_call(&mut first, 1)), Ok(2));
    assert_eq!(rt.block_on(ready_call(&mut second, 1)), Ok(2));
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(layer.len(), 1);
    // A hit is ready at once: the future completes on its first poll.
    let mut hit = first.call(1);
    let waker = std::task::Waker::noop();
    let polled = std::pin::Pin::new(&mut hit).poll(&mut std::task::Context::from_waker(waker));
    assert_eq!(polled, std::task::Poll::Ready(Ok(2)));
}

/// `callers` tasks on `workers` threads, held at a barrier so they all
/// start together, each asking `cache` for one key whose computation takes
/// `work` (a real sleep); returns the computations started.
async fn contend<C, F>(callers: usize, cache: Arc<C>, ask: F) -> usize
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>, Arc<AtomicUsize>) -> tokio::task::JoinHandle<u64>,
{
    let computations = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..callers)
        .map(|_| ask(Arc::clone(&cache), Arc::clone(&computations)))
        .collect();
    for handle in handles {
        assert_eq!(handle.await.expect("no caller panics"), 99);
    }
    computations.load(Ordering::Relaxed)
}

#[test]
fn single_flight_computes_once_under_contention() {
    const CALLERS: usize = 64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("a runtime");
    for round in 0..20 {
        let barrier = Arc::new(tokio::sync::Barrier::new(CALLERS));
        let cache = Arc::new(SingleFlight::new(8).expect("capacity"));
        let computations = rt.block_on(contend(CALLERS, cache, |cache, computations| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await; // every caller is running before any asks
                let got = cache
                    .get_or_try_compute("key", || async {
                        computations.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        Ok::<u64, ()>(99)
                    })
                    .await;
                got.expect("the computation succeeds")
            })
        }));
        assert_eq!(
            computations, 1,
            "round {round}: one computation for one key"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_plain_cache_lets_the_whole_herd_through() {
    const CALLERS: usize = 32;
    let cache = Arc::new(PlainCache::new(8).expect("capacity"));
    let computations = contend(CALLERS, cache, |cache, computations| {
        tokio::spawn(async move {
            let got = cache
                .get_or_try_compute("key", || async {
                    computations.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    Ok::<u64, ()>(99)
                })
                .await;
            got.expect("the computation succeeds")
        })
    })
    .await;
    assert_eq!(computations, CALLERS, "every caller missed and computed");
}

#[tokio::test(start_paused = true)]
async fn a_failed_flight_is_not_shared_and_never_overlaps() {
    const CALLERS: usize = 16;
    let cache = Arc::new(SingleFlight::<&str, u64>::new(8).expect("capacity"));
    let (calls, running, most) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CALLERS {
        let (cache, calls, running, most) = (
            Arc::clone(&cache),
            Arc::clone(&calls),
            Arc::clone(&running),
            Arc::clone(&most),
        );
        tasks.spawn(async move {
            cache
                .get_or_try_compute("key", || async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    if call <= 3 {
                        Err("backend down")
                    } else {
                        Ok(7)
                    }
                })
                .await
        });
    }
    let results = tasks.join_all().await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(
        failed, 3,
        "each failed computation fails its own caller only"
    );
    assert!(results.iter().filter_map(|r| r.ok()).all(|v| v == 7));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "never two computations at once"
    );
    assert_eq!(cache.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_caller_hands_the_key_to_a_waiter() {
    let cache = Arc::new(SingleFlight::<u8, u64>::new(8).expect("capacity"));
    let calls = Arc::new(AtomicUsize::new(0));
    let ask = |cache: Arc<SingleFlight<u8, u64>>, calls: Arc<AtomicUsize>| async move {
        cache
            .get_or_try_compute(1, || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                Ok::<u64, ()>(5)
            })
            .await
    };
    let leader = tokio::spawn(ask(Arc::clone(&cache), Arc::clone(&calls)));
    while calls.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let waiters: Vec<_> = (0..3)
        .map(|_| tokio::spawn(ask(Arc::clone(&cache), Arc::clone(&calls))))
        .collect();
    tokio::task::yield_now().await;
    leader.abort();
    for waiter in waiters {
        assert_eq!(waiter.await.expect("no waiter panics"), Ok(5));
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the leader's, then one waiter's"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("patterns/decorator-factories", demo);
    let timed = n
        .comparisons()
        .iter()
        .filter(|c| c.peer_name == "bare function")
        .count();
    assert_eq!(
        timed, 6,
        "three ways, two paths, each against the bare call"
    );
    let calls = n
        .comparisons()
        .iter()
        .find(|c| c.label.starts_with("backend calls"))
        .expect("the herd's calls are compared");
    assert_eq!(calls.ours, 1.0, "single-flight: one backend call");
    assert!(calls.peer > 1.0, "the plain cache lets the herd through");
}
