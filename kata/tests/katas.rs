//! The kata tests are real: the textbook passes every one, each planted
//! bug fails the test named for it with a message that says what was
//! expected, and the `todo!()` starter — compiled here from the very
//! template `mastery kata new` writes — fails every test with "not yet
//! implemented".

use mastery_kata::{
    KATAS, KitTest, Outcome, batching, broken, csv_parser, dag_order, lru_cache, retry_backoff,
    run_all, safe_counters, textbook,
};

/// Every test's outcome, as `name: ok` or `name: FAILED` lines, for a
/// failure message that shows the whole picture.
fn summary(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .map(|o| match &o.result {
            Ok(()) => format!("{}: ok", o.test),
            Err(message) => format!("{}: FAILED\n{message}", o.test),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_all_pass(kata: &str, tests: &[KitTest]) {
    let outcomes = run_all(tests);
    assert!(
        outcomes.iter().all(|o| o.result.is_ok()),
        "the textbook must pass kata {kata}:\n{}",
        summary(&outcomes)
    );
}

/// The `todo!()` starter: every kit test fails, each with "not yet
/// implemented".
fn assert_every_test_unfinished(outcomes: &[Outcome]) {
    for o in outcomes {
        assert!(
            o.result
                .as_ref()
                .is_err_and(|m| m.contains("not yet implemented")),
            "{}",
            summary(outcomes)
        );
    }
}

/// A planted bug: the kit test that must fail on it, and words its message
/// must contain.
struct Planted {
    bug: &'static str,
    tests: Vec<KitTest>,
    fails: &'static str,
    says: &'static [&'static str],
}

fn assert_caught(planted: &Planted) {
    let outcomes = run_all(&planted.tests);
    let outcome = outcomes
        .iter()
        .find(|o| o.test == planted.fails)
        .unwrap_or_else(|| panic!("no kit test named {}", planted.fails));
    let Err(message) = &outcome.result else {
        panic!(
            "{}: `{}` passed, but the bug must fail it:\n{}",
            planted.bug,
            planted.fails,
            summary(&outcomes)
        );
    };
    for words in planted.says {
        assert!(
            message.contains(words),
            "{}: the message of `{}` lacks {words:?}:\n{message}",
            planted.bug,
            planted.fails
        );
    }
}

#[test]
fn the_textbook_passes_every_lru_cache_test() {
    assert_all_pass("lru-cache", &lru_cache::tests::<textbook::TextbookLru>());
}

#[test]
fn each_planted_lru_cache_bug_fails_its_test_with_a_clear_message() {
    let planted = [
        Planted {
            bug: "get does not refresh",
            tests: lru_cache::tests::<broken::LruGetDoesNotRefresh>(),
            fails: "get_refreshes_recency",
            says: &[
                "expected: `c.put(3, 30)` returns Some((2, 20))",
                "got:      Some((1, 10))",
                "c.get(&1);",
            ],
        },
        Planted {
            bug: "evicts the newest",
            tests: lru_cache::tests::<broken::LruEvictsTheNewest>(),
            fails: "eviction_reports_the_least_recently_used_entry",
            says: &[
                "`c.put(4, 40)` returns Some((1, 10))",
                "got:      Some((3, 30))",
            ],
        },
        Planted {
            bug: "re-put adds an entry",
            tests: lru_cache::tests::<broken::LruReputAddsAnEntry>(),
            fails: "put_of_a_present_key_replaces_and_refreshes",
            says: &["`c.put(1, 11)` returns Some((1, 10))", "got:      None"],
        },
    ];
    for p in &planted {
        assert_caught(p);
    }
    // The property test alone catches every one of them too, with a shrunk
    // replay that starts from a new cache.
    for p in &planted {
        let outcomes = run_all(&p.tests);
        let model = outcomes
            .iter()
            .find(|o| o.test == "behaves_like_the_vec_model")
            .expect("the model test is listed");
        let Err(message) = &model.result else {
            panic!("{}: the model test passed", p.bug);
        };
        assert!(
            message.contains("let mut c = Lru::new(") && message.contains("the Vec model"),
            "{}: {message}",
            p.bug
        );
    }
}

/// The template `mastery kata new lru-cache` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod lru_cache_starter {
    include!("../templates/lru_cache/lib.rs");

    /// The starter's `Lru` at every key and value type.
    pub struct Family;

    impl mastery_kata::lru_cache::LruFamily for Family {
        type Of<K: Hash + Eq + Clone, V> = Lru<K, V>;
    }
}

#[test]
fn the_lru_cache_starter_fails_every_test_with_not_yet_implemented() {
    let outcomes = run_all(&lru_cache::tests::<lru_cache_starter::Family>());
    assert_every_test_unfinished(&outcomes);
}

/// `kata_tests!` as a reader's `tests/kata.rs` uses it, on the textbook:
/// these `#[test]`s pass.
mod textbook_through_the_macro {
    mastery_kata::kata_tests!(lru_cache, mastery_kata::textbook::SimpleLru);
}

#[test]
fn the_textbook_passes_every_dag_order_test() {
    assert_all_pass("dag-order", &dag_order::tests::<textbook::TextbookOrder>());
}

#[test]
fn each_planted_dag_order_bug_fails_its_test_with_a_clear_message() {
    let planted = [
        Planted {
            bug: "cycle path not closed",
            tests: dag_order::tests::<broken::dag_order::CyclePathNotClosed>(),
            fails: "a_self_dependency_is_a_cycle",
            says: &[
                "expected: Err(a cycle as a closed path",
                "got:      Err([2]): the path must start and end at the same task",
                "order(3, &[(0, 1), (2, 2)])",
            ],
        },
        Planted {
            bug: "order reversed",
            tests: dag_order::tests::<broken::dag_order::OrderReversed>(),
            fails: "a_chain_comes_out_in_order",
            says: &[
                "got:      Ok([3, 2, 1, 0]): task 1 comes before task 0, but the edge (0, 1) puts 0 first",
            ],
        },
        Planted {
            bug: "isolated tasks left out",
            tests: dag_order::tests::<broken::dag_order::IsolatedTasksLeftOut>(),
            fails: "tasks_without_edges_are_all_ordered",
            says: &[
                "got:      Ok([]): task 0 is missing from the order",
                "order(1, &[])",
            ],
        },
    ];
    for p in &planted {
        assert_caught(p);
        let outcomes = run_all(&p.tests);
        let property = outcomes
            .iter()
            .find(|o| o.test == "any_graph_gets_a_right_answer")
            .expect("the property test is listed");
        assert!(
            property.result.is_err(),
            "{}: the property test passed",
            p.bug
        );
    }
}

/// The template `mastery kata new dag-order` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod dag_order_starter {
    include!("../templates/dag_order/lib.rs");

    /// The starter's `order` as the kata's implementation.
    pub struct Starter;

    impl mastery_kata::dag_order::DagOrderKata for Starter {
        fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
            order(n, edges)
        }
    }
}

