//! A test per seam: mockall expectations and the hand-written fake on the
//! trait seam (each catching the broken checkout), closures, the `cfg(test)`
//! swap, a manual clock and tokio's paused clock, an env map and a temp dir.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, UNIX_EPOCH};

use mockall::Sequence;
use mockall::predicate::{eq, function};

use super::*;

fn cart() -> Vec<CartLine> {
    vec![
        CartLine::new("apple", 3),
        CartLine::new("pear", 2),
        CartLine::new("plum", 9),
    ]
}

fn out_of_stock(sku: &str) -> StockError {
    StockError::OutOfStock {
        sku: sku.to_owned(),
        requested: 9,
        available: 1,
    }
}

// --- the trait seam, with mockall -------------------------------------

#[test]
fn a_cart_that_fits_reserves_each_line_once_with_its_quantity() {
    let mut inventory = MockInventory::new();
    for (sku, qty, id) in [("apple", 3, 1), ("pear", 2, 2), ("plum", 9, 3)] {
        inventory
            .expect_reserve()
            .with(eq(sku), eq(qty))
            .times(1)
            .returning(move |_, _| Ok(ReservationId(id)));
    }
    inventory.expect_release().never();
    let held = reserve_cart(&mut inventory, &cart()).expect("every line fits");
    assert_eq!(held, [1, 2, 3].map(ReservationId));
}

// ANCHOR: expectations
#[test]
fn a_failing_line_releases_the_earlier_ones_last_first_in_sequence() {
    let mut inventory = MockInventory::new();
    let mut order = Sequence::new();
    inventory
        .expect_reserve()
        .with(eq("apple"), eq(3))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(ReservationId(10)));
    inventory
        .expect_reserve()
        .with(eq("pear"), eq(2))
        .times(1)
        .in_sequence(&mut order)
        .returning(|_, _| Ok(ReservationId(11)));
    inventory
        .expect_reserve()
        .with(eq("plum"), function(|q: &u32| *q > 5))
        .times(1)
        .in_sequence(&mut order)
        .returning(|sku, _| Err(out_of_stock(sku)));
    for id in [11, 10] {
        inventory
            .expect_release()
            .with(eq(ReservationId(id)))
            .times(1)
            .in_sequence(&mut order)
            .return_const(());
    }
    let error = reserve_cart(&mut inventory, &cart()).expect_err("plum is short");
    assert_eq!((error.line, error.sku.as_str()), (2, "plum"));
    assert_eq!(error.source, out_of_stock("plum"));
}
// ANCHOR_END: expectations

#[test]
fn withf_matches_on_a_predicate_over_all_arguments() {
    let mut inventory = MockInventory::new();
    inventory
        .expect_reserve()
        .withf(|sku, qty| sku.starts_with('p') && *qty <= 2)
        .times(1)
        .returning(|_, _| Ok(ReservationId(1)));
    let held = reserve_cart(&mut inventory, &[CartLine::new("pear", 2)]).expect("matches");
    assert_eq!(held.len(), 1);
}

#[test]
fn the_mock_passes_the_rollback_and_catches_the_broken_checkout() {
    assert_eq!(demo::mock_verdict_on(reserve_cart), None);
    let message =
        demo::mock_verdict_on(reserve_cart_broken).expect("the broken checkout never releases");
    assert!(
        message.contains("MockInventory::release") && message.contains("fewer than expected"),
        "{message}"
    );
}

#[test]
fn an_unexpected_call_fails_at_the_call_with_its_arguments() {
    mastery_kit::panics::quiet_panics_starting_with("MockInventory::");
    let mut inventory = MockInventory::new();
    inventory
        .expect_reserve()
        .with(eq("apple"), eq(3))
        .returning(|_, _| Ok(ReservationId(1)));
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _ = inventory.reserve("pear", 2);
    }));
    let message =
        mastery_kit::panics::panic_message(&*outcome.expect_err("no expectation matches"));
    assert!(
        message.contains("No matching expectation found"),
        "{message}"
    );
    assert!(message.contains("\"pear\""), "{message}");
}

