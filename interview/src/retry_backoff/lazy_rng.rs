//! The default jitter RNG, seeded only when a retry first needs a draw.

use std::hash::{BuildHasher, RandomState};

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

/// The default RNG: a [`SmallRng`] seeded from a fresh [`RandomState`] on its
/// first draw, so a call that never retries never pays for seeding (and a
/// policy without jitter never draws).
#[derive(Debug, Clone, Default)]
pub struct LazyRng(Option<SmallRng>);

impl LazyRng {
    fn get(&mut self) -> &mut SmallRng {
        self.0.get_or_insert_with(|| {
            // The standard library draws `RandomState` keys from the OS once
            // per *thread*, then bumps one key for every `RandomState::new()`
            // on that thread. Hashing a constant with them therefore gives a
            // different seed per thread and per call, which is all jitter
            // needs: different clients, different schedules. Not for
            // cryptography.
            SmallRng::seed_from_u64(RandomState::new().hash_one(0x5eed_u64))
        })
    }
}

impl RngCore for LazyRng {
    fn next_u32(&mut self) -> u32 {
        self.get().next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.get().next_u64()
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.get().fill_bytes(dst);
    }
}
