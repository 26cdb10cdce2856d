//! # mastery-kata — practise an interview component against the kit's tests
//!
//! A kata is a trait the reader implements, the kit's own tests for it and
//! a ladder to place the reader's code on. `mastery kata new lru-cache DIR`
//! writes a starter crate that depends on this one: its `src/lib.rs` has
//! the API with `todo!()` bodies, its `tests/kata.rs` is one line,
//! `mastery_kata::kata_tests!(lru_cache, kata_lru_cache::Lru);`, which
//! writes one `#[test]` per kit test, so `cargo test` lists them by name and
//! a failure says what was expected, what came, and the calls that
//! reproduce it ([`KataFailure`]).
//!
//! The tests are shown to be real (`tests/katas.rs`): the lesson's textbook
//! code passes them all ([`textbook`]), each planted bug ([`broken`]) fails
//! the test named for it, and the starter template fails every test with
//! "not yet implemented".
//!
//! # Layout
//! - [`failure`] — [`KataFailure`] (the message), [`KitTest`], [`run_all`].
//! - [`lru_cache`] — kata `lru-cache`: [`lru_cache::LruKata`], its tests.
//! - [`dag_order`] — kata `dag-order`: `order(n, edges)`, its tests.
//! - [`safe_counters`] — kata `safe-counters`:
//!   [`safe_counters::CounterKata`], its tests (the interview's `hammer`).
//! - [`retry_backoff`] — kata `retry-backoff`: `retry(policy, rng, sleep,
//!   op)`, its tests (exact schedules, jitter bounds and means, a property
//!   test against the lesson's `retry_simple`).
//! - [`batching`] — kata `batching`: `serve_batches(queue, max_batch,
//!   max_wait, handler)`, its tests (schedules on tokio's paused clock, a
//!   property test against the lesson's `serve_batches_simple`).
//! - [`csv_parser`] — kata `csv-parser`: [`csv_parser::CsvKata`], its
//!   tests (edge tables, the conformance cases, a property test).
//! - [`textbook`] — the kit's textbook answers with each kata's trait.
//! - [`broken`] — the planted bugs, three per kata.
//! - [`KATAS`] — the catalogue `mastery kata list` prints and `mastery
//!   kata new` writes starters from (`templates/`, `solutions/`).

#![forbid(unsafe_code)]

pub mod batching;
pub mod broken;
pub mod csv_parser;
pub mod dag_order;
pub mod failure;
pub mod lru_cache;
pub mod retry_backoff;
pub mod safe_counters;
pub mod textbook;

pub use failure::{KataFailure, KitTest, Outcome, run_all, run_or_panic};

/// One kata: what `mastery kata list` shows and what `mastery kata new`
/// writes.
#[derive(Debug, Clone, Copy)]
pub struct Kata {
    /// The id the reader types: `lru-cache`.
    pub id: &'static str,
    /// Its module here and its first argument to [`kata_tests!`]: `lru_cache`.
    pub module: &'static str,
    /// The item the starter's `tests/kata.rs` hands to [`kata_tests!`]:
    /// `Lru` (a type) or `order` (a function).
    pub entry: &'static str,
    /// One line: the component.
    pub title: &'static str,
    /// What the reader implements.
    pub implement: &'static str,
    /// The kit's textbook answer (what `--solution` writes).
    pub textbook: &'static str,
    /// The ladder `mastery kata check` places the reader's code on.
    pub ladder: &'static str,
    /// The starter's `src/lib.rs`: the API with `todo!()` bodies.
    pub template: &'static str,
    /// The starter's `README.md`: task, constraints, hints.
    pub readme: &'static str,
    /// The starter's `src/bin/ladder.rs`.
    pub ladder_main: &'static str,
    /// A test file of its own (`tests/<name>`, its text), for a test that
    /// may abort its binary (a stack overflow) and so must not share one
    /// with the others.
    pub own_binary_test: Option<(&'static str, &'static str)>,
    /// The textbook as a starter's `src/lib.rs`: [`Kata::solution`].
    solution: Solution,
}