// --- the trait seam, with the hand-written fake -----------------------

#[test]
fn the_fake_logs_a_rollback_in_reverse_order() {
    let mut fake = FakeInventory::with_stock([("apple", 5), ("pear", 5), ("plum", 1)]);
    let error = reserve_cart(&mut fake, &cart()).expect_err("plum is short");
    assert_eq!(error.line, 2);
    assert_eq!(fake.released(), [ReservationId(2), ReservationId(1)]);
    assert_eq!(
        fake.calls[..3],
        [
            Call::Reserve("apple".into(), 3),
            Call::Reserve("pear".into(), 2),
            Call::Reserve("plum".into(), 9),
        ]
    );
}

#[test]
fn the_fake_catches_the_broken_checkout_too() {
    let mut fake = FakeInventory::with_stock([("apple", 5), ("pear", 5), ("plum", 1)]);
    let _ = reserve_cart_broken(&mut fake, &cart());
    assert!(
        fake.released().is_empty(),
        "the broken checkout releases nothing"
    );
}

#[test]
fn the_fake_and_the_warehouse_agree_on_every_small_cart() {
    // The fake is only worth its keep while it behaves like the real
    // thing: a differential test over every cart of up to three lines.
    let stock = [("apple", 3), ("pear", 1)];
    let lines = [("apple", 2), ("apple", 4), ("pear", 1), ("kiwi", 1)];
    let mut carts: Vec<Vec<CartLine>> = vec![vec![]];
    for _ in 0..3 {
        let longer: Vec<Vec<CartLine>> = carts
            .iter()
            .flat_map(|c| {
                lines.iter().map(move |&(s, q)| {
                    let mut next = c.clone();
                    next.push(CartLine::new(s, q));
                    next
                })
            })
            .collect();
        carts.extend(longer);
    }
    for cart in &carts {
        let mut warehouse = Warehouse::with_stock(stock);
        let mut fake = FakeInventory::with_stock(stock);
        let real = reserve_cart(&mut warehouse, cart).map(|ids| ids.len());
        let faked = reserve_cart(&mut fake, cart).map(|ids| ids.len());
        // The fake checks each line against the full stock; the warehouse
        // subtracts. Carts naming a SKU twice tell them apart, as they should:
        // that is where the fake is simpler than the real thing.
        let repeats = cart
            .iter()
            .any(|l| cart.iter().filter(|m| m.sku == l.sku).count() > 1);
        if !repeats {
            assert_eq!(real, faked, "cart {cart:?}");
        }
        if real.is_err() {
            assert_eq!(warehouse.open_reservations(), 0, "rolled back: {cart:?}");
            assert_eq!(warehouse.available("apple"), 3);
        }
    }
}

#[test]
fn the_warehouse_error_names_the_sku_and_the_fix() {
    let mut warehouse = Warehouse::with_stock([("apple", 1)]);
    let error = reserve_cart(&mut warehouse, &[CartLine::new("apple", 2)]).expect_err("short");
    assert_eq!(
        error.to_string(),
        "cart line 0 (`apple`) could not be reserved; nothing is held: only 1 of `apple` in \
         stock, 2 requested: lower the quantity"
    );
}

// --- closures, cfg(test) ----------------------------------------------

#[test]
fn the_closure_seam_takes_a_fixed_clock_and_entropy() {
    let at = || UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    assert_eq!(order_reference(at, || 42).0, "ORD-1800000000-0000002A");
    let before_1970 = || UNIX_EPOCH - Duration::from_secs(5);
    assert_eq!(order_reference(before_1970, || 1).0, "ORD-0-00000001");
}

#[test]
fn the_cfg_test_swap_is_in_effect_inside_this_crate() {
    assert!(entropy_is_swapped());
    assert_eq!(coupon_code(), "SAVE-00005EED");
}

