use std::time::Duration;

use proptest::prelude::*;

use super::demo::demo;
use super::*;

// --- the callgrind format, on small fixed inputs ---------------------------

/// A profile as callgrind writes one: name compression, relative
/// positions, an inlined file, a call with its inclusive cost, totals.
const PROFILE: &str = "\
# callgrind format
version: 1
creator: callgrind-3.19.0
desc: Trigger: --dump-after=app::summarize
positions: line
events: Ir

ob=(1) /bin/app
fl=(1) src/main.rs
fn=(1) app::summarize
10 5
+2 7
cfi=(1)
cfn=(2) app::unique_customers
calls=1 30
* 400
fi=(2) /rustc/abc/library/core/src/slice/mod.rs
100 3
fe=(1)
-88 1

fn=(2)
30 150
+1 250
cfn=(3) memcmp
calls=40 0
31 600

fn=(3)
0 600
totals: 1416
";

#[test]
fn a_profile_is_read_with_compressed_names_and_positions() {
    let p = CallgrindProfile::parse(PROFILE).expect("a well-formed profile");
    assert_eq!(p.events, ["Ir"]);
    assert_eq!(p.total(), 1416);
    // Own costs: 5 + 7 + 3 + 1 in summarize (the call's 400 is not its
    // own), 150 + 250 in the callee, 600 in memcmp.
    assert_eq!(
        p.top_self(3),
        [
            ("memcmp".to_owned(), 600),
            ("app::unique_customers".to_owned(), 400),
            ("app::summarize".to_owned(), 16),
        ]
    );
    assert_eq!(
        p.callees(|f| f == "app::summarize"),
        [("app::unique_customers".to_owned(), 400)]
    );
    assert_eq!(
        p.callees(|f| f.ends_with("unique_customers")),
        [("memcmp".to_owned(), 600)]
    );
}

#[test]
fn lines_follow_relative_positions_and_inlined_files() {
    let p = CallgrindProfile::parse(PROFILE).expect("a well-formed profile");
    let lines: Vec<(String, u64, u64)> = p
        .lines_in(|f| f == "app::summarize", 10)
        .into_iter()
        .map(|(k, c)| (k.file, k.line, c))
        .collect();
    // `-88` from line 100 is line 12 again: its cost adds to the first
    // visit's; the call's 400 counts nowhere here.
    assert_eq!(
        lines,
        [
            ("src/main.rs".to_owned(), 12, 8),
            ("src/main.rs".to_owned(), 10, 5),
            (
                "/rustc/abc/library/core/src/slice/mod.rs".to_owned(),
                100,
                3
            ),
        ]
    );
}

#[test]
fn a_missing_totals_line_sums_the_own_costs() {
    let text = PROFILE.replace("totals: 1416\n", "");
    let p = CallgrindProfile::parse(&text).expect("totals are optional");
    assert_eq!(p.stated_total, None);
    assert_eq!(p.total(), 16 + 400 + 600);
}

#[test]
fn instruction_and_line_positions_are_both_read() {
    let text = "events: Ir\npositions: instr line\nfn=f\n0x10 3 7\n+4 +1 2\n";
    let p = CallgrindProfile::parse(text).expect("two position columns");
    let lines = p.lines_in(|_| true, 5);
    assert_eq!(lines[0].0.line, 3);
    assert_eq!(lines[0].1, 7);
    assert_eq!(lines[1].0.line, 4);
}

/// Malformed inputs and the line and words each error must name.
const MALFORMED: [(&str, &str, &str); 8] = [
    (
        "events: Ir\nfn=(1) f\n3 x\n",
        "line 3",
        "`x` in `3 x` is not a count",
    ),
    (
        "events: Ir\n5 10\n",
        "line 2",
        "a cost line before any `fn=` line",
    ),
    (
        "events: Ir\nfn=(4)\n",
        "line 2",
        "name id (4) is used before it is defined",
    ),
    (
        "events: Ir\nfn=f\ncalls=1 3\n3 10\n",
        "line 3",
        "without a `cfn=`",
    ),
    (
        "events: Ir\nfn=f\ncfn=g\ncalls=1 3\nfn=h\n",
        "line 5",
        "where the cost line of the preceding `calls=` should be",
    ),
    (
        "events: Ir\nfn=f\ncfn=g\ncalls=1 3\n",
        "line 4",
        "the file ends after a `calls=` line",
    ),
    (
        "events: Ir\nfn=f\nbogus line\n",
        "line 3",
        "is neither a header",
    ),
    (
        "events: Ir\nfn=f\nfoo=bar\n",
        "line 3",
        "unknown specification `foo=`",
    ),
];

#[test]
fn malformed_profiles_give_an_error_naming_the_line() {
    for (text, line, words) in MALFORMED {
        let err = CallgrindProfile::parse(text)
            .expect_err(&format!("{text:?} must be rejected"))
            .to_string();
        assert!(
            err.contains(line) && err.contains(words),
            "{text:?}: expected `{line}` and `{words}` in `{err}`"
        );
    }
}

