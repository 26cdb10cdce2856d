//! The demo of `testing/mocking-monkeypatch`: the trait seam with a mock, a
//! fake and the real inventory (and the broken checkout each double
//! catches), what a mock costs per call, closures and the `cfg(test)` swap,
//! paused time, the env and file seams, and the compiler's refusals of the
//! shortcuts Python allows.

use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant, UNIX_EPOCH};

use mastery_kit::{Area, Comparison, Narrator, Topic, Verdict};
use mockall::predicate::eq;

use super::{
    CartLine, CheckoutError, EnvMap, FakeInventory, Inventory, Lease, ManualClock, MockInventory,
    ReservationId, Settings, StockError, Warehouse, coupon_code, entropy_is_swapped,
    fresh_order_reference, order_reference, reserve_cart, reserve_cart_broken, wait_until_ready,
    write_report,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "testing/mocking-monkeypatch",
        area: Area::Testing,
        rank: 2,
        title: "Monkeypatching and mocking: a ladder of seams",
        python: "monkeypatch.setattr / setenv and unittest.mock.Mock: swap any name at run time, assert on its calls",
        rust: "seams the code takes as parameters: a trait (mockall mocks with call counts, matchers, sequences; hand-written fakes), closures, cfg(test), an injected clock or tokio's paused clock, an env map and a temp dir",
        path: "testing/src/mocking_monkeypatch/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    trait_seam(n)?;
    cost_per_call(n);
    closures_and_cfg_test(n);
    time(n)?;
    env_and_files(n)?;
    forbidden(n);
    Ok(())
}

/// A cart whose last line is short in the demo's stock.
fn cart() -> Vec<CartLine> {
    vec![
        CartLine::new("apple", 3),
        CartLine::new("pear", 2),
        CartLine::new("plum", 9),
    ]
}

const STOCK: [(&str, u32); 3] = [("apple", 5), ("pear", 5), ("plum", 1)];

/// The checkout under test, as a plain function of the mock.
pub(super) type Checkout =
    fn(&mut MockInventory, &[CartLine]) -> Result<Vec<ReservationId>, CheckoutError>;

/// Runs `checkout` against a mock expecting a rollback of the first line
/// when the second fails; `None` when every expectation held, else the
/// mock's panic message.
pub(super) fn mock_verdict_on(checkout: Checkout) -> Option<String> {
    mastery_kit::panics::quiet_panics_starting_with("MockInventory::");
    let mut inventory = MockInventory::new();
    inventory
        .expect_reserve()
        .with(eq("apple"), eq(3))
        .returning(|_, _| Ok(ReservationId(1)));
    inventory
        .expect_reserve()
        .with(eq("pear"), eq(2))
        .returning(|sku, _| {
            Err(StockError::OutOfStock {
                sku: sku.to_owned(),
                requested: 2,
                available: 0,
            })
        });
    inventory
        .expect_release()
        .with(eq(ReservationId(1)))
        .times(1)
        .return_const(());
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = checkout(&mut inventory, &cart());
        // Verifies the call counts now, rather than when the mock drops.
        inventory.checkpoint();
    }));
    outcome
        .err()
        .map(|payload| mastery_kit::panics::panic_message(&*payload))
}

fn trait_seam(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("The trait seam: the real inventory, a fake, a mock");
    n.say(
        "`reserve_cart(&mut impl Inventory, cart)` reserves every line or none. The same \
         function runs against the real Warehouse, the hand-written fake and mockall's \
         MockInventory; the cart's last line (9 plums, 1 in stock) fails.",
    );
    let mut warehouse = Warehouse::with_stock(STOCK);
    let real = reserve_cart(&mut warehouse, &cart());
    n.show(format!(
        "Warehouse: {} — open reservations after: {}, apples free: {}",
        outcome(&real),
        warehouse.open_reservations(),
        warehouse.available("apple")
    ));
    let mut fake = FakeInventory::with_stock(STOCK);
    let faked = reserve_cart(&mut fake, &cart());
    n.show(format!("fake:      {} — call log:", outcome(&faked)));
    for call in &fake.calls {
        n.show(format!("             {call:?}"));
    }
    n.say("The broken checkout (it forgets the rollback), judged by each double:");
    let mut broken_fake = FakeInventory::with_stock(STOCK);
    let _ = reserve_cart_broken(&mut broken_fake, &cart());
    let fake_caught = broken_fake.released().is_empty();
    n.show(format!(
        "fake: released {:?} after the failure — {}",
        broken_fake.released(),
        if fake_caught {
            "a test asserting the release fails"
        } else {
            "not caught"
        }
    ));
    anyhow::ensure!(
        mock_verdict_on(reserve_cart).is_none(),
        "the mock must accept the correct checkout"
    );
    let Some(message) = mock_verdict_on(reserve_cart_broken) else {
        anyhow::bail!("the mock let the broken checkout through");
    };
    n.show("mock: the checkpoint panics with");
    for line in message.lines() {
        n.show(format!("  {line}"));
    }
    n.record_count(
        "test doubles that caught the missing rollback (of 2)",
        1 + u64::from(fake_caught),
    );
    Ok(())
}