// --- time -------------------------------------------------------------

#[test]
fn a_lease_expires_exactly_at_its_ttl_on_a_manual_clock() {
    let clock = ManualClock::new();
    let lease = Lease::take(&clock, Duration::from_secs(30));
    clock.advance(Duration::from_secs(29));
    assert!(!lease.is_expired(&clock));
    assert_eq!(lease.remaining(&clock), Duration::from_secs(1));
    clock.advance(Duration::from_secs(1));
    assert!(lease.is_expired(&clock));
}

// ANCHOR: paused_clock
#[tokio::test(start_paused = true)]
async fn a_five_minute_timeout_passes_on_the_paused_clock() {
    let start = tokio::time::Instant::now();
    let error = wait_until_ready(|| false, Duration::from_secs(10), Duration::from_secs(300))
        .await
        .expect_err("never ready");
    // Exact on the paused clock: a probe at 0 s and every 10 s up to and
    // including 300 s — 31 probes — then no sleep past the timeout.
    assert_eq!(error.probes, 31);
    assert_eq!(error.waited, Duration::from_secs(300));
    assert_eq!(start.elapsed(), Duration::from_secs(300));
}
// ANCHOR_END: paused_clock

#[tokio::test(start_paused = true)]
async fn the_probe_that_says_ready_ends_the_wait() {
    let mut asked = 0;
    let probes = wait_until_ready(
        || {
            asked += 1;
            asked == 4
        },
        Duration::from_secs(1),
        Duration::from_secs(60),
    )
    .await
    .expect("ready on the fourth probe");
    assert_eq!(probes, 4);
}

// --- environment and files --------------------------------------------

// ANCHOR: env_map
#[test]
fn settings_come_from_an_env_map_not_the_process_environment() {
    let env = EnvMap::from_pairs([
        ("APP_PORT", "9090"),
        ("APP_DATA_DIR", "/srv/app"),
        ("APP_VERBOSE", "true"),
    ]);
    let settings = Settings::from_lookup(|k| env.get(k)).expect("valid");
    assert_eq!(settings.port, 9090);
    assert_eq!(settings.data_dir, std::path::PathBuf::from("/srv/app"));
    assert!(settings.verbose);
}
// ANCHOR_END: env_map

#[test]
fn bad_settings_name_the_variable_and_the_fix() {
    let cases = [
        (
            vec![],
            "environment variable APP_DATA_DIR is not set: set it to a writable directory",
        ),
        (
            vec![("APP_DATA_DIR", "/d"), ("APP_PORT", "0")],
            "environment variable APP_PORT=\"0\" is not a port number from 1 to 65535: fix or unset it",
        ),
        (
            vec![("APP_DATA_DIR", "/d"), ("APP_VERBOSE", "yes")],
            "environment variable APP_VERBOSE=\"yes\" is not one of 1, true, 0, false: fix or unset it",
        ),
    ];
    for (pairs, want) in cases {
        let env = EnvMap::from_pairs(pairs);
        let error = Settings::from_lookup(|k| env.get(k)).expect_err(want);
        assert_eq!(error.to_string(), want);
    }
}

#[test]
fn the_report_lands_whole_in_the_directory_it_is_given() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = write_report(dir.path(), "daily.txt", "42 orders\n").expect("writable");
    assert_eq!(path, dir.path().join("daily.txt"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("written"),
        "42 orders\n"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listable")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["daily.txt"], "no partial file left behind");
}

#[test]
fn a_missing_directory_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let missing = dir.path().join("nope");
    let error = write_report(&missing, "r.txt", "x").expect_err("no such directory");
    assert!(error.to_string().contains("nope/r.txt"), "{error}");
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("testing/mocking-monkeypatch", demo::demo);
    for peer in ["real Warehouse", "hand-written fake"] {
        assert!(
            n.comparison_with(peer).is_some(),
            "no comparison against {peer}"
        );
    }
}