#[test]
fn the_dag_order_starter_fails_every_test_with_not_yet_implemented() {
    let outcomes = run_all(&dag_order::tests::<dag_order_starter::Starter>());
    assert_every_test_unfinished(&outcomes);
}

/// The long test, which `tests/long_chain.rs` of the starter runs in a
/// binary of its own: the textbook (Kahn's order, a loop, no recursion)
/// passes it; an order that is right on small graphs but not the chain's
/// one order fails it with a short message.
#[test]
fn the_textbook_passes_the_long_dag_order_test_and_a_reversed_order_fails_it() {
    assert_eq!(
        dag_order::a_long_chain_and_a_long_cycle::<textbook::TextbookOrder>(),
        Ok(())
    );
    let failure = dag_order::a_long_chain_and_a_long_cycle::<broken::dag_order::OrderReversed>()
        .expect_err("a reversed order");
    let text = failure.to_string();
    assert!(
        text.contains("expected: Ok([0, 1, …, 99999]): a chain has exactly one order")
            && text.contains("got:      Ok(an order of 100000 tasks): task 99999 at index 0")
            && text.contains("order(100000, &edges)"),
        "{text}"
    );
    assert!(
        text.len() < 2000,
        "the message stays short: {} bytes",
        text.len()
    );
}

/// `kata_tests!` for dag-order, on the textbook: these `#[test]`s pass.
mod dag_order_textbook_through_the_macro {
    mastery_kata::kata_tests!(dag_order, mastery_patterns::mini_dag::simple_order);
}

