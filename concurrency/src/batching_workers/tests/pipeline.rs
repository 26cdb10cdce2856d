//! Whole pipelines on a paused clock (and one on threads): deadlines,
//! backpressure from a slow sink back to the source, the drain at the
//! close, rejections counted.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_partial_batch_is_flushed_at_its_deadline_in_the_pipeline() -> TestResult {
    let calls = Arc::new(StdMutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let start = Instant::now();
    let pipeline = PipelineBuilder::new(16)?
        .batch(
            Stage::new("enrich", 16),
            policy(10, 5),
            move |b: Vec<u64>| {
                seen.lock().expect("lock").push((start.elapsed(), b.len()));
                pass(b)
            },
        )?
        .sink("sink", discard)?;
    send_all(&pipeline, 0..3).await?;
    sleep(20 * MS).await;
    send_all(&pipeline, 0..10).await?;
    let report = finish(pipeline).await?;
    assert_eq!(*calls.lock().expect("lock"), [(5 * MS, 3), (20 * MS, 10)]);
    let b = report
        .stage("enrich")
        .and_then(|s| s.batches)
        .expect("batch stats");
    assert_eq!(
        (b.batches, b.by_deadline, b.by_size, b.by_close, b.largest),
        (2, 1, 1, 0, 10)
    );
    assert!(report.lost_nothing(), "{}", report.balance());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_pipeline_batching_with_no_deadline_does_not_panic() -> TestResult {
    let pipeline = PipelineBuilder::new(8)?
        .batch(
            Stage::new("enrich", 8),
            BatchPolicy::new(4, Duration::MAX),
            pass::<u64>,
        )?
        .sink("sink", discard)?;
    send_all(&pipeline, 0..10).await?;
    let report = finish(pipeline).await?;
    let b = report
        .stage("enrich")
        .and_then(|s| s.batches)
        .expect("batch stats");
    assert_eq!((b.by_size, b.by_deadline, b.by_close), (2, 0, 1));
    assert!(report.lost_nothing(), "{}", report.balance());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_slow_sink_backs_up_every_queue_to_the_source() -> TestResult {
    let (pipeline, sunk) = numbers(4, policy(4, 5), 10)?;
    let producer = produce(pipeline.source(), 40);
    sleep(35 * MS).await;
    // Mid-run: every queue is at its capacity of 4.
    let depths: Vec<usize> = pipeline.queue_depths().iter().map(|q| q.depth).collect();
    assert_eq!(depths, [4, 4, 4], "{:?}", pipeline.queue_depths());
    assert_eq!(producer.await?, 0);
    let report = finish(pipeline).await?;
    // The sink takes 10 ms per item and is never idle: 400 ms in all.
    assert_eq!(report.elapsed, 400 * MS);
    // At most 18 items fit in the pipeline (3 queues of 4, the sink's
    // item, enrich's batch of 4, parse's item), so the 40th send waits
    // until the sink has finished at least 22 items: 220 ms. The source
    // did nothing but wait, so its blocked time is its whole active time.
    let source = &report.stages[0];
    assert!(source.blocked >= 220 * MS, "{:?}", source.blocked);
    assert_eq!(source.blocked, source.active);
    assert!(source.blocked_sends > 0);
    for stage in &report.stages[..3] {
        let q = stage.outbox.expect("an output queue");
        assert_eq!(q.peak, q.capacity, "{}", stage.name);
        assert!(
            q.full_share.expect("sampled") > 0.5,
            "{}: {q:?}",
            stage.name
        );
    }
    assert_eq!(sunk.lock().expect("lock").len(), 40);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_fast_sink_never_blocks_the_source() -> TestResult {
    let (pipeline, _) = numbers(64, policy(8, 1), 0)?;
    send_all(&pipeline, 0..40).await?;
    let report = finish(pipeline).await?;
    let source = &report.stages[0];
    assert_eq!((source.blocked, source.blocked_sends), (Duration::ZERO, 0));
    assert!(report.lost_nothing());
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn closing_the_source_drains_every_stage() -> TestResult {
    let (pipeline, sunk) = numbers(4, policy(4, 5), 10)?;
    send_all(&pipeline, 0..20).await?;
    // The last send just got in: the queues are (nearly) full at the close.
    let queued = pipeline.queued();
    assert!(queued >= 8, "{:?}", pipeline.queue_depths());
    let closed_at = Instant::now();
    let report = finish(pipeline).await?;
    assert!(report.lost_nothing(), "{}", report.balance());
    assert_eq!((report.produced(), report.sunk()), (20, 20));
    let want: Vec<u64> = (0..20).map(|n| n * 10).collect();
    assert_eq!(*sunk.lock().expect("lock"), want, "all of them, in order");
    // Each queued item still cost the sink its 10 ms: processed, not dropped.
    assert!(closed_at.elapsed() >= queued as u32 * 10 * MS);
    Ok(())
}

#[tokio::test]
async fn bad_input_is_rejected_and_counted_never_fatal() -> TestResult {
    let pipeline = PipelineBuilder::<&'static str>::new(4)?
        .map(Stage::new("parse", 4), |s: &str| s.parse::<i32>())?
        .sink("sink", discard)?;
    for line in ["1", "x", "", "2", "3.5", "-4", "99999999999"] {
        pipeline.send(line).await?;
    }
    let report = finish(pipeline).await?;
    let counts = (report.produced(), report.sunk(), report.rejected());
    assert_eq!(counts, (7, 3, 4));
    assert!(report.lost_nothing());
    let parse = report.stage("parse").expect("parse");
    assert_eq!(parse.rejections.len(), KEPT_REJECTIONS);
    assert_eq!(parse.rejections[0], "invalid digit found in string");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_per_stage_on_threads_lose_nothing() -> TestResult {
    let sunk = Sunk::default();
    let into = Arc::clone(&sunk);
    let pipeline = PipelineBuilder::new(16)?
        .map(Stage::new("parse", 16).workers(3), |n: u64| {
            if n % 10 == 9 { Err("ends in 9") } else { Ok(n) }
        })?
        .batch(
            Stage::new("enrich", 16).workers(2),
            policy(8, 1),
            |b: Vec<u64>| async move {
                tokio::task::yield_now().await;
                Ok::<_, Infallible>(b)
            },
        )?
        .sink("sink", move |n: u64| {
            into.lock().expect("lock").push(n);
            ready(Ok::<_, Infallible>(()))
        })?;
    assert_eq!(produce(pipeline.source(), 5_000).await?, 0);
    let report = finish(pipeline).await?;
    assert!(report.lost_nothing(), "{}", report.balance());
    assert_eq!(report.rejected(), 500);
    let mut got = sunk.lock().expect("lock").clone();
    got.sort_unstable();
    assert_eq!(
        got,
        (0..5_000).filter(|n| n % 10 != 9).collect::<Vec<u64>>()
    );
    Ok(())
}
