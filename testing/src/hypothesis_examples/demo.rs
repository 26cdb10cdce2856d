//! The demo of `testing/hypothesis-examples`: strategies drawn and counted,
//! round trips through the streaming parsers, the LRU model test, three
//! planted bugs found and shrunk live, and random bytes through `arbitrary`.

use std::fmt::{Debug, Display};

use anyhow::{Context, anyhow, bail};
use mastery_kit::{Area, Narrator, Topic, Unit, Verdict};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use super::model::{new_lru, new_lru_broken};
use super::{
    ChunkedString, DrawCount, Hunt, Outcome, Scenario, UnescapeError, check_against_model,
    chunked_string, csv_records, csv_round_trip, hunt, json_round_trip, json_value, probe,
    probe_uniform, scenario, seeded_rng, sorted_by_filter, sorted_by_map, split_at,
    unescape_chunks, unescape_chunks_broken,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "testing/hypothesis-examples",
        area: Area::Testing,
        rank: 1,
        title: "Hypothesis (property-based testing)",
        python: "@given(st.integers()): strategies, RuleBasedStateMachine, shrinking and the example database",
        rust: "proptest: composed and recursive strategies, model-based tests, shrinking; arbitrary for coverage-guided fuzzing",
        path: "testing/src/hypothesis_examples/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

/// Every hunt uses this seed, so every run finds the same counterexamples.
pub(super) const SEED: u64 = 0x5EED_F00D;

/// Enough cases for any planted bug to be found: the hunt stops at the
/// first failure, so this bounds the search, not its cost.
pub(super) const HUNT_CASES: u32 = 100_000;

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    strategies(n)?;
    round_trips(n)?;
    model_test(n)?;
    let lru_hunt = planted_bugs(n)?;
    random_bytes(n, &lru_hunt)?;
    Ok(())
}

/// One value of `strategy`, drawn from the seeded generator.
fn draw<S: Strategy>(strategy: &S, seed: u64) -> anyhow::Result<S::Value> {
    let mut runner = TestRunner::new_with_rng(Config::default(), seeded_rng(seed));
    let tree = strategy
        .new_tree(&mut runner)
        .map_err(|reason| anyhow!("drawing a value: {reason}"))?;
    Ok(tree.current())
}

/// `count` values of `strategy` from one seeded runner.
fn draw_many<S: Strategy>(strategy: &S, count: usize) -> anyhow::Result<Vec<S::Value>> {
    let config = Config {
        max_local_rejects: u32::MAX,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, seeded_rng(SEED));
    (0..count)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|tree| tree.current())
                .map_err(|reason| anyhow!("drawing a value: {reason}"))
        })
        .collect()
}

