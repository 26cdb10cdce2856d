//! `next_batch` and the metered channel on a paused clock: full batches go
//! at once, a partial one at its deadline or at the close, and a send
//! reports how long it waited.

use super::*;

#[tokio::test(start_paused = true)]
async fn full_batches_go_at_once_and_a_partial_one_at_its_deadline() -> TestResult {
    let (tx, mut rx) = metered_channel(16)?;
    for i in 0..10 {
        tx.send(i).await?;
    }
    let start = Instant::now();
    let mut batches = Vec::new();
    for _ in 0..3 {
        let b = next_batch(&mut rx, policy(4, 5))
            .await
            .expect("items queued");
        batches.push((b.items, b.flush, start.elapsed()));
    }
    assert_eq!(
        batches,
        [
            (vec![0, 1, 2, 3], Flush::Size, Duration::ZERO),
            (vec![4, 5, 6, 7], Flush::Size, Duration::ZERO),
            (vec![8, 9], Flush::Deadline, 5 * MS),
        ]
    );
    drop(tx);
    assert_eq!(next_batch(&mut rx, policy(4, 5)).await, None);
    assert_eq!((rx.gauge().depth(), rx.gauge().peak()), (0, 10));
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_closing_queue_flushes_the_partial_batch_without_waiting() -> TestResult {
    let (tx, mut rx) = metered_channel(8)?;
    tx.send(1).await?;
    tx.send(2).await?;
    drop(tx);
    let start = Instant::now();
    let b = next_batch(&mut rx, policy(10, 1_000)).await.expect("items");
    assert_eq!((b.items, b.flush), (vec![1, 2], Flush::Closed));
    assert_eq!(start.elapsed(), Duration::ZERO);
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_zero_wait_takes_what_is_queued_and_a_late_item_joins_in_time() -> TestResult {
    let (tx, mut rx) = metered_channel(8)?;
    for i in 0..3 {
        tx.send(i).await?;
    }
    let b = next_batch(&mut rx, policy(10, 0)).await.expect("items");
    assert_eq!((b.items, b.flush), (vec![0, 1, 2], Flush::Deadline));
    // An item arriving 3 ms into a 5 ms wait joins the batch.
    tx.send(10).await?;
    let late = tx.clone();
    tokio::spawn(async move {
        sleep(3 * MS).await;
        late.send(11).await
    });
    let start = Instant::now();
    let b = next_batch(&mut rx, policy(10, 5)).await.expect("items");
    assert_eq!(
        (b.items, b.flush, start.elapsed()),
        (vec![10, 11], Flush::Deadline, 5 * MS)
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_unrepresentable_deadline_means_no_deadline() -> TestResult {
    // `Duration::MAX` after now is past what `Instant` can hold: the
    // batch waits for `max_size` items or the close, and never panics.
    let forever = BatchPolicy::new(3, Duration::MAX);
    let (tx, mut rx) = metered_channel(8)?;
    for i in 0..4 {
        tx.send(i).await?;
    }
    let full = next_batch(&mut rx, forever).await.expect("items queued");
    assert_eq!((full.items, full.flush), (vec![0, 1, 2], Flush::Size));
    let late = tx.clone();
    tokio::spawn(async move {
        sleep(Duration::from_secs(3_600)).await;
        drop(late);
    });
    drop(tx);
    let start = Instant::now();
    let rest = next_batch(&mut rx, forever).await.expect("one item left");
    assert_eq!((rest.items, rest.flush), (vec![3], Flush::Closed));
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(3_600),
        "no deadline fired"
    );
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_metered_send_reports_how_long_it_waited() -> TestResult {
    let (tx, mut rx) = metered_channel(1)?;
    assert_eq!(tx.send(1).await?, None);
    let receiver = tokio::spawn(async move {
        sleep(7 * MS).await;
        let first = rx.recv().await;
        (first, rx) // keeps the queue open for the waiting send
    });
    assert_eq!(tx.send(2).await?, Some(7 * MS));
    let (first, _rx) = receiver.await?;
    assert_eq!(
        (first, tx.gauge().depth(), tx.gauge().peak()),
        (Some(1), 1, 1)
    );
    Ok(())
}