/// How the textbook becomes a pasteable `src/lib.rs`: the imports it needs,
/// the lesson's own code (an anchored region of the kit's source) and the
/// kata's trait for it (`solutions/<id>.rs`, also compiled into
/// [`textbook`]).
#[derive(Debug, Clone, Copy)]
struct Solution {
    head: &'static str,
    lesson_source: &'static str,
    anchor: &'static str,
    trait_impl: &'static str,
}

impl Kata {
    /// The textbook answer as the starter's `src/lib.rs`: the lesson's code
    /// itself, so the pasted code *is* what the lesson teaches.
    ///
    /// # Panics
    /// When the lesson lost its anchor: a kit bug that `tests/katas.rs`
    /// catches.
    pub fn solution(&self) -> String {
        let s = &self.solution;
        let lesson = anchored(s.lesson_source, s.anchor).unwrap_or_else(|| {
            panic!(
                "the lesson of kata {} has no `ANCHOR: {}`",
                self.id, s.anchor
            )
        });
        format!("{}\n{}\n{}", s.head, lesson.trim_end(), s.trait_impl)
    }
}

/// The lines between `// ANCHOR: name` and `// ANCHOR_END: name`.
fn anchored<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    let start_marker = format!("// ANCHOR: {name}\n");
    let end_marker = format!("// ANCHOR_END: {name}");
    let start = source.find(&start_marker)? + start_marker.len();
    let end = start + source[start..].find(&end_marker)?;
    Some(&source[start..end])
}