fn outcome(result: &Result<Vec<ReservationId>, CheckoutError>) -> String {
    match result {
        Ok(ids) => format!("reserved {ids:?}"),
        Err(e) => format!("Err: {e}"),
    }
}

/// `pairs` reserve-and-release round trips: the loop every double is timed on.
fn round_trips(inventory: &mut impl Inventory, pairs: usize) -> u64 {
    let mut sum = 0;
    for _ in 0..pairs {
        if let Ok(id) = inventory.reserve(black_box("apple"), black_box(1)) {
            sum += id.0;
            inventory.release(id);
        }
    }
    sum
}

fn cost_per_call(n: &mut Narrator) {
    n.section("What a mock costs per call");
    let pairs = n.mode().pick_deep(200, 10_000, 50_000);
    let ops = (2 * pairs) as u64;
    let mut warehouse = Warehouse::with_stock([("apple", 1_000), ("pear", 1_000)]);
    let mut fake = FakeInventory::with_stock([("apple", 1_000), ("pear", 1_000)]);
    // The mock as a test would set it up: matchers on the arguments.
    let mut mock = MockInventory::new();
    mock.expect_reserve()
        .with(eq("apple"), eq(1))
        .returning(|_, _| Ok(ReservationId(1)));
    mock.expect_release()
        .with(eq(ReservationId(1)))
        .return_const(());
    n.say(&format!(
        "{pairs} reserve-and-release round trips through `impl Inventory`: the real \
         Warehouse (two hash-map updates), the hand-written fake (a scan of its short stock \
         list and a call log entry, the log cleared each pass) and the mock (its expectations \
         behind a mutex, two argument matchers, a call counter, a boxed closure for the \
         answer). The figure is per call."
    ));
    let mut mock_pass = || round_trips(&mut mock, pairs);
    let vs_real = n.compare_timed(
        "one Inventory call: mockall mock vs the real Warehouse",
        ops,
        &mut mock_pass,
        "real Warehouse",
        || round_trips(&mut warehouse, pairs),
    );
    say_cost(
        n,
        &vs_real,
        "the real Warehouse",
        "a real call does real work — here it hashes the SKU twice and allocates a key for \
         each open reservation — and that outweighs the mock's bookkeeping. Against a \
         database or a network call the gap would be wider still.",
    );
    let vs_fake = n.compare_timed(
        "one Inventory call: mockall mock vs a hand-written fake",
        ops,
        &mut mock_pass,
        "hand-written fake",
        || {
            fake.calls.clear();
            round_trips(&mut fake, pairs)
        },
    );
    say_cost(
        n,
        &vs_fake,
        "the fake",
        "its linear scan of the stock list and its log entry (a String per call) cost more \
         than the mock's matchers.",
    );
    n.say(
        "Either way the cost is paid in tests only: production code calls the Warehouse \
         through a generic parameter, and the seam itself compiles to a direct call.",
    );
}

fn say_cost(n: &mut Narrator, c: &Comparison, peer: &str, why_better: &str) {
    let text = match c.verdict {
        Verdict::Worse => format!(
            "The mock costs {:.1}× what a call to {peer} costs: the bookkeeping that lets it \
             check counts, arguments and order.",
            1.0 / c.speedup
        ),
        Verdict::Better => format!(
            "The mock came out {:.1}× faster than {peer} on this run: {why_better}",
            c.speedup
        ),
        Verdict::Tie { within } => format!(
            "No difference this run can see between the mock and {peer} (within ±{:.1} %).",
            within * 100.0
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            format!("Too few samples in this mode for a verdict on the mock against {peer}.")
        }
    };
    n.say(&text);
}

