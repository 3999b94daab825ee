//! Seeded randomness for the chaos and property tests (fastrand underneath).
//! The seed comes from `DEVLOOP_TEST_SEED` or the clock and is printed, so a
//! failure can be replayed exactly.

#![allow(dead_code)]

pub struct Rng(fastrand::Rng);

impl Rng {
    /// Seeded from `DEVLOOP_TEST_SEED` or the clock; prints the seed.
    pub fn new(test: &str) -> Rng {
        let seed = std::env::var("DEVLOOP_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| fastrand::u64(..));
        eprintln!("{test}: DEVLOOP_TEST_SEED={seed}");
        Rng::seeded(seed)
    }

    pub fn seeded(seed: u64) -> Rng {
        Rng(fastrand::Rng::with_seed(seed))
    }

    pub fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    /// Uniform in `lo..hi` (`lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            self.0.u64(lo..hi)
        }
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.range(0, n)
    }

    /// True once in `one_in` times on average.
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in.max(1)) == 0
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}
