//! The demo's workload: order lines parsed, enriched by a customer service
//! with a fixed cost per call, and booked by a sink — run through a
//! pipeline with the knobs each section of the demo turns.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::batching_workers::{BatchPolicy, PipelineBuilder, PipelineError, Report, Stage};

/// One order line in this many is malformed.
pub(crate) const BAD_EVERY: usize = 25;
/// The customer service's round trip per call.
pub(super) const ROUND_TRIP: Duration = Duration::from_millis(1);
const REGIONS: [&str; 4] = ["eu-west", "us-east", "ap-south", "sa-east"];

/// An order line after parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order {
    pub(crate) id: u64,
    pub(crate) customer: u32,
    pub(crate) cents: u64,
}

/// An order with its customer's region (an index into `REGIONS`).
#[derive(Debug, Clone, Copy)]
struct Enriched {
    order: Order,
    region: usize,
}

/// Why an order line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BadLine {
    #[error("line {line:?}: expected 3 comma-separated fields (id,customer,cents), found {found}")]
    FieldCount { line: String, found: usize },
    #[error("line {line:?}: field `{field}` is not a whole number: {value:?}")]
    NotANumber {
        line: String,
        field: &'static str,
        value: String,
    },
}

pub(crate) fn parse_order(line: &str) -> Result<Order, BadLine> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let &[id, customer, cents] = fields.as_slice() else {
        return Err(BadLine::FieldCount {
            line: line.to_owned(),
            found: fields.len(),
        });
    };
    fn number<N: std::str::FromStr>(
        line: &str,
        field: &'static str,
        value: &str,
    ) -> Result<N, BadLine> {
        value.parse().map_err(|_| BadLine::NotANumber {
            line: line.to_owned(),
            field,
            value: value.to_owned(),
        })
    }
    Ok(Order {
        id: number(line, "id", id)?,
        customer: number(line, "customer", customer)?,
        cents: number(line, "cents", cents)?,
    })
}

/// `count` order lines; every `BAD_EVERY`th is malformed in one of three ways.
pub(crate) fn order_lines(count: usize) -> Vec<String> {
    (0..count)
        .map(
            |i| match (i % BAD_EVERY == BAD_EVERY - 1, i / BAD_EVERY % 3) {
                (false, _) => format!("{i},{},{}", i * 7 % 500, 100 + i * 37 % 9_900),
                (true, 0) => format!("{i},{}", i % 500),
                (true, 1) => format!("{i},c{},250", i % 500),
                (true, _) => format!("{i},{},-{}", i % 500, i),
            },
        )
        .collect()
}

/// A remote lookup with a fixed cost per call: a round trip, plus encoding
/// the request and decoding the answer per item.
#[derive(Debug)]
struct CustomerService {
    round_trip: Duration,
    calls: AtomicU64,
    fail_on_call: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "customer service call {call} failed: connection reset by peer (retry the batch, or route it to a dead-letter queue)"
)]
struct ServiceError {
    call: u64,
}

impl CustomerService {
    async fn regions(&self, customers: &[u32]) -> Result<Vec<usize>, ServiceError> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let request = customers
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        tokio::time::sleep(self.round_trip).await;
        if self.fail_on_call == Some(call) {
            return Err(ServiceError { call });
        }
        request
            .split(',')
            .map(|id| {
                id.parse::<usize>()
                    .map(|c| c % REGIONS.len())
                    .map_err(|_| ServiceError { call })
            })
            .collect()
    }
}

/// The sink's books: orders and revenue per region.
#[derive(Debug, Default)]
struct Ledger {
    orders: [AtomicU64; 4],
    cents: AtomicU64,
}

impl Ledger {
    fn orders(&self) -> u64 {
        self.orders.iter().map(|o| o.load(Ordering::Relaxed)).sum()
    }
}

/// One run of the order pipeline.
#[derive(Debug, Clone, Copy)]
pub(super) struct OrdersRun {
    pub(super) lines: usize,
    pub(super) queue: usize,
    pub(super) policy: BatchPolicy,
    pub(super) enrich_workers: usize,
    pub(super) sink_delay: Option<Duration>,
    pub(super) fail_on_call: Option<u64>,
}

impl OrdersRun {
    pub(super) fn new(lines: usize, queue: usize, policy: BatchPolicy) -> Self {
        OrdersRun {
            lines,
            queue,
            policy,
            enrich_workers: 1,
            sink_delay: None,
            fail_on_call: None,
        }
    }
}

#[derive(Debug)]
pub(super) struct OrdersOutcome {
    pub(super) result: Result<Report, PipelineError>,
    pub(super) calls: u64,
    /// Items in the queues when the source was closed.
    pub(super) queued_at_close: usize,
    /// From closing the source to `finish` returning.
    pub(super) drain: Duration,
    /// Lines the source refused (after a failure).
    pub(super) refused: usize,
    pub(super) ledger_orders: u64,
}

pub(super) async fn run_orders(run: OrdersRun) -> anyhow::Result<OrdersOutcome> {
    let service = Arc::new(CustomerService {
        round_trip: ROUND_TRIP,
        calls: AtomicU64::new(0),
        fail_on_call: run.fail_on_call,
    });
    let ledger = Arc::new(Ledger::default());
    let (svc, book) = (Arc::clone(&service), Arc::clone(&ledger));
    let input = order_lines(run.lines); // made before the clock starts
    let pipeline = PipelineBuilder::<String>::new(run.queue)?
        .map(Stage::new("parse", run.queue), |line: String| {
            parse_order(&line)
        })?
        .batch(
            Stage::new("enrich", run.queue).workers(run.enrich_workers),
            run.policy,
            move |orders: Vec<Order>| {
                let svc = Arc::clone(&svc);
                async move {
                    let customers: Vec<u32> = orders.iter().map(|o| o.customer).collect();
                    let regions = svc.regions(&customers).await?;
                    let enriched = orders.into_iter().zip(regions);
                    Ok::<_, ServiceError>(
                        enriched
                            .map(|(order, region)| Enriched { order, region })
                            .collect(),
                    )
                }
            },
        )?
        .sink("sink", move |e: Enriched| {
            let book = Arc::clone(&book);
            async move {
                if let Some(delay) = run.sink_delay {
                    tokio::time::sleep(delay).await; // a slow database write
                }
                book.orders[e.region].fetch_add(1, Ordering::Relaxed);
                book.cents.fetch_add(e.order.cents, Ordering::Relaxed);
                std::hint::black_box(e.order.id);
                Ok::<_, Infallible>(())
            }
        })?;
    let mut refused = 0;
    for line in input {
        if pipeline.send(line).await.is_err() {
            refused += 1;
        }
    }
    let queued_at_close = pipeline.queued();
    let closed_at = Instant::now();
    let result = pipeline.finish().await;
    Ok(OrdersOutcome {
        result,
        calls: service.calls.load(Ordering::Relaxed),
        queued_at_close,
        drain: closed_at.elapsed(),
        refused,
        ledger_orders: ledger.orders(),
    })
}
