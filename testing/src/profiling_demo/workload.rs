//! The workload the profilers look at: a day's order log summarized in four
//! stages — parse, unique customers, revenue by SKU, render — the kind of
//! script a Python engineer writes in an afternoon. One stage hides the
//! planted hotspot ([`unique_customers_quadratic`]); [`summarize`] runs
//! either version of it, so the profiles and the timings compare the same
//! pipeline with one function swapped.
//!
//! Every stage is `#[inline(never)]`: a profile is per function, and a
//! function the optimizer inlines into its caller vanishes from callgrind's
//! table (the sampler still sees it through the debug line tables). Keeping
//! the stages out of line makes each a row in both tools, as `cProfile`
//! shows every Python call.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{unique_customers, unique_customers_quadratic};

/// Which version of the customer stage a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The planted hotspot: a linear `contains` on a `Vec` per order.
    Planted,
    /// The fix, in production: a `HashSet`.
    Fixed,
}

impl Variant {
    /// The name on the command line (`mastery profile-workload --variant`).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Planted => "planted",
            Variant::Fixed => "fixed",
        }
    }
}

impl std::str::FromStr for Variant {
    type Err = WorkloadError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "planted" => Ok(Variant::Planted),
            "fixed" => Ok(Variant::Fixed),
            other => Err(WorkloadError::UnknownVariant(other.to_owned())),
        }
    }
}

/// The stages of [`summarize`], in the order it calls them: the rows a
/// profile of the workload is read by.
pub const STAGES: [&str; 4] = [
    "parse_orders",
    "unique_customers",
    "revenue_by_sku",
    "render_summary",
];

/// The function that calls the stages: profiles are read below it.
pub const ROOT: &str = "summarize";

/// [`ROOT`] as a valgrind function pattern (`--toggle-collect`,
/// `--dump-after`), which matches callgrind's demangled names.
pub const ROOT_PATTERN: &str = "*profiling_demo::workload::summarize";

/// The stage a profiled function name belongs to: the stage's name as a
/// path segment of the demangled name, or as its prefix (the planted
/// `unique_customers_quadratic` is the `unique_customers` stage; a closure
/// `revenue_by_sku::{{closure}}` is its stage). `None` for anything else
/// (an allocator call, `memcpy`, a drop).
pub fn stage_of(function: &str) -> Option<&'static str> {
    let path = function.split('<').next().unwrap_or(function);
    path.split("::").find_map(|segment| {
        STAGES.iter().copied().find(|stage| {
            segment == *stage
                || segment
                    .strip_prefix(stage)
                    .is_some_and(|rest| rest.starts_with('_'))
        })
    })
}

/// Whether `function` is the workload's [`ROOT`]: its last path segment
/// (a sampler names inlined frames without their path).
pub fn is_root(function: &str) -> bool {
    let path = function.split('<').next().unwrap_or(function);
    path.rsplit("::").next() == Some(ROOT)
}

/// Why the workload could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    /// A line of the order log is not `id,customer,sku,quantity,price_cents`.
    #[error("order log line {line}: {problem} (expected `id,customer,sku,quantity,price_cents`)")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What was wrong with it.
        problem: String,
    },
    /// `--variant` named neither version.
    #[error("unknown workload variant `{0}`: use `planted` or `fixed`")]
    UnknownVariant(String),
}

/// One order of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<'a> {
    /// The order number.
    pub id: u64,
    /// Who ordered.
    pub customer: &'a str,
    /// What.
    pub sku: &'a str,
    /// How many.
    pub quantity: u32,
    /// Unit price in cents.
    pub price_cents: u64,
}

/// What [`summarize`] hands back: the counts and the rendered report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Orders read.
    pub orders: usize,
    /// Distinct customers.
    pub customers: usize,
    /// The report text (customers in order of first purchase, revenue by
    /// SKU).
    pub report: String,
}