fn closures_and_cfg_test(n: &mut Narrator) {
    n.section("Closures and cfg(test)");
    let fixed = order_reference(|| UNIX_EPOCH + Duration::from_secs(1_800_000_000), || 42);
    n.show(format!(
        "order_reference(|| <fixed time>, || 42)            → {fixed}"
    ));
    n.show(format!(
        "order_reference(SystemTime::now, random_u32)       → {}",
        fresh_order_reference()
    ));
    n.say(&format!(
        "coupon_code() calls a private entropy() with a second body under #[cfg(test)]. In \
         this build cfg(test) is {}, so it gave {}. The swap holds only for this crate's unit \
         tests: its `tests/` folder and every other crate link the library built without \
         cfg(test) (tests/cfg_test_swap.rs checks that).",
        entropy_is_swapped(),
        coupon_code()
    ));
}

fn time(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Time: an injected clock, and tokio's paused clock");
    let clock = ManualClock::new();
    let lease = Lease::take(&clock, Duration::from_secs(30));
    clock.advance(Duration::from_secs(29));
    let before = lease.is_expired(&clock);
    clock.advance(Duration::from_secs(1));
    n.show(format!(
        "ManualClock: lease of 30 s expired after 29 s? {before}; after 30 s? {}",
        lease.is_expired(&clock)
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()?;
    let wall = Instant::now();
    let (result, simulated) = runtime.block_on(async {
        let start = tokio::time::Instant::now();
        let result =
            wait_until_ready(|| false, Duration::from_secs(10), Duration::from_secs(300)).await;
        (result, start.elapsed())
    });
    let wall = wall.elapsed();
    let Err(not_ready) = result else {
        anyhow::bail!("a probe that never says ready was reported ready");
    };
    n.show(format!("paused runtime: {not_ready}"));
    n.record_duration("simulated wait on the paused clock", simulated);
    n.record_duration("real time that wait took", wall);
    n.say(
        "The same test on a real clock would sit through the whole wait. The kit's larger \
         examples: interview/retry-backoff's ManualClock behind BlockingTimer/AsyncTimer, and \
         concurrency/batching-workers' tests on a paused clock.",
    );
    Ok(())
}

fn env_and_files(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Environment and files: inject, do not set");
    let env = EnvMap::from_pairs([("APP_PORT", "9090"), ("APP_DATA_DIR", "/srv/app")]);
    let settings = Settings::from_lookup(|k| env.get(k))?;
    n.show(format!(
        "Settings::from_lookup(EnvMap {{APP_PORT=9090, APP_DATA_DIR=/srv/app}}) → {settings:?}"
    ));
    let bad = EnvMap::from_pairs([("APP_PORT", "80800"), ("APP_DATA_DIR", "/srv/app")]);
    match Settings::from_lookup(|k| bad.get(k)) {
        Ok(s) => anyhow::bail!("port 80800 was accepted: {s:?}"),
        Err(e) => n.show(format!("APP_PORT=80800 → {e}")),
    }
    let dir = tempfile::tempdir()?;
    let path = write_report(dir.path(), "daily.txt", "3 carts, 1 rolled back\n")?;
    n.show(format!(
        "write_report(<temp dir>, \"daily.txt\", ..) wrote {} bytes to <temp dir>/{}",
        std::fs::metadata(&path)?.len(),
        path.file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    ));
    n.say(
        "No test here calls std::env::set_var: in edition 2024 it is an unsafe fn, and this \
         crate forbids unsafe code. The compiler's answer to calling it plainly:",
    );
    n.show_block(&SET_VAR);
    Ok(())
}

const SET_VAR: &str =
    include_str!("../../tests/ui/forbidden_patches/set_var_without_unsafe.stderr");
const ASSIGN_FN: &str = include_str!("../../tests/ui/forbidden_patches/assign_to_fn.stderr");
const REPLACE_METHOD: &str =
    include_str!("../../tests/ui/forbidden_patches/replace_method_of_foreign_type.stderr");
const STATIC_FN_POINTER: &str =
    include_str!("../../tests/ui/forbidden_patches/rebind_static_fn_pointer.stderr");

fn forbidden(n: &mut Narrator) {
    n.section("The shortcuts Rust forbids");
    let cases = [
        ("`now = fake_now;` — assigning to a function", ASSIGN_FN),
        (
            "`impl Warehouse { fn reserve(..) }` in another crate — replacing a method",
            REPLACE_METHOD,
        ),
        (
            "`NOW = fake_now;` on a `static mut` fn pointer — a global swap without unsafe",
            STATIC_FN_POINTER,
        ),
    ];
    for (what, stderr) in cases {
        n.say(what);
        n.show_block(&stderr);
    }
    n.record_count(
        "monkeypatching shortcuts refused by the compiler (tests/ui/forbidden_patches)",
        cases.len() + 1,
    );
}