/// The long test's macro arm, on the textbook.
mod dag_order_long_textbook_through_the_macro {
    mastery_kata::kata_tests!(dag_order_long, mastery_patterns::mini_dag::simple_order);
}

#[test]
fn the_textbook_passes_every_safe_counters_test() {
    assert_all_pass(
        "safe-counters",
        &safe_counters::tests::<textbook::MutexCounter>(),
    );
}

#[test]
fn each_planted_safe_counters_bug_fails_its_test_with_a_clear_message() {
    let planted = [
        Planted {
            bug: "racy load then store",
            tests: safe_counters::tests::<broken::safe_counters::RacyLoadThenStore>(),
            fails: "every_add_counts_at_1_2_and_4_threads",
            says: &[
                "expected: total() = 20000 after 2 threads × 10000 adds: every add counted once",
                "adds lost",
                "2 threads, released together",
            ],
        },
        Planted {
            bug: "add ignores n",
            tests: safe_counters::tests::<broken::safe_counters::AddIgnoresN>(),
            fails: "add_counts_its_argument",
            says: &[
                "expected: total() = 1099511628782: the sum of the adds",
                "got:      total() = 5",
                "h.add(1000);",
            ],
        },
        Planted {
            bug: "handle does not flush on drop",
            tests: safe_counters::tests::<broken::safe_counters::HandleDoesNotFlushOnDrop>(),
            fails: "a_dropped_handle_flushes_its_adds",
            says: &[
                "expected: total() = 3: a dropped handle has flushed every add it made",
                "got:      total() = 0: adds held by a dropped handle were lost",
                "drop(h);",
            ],
        },
    ];
    for p in &planted {
        assert_caught(p);
    }
}

/// The template `mastery kata new safe-counters` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod safe_counters_starter {
    include!("../templates/safe_counters/lib.rs");
}

#[test]
fn the_safe_counters_starter_fails_every_test_with_not_yet_implemented() {
    let outcomes = run_all(&safe_counters::tests::<safe_counters_starter::SafeCounter>());
    assert_every_test_unfinished(&outcomes);
}

/// `kata_tests!` for safe-counters, on the textbook: these `#[test]`s pass.
mod safe_counters_textbook_through_the_macro {
    mastery_kata::kata_tests!(safe_counters, mastery_kata::textbook::MutexCounter);
}

#[test]
fn the_textbook_passes_every_retry_backoff_test() {
    assert_all_pass(
        "retry-backoff",
        &retry_backoff::tests::<textbook::TextbookRetry>(),
    );
}

#[test]
fn each_planted_retry_backoff_bug_fails_its_test_with_a_clear_message() {
    let planted = [
        Planted {
            bug: "sleeps after the last failure",
            tests: retry_backoff::tests::<broken::retry_backoff::SleepsAfterTheLastFailure>(),
            fails: "gives_up_after_max_attempts_with_the_last_error",
            says: &[
                "expected: 4 call(s), slept [100ms, 200ms, 400ms], returned Err(RetryError { attempts: 4, reason: Exhausted, last: 4 })",
                "got:      4 call(s), slept [100ms, 200ms, 400ms, 800ms]",
                "retry(&policy, SmallRng::seed_from_u64(7), |d| slept.push(d), op)",
            ],
        },
        Planted {
            bug: "no cap",
            tests: retry_backoff::tests::<broken::retry_backoff::NoCap>(),
            fails: "delays_grow_by_the_factor_up_to_the_cap",
            says: &[
                "never above max_delay",
                "slept [100ms, 200ms, 400ms, 800ms, 1.6s, 3.2s]",
                ".max_delay(1s)",
            ],
        },
        Planted {
            bug: "returns the first error",
            tests: retry_backoff::tests::<broken::retry_backoff::ReturnsTheFirstError>(),
            fails: "gives_up_after_max_attempts_with_the_last_error",
            says: &["the 4th call's error", "last: 1 })"],
        },
    ];
    for p in &planted {
        assert_caught(p);
    }
    // The property test against retry_simple catches every one of them too.
    for p in &planted {
        let outcomes = run_all(&p.tests);
        let property = outcomes
            .iter()
            .find(|o| o.test == "behaves_like_retry_simple")
            .expect("the property test is listed");
        assert!(
            property
                .result
                .as_ref()
                .is_err_and(|m| m.contains("(the lesson's retry_simple)")),
            "{}: {:?}",
            p.bug,
            property.result
        );
    }
}