impl Summary {
    /// A short fingerprint of the report (FNV-1a), printed by the worker so
    /// the demo can check the profiled process computed what it did.
    pub fn fingerprint(&self) -> u64 {
        self.report.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// A deterministic order log of `orders` lines from `customers` distinct
/// customers (a seeded xorshift: the same arguments give the same log in
/// every process).
pub fn order_log(orders: usize, customers: usize, seed: u64) -> String {
    let customers = customers.max(1) as u64;
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut log = String::with_capacity(orders * 48);
    for id in 0..orders {
        let customer = next() % customers;
        let sku = next() % 40;
        let quantity = 1 + next() % 5;
        let price = 199 + next() % 9_800;
        // Writing to a String cannot fail.
        let _ = writeln!(
            log,
            "{id},customer-{customer:06},sku-{sku:03},{quantity},{price}"
        );
    }
    log
}

/// Stage 1: the log's lines as [`Order`]s.
///
/// # Errors
/// [`WorkloadError::BadLine`] naming the first malformed line.
#[inline(never)]
pub fn parse_orders(log: &str) -> Result<Vec<Order<'_>>, WorkloadError> {
    let mut orders = Vec::new();
    for (index, line) in log.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = |problem: &str| WorkloadError::BadLine {
            line: index + 1,
            problem: problem.to_owned(),
        };
        let mut fields = line.split(',');
        let mut field = |name: &str| fields.next().ok_or_else(|| bad(&format!("no {name}")));
        let id = field("id")?;
        let customer = field("customer")?;
        let sku = field("sku")?;
        let quantity = field("quantity")?;
        let price = field("price_cents")?;
        if fields.next().is_some() {
            return Err(bad("more than five fields"));
        }
        orders.push(Order {
            id: id.parse().map_err(|_| bad("the id is not a number"))?,
            customer,
            sku,
            quantity: quantity
                .parse()
                .map_err(|_| bad("the quantity is not a number"))?,
            price_cents: price
                .parse()
                .map_err(|_| bad("the price is not a number of cents"))?,
        });
    }
    Ok(orders)
}

/// Stage 3: revenue per SKU in cents, highest first (ties by SKU).
#[inline(never)]
pub fn revenue_by_sku<'a>(orders: &[Order<'a>]) -> Vec<(&'a str, u64)> {
    let mut revenue: HashMap<&str, u64> = HashMap::new();
    for order in orders {
        *revenue.entry(order.sku).or_default() += u64::from(order.quantity) * order.price_cents;
    }
    let mut rows: Vec<_> = revenue.into_iter().collect();
    rows.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    rows
}

/// Stage 4: the report as text.
#[inline(never)]
pub fn render_summary(orders: usize, customers: &[&str], revenue: &[(&str, u64)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{orders} orders from {} customers", customers.len());
    for customer in customers {
        let _ = writeln!(out, "customer {customer}");
    }
    for (sku, cents) in revenue {
        let _ = writeln!(out, "{sku} {}.{:02}", cents / 100, cents % 100);
    }
    out
}

/// The pipeline: parse, unique customers (the `variant`'s version), revenue
/// by SKU, render.
///
/// # Errors
/// [`WorkloadError::BadLine`] for a malformed log.
#[inline(never)]
pub fn summarize(log: &str, variant: Variant) -> Result<Summary, WorkloadError> {
    let orders = parse_orders(log)?;
    let customers = match variant {
        Variant::Planted => unique_customers_quadratic(&orders),
        Variant::Fixed => unique_customers(&orders),
    };
    let revenue = revenue_by_sku(&orders);
    let report = render_summary(orders.len(), &customers, &revenue);
    Ok(Summary {
        orders: orders.len(),
        customers: customers.len(),
        report,
    })
}

/// What `mastery profile-workload` runs: [`summarize`] on a generated log
/// with each of `variants` in turn, `repeat` times each (the log is
/// generated once, outside the stages), and the lines it prints, one per
/// variant: the counts and the report's fingerprint.
///
/// # Errors
/// From [`summarize`].
pub fn run_workload(
    variants: &[Variant],
    orders: usize,
    customers: usize,
    repeat: usize,
) -> Result<Vec<String>, WorkloadError> {
    let log = order_log(orders, customers, SEED);
    let mut lines = Vec::with_capacity(variants.len());
    for &variant in variants {
        let mut last = None;
        for _ in 0..repeat.max(1) {
            last = Some(summarize(std::hint::black_box(&log), variant)?);
        }
        let summary = last.expect("invariant: the loop ran at least once");
        lines.push(worker_line(&summary));
    }
    Ok(lines)
}

/// The line the worker prints for `summary`, which the demo compares with
/// its own run.
pub fn worker_line(summary: &Summary) -> String {
    format!(
        "orders={} customers={} fingerprint={:016x}",
        summary.orders,
        summary.customers,
        summary.fingerprint()
    )
}

/// The seed of every generated order log.
pub const SEED: u64 = 0x5eed_04de_7500;
