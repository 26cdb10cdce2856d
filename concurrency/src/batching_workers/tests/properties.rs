//! The property that sums up the pipeline: whatever the sizes, speeds and
//! workers, a clean run loses nothing, duplicates nothing, and keeps order
//! with one worker per stage.

use super::*;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the sizes, capacities, batch policy, workers and speeds,
    /// a clean run sinks every valid item exactly once, rejects every
    /// bad one, never exceeds the batch size or a queue's capacity, and
    /// keeps order with one worker per stage.
    #[test]
    fn counts_always_balance(
        items in 0u64..300,
        bad_every in 2u64..20,
        capacity in 1usize..8,
        max_size in 1usize..12,
        max_wait_ms in 0u64..4,
        parse_workers in 1usize..3,
        enrich_workers in 1usize..3,
        sink_ms in 0u64..2,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let largest_seen = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&largest_seen);
        let sunk = Sunk::default();
        let into = Arc::clone(&sunk);
        let report = rt.block_on(async move {
            let pipeline = PipelineBuilder::new(capacity)?
                .map(Stage::new("parse", capacity).workers(parse_workers), move |n: u64| {
                    if n % bad_every == 0 { Err(format!("{n} is bad")) } else { Ok(n) }
                })?
                .batch(
                    Stage::new("enrich", capacity).workers(enrich_workers),
                    policy(max_size, max_wait_ms),
                    move |b: Vec<u64>| {
                        seen.fetch_max(b.len(), Ordering::Relaxed);
                        async move {
                            sleep(MS).await;
                            Ok::<_, Infallible>(b)
                        }
                    },
                )?
                .sink("sink", move |n: u64| keep(Arc::clone(&into), sink_ms, n))?;
            let refused = produce(pipeline.source(), items).await?;
            assert_eq!(refused, 0);
            Ok::<_, BoxError>(finish(pipeline).await?)
        });
        let report = report.expect("a clean run");
        let want: Vec<u64> = (0..items).filter(|n| n % bad_every != 0).collect();
        proptest::prop_assert!(report.lost_nothing(), "{}", report.balance());
        proptest::prop_assert_eq!(report.produced(), items);
        proptest::prop_assert_eq!(report.sunk(), want.len() as u64);
        proptest::prop_assert_eq!(report.rejected(), items - want.len() as u64);
        let largest = report.stage("enrich").and_then(|s| s.batches).map_or(0, |b| b.largest);
        proptest::prop_assert!(largest <= max_size);
        proptest::prop_assert!(largest_seen.load(Ordering::Relaxed) <= max_size);
        for q in report.stages.iter().filter_map(|s| s.outbox) {
            proptest::prop_assert!(q.peak <= q.capacity);
        }
        let mut got = sunk.lock().expect("lock").clone();
        if parse_workers == 1 && enrich_workers == 1 {
            proptest::prop_assert_eq!(&got, &want, "one worker per stage keeps order");
        }
        got.sort_unstable();
        proptest::prop_assert_eq!(got, want);
    }
}