fn strategies(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Strategies: composed, recursive, filtered vs mapped");
    n.say(
        "A strategy is a value that generates values and knows how to shrink them. A \
         recursive one (`prop_recursive`) draws JSON documents; a composed one draws a field \
         count, then CSV records exactly that wide. One of each, from the demo's seed:",
    );
    n.show(draw(&json_value(), SEED)?);
    n.show(format!("{:?}", draw(&csv_records(), SEED)?));

    let cases = n.mode().pick(200, 2_000);
    let filter_count = DrawCount::default();
    let filtered = draw_many(&sorted_by_filter(&filter_count), cases)?;
    let mapped = draw_many(&sorted_by_map(), cases)?;
    anyhow::ensure!(
        filtered.iter().chain(&mapped).all(|v| v.is_sorted()),
        "both strategies must yield sorted vectors"
    );
    n.say(&format!(
        "{cases} sorted vectors of 2 to 7 bytes, two ways: `prop_filter(is_sorted)` draws any \
         vector and throws away the unsorted ones (Hypothesis's `.filter`); \
         `prop_map(sort)` sorts what it drew."
    ));
    let draws = n.compare(
        &format!("vectors drawn to get {cases} sorted ones"),
        cases as f64,
        filter_count.drawn() as f64,
        "prop_filter",
        Unit::Count,
    );
    if draws.verdict == Verdict::Better {
        n.say(
            "Every draw the filter rejected was generated and then thrown away; proptest \
             aborts the test once a run rejects too many (65 536 by default), where \
             Hypothesis's `filter_too_much` health check fails a test whose early draws \
             are mostly rejected.",
        );
    }
    let long_share = |v: &[Vec<u8>]| {
        100.0 * v.iter().filter(|x| x.len() >= 4).count() as f64 / v.len().max(1) as f64
    };
    let share = n.compare(
        "share of the sorted vectors with 4 bytes or more",
        long_share(&mapped),
        long_share(&filtered),
        "prop_filter",
        Unit::Percent,
    );
    if share.verdict == Verdict::Better {
        n.say(
            "The filter also skews what survives: a long vector is rarely sorted by chance, so \
             the kept ones are mostly short, and a bug that needs four sorted bytes is rarely \
             tried.",
        );
    }
    let timing_count = DrawCount::default();
    let by_filter = sorted_by_filter(&timing_count);
    let by_map = sorted_by_map();
    let timed = n.compare_timed(
        "one sorted Vec<u8> generated: prop_map(sort) vs prop_filter(is_sorted)",
        cases as u64,
        || draw_many(&by_map, cases).map(|v| v.len()).unwrap_or(0),
        "prop_filter",
        || draw_many(&by_filter, cases).map(|v| v.len()).unwrap_or(0),
    );
    n.say(&match timed.verdict {
        Verdict::Better => format!(
            "Mapping is {} per vector: the filter pays for the draws it throws away.",
            timed.faster_or_slower()
        ),
        Verdict::Worse => format!(
            "Mapping came out {} here: sorting costs more than the rejected draws on this run.",
            timed.faster_or_slower()
        ),
        Verdict::Tie { within } => {
            format!("No difference this run can see (±{:.0} %).", within * 100.0)
        }
        _ => "Too few samples for a verdict in this mode.".to_owned(),
    });
    Ok(())
}

/// Runs a property that must hold; its counterexample is a real bug.
fn must_hold<T: Debug>(n: &mut Narrator, label: &str, result: Hunt<T>) -> anyhow::Result<u64> {
    match result.outcome {
        Outcome::Held { cases } => Ok(n.record_count(label, cases)),
        Outcome::Falsified { minimal, reason } => {
            bail!("{label}: a real counterexample, {minimal:?}: {reason}")
        }
        Outcome::GaveUp { reason } => bail!("{label}: the run gave up: {reason}"),
    }
}

fn round_trips(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Round trips: the streaming parsers against serde_json and csv");
    let cases = n.mode().pick(48, 256);
    n.say(
        "`serde_json` writes a generated document, the interview crate's JsonParser reads it \
         back cut into chunks at generated points, and the events must rebuild the same \
         value; likewise the `csv` crate's writer and our CsvParser, field for field.",
    );
    let cuts = || vec(any::<Index>(), 0..4);
    let json = hunt(&(json_value(), cuts()), SEED, cases, |(value, cuts)| {
        json_round_trip(&value, &cuts)
    });
    must_hold(n, "JSON documents round-tripped in chunks", json)?;
    let csv = hunt(&(csv_records(), cuts()), SEED, cases, |(records, cuts)| {
        csv_round_trip(&records, &cuts)
    });
    must_hold(n, "CSV documents round-tripped in chunks", csv)?;
    Ok(())
}

fn model_test(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("A model-based test: LruCache against a Vec in recency order");
    n.say(
        "Each case is a capacity and up to 40 gets, puts and removes on a few keys; the driver \
         runs them on the interview crate's LruCache and on a Vec kept most-recent-first, and \
         compares every answer. Every operation is valid in every state, so a plain Vec of \
         operations shrinks well and proptest-state-machine would add nothing.",
    );
    let cases = n.mode().pick(64, 512);
    let result = hunt(&scenario(), SEED, cases, |s| {
        check_against_model(&s, new_lru)
    });
    must_hold(n, "operation sequences agreeing with the model", result)?;
    Ok(())
}