/// Every kata, in the order `mastery kata list` prints them.
pub const KATAS: &[Kata] = &[
    Kata {
        id: "lru-cache",
        module: "lru_cache",
        entry: "Lru",
        title: "LRU cache with O(1) get and put",
        implement: "LruKata<K, V> for your Lru<K, V>: new, get, put, len",
        textbook: "SimpleLru (interview/lru-cache): HashMap of keys to slots, slots linked by index",
        ladder: "the interview/lru-cache ladder, textbook to the lru crate",
        template: include_str!("../templates/lru_cache/lib.rs"),
        readme: include_str!("../templates/lru_cache/README.md"),
        ladder_main: include_str!("../templates/lru_cache/ladder.rs"),
        own_binary_test: None,
        solution: Solution {
            head: "// The kit's textbook answer: interview/src/lru_cache/mod.rs, `ANCHOR: core`,\n\
               // then the kata's trait for it (kata/solutions/lru_cache.rs).\n\n\
               use std::collections::HashMap;\nuse std::hash::{BuildHasher, Hash, RandomState};\nuse std::mem;\n\
               use std::num::NonZeroUsize;\n\n\
               pub use mastery_kata::lru_cache::{CapacityError, LruKata};\n\n\
               /// The name the kit's tests and ladder use.\n\
               pub type Lru<K, V> = SimpleLru<K, V>;\n",
            lesson_source: include_str!("../../interview/src/lru_cache/mod.rs"),
            anchor: "core",
            trait_impl: include_str!("../solutions/lru_cache.rs"),
        },
    },
    Kata {
        id: "dag-order",
        module: "dag_order",
        entry: "order",
        title: "Order tasks by their dependencies, or return a cycle as a path",
        implement: "fn order(n, edges) -> Result<Vec<usize>, Vec<usize>>",
        textbook: "simple_order (patterns/mini-dag): Kahn's order, then a walk back to a cycle",
        ladder: "none yet: patterns/mini-dag has no ladder (the check says so)",
        template: include_str!("../templates/dag_order/lib.rs"),
        readme: include_str!("../templates/dag_order/README.md"),
        ladder_main: include_str!("../templates/dag_order/ladder.rs"),
        own_binary_test: Some((
            "long_chain.rs",
            "//! The kit's long test for kata dag-order, in a binary of its own: a\n\
             //! recursive answer overflows the stack here, which aborts this binary\n\
             //! and leaves `tests/kata.rs`'s report intact.\n\n\
             mastery_kata::kata_tests!(dag_order_long, kata_dag_order::order);\n",
        )),
        solution: Solution {
            head: "// The kit's textbook answer: patterns/src/mini_dag/simple_order.rs,\n\
               // `ANCHOR: simple_order`, then the kata's entry point for it\n\
               // (kata/solutions/dag_order.rs).\n\n\
               use std::collections::VecDeque;\n",
            lesson_source: include_str!("../../patterns/src/mini_dag/simple_order.rs"),
            anchor: "simple_order",
            trait_impl: include_str!("../solutions/dag_order.rs"),
        },
    },
    Kata {
        id: "safe-counters",
        module: "safe_counters",
        entry: "SafeCounter",
        title: "A counter many threads add to, with no add lost",
        implement: "CounterKata for your SafeCounter: new, handle, total; KataHandle: add",
        textbook: "MutexCounter (interview/safe-counters): Mutex<u64>, each thread adds through &counter",
        ladder: "the interview/safe-counters ladder, Mutex to per-thread batches, on 2 threads",
        template: include_str!("../templates/safe_counters/lib.rs"),
        readme: include_str!("../templates/safe_counters/README.md"),
        ladder_main: include_str!("../templates/safe_counters/ladder.rs"),
        own_binary_test: None,
        solution: Solution {
            head: "// The kit's textbook answer: interview/src/safe_counters/locks.rs,\n\
               // `ANCHOR: mutex_counter`, then the kata's trait for it\n\
               // (kata/solutions/safe_counters.rs).\n\n\
               use std::sync::{Mutex, PoisonError};\n\n\
               pub use mastery_kata::safe_counters::{CounterKata, KataHandle};\n\n\
               /// The name the kit's tests use.\n\
               pub type SafeCounter = MutexCounter;\n",
            lesson_source: include_str!("../../interview/src/safe_counters/locks.rs"),
            anchor: "mutex_counter",
            trait_impl: include_str!("../solutions/safe_counters.rs"),
        },
    },
    Kata {
        id: "retry-backoff",
        module: "retry_backoff",
        entry: "retry",
        title: "Retry a flaky call with exponential backoff and jitter",
        implement: "fn retry(policy, rng, sleep, op) -> Result<O, RetryError<E>>, schedule included",
        textbook: "retry_simple (interview/retry-backoff): one loop over the policy's delays",
        ladder: "the interview/retry-backoff ladder, retry_simple to backon, on two paths",
        template: include_str!("../templates/retry_backoff/lib.rs"),
        readme: include_str!("../templates/retry_backoff/README.md"),
        ladder_main: include_str!("../templates/retry_backoff/ladder.rs"),
        own_binary_test: None,
        solution: Solution {
            head: "// The kit's textbook answer: interview/src/retry_backoff/mod.rs, `ANCHOR: core`,\n\
               // then the kata's entry point for it (kata/solutions/retry_backoff.rs).\n\
               // Its schedule is the kit's own `Backoff::delays`.\n\n\
               use std::time::Duration;\n\n\
               pub use mastery_kata::retry_backoff::{Backoff, Jitter, RetryError, RngCore, StopReason};\n",
            lesson_source: include_str!("../../interview/src/retry_backoff/mod.rs"),
            anchor: "core",
            trait_impl: include_str!("../solutions/retry_backoff.rs"),
        },
    },
    Kata {
        id: "batching",
        module: "batching",
        entry: "serve_batches",
        title: "Collect requests into batches by size or deadline, answer each caller",
        implement: "async fn serve_batches(queue, max_batch, max_wait, handler)",
        textbook: "serve_batches_simple (interview/batching-service): one loop, timeout per take",
        ladder: "the interview/batching-service overhead ladder, one call per request to the Batcher",
        template: include_str!("../templates/batching/lib.rs"),
        readme: include_str!("../templates/batching/README.md"),
        ladder_main: include_str!("../templates/batching/ladder.rs"),
        own_binary_test: None,
        solution: Solution {
            head: "// The kit's textbook answer: interview/src/batching_service/mod.rs, `ANCHOR: core`,\n\
               // then the kata's entry point for it (kata/solutions/batching.rs).\n\n\
               use std::future::Future;\nuse std::time::Duration;\n\n\
               use mastery_kata::batching::tokio;\nuse tokio::sync::{mpsc, oneshot};\nuse tokio::time::Instant;\n",
            lesson_source: include_str!("../../interview/src/batching_service/mod.rs"),
            anchor: "core",
            trait_impl: include_str!("../solutions/batching.rs"),
        },
    },
    Kata {
        id: "csv-parser",
        module: "csv_parser",
        entry: "Parser",
        title: "A streaming CSV parser: records the same whatever the chunks",
        implement: "CsvKata for your Parser: new, feed(chunk, on_record), finish(on_record)",
        textbook: "SimpleCsvParser (interview/streaming-parsers): one state per byte, a String per field",
        ladder: "the interview/streaming-parsers CSV ladder, textbook to the csv crate",
        template: include_str!("../templates/csv_parser/lib.rs"),
        readme: include_str!("../templates/csv_parser/README.md"),
        ladder_main: include_str!("../templates/csv_parser/ladder.rs"),
        own_binary_test: None,
        solution: Solution {
            head: "// The kit's textbook answer: interview/src/streaming_parsers/mod.rs,\n\
               // `ANCHOR: simple_csv`, then the kata's trait for it\n\
               // (kata/solutions/csv_parser.rs).\n\n\
               pub use mastery_kata::csv_parser::{CsvKata, ErrorKind};\n\n\
               /// The name the kit's tests and ladder use.\n\
               pub type Parser = SimpleCsvParser;\n",
            lesson_source: include_str!("../../interview/src/streaming_parsers/mod.rs"),
            anchor: "simple_csv",
            trait_impl: include_str!("../solutions/csv_parser.rs"),
        },
    },
];

