//! The bug story of the lesson: a `select!` that loses items, and its fix.

use std::fmt;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// What a pairing loop collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing<T> {
    /// Pairs made, in order.
    pub pairs: Vec<(T, T)>,
    /// Heartbeats handled while waiting.
    pub heartbeats: u64,
    /// A first half still waiting for its partner when the channel closed.
    pub leftover: Option<T>,
}

impl<T> Pairing<T> {
    /// Items that came out of the loop (in pairs or left over).
    pub fn items(&self) -> u64 {
        2 * self.pairs.len() as u64 + u64::from(self.leftover.is_some())
    }
}

impl<T: PartialEq + fmt::Debug> Pairing<T> {
    /// Checks that `sent` came out whole and in order; the error names the
    /// first item that went missing.
    pub fn check_all_returned(&self, sent: &[T]) -> Result<(), String> {
        let got: Vec<&T> = self
            .pairs
            .iter()
            .flat_map(|(a, b)| [a, b])
            .chain(self.leftover.as_ref())
            .collect();
        if let Some(i) = (0..sent.len()).find(|&i| got.get(i) != Some(&&sent[i])) {
            return Err(format!(
                "{} of {} items came back; the first missing is {:?} (position {i})",
                got.len(),
                sent.len(),
                sent[i]
            ));
        }
        Ok(())
    }
}

/// Receives two items as one pair. **Not cancellation-safe**: once the first
/// item is taken it lives only inside this future, and dropping the future
/// drops it.
async fn recv_pair<T>(queue: &mut mpsc::Receiver<T>) -> Option<(T, T)> {
    let first = queue.recv().await?;
    let second = queue.recv().await?;
    Some((first, second))
}

/// A heartbeat that first fires one period from now.
fn heartbeat_ticks(period: Duration) -> tokio::time::Interval {
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks
}

/// **Broken on purpose** (the bug story in the [module docs](super)): pairs up items
/// from `queue` while answering a heartbeat every `heartbeat`, by racing a
/// non-cancellation-safe `recv_pair` future against the tick in
/// `select!`. Whenever the tick wins after the first half was received,
/// that half is lost — no error, no count. See [`collect_pairs`].
pub async fn collect_pairs_broken<T>(
    queue: &mut mpsc::Receiver<T>,
    heartbeat: Duration,
) -> Pairing<T> {
    let mut ticks = heartbeat_ticks(heartbeat);
    let mut pairs = Vec::new();
    let mut heartbeats = 0;
    loop {
        tokio::select! {
            biased;
            pair = recv_pair(queue) => match pair {
                Some(pair) => pairs.push(pair),
                None => break,
            },
            _ = ticks.tick() => heartbeats += 1,
        }
    }
    Pairing {
        pairs,
        heartbeats,
        leftover: None,
    }
}

// ANCHOR: collect_pairs
/// The fix of [`collect_pairs_broken`]: only the cancellation-safe `recv()`
/// races the tick, and the half-built pair lives in the loop, not in a
/// future, so a heartbeat between the halves costs nothing.
pub async fn collect_pairs<T>(queue: &mut mpsc::Receiver<T>, heartbeat: Duration) -> Pairing<T> {
    let mut ticks = heartbeat_ticks(heartbeat);
    let mut pairs = Vec::new();
    let mut heartbeats = 0;
    let mut first = None;
    loop {
        tokio::select! {
            biased;
            item = queue.recv() => {
                let Some(item) = item else { break };
                match first.take() {
                    None => first = Some(item),
                    Some(a) => pairs.push((a, item)),
                }
            }
            _ = ticks.tick() => heartbeats += 1,
        }
    }
    Pairing {
        pairs,
        heartbeats,
        leftover: first,
    }
}
// ANCHOR_END: collect_pairs
