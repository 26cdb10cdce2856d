//! What the cache promises when user code panics: a key's `Hash` and `Eq`
//! run only before the cache changes anything, so a panic in them leaves
//! the cache exactly as it was — consistent, every entry in place, usable.
//!
//! [`Touchy`] is a key whose `Hash` and `Eq` panic on demand, after a set
//! number of calls; each test tries every such point, or random ones.

use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};

use mastery_kit::panics::quiet_panics_starting_with;
use proptest::prelude::*;

use super::super::{LruCache, ShardedLruCache};
use super::model::{Model, Op, TestKey, op, order};

const TOUCHY_PANIC: &str = "lru test panic: a key's Hash or Eq gave up";

thread_local! {
    /// Calls into a `Touchy` key's `Hash` or `Eq` left before one panics
    /// (`None`: never). Per thread, so tests running side by side do not
    /// set off each other's keys.
    static CALLS_BEFORE_PANIC: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Counts one call of user code, panicking when the countdown is spent.
fn user_code_runs() {
    CALLS_BEFORE_PANIC.with(|left| match left.get() {
        Some(0) => {
            left.set(None);
            panic!("{TOUCHY_PANIC}");
        }
        Some(n) => left.set(Some(n - 1)),
        None => {}
    });
}

/// Lets `calls` calls of user code through, then panics at the next one.
fn panic_after(calls: u32) {
    CALLS_BEFORE_PANIC.with(|left| left.set(Some(calls)));
}

/// Runs `check` with the countdown paused: checks hash keys themselves.
fn unarmed<T>(check: impl FnOnce() -> T) -> T {
    let saved = CALLS_BEFORE_PANIC.with(|left| left.replace(None));
    let result = check();
    CALLS_BEFORE_PANIC.with(|left| left.set(saved));
    result
}

/// A key whose `Hash` and `Eq` count down to a panic (see [`panic_after`]).
#[derive(Debug, Clone, Copy)]
struct Touchy(u8);

impl Hash for Touchy {
    fn hash<H: Hasher>(&self, state: &mut H) {
        user_code_runs();
        self.0.hash(state);
    }
}

impl PartialEq for Touchy {
    fn eq(&self, other: &Self) -> bool {
        user_code_runs();
        self.0 == other.0
    }
}

impl Eq for Touchy {}

impl TestKey for Touchy {
    fn from_id(id: u8) -> Self {
        Touchy(id)
    }
    fn id(&self) -> u8 {
        self.0
    }
}

/// Every operation, on a cache holding keys 1..=`len` (1 least recently
/// used), that can call user code more than once: lookups and updates,
/// inserts that grow the table or evict, removals at the head, middle and
/// tail (each moves another entry into the hole), a shrinking resize.
fn operations() -> Vec<(usize, usize, Op)> {
    vec![
        (6, 6, Op::Get(3)),
        (6, 6, Op::GetMut(1)),
        (6, 6, Op::Peek(6)),
        (6, 6, Op::Contains(2)),
        (6, 6, Op::Put(4, 40)),
        (8, 3, Op::Put(9, 90)), // the table grows from 3 entries to 4
        (8, 7, Op::Put(9, 90)), // and from 7 to 8
        (6, 6, Op::Put(9, 90)), // full: evicts key 1
        (6, 6, Op::PopLru),
        (6, 6, Op::Remove(6)),
        (6, 6, Op::Remove(3)),
        (6, 6, Op::Remove(1)),
        (6, 6, Op::Resize(2)),
    ]
}

fn filled(capacity: usize, len: u8) -> LruCache<Touchy, u32> {
    let mut cache = LruCache::new(capacity).expect("capacity >= 1");
    for k in 1..=len {
        cache.put(Touchy(k), u32::from(k) * 10);
    }
    cache
}

#[test]
fn a_panic_in_hash_or_eq_at_any_point_leaves_the_cache_as_it_was() {
    quiet_panics_starting_with(TOUCHY_PANIC);
    for (capacity, len, op) in operations() {
        let len = u8::try_from(len).expect("small");
        for calls in 0.. {
            let mut cache = filled(capacity, len);
            let before = order(&cache);
            panic_after(calls);
            let result = catch_unwind(AssertUnwindSafe(|| op.on_cache(&mut cache)));
            let finished = CALLS_BEFORE_PANIC.with(Cell::get).is_some();
            CALLS_BEFORE_PANIC.with(|left| left.set(None));
            unarmed(|| cache.check_invariants())
                .unwrap_or_else(|e| panic!("{op:?}, panic after {calls} calls: {e}"));
            if result.is_ok() {
                assert!(
                    finished,
                    "{op:?} finished, so it made at most {calls} calls"
                );
                break;
            }
            assert_eq!(order(&cache), before, "{op:?} panicked after {calls} calls");
            // Still usable: the same operation now runs to the end.
            let mut model = Model::new(capacity);
            model.entries = before;
            assert_eq!(op.on_cache(&mut cache), op.on_model(&mut model), "{op:?}");
            assert_eq!(order(&cache), model.entries, "{op:?} after the panic");
        }
    }
}

#[test]
fn a_shard_poisoned_by_a_panicking_eq_stays_consistent_and_in_use() {
    quiet_panics_starting_with(TOUCHY_PANIC);
    // One shard, so every key lands in the shard the panic poisoned.
    let cache = ShardedLruCache::with_shards(4, 1).expect("valid");
    for k in 1..=4 {
        cache.put(Touchy(k), u32::from(k));
    }
    for calls in 0..8 {
        panic_after(calls);
        let removed = catch_unwind(AssertUnwindSafe(|| cache.remove(&Touchy(2))));
        CALLS_BEFORE_PANIC.with(|left| left.set(None));
        cache
            .check_invariants()
            .unwrap_or_else(|e| panic!("remove, panic after {calls} calls: {e}"));
        if removed.is_ok() {
            break;
        }
        assert_eq!(cache.len(), 4, "the panicking remove removed nothing");
    }
    assert!(!cache.contains(&Touchy(2)));
    assert_eq!(
        cache.put(Touchy(5), 5),
        None,
        "the poisoned shard takes new entries"
    );
    assert_eq!(cache.get(&Touchy(1)), Some(1));
    assert_eq!(cache.len(), 4);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random operations with a panic at a random call of user code: the
    /// operation that panicked has no effect, and every other one agrees
    /// with the model — the same model test, with a panic thrown in.
    #[test]
    fn a_panicking_operation_has_no_effect_on_later_ones(
        capacity in 1usize..8,
        ops in proptest::collection::vec(op(), 1..100),
        calls in 0u32..300,
    ) {
        quiet_panics_starting_with(TOUCHY_PANIC);
        let mut cache = LruCache::<Touchy, u32>::new(capacity).expect("capacity >= 1");
        let mut model = Model::new(capacity);
        panic_after(calls);
        for op in ops {
            if let Ok(outcome) = catch_unwind(AssertUnwindSafe(|| op.on_cache(&mut cache))) {
                prop_assert_eq!(outcome, op.on_model(&mut model), "{:?}", op);
            }
            prop_assert_eq!(unarmed(|| cache.check_invariants()), Ok(()));
            prop_assert_eq!(order(&cache), model.entries.clone());
        }
        CALLS_BEFORE_PANIC.with(|left| left.set(None));
    }
}
