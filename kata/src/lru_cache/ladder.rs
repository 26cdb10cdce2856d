//! The second half of `mastery kata check` for this kata: the reader's
//! cache as one more rung of the `interview/lru-cache` ladder — the same
//! workload, checked the same way (it must hit exactly as often as the
//! kit's `LruCache`), timed in the same rounds as every rung, then placed.

use std::process::ExitCode;

use mastery_interview::lru_cache::{ReaderCache, climb_ladder};

use super::LruKata;

/// Climbs the LRU ladder with the reader's cache `C` as a rung and prints
/// where it lands; the mode comes from the command line (`--quick`,
/// `--deep`, else full). Exit code 1 when the ladder fails (the reader's
/// cache hit differently from an exact LRU), 2 on a bad argument.
pub fn ladder<C: LruKata<u64, u64>>() -> ExitCode {
    let mut n = match crate::ladder_narrator("kata/lru-cache") {
        Ok(n) => n,
        Err(code) => return code,
    };
    let reader = ReaderCache::of(
        "your Lru",
        |capacity| C::new(capacity),
        |cache, key| cache.get(&key).is_some(),
        |cache, key| {
            cache.put(key, key);
        },
    );
    crate::ladder_exit(climb_ladder(&mut n, Some(reader)))
}