#[test]
fn a_file_without_events_is_not_a_profile() {
    for text in ["", "# nothing\n", "version: 1\ncreator: me\n"] {
        let err = CallgrindProfile::parse(text).expect_err("no events line");
        assert!(matches!(err, CallgrindError::NoEvents), "{err}");
        assert!(err.to_string().contains("callgrind.out"));
    }
}

// --- the workload: the fix keeps the answer -------------------------------

fn orders_from(customers: &[u8]) -> (String, Vec<String>) {
    let names: Vec<String> = customers.iter().map(|c| format!("c{c}")).collect();
    let log = names
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{i},{c},sku-1,1,100\n"))
        .collect();
    (log, names)
}

proptest! {
    /// Differential test: the fix gives exactly the planted version's
    /// answer (same customers, same order of first purchase).
    #[test]
    fn the_fix_finds_the_same_customers_as_the_planted_scan(
        customers in proptest::collection::vec(0u8..40, 0..200)
    ) {
        let (log, _) = orders_from(&customers);
        let orders = parse_orders(&log).expect("generated lines are valid");
        prop_assert_eq!(unique_customers(&orders), unique_customers_quadratic(&orders));
    }
}

#[test]
fn both_pipelines_summarize_a_generated_log_identically() {
    for (orders, customers) in [(0, 1), (1, 1), (500, 37), (2_000, 300)] {
        let log = order_log(orders, customers, SEED);
        let planted = summarize(&log, Variant::Planted).expect("valid log");
        let fixed = summarize(&log, Variant::Fixed).expect("valid log");
        assert_eq!(planted, fixed);
        assert_eq!(fixed.orders, orders);
        assert!(fixed.customers <= customers);
    }
}

#[test]
fn customers_come_in_order_of_first_purchase() {
    let (log, _) = orders_from(&[3, 1, 3, 2, 1]);
    let orders = parse_orders(&log).expect("valid");
    assert_eq!(unique_customers(&orders), ["c3", "c1", "c2"]);
}

#[test]
fn a_bad_order_line_is_named() {
    let err = parse_orders("1,a,sku,1,100\n2,b,sku,x,100\n").expect_err("bad quantity");
    assert_eq!(
        err.to_string(),
        "order log line 2: the quantity is not a number (expected \
         `id,customer,sku,quantity,price_cents`)"
    );
    assert!(parse_orders("1,a,sku\n").is_err());
    assert!(parse_orders("1,a,sku,1,2,3\n").is_err());
    assert_eq!(
        "slow".parse::<Variant>().expect_err("unknown").to_string(),
        "unknown workload variant `slow`: use `planted` or `fixed`"
    );
}

#[test]
fn the_worker_prints_a_line_per_variant() {
    let lines = run_workload(&[Variant::Planted, Variant::Fixed], 300, 30, 2).expect("runs");
    let expected = worker_line(&summarize(&order_log(300, 30, SEED), Variant::Fixed).expect("ok"));
    assert_eq!(lines, [expected.clone(), expected]);
}

// --- reading profiles by stage --------------------------------------------

#[test]
fn function_names_map_to_their_stage() {
    let cases = [
        (
            "mastery_testing::profiling_demo::unique_customers_quadratic",
            Some("unique_customers"),
        ),
        (
            "mastery_testing::profiling_demo::unique_customers",
            Some("unique_customers"),
        ),
        ("unique_customers_quadratic", Some("unique_customers")),
        (
            "mastery_testing::profiling_demo::workload::revenue_by_sku::{{closure}}",
            Some("revenue_by_sku"),
        ),
        ("parse_orders", Some("parse_orders")),
        (
            "render_summary<alloc::string::String>",
            Some("render_summary"),
        ),
        ("__memcmp_avx2_movbe", None),
        (
            "core::ptr::drop_in_place<alloc::vec::Vec<mastery_testing::profiling_demo::workload::Order>>",
            None,
        ),
        (
            "mastery_testing::profiling_demo::workload::parse_ordersx",
            None,
        ),
    ];
    for (name, stage) in cases {
        assert_eq!(stage_of(name), stage, "{name}");
    }
    assert!(is_root(
        "mastery_testing::profiling_demo::workload::summarize"
    ));
    assert!(is_root("summarize"));
    assert!(!is_root(
        "mastery_testing::profiling_demo::workload::summarize_all"
    ));
}