/// The ladder's mode from a ladder binary's arguments: `--quick`,
/// `--deep`, or none for full.
///
/// # Errors
/// An argument that is neither.
pub fn ladder_mode(args: impl IntoIterator<Item = String>) -> Result<mastery_kit::Mode, String> {
    let mut mode = mastery_kit::Mode::Full;
    for arg in args {
        mode = match arg.as_str() {
            "--quick" => mastery_kit::Mode::Quick,
            "--deep" => mastery_kit::Mode::Deep,
            other => {
                return Err(format!(
                    "unknown argument `{other}`: the ladder takes --quick or --deep"
                ));
            }
        };
    }
    Ok(mode)
}

/// The narrator of a starter's ladder binary, printing to stdout, in the
/// mode its command line asks for (`--quick`, `--deep`, else full).
///
/// # Errors
/// Exit code 2, after saying what was wrong with an argument.
pub fn ladder_narrator(kata: &str) -> Result<mastery_kit::Narrator, std::process::ExitCode> {
    match ladder_mode(std::env::args().skip(1)) {
        Ok(mode) => Ok(mastery_kit::Narrator::new(
            kata,
            mode,
            Box::new(std::io::stdout()),
        )),
        Err(message) => {
            eprintln!("error: {message}");
            Err(std::process::ExitCode::from(2))
        }
    }
}

