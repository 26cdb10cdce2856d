//! Tests as data: a script of calls, each with the answer the kit expects,
//! run against the reader's cache; the first wrong answer becomes a
//! [`KataFailure`] whose replay is the script up to that call.

use std::fmt::Debug;
use std::num::NonZeroUsize;

use super::LruKata;
use crate::failure::KataFailure;

/// One call and the answer it must give.
#[derive(Debug, Clone)]
pub enum Step<K, V> {
    /// `put(key, value)` returns this displaced entry.
    Put(K, V, Option<(K, V)>),
    /// `get(&key)` returns this value.
    Get(K, Option<V>),
    /// `len()` returns this.
    Len(usize),
}

/// How a key or value is written in a replay, so that the replay pastes
/// as Rust (`"alpha".to_owned()`, not `"alpha"`, for a `String`).
pub trait Literal {
    /// The Rust expression for this value.
    fn literal(&self) -> String;
}

macro_rules! number_literal {
    ($($t:ty),*) => {$(
        impl Literal for $t {
            fn literal(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
number_literal!(u8, u16, u32, u64, usize, i32, i64);

impl Literal for String {
    fn literal(&self) -> String {
        format!("{self:?}.to_owned()")
    }
}

/// The replay's first line.
pub fn new_line(capacity: NonZeroUsize) -> String {
    format!("let mut c = Lru::new(NonZeroUsize::new({capacity}).unwrap());")
}

/// The replay line of a `put`.
pub fn put_line(key: &impl Literal, value: &impl Literal) -> String {
    format!("c.put({}, {});", key.literal(), value.literal())
}

/// The replay line of a `get`.
pub fn get_line(key: &impl Literal) -> String {
    format!("c.get(&{});", key.literal())
}

/// Runs `steps` on a new cache `C` of `capacity`; the first answer that
/// differs from the script's fails the test named `test`.
///
/// # Errors
/// The failure: the call, the answer expected, the answer given and the
/// calls so far.
pub fn run_script<C, K, V>(
    test: &'static str,
    capacity: NonZeroUsize,
    steps: &[Step<K, V>],
) -> Result<(), KataFailure>
where
    C: LruKata<K, V>,
    K: Clone + Debug + PartialEq + Literal,
    V: Clone + Debug + PartialEq + Literal,
{
    let mut cache = C::new(capacity);
    let mut replay = vec![new_line(capacity)];
    for step in steps {
        let (line, expected, got) = match step {
            Step::Put(k, v, want) => {
                let got = cache.put(k.clone(), v.clone());
                (put_line(k, v), format!("{want:?}"), format!("{got:?}"))
            }
            Step::Get(k, want) => {
                let got = cache.get(k).cloned();
                (get_line(k), format!("{want:?}"), format!("{got:?}"))
            }
            Step::Len(want) => (
                "c.len();".to_owned(),
                want.to_string(),
                cache.len().to_string(),
            ),
        };
        if expected != got {
            let call = line.trim_end_matches(';').to_owned();
            replay.push(format!("{line} // expected {expected}, got {got}"));
            return Err(KataFailure {
                test,
                expected: format!("`{call}` returns {expected}"),
                got,
                replay,
            });
        }
        replay.push(line);
    }
    Ok(())
}