#[test]
fn stage_costs_name_the_hottest_stage_and_agreement_is_computed() {
    let callees = |hot: u64| {
        vec![
            ("x::parse_orders".to_owned(), 10),
            ("x::unique_customers_quadratic".to_owned(), hot),
            ("x::revenue_by_sku".to_owned(), 20),
            ("free".to_owned(), 5),
        ]
    };
    let counted = StageCosts::from_callees("callgrind", "Ir", &callees(900));
    assert_eq!(counted.hottest(), Some("unique_customers"));
    assert_eq!(counted.total(), 935);
    assert_eq!(counted.other, 5);
    assert!((counted.percent("unique_customers") - 100.0 * 900.0 / 935.0).abs() < 1e-9);
    let sampled = StageCosts::from_callees("sampler", "samples", &callees(15));
    assert_eq!(sampled.hottest(), Some("revenue_by_sku"));
    assert_eq!(agreed_hotspot(&[&counted]), Some("unique_customers"));
    assert_eq!(agreed_hotspot(&[&counted, &sampled]), None);
    assert_eq!(agreed_hotspot(&[]), None);
    let nothing = StageCosts::from_callees("sampler", "samples", &[]);
    assert_eq!(nothing.hottest(), None);
}

fn stacks() -> Samples {
    let s = |frames: &[&str]| frames.iter().map(|f| (*f).to_owned()).collect::<Vec<_>>();
    Samples::from_stacks(
        997,
        vec![
            (
                s(&["main", "summarize", "unique_customers_quadratic", "memcmp"]),
                6,
            ),
            (s(&["main", "summarize", "unique_customers_quadratic"]), 2),
            (s(&["main", "summarize", "parse_orders", "next_match"]), 1),
            (s(&["main", "summarize"]), 1),
            (s(&["main", "test_harness", "spin"]), 4),
        ],
    )
}

#[test]
fn samples_are_read_by_leaf_and_by_callee() {
    let all = stacks();
    assert_eq!(all.total(), 14);
    let workload = all.through(is_root);
    assert_eq!(workload.total(), 10);
    assert_eq!(
        workload.top_self(2),
        [
            ("memcmp".to_owned(), 6),
            ("unique_customers_quadratic".to_owned(), 2)
        ]
    );
    assert_eq!(
        workload.callees(is_root),
        [
            ("unique_customers_quadratic".to_owned(), 8),
            ("parse_orders".to_owned(), 1),
            ("summarize".to_owned(), 1),
        ]
    );
    assert_eq!(workload.folded()[0], "summarize 1");
}

#[test]
fn a_flame_graph_is_well_formed_svg_naming_each_function() {
    let mut svg = Vec::new();
    stacks()
        .through(is_root)
        .write_flamegraph("test", &mut svg)
        .expect("draws");
    let titles = flamegraph_titles(&svg).expect("well-formed SVG");
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("unique_customers_quadratic (8 samples")),
        "{titles:?}"
    );
    assert!(flamegraph_titles(b"<svg><title>x</svg>").is_err());
    assert!(flamegraph_titles(b"<html/>").is_err());
    assert!(
        Samples::default()
            .write_flamegraph("empty", Vec::new())
            .is_err()
    );
}

// --- the sampler on the real workload --------------------------------------

#[test]
fn the_sampler_finds_the_planted_hotspot_and_draws_it() {
    let log = order_log(2_000, 400, SEED);
    let (all, run) = sample(997, Duration::from_millis(300), || {
        summarize(&log, Variant::Planted)
    })
    .expect("the sampler starts");
    assert!(run.runs >= 1);
    let samples = all.through(is_root);
    let stages = StageCosts::from_callees("sampler", "samples", &samples.callees(is_root));
    assert!(samples.total() >= 10, "too few samples: {samples:?}");
    assert_eq!(stages.hottest(), Some("unique_customers"), "{stages:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flame.svg");
    let file = std::fs::File::create(&path).expect("create");
    samples.write_flamegraph("planted", file).expect("draws");
    let titles = flamegraph_titles(&std::fs::read(&path).expect("read")).expect("well-formed");
    assert!(
        titles.iter().any(|t| t
            .starts_with("mastery_testing::profiling_demo::unique_customers_quadratic")
            || t.starts_with("unique_customers_quadratic")),
        "the hotspot is not in the flame graph: {titles:?}"
    );
}

// --- the demo --------------------------------------------------------------

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("testing/profiling-demo", demo);
    let timing = n
        .comparison_with("planted Vec::contains")
        .expect("the fix is timed against the planted hotspot");
    assert_eq!(timing.unit, mastery_kit::Unit::NsPerOp);
    // Quick mode and a test harness: no callgrind figure.
    assert!(
        n.comparisons()
            .iter()
            .all(|c| c.unit != mastery_kit::Unit::Count),
        "callgrind ran in quick mode"
    );
}

#[test]
fn the_demo_writes_the_flame_graph_it_is_asked_for() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.svg");
    let mut n = mastery_kit::Narrator::silent("testing/profiling-demo", mastery_kit::Mode::Quick)
        .with_settings(mastery_kit::Settings {
            flamegraph: Some(path.clone()),
            ..mastery_kit::Settings::default()
        });
    demo(&mut n).expect("the demo runs");
    let svg = std::fs::read(&path).expect("the flame graph was written");
    flamegraph_titles(&svg).expect("well-formed SVG");
}
