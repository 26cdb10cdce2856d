//! The properties as `proptest!` tests, each planted bug caught and its fix
//! passing, the decoder's errors, and the demo in quick mode.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::demo::{HUNT_CASES, SEED, decodes_to_itself, demo};
use super::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    // ANCHOR: given
    #[test]
    fn json_documents_round_trip_through_the_streaming_parser(
        value in json_value(),
        cuts in vec(any::<Index>(), 0..4),
    ) {
        json_round_trip(&value, &cuts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    // ANCHOR_END: given

    #[test]
    fn csv_documents_round_trip_through_the_streaming_parser(
        records in csv_records(),
        cuts in vec(any::<Index>(), 0..4),
    ) {
        csv_round_trip(&records, &cuts).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn lru_cache_agrees_with_the_recency_model(s in scenario()) {
        check_against_model(&s, new_lru).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }

    #[test]
    fn the_fixed_range_check_agrees_with_range(p in probe()) {
        p.check(Span::contains).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn the_fixed_unescaper_reads_any_cut(s in chunked_string()) {
        let encoded = s.encoded();
        let chunks = split_at(encoded.as_bytes(), &s.cuts);
        prop_assert_eq!(unescape_chunks(&chunks), Ok(s.text.clone()));
    }

    #[test]
    fn split_at_keeps_every_byte_in_order(bytes in vec(any::<u8>(), 0..50), cuts in vec(any::<Index>(), 0..5)) {
        let chunks = split_at(&bytes, &cuts);
        prop_assert!(chunks.iter().all(|c| !c.is_empty()));
        prop_assert_eq!(chunks.concat(), bytes);
    }
}

fn minimal<T: std::fmt::Debug>(hunt: Hunt<T>) -> T {
    match hunt.outcome {
        Outcome::Falsified { minimal, .. } => minimal,
        other => panic!("the planted bug was not found: {other:?}"),
    }
}

#[test]
fn the_off_by_one_shrinks_to_the_empty_span_at_zero() {
    let found = minimal(hunt(&probe(), SEED, HUNT_CASES, |p| {
        p.check(Span::contains_broken)
    }));
    assert_eq!(
        found,
        Probe {
            span: Span { start: 0, len: 0 },
            offset: 0
        }
    );
}

#[test]
fn uniform_offsets_miss_the_off_by_one() {
    // A count, not a timing: 2 000 uniform cases, none on the boundary.
    let result = hunt(&probe_uniform(), SEED, 2_000, |p| {
        p.check(Span::contains_broken)
    });
    assert_eq!(result.outcome, Outcome::Held { cases: 2_000 });
}

#[test]
fn the_lru_refresh_bug_shrinks_to_four_operations() {
    let found = minimal(hunt(&scenario(), SEED, HUNT_CASES, |s| {
        check_against_model(&s, new_lru_broken)
    }));
    // Fill a cache of 2, read the older key, add a third: the broken cache
    // evicts the key it just read.
    assert_eq!(found.capacity, 2, "{found}");
    assert_eq!(found.ops.len(), 4, "{found}");
    assert!(matches!(found.ops[2], CacheOp::Get(_)), "{found}");
}

#[test]
fn the_chunk_boundary_bug_shrinks_to_one_escaped_character_cut_in_half() {
    let found = minimal(hunt(&chunked_string(), SEED, HUNT_CASES, |s| {
        decodes_to_itself(&s, unescape_chunks_broken)
    }));
    assert_eq!(found.text.chars().count(), 1, "{found:?}");
    let encoded = found.encoded();
    assert!(encoded.starts_with('\\'), "{found:?}");
    let chunks = split_at(encoded.as_bytes(), &found.cuts);
    assert_eq!(chunks[0], b"\\", "the cut falls right after the backslash");
}

#[test]
fn the_broken_lru_answers_every_single_call_right() {
    // Why a test of single calls misses it: only the eviction order is off.
    let mut broken = new_lru_broken(2);
    assert_eq!(broken.put(1, 10), None);
    assert_eq!(broken.get(1), Some(10));
    assert_eq!(broken.remove(1), Some(10));
    assert_eq!(broken.get(1), None);
}

#[test]
fn random_bytes_always_make_a_scenario() {
    for bytes in [&[][..], &[0xFF; 3], &[7; 64]] {
        let s = Scenario::from_bytes(bytes).expect("any bytes make a scenario");
        assert!((1..=MAX_CAPACITY).contains(&s.capacity));
        assert!(s.ops.iter().all(|op| match *op {
            CacheOp::Get(k) | CacheOp::Remove(k) | CacheOp::Put(k, _) => k < KEYS,
        }));
    }
}

#[test]
fn the_decoder_names_what_is_wrong_and_where() {
    let cases: [(&[&[u8]], UnescapeError); 4] = [
        (
            &[b"ab\\q"],
            UnescapeError::UnknownEscape {
                offset: 3,
                found: 'q',
            },
        ),
        (
            &[b"\\u00", b"g0"],
            UnescapeError::BadHexDigit {
                offset: 4,
                found: 'g',
            },
        ),
        (
            &[b"x\\uD800"],
            UnescapeError::Surrogate {
                offset: 1,
                code: 0xD800,
            },
        ),
        (&[b"ab\\"], UnescapeError::Unfinished { offset: 3 }),
    ];
    for (chunks, expected) in cases {
        assert_eq!(unescape_chunks(chunks), Err(expected.clone()));
        assert!(expected.to_string().contains("byte"), "{expected}");
    }
}

#[test]
fn a_filter_draws_more_than_it_keeps() {
    let count = DrawCount::default();
    let strategy = sorted_by_filter(&count);
    let mut runner = proptest::test_runner::TestRunner::new_with_rng(
        ProptestConfig::default(),
        seeded_rng(SEED),
    );
    for _ in 0..100 {
        let tree = strategy.new_tree(&mut runner).expect("a sorted vector");
        assert!(proptest::strategy::ValueTree::current(&tree).is_sorted());
    }
    assert!(
        count.drawn() > 200,
        "only {} draws for 100 kept",
        count.drawn()
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("testing/hypothesis-examples", demo);
    for label in [
        "cases until the LRU refresh bug is hit",
        "operations in the failing scenario reported",
    ] {
        assert!(
            n.comparisons().iter().any(|c| c.label == label),
            "missing comparison {label}"
        );
    }
    assert!(
        n.recorded("unescape: cases until the first failure")
            .is_some()
    );
}