/// Prints what a hunt for a planted bug found; fails if it found nothing.
fn report<T>(
    n: &mut Narrator,
    bug: &str,
    result: &Hunt<T>,
    show: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    let Outcome::Falsified { minimal, reason } = &result.outcome else {
        bail!("the planted bug `{bug}` was not found: the demo's strategy lost its power");
    };
    n.say(&format!("Minimal counterexample: {}", show(minimal)));
    n.show(reason);
    n.record_count(
        &format!("{bug}: cases until the first failure"),
        result.cases_until_failure,
    );
    n.record_count(&format!("{bug}: shrinking steps"), result.shrink_steps);
    n.record_duration(&format!("{bug}: time to find"), result.time_to_find);
    n.record_duration(&format!("{bug}: time to shrink"), result.time_to_shrink);
    Ok(())
}

fn planted_bugs(n: &mut Narrator) -> anyhow::Result<Hunt<Scenario>> {
    n.section("Shrinking, live: three planted bugs");
    let cases = n.mode().pick(64, 512);

    n.say(
        "1. A range check with `<=` for `<` (Span::contains_broken). Offsets are drawn near the \
         span, from 0 to a few past its end:",
    );
    let fixed = hunt(&probe(), SEED, cases, |p| p.check(super::Span::contains));
    must_hold(n, "span: probes the fixed check passes", fixed)?;
    let off_by_one = hunt(&probe(), SEED, HUNT_CASES, |p| {
        p.check(super::Span::contains_broken)
    });
    report(n, "span", &off_by_one, |p| p.to_string())?;
    let uniform_cases = n.mode().pick(2_000, 20_000);
    let uniform = hunt(&probe_uniform(), SEED, uniform_cases, |p| {
        p.check(super::Span::contains_broken)
    });
    match uniform.outcome {
        Outcome::Held { cases } => {
            n.record_count("span, offsets drawn uniformly: cases, all passing", cases);
            n.say(
                "The same broken check with every number drawn uniformly: not one case lands \
                 on the boundary. Hypothesis tries 0, ±1 and the limits on purpose; with \
                 proptest, the strategy has to make the boundary likely.",
            );
        }
        _ => n.say("The uniform strategy happened to hit the boundary on this seed."),
    }

    n.say(
        "2. An LRU whose get forgets to refresh (LruCacheBroken): each answer is right, only \
         a later eviction is wrong.",
    );
    let lru = hunt(&scenario(), SEED, HUNT_CASES, |s| {
        check_against_model(&s, new_lru_broken)
    });
    report(n, "lru", &lru, |s| s.to_string())?;

    n.say(
        "3. An unescaper that looks for an escape's second half only in the current chunk \
         (unescape_chunks_broken). The property: any string, JSON-encoded by serde_json and \
         cut anywhere, decodes to itself.",
    );
    let fixed = hunt(&chunked_string(), SEED, cases, |s| {
        decodes_to_itself(&s, unescape_chunks)
    });
    must_hold(n, "unescape: cut strings the fixed decoder reads", fixed)?;
    let escape = hunt(&chunked_string(), SEED, HUNT_CASES, |s| {
        decodes_to_itself(&s, unescape_chunks_broken)
    });
    report(n, "unescape", &escape, |s| {
        let encoded = s.encoded();
        let chunks: Vec<String> = split_at(encoded.as_bytes(), &s.cuts)
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "the string {:?}, encoded and fed as the chunks {chunks:?}",
            s.text
        )
    })?;
    Ok(lru)
}