/// The template `mastery kata new retry-backoff` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod retry_backoff_starter {
    include!("../templates/retry_backoff/lib.rs");
}

#[test]
fn the_retry_backoff_starter_fails_every_test_with_not_yet_implemented() {
    mod entry {
        mastery_kata::__kata_retry_entry!(Starter, super::retry_backoff_starter::retry);
    }
    let outcomes = run_all(&retry_backoff::tests::<entry::Starter>());
    assert_every_test_unfinished(&outcomes);
}

/// `kata_tests!` for retry-backoff, on the textbook: these `#[test]`s pass.
mod retry_backoff_textbook_through_the_macro {
    mastery_kata::kata_tests!(
        retry_backoff,
        mastery_kata::textbook::retry_backoff_solution::retry
    );
}

mod batching_textbook {
    mastery_kata::__kata_batching_entry!(
        Textbook,
        mastery_kata::textbook::batching_solution::serve_batches
    );
}

#[test]
fn the_textbook_passes_every_batching_test() {
    assert_all_pass(
        "batching",
        &batching::tests::<batching_textbook::Textbook>(),
    );
}

#[test]
fn each_planted_batching_bug_fails_its_test_with_a_clear_message() {
    let planted = [
        Planted {
            bug: "deadline restarts per request",
            tests: batching::tests::<broken::batching::DeadlineRestartsPerRequest>(),
            fails: "the_deadline_counts_from_the_first_request",
            says: &[
                "expected: handler called with [0, 1] at 50ms, [2] at 110ms",
                "got:      handler called with [0, 1, 2] at 110ms",
                "requests 0 at 0ms, 1 at 30ms, 2 at 60ms",
            ],
        },
        Planted {
            bug: "one too many",
            tests: batching::tests::<broken::batching::OneTooMany>(),
            fails: "full_batches_go_at_once_and_hold_at_most_max_batch",
            says: &[
                "none holds more than max_batch",
                "got:      handler called with [0, 1, 2, 3] at 0ns",
            ],
        },
        Planted {
            bug: "drops the last batch on close",
            tests: batching::tests::<broken::batching::DropsTheLastBatchOnClose>(),
            fails: "closing_the_queue_flushes_what_is_queued_then_ends",
            says: &[
                "got:      no handler call; answers: caller 0 none",
                "drop(queue); // right after the last request is sent",
            ],
        },
    ];
    for p in &planted {
        assert_caught(p);
        let outcomes = run_all(&p.tests);
        let property = outcomes
            .iter()
            .find(|o| o.test == "forms_the_same_batches_as_the_lesson")
            .expect("the property test is listed");
        assert!(
            property.result.is_err(),
            "{}: the property test passed",
            p.bug
        );
    }
}

/// The template `mastery kata new batching` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod batching_starter {
    include!("../templates/batching/lib.rs");
}

#[test]
fn the_batching_starter_fails_every_test_with_not_yet_implemented() {
    mod entry {
        mastery_kata::__kata_batching_entry!(Starter, super::batching_starter::serve_batches);
    }
    let outcomes = run_all(&batching::tests::<entry::Starter>());
    assert_every_test_unfinished(&outcomes);
}

/// `kata_tests!` for batching, on the textbook: these `#[test]`s pass.
mod batching_textbook_through_the_macro {
    mastery_kata::kata_tests!(
        batching,
        mastery_kata::textbook::batching_solution::serve_batches
    );
}

