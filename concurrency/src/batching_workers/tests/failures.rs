//! A stage that fails, panics or is misconfigured: the error names it, and
//! every item is still counted.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_failing_stage_surfaces_as_an_error_with_its_name() -> TestResult {
    let calls = AtomicU64::new(0);
    let pipeline = PipelineBuilder::new(8)?
        .map(Stage::new("parse", 8), identity)?
        .batch(Stage::new("enrich", 8), policy(4, 1), move |b: Vec<u64>| {
            let call = calls.fetch_add(1, Ordering::Relaxed) + 1;
            ready(if call == 3 {
                Err("enrich service unavailable (HTTP 503)")
            } else {
                Ok(b)
            })
        })?
        .sink("sink", discard)?;
    let refused = produce(pipeline.source(), 1_000);
    let error = finish(pipeline).await.expect_err("enrich fails");
    assert_eq!(error.stage(), "enrich");
    let message = error.to_string();
    assert!(
        message.starts_with("stage `enrich` failed: enrich service unavailable"),
        "{message}"
    );
    let cause = std::error::Error::source(&error).map(ToString::to_string);
    assert_eq!(
        cause.as_deref(),
        Some("enrich service unavailable (HTTP 503)")
    );
    let report = error.report();
    assert!(
        report.is_balanced() && !report.lost_nothing(),
        "{}",
        report.balance()
    );
    // Two good calls of 4 items reached the sink; the third batch and
    // what was queued are counted, not silently gone.
    assert_eq!(report.sunk(), 8);
    assert!(report.stage("enrich").expect("enrich").abandoned() >= 4);
    assert!(refused.await? > 0, "the source was closed");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_wrong_number_of_outputs_is_a_typed_error() -> TestResult {
    let pipeline = PipelineBuilder::new(4)?
        .batch(Stage::new("enrich", 4), policy(4, 1), |_: Vec<u64>| {
            pass(Vec::<u64>::new())
        })?
        .sink("sink", discard)?;
    send_all(&pipeline, 0..3).await?;
    let error = finish(pipeline).await.expect_err("wrong output count");
    let PipelineError::StageFailed {
        stage,
        source,
        report,
    } = error
    else {
        panic!("expected StageFailed, got {error}");
    };
    assert_eq!(stage, "enrich");
    let wrong = WrongOutputCount {
        expected: 3,
        got: 0,
    };
    assert_eq!(source.downcast_ref::<WrongOutputCount>(), Some(&wrong));
    assert_eq!((report.abandoned(), report.sunk()), (3, 0));
    Ok(())
}

#[tokio::test]
async fn a_panicking_stage_is_reported_with_its_name() -> TestResult {
    let pipeline = PipelineBuilder::new(4)?
        .map(Stage::new("parse", 4).workers(2), |n: u64| {
            assert!(n != 7, "parse cannot handle item 7 (deliberate)");
            Ok::<_, Infallible>(n)
        })?
        .sink("sink", discard)?;
    let producer = produce(pipeline.source(), 100);
    let error = finish(pipeline).await.expect_err("parse panics");
    assert!(
        matches!(error, PipelineError::StagePanicked { .. }),
        "{error}"
    );
    assert_eq!(error.stage(), "parse");
    assert!(
        error.to_string().contains("cannot handle item 7"),
        "{error}"
    );
    assert!(error.report().is_balanced(), "{}", error.report().balance());
    assert!(producer.await? > 0, "the source was closed");
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_failing_sink_stops_the_pipeline_and_is_named() -> TestResult {
    let pipeline = PipelineBuilder::new(4)?
        .map(Stage::new("parse", 4), identity)?
        .sink("ledger", |n: u64| {
            ready(if n == 5 {
                Err(format!("disk full at item {n}"))
            } else {
                Ok(())
            })
        })?;
    let producer = produce(pipeline.source(), 100);
    let error = finish(pipeline).await.expect_err("the sink fails");
    assert_eq!(error.stage(), "ledger");
    assert!(error.to_string().contains("disk full at item 5"), "{error}");
    assert_eq!(error.report().sunk(), 5);
    assert!(error.report().is_balanced(), "{}", error.report().balance());
    assert!(producer.await? > 0);
    Ok(())
}

#[tokio::test]
async fn bad_configs_are_refused_with_the_stage_named() -> TestResult {
    let named = |stage: &str| stage.to_owned();
    let zero_source = PipelineBuilder::<u64>::new(0).map(|_| ());
    let zero = CapacityError { requested: 0 };
    assert_eq!(
        zero_source,
        Err(BuildError::Capacity {
            stage: named("source"),
            source: zero
        })
    );
    let zero_queue = PipelineBuilder::new(4)?
        .map(Stage::new("parse", 0), identity)
        .map(|_| ());
    assert_eq!(
        zero_queue,
        Err(BuildError::Capacity {
            stage: named("parse"),
            source: zero
        })
    );
    let no_workers = PipelineBuilder::new(4)?.map(Stage::new("parse", 4).workers(0), identity);
    assert_eq!(
        no_workers.map(|_| ()),
        Err(BuildError::ZeroWorkers {
            stage: named("parse")
        })
    );
    let empty_batches =
        PipelineBuilder::new(4)?.batch(Stage::new("enrich", 4), policy(0, 1), pass::<u64>);
    assert_eq!(
        empty_batches.map(|_| ()),
        Err(BuildError::ZeroBatchSize {
            stage: named("enrich")
        })
    );
    let twice = PipelineBuilder::new(4)?
        .map(Stage::new("parse", 4), identity)?
        .sink("parse", discard);
    assert_eq!(
        twice.map(|_| ()),
        Err(BuildError::DuplicateStage {
            stage: named("parse")
        })
    );
    assert!(metered_channel::<u8>(MAX_CAPACITY + 1).is_err());
    Ok(())
}

#[test]
fn building_outside_a_runtime_is_refused() {
    assert_eq!(
        PipelineBuilder::<u8>::new(4).map(|_| ()),
        Err(BuildError::NoRuntime)
    );
}