/// The property of the third bug: the string, JSON-encoded and cut where
/// `s.cuts` say, decodes to itself.
pub(super) fn decodes_to_itself(
    s: &ChunkedString,
    decoder: fn(&[Vec<u8>]) -> Result<String, UnescapeError>,
) -> Result<(), String> {
    let encoded = s.encoded();
    let chunks: Vec<Vec<u8>> = split_at(encoded.as_bytes(), &s.cuts)
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    match decoder(&chunks) {
        Ok(text) if text == s.text => Ok(()),
        Ok(text) => Err(format!("decoded {text:?}, expected {:?}", s.text)),
        Err(e) => Err(format!("{e} (expected {:?})", s.text)),
    }
}

fn random_bytes(n: &mut Narrator, proptest: &Hunt<Scenario>) -> anyhow::Result<()> {
    n.section("The same generator, fuzzer style: random bytes through `arbitrary`");
    n.say(
        "`Scenario` also implements `arbitrary::Arbitrary`: any byte string becomes a scenario. \
         That is the whole of a cargo-fuzz target, where libFuzzer mutates the bytes towards \
         new branches (cargo fuzz needs a nightly toolchain):",
    );
    n.show("fuzz_target!(|s: Scenario| { check_against_model(&s, new_lru).unwrap() });");
    n.say(
        "On stable, the demo feeds the same generator 64-byte buffers from the seeded \
         generator: random testing, without the coverage guidance or the shrinking.",
    );
    let mut rng = seeded_rng(SEED);
    let mut buffer = [0_u8; 64];
    let passing = n.mode().pick(256, 2_048);
    for _ in 0..passing {
        rng.fill_bytes(&mut buffer);
        let scenario = Scenario::from_bytes(&buffer).context("reading a scenario from bytes")?;
        check_against_model(&scenario, new_lru)
            .with_context(|| format!("the real LruCache failed on {scenario}"))?;
    }
    n.record_count("random buffers the real LruCache passes", passing);
    let mut rng = seeded_rng(SEED);
    let found = (1..=u64::from(HUNT_CASES)).find_map(|i| {
        rng.fill_bytes(&mut buffer);
        let scenario = Scenario::from_bytes(&buffer).ok()?;
        check_against_model(&scenario, new_lru_broken)
            .err()
            .map(|_| (i, scenario))
    });
    let Some((buffers, scenario)) = found else {
        bail!("random bytes never hit the LRU refresh bug in {HUNT_CASES} buffers");
    };
    let Outcome::Falsified { minimal, .. } = &proptest.outcome else {
        bail!("proptest did not find the LRU refresh bug");
    };
    let hits = n.compare(
        "cases until the LRU refresh bug is hit",
        proptest.cases_until_failure as f64,
        buffers as f64,
        "random bytes",
        Unit::Count,
    );
    n.say(&format!(
        "proptest needed {}: its strategy draws up to 40 operations on six keys, while \
         64 random bytes decode to a shorter scenario, and nothing steers them towards the bug. \
         A coverage-guided fuzzer keeps the inputs that reached new branches and mutates \
         those; that feedback is what random bytes lack.",
        hits.in_words("fewer cases", "more cases"),
    ));
    let sizes = n.compare(
        "operations in the failing scenario reported",
        minimal.ops.len() as f64,
        scenario.ops.len() as f64,
        "random bytes, unshrunk",
        Unit::Count,
    );
    n.say(&format!("What random bytes report, unshrunk: {scenario}"));
    show_verdict(
        n,
        &sizes,
        "shrunk counterexample",
        "cargo fuzz tmin would shrink the bytes",
    );
    Ok(())
}

fn show_verdict(n: &mut Narrator, c: &mastery_kit::Comparison, ours: &str, remedy: impl Display) {
    n.say(&match c.verdict {
        Verdict::Better => format!(
            "The {ours} is {} to read; for a fuzzer's find, {remedy}.",
            c.in_words("easier", "harder")
        ),
        Verdict::Equal => format!("Both are the same size here; {remedy}."),
        _ => format!("Random bytes happened to give the smaller case; {remedy}."),
    });
}