#[test]
fn the_textbook_passes_every_csv_parser_test() {
    assert_all_pass(
        "csv-parser",
        &csv_parser::tests::<textbook::SimpleCsvParser>(),
    );
}

#[test]
fn each_planted_csv_parser_bug_fails_its_test_with_a_clear_message() {
    use broken::csv_parser::{
        AcceptsQuoteInUnquotedField, BrokenCsv, ForgetsStateBetweenChunks, KeepsDoubledQuotes,
    };
    let planted = [
        Planted {
            bug: "doubled quotes kept",
            tests: csv_parser::tests::<BrokenCsv<KeepsDoubledQuotes>>(),
            fails: "doubled_quotes_are_one_quote",
            says: &[
                r#"expected: b"\"say \"\"hi\"\"\"\n" fed whole: records [["say \"hi\""]], then Ok(())"#,
                r#"got:      records [["say \"\"hi\"\""]], then Ok(())"#,
                r#"p.feed(b"\"say \"\"hi\"\"\"\n", |r| records.push(r.to_vec()))?;"#,
            ],
        },
        Planted {
            bug: "state forgotten between chunks",
            tests: csv_parser::tests::<BrokenCsv<ForgetsStateBetweenChunks>>(),
            fails: "quoted_fields_hold_commas_and_line_ends",
            says: &[
                r#"fed as two chunks, cut after byte 3: records [["a", "b,c"]], then Ok(())"#,
                "got:      records [], then Err(QuoteInUnquotedField)",
                r#"p.feed(b"a,\"", |r| records.push(r.to_vec()))?;"#,
                r#"p.feed(b"b,c\"\n", |r| records.push(r.to_vec()))?;"#,
            ],
        },
        Planted {
            bug: "quote accepted in an unquoted field",
            tests: csv_parser::tests::<BrokenCsv<AcceptsQuoteInUnquotedField>>(),
            fails: "a_quote_inside_an_unquoted_field_is_an_error",
            says: &[
                r#"fed whole: records [["ok"]], then Err(QuoteInUnquotedField)"#,
                r#"got:      records [["ok"], ["ab\"c"]], then Ok(())"#,
            ],
        },
    ];
    for p in &planted {
        assert_caught(p);
        // The property test, against the textbook, catches each one too.
        let outcomes = run_all(&p.tests);
        let property = outcomes
            .iter()
            .find(|o| o.test == "any_input_any_cuts_reads_as_the_textbook")
            .expect("the property test is listed");
        let Err(message) = &property.result else {
            panic!("{}: the property test passed", p.bug);
        };
        assert!(
            message.contains("let mut p = Parser::new();")
                && message.contains("reads as the textbook SimpleCsvParser reads it whole"),
            "{}: {message}",
            p.bug
        );
    }
}

/// The template `mastery kata new csv-parser` writes as `src/lib.rs`.
#[allow(clippy::todo, dead_code, unused)]
mod csv_parser_starter {
    include!("../templates/csv_parser/lib.rs");
}

#[test]
fn the_csv_parser_starter_fails_every_test_with_not_yet_implemented() {
    let outcomes = run_all(&csv_parser::tests::<csv_parser_starter::Parser>());
    assert_every_test_unfinished(&outcomes);
}

/// `kata_tests!` for csv-parser, on the textbook: these `#[test]`s pass.
mod csv_parser_textbook_through_the_macro {
    mastery_kata::kata_tests!(csv_parser, mastery_kata::textbook::SimpleCsvParser);
}

#[test]
fn every_kata_is_listed_once_with_its_starter_files() {
    let mut ids: Vec<_> = KATAS.iter().map(|k| k.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), KATAS.len(), "duplicate ids");
    for kata in KATAS {
        assert!(kata.template.contains("todo!("), "{}", kata.id);
        for section in ["## The task", "## Constraints", "## Hints", "cargo test"] {
            assert!(kata.readme.contains(section), "{}: {section}", kata.id);
        }
        assert!(
            kata.ladder_main.contains("fn main")
                || kata
                    .ladder_main
                    .contains(&format!("kata_ladder!({}, ", kata.module)),
            "{}: the ladder binary has no main",
            kata.id
        );
    }
}