/// A ladder binary's exit: success, or exit code 1 after the error (a
/// reader's rung that answered wrongly is refused with one).
pub fn ladder_exit<T, E: std::fmt::Display>(climbed: Result<T, E>) -> std::process::ExitCode {
    match climbed {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The kata with this id.
pub fn find(id: &str) -> Option<&'static Kata> {
    KATAS.iter().find(|k| k.id == id)
}

/// Writes one `#[test]` per kit test of a kata for the reader's type, so
/// `cargo test` lists them by name:
///
/// ```ignore
/// mastery_kata::kata_tests!(lru_cache, kata_lru_cache::Lru);
/// ```
///
/// The type is generic over keys and values (`Lru<K, V>`) and must
/// implement [`lru_cache::LruKata`] for any `K: Hash + Eq + Clone` and any
/// `V`.
/// For `safe_counters` the type is plain (`SafeCounter`) and implements
/// [`safe_counters::CounterKata`]; for `csv_parser` it is plain too
/// (`Parser`) and implements [`csv_parser::CsvKata`].
#[macro_export]
macro_rules! kata_tests {
    (lru_cache, $($ty:tt)+) => {
        /// The reader's cache at every key and value type.
        #[derive(Debug)]
        pub struct KataFamily;

        impl $crate::lru_cache::LruFamily for KataFamily {
            type Of<K: ::std::hash::Hash + ::std::cmp::Eq + ::std::clone::Clone, V> = $($ty)+<K, V>;
        }

        $crate::__kata_lru_cache!(tests, KataFamily);
    };
    (dag_order_long, $($order:tt)+) => {
        $crate::__kata_dag_order_entry!(KataOrder, $($order)+);

        #[test]
        fn a_long_chain_and_a_long_cycle() {
            $crate::run_or_panic($crate::dag_order::a_long_chain_and_a_long_cycle::<KataOrder>);
        }
    };
    (dag_order, $($order:tt)+) => {
        $crate::__kata_dag_order_entry!(KataOrder, $($order)+);

        $crate::__kata_dag_order!(tests, KataOrder);
    };
    (safe_counters, $($ty:tt)+) => {
        $crate::__kata_safe_counters!(tests, $($ty)+);
    };
    (retry_backoff, $($retry:tt)+) => {
        $crate::__kata_retry_entry!(KataRetry, $($retry)+);
        $crate::__kata_retry_backoff!(tests, KataRetry);
    };
    (batching, $($serve:tt)+) => {
        $crate::__kata_batching_entry!(KataServe, $($serve)+);
        $crate::__kata_batching!(tests, KataServe);
    };
    (csv_parser, $($ty:tt)+) => {
        $crate::__kata_csv_parser!(tests, $($ty)+);
    };
}

/// The reader's `order` function as a [`dag_order::DagOrderKata`] named
/// `$name`.
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_dag_order_entry {
    ($name:ident, $($order:tt)+) => {
        /// The reader's `order` function.
        #[derive(Debug)]
        pub struct $name;

        impl $crate::dag_order::DagOrderKata for $name {
            fn order(n: usize, edges: &[(usize, usize)]) -> Result<Vec<usize>, Vec<usize>> {
                $($order)+(n, edges)
            }
        }
    };
}

/// Writes the `main` of a starter's ladder binary for a kata whose entry is
/// a function, so the ladder can call it by type:
///
/// ```ignore
/// mastery_kata::kata_ladder!(retry_backoff, kata_retry_backoff::retry);
/// ```
#[macro_export]
macro_rules! kata_ladder {
    (retry_backoff, $($retry:tt)+) => {
        $crate::__kata_retry_entry!(KataRetry, $($retry)+);

        fn main() -> ::std::process::ExitCode {
            $crate::retry_backoff::ladder::<KataRetry>()
        }
    };
    (batching, $($serve:tt)+) => {
        $crate::__kata_batching_entry!(KataServe, $($serve)+);

        fn main() -> ::std::process::ExitCode {
            $crate::batching::ladder::<KataServe>()
        }
    };
}

/// Writes a kata's list of kit tests as a table (`table`) or as `#[test]`
/// functions (`tests`).
#[doc(hidden)]
#[macro_export]
macro_rules! __kata_emit {
    (table, $module:ident, $family:ty; $($name:ident),* $(,)?) => {
        vec![$($crate::KitTest {
            name: stringify!($name),
            run: $crate::$module::$name::<$family>,
        }),*]
    };
    (tests, $module:ident, $family:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::run_or_panic($crate::$module::$name::<$family>);
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchored_takes_the_lines_between_the_markers() {
        let source = "a\n// ANCHOR: core\nfn f() {}\n// ANCHOR_END: core\nb\n";
        assert_eq!(anchored(source, "core"), Some("fn f() {}\n"));
        assert_eq!(anchored(source, "other"), None);
    }

    #[test]
    fn every_solution_holds_the_lesson_code_and_the_trait_impl() {
        for kata in KATAS {
            let text = kata.solution();
            let entry = [
                format!("pub type {}<", kata.entry),
                format!("pub type {} =", kata.entry),
                format!("pub fn {}(", kata.entry),
                format!("pub fn {}<", kata.entry),
                format!("pub async fn {}<", kata.entry),
            ];
            assert!(
                entry.iter().any(|e| text.contains(e)),
                "{}: {text}",
                kata.id
            );
            assert!(!text.contains("// ANCHOR"), "{}: markers left in", kata.id);
        }
    }
}
