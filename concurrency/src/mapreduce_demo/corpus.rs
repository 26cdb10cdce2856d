//! The corpus: text the generator rebuilds byte for byte from a seed, in
//! independently seeded blocks, so that any process can generate its own
//! share without the others.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use rayon::prelude::*;

/// Bytes per corpus block. Blocks are seeded independently, so any process
/// can generate any block — or just its share — without the others.
pub const BLOCK_BYTES: usize = 1 << 20;

/// A corpus the generator can rebuild byte for byte from its description:
/// `bytes` of text whose words are drawn from a generated vocabulary with
/// Zipf-distributed frequencies (a few words very common, most rare — the
/// shape of natural language).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusSpec {
    /// Exact size of the corpus in bytes.
    pub bytes: usize,
    /// Seed of every random choice: same seed, same corpus.
    pub seed: u64,
    /// Distinct words in the vocabulary the corpus draws from.
    pub vocabulary: usize,
    /// Zipf exponent `s`: the word of rank `r` has weight `1 / r^s`.
    pub exponent: f64,
}

/// A corpus description the generator cannot honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid corpus: {0}")]
pub struct CorpusError(String);

impl CorpusSpec {
    /// The default vocabulary size.
    pub const DEFAULT_VOCABULARY: usize = 50_000;
    /// The largest vocabulary accepted.
    pub const MAX_VOCABULARY: usize = 10_000_000;
    /// The default Zipf exponent (Zipf's law for words: `s ≈ 1`).
    pub const DEFAULT_EXPONENT: f64 = 1.0;

    /// `bytes` of text from `seed`, with the default vocabulary and exponent.
    pub fn new(bytes: usize, seed: u64) -> Self {
        CorpusSpec {
            bytes,
            seed,
            vocabulary: Self::DEFAULT_VOCABULARY,
            exponent: Self::DEFAULT_EXPONENT,
        }
    }

    /// How many blocks the corpus has.
    pub fn blocks(&self) -> usize {
        self.bytes.div_ceil(BLOCK_BYTES)
    }

    /// The size of block `block`: [`BLOCK_BYTES`], except for the last one.
    fn block_len(&self, block: usize) -> usize {
        BLOCK_BYTES.min(self.bytes.saturating_sub(block * BLOCK_BYTES))
    }

    /// The whole corpus.
    ///
    /// # Errors
    /// When the vocabulary is empty or too large, or the exponent is not a
    /// finite number ≥ 0.
    pub fn generate(&self) -> Result<String, CorpusError> {
        self.generate_share(0, 1)
    }

    /// The blocks `b` with `b % parts == part`, concatenated: the share of
    /// the corpus that process `part` of `parts` counts. Every block ends in
    /// whitespace, so concatenating blocks never glues two words together,
    /// and the shares of all parts together hold exactly the words of
    /// [`CorpusSpec::generate`]. Blocks are generated in parallel.
    ///
    /// # Errors
    /// As [`CorpusSpec::generate`], and when `part >= parts`.
    pub fn generate_share(&self, part: usize, parts: usize) -> Result<String, CorpusError> {
        if part >= parts {
            return Err(CorpusError(format!(
                "part {part} of {parts}: parts are numbered 0..{parts}"
            )));
        }
        let words = self.vocabulary_words()?;
        let zipf = Zipf::new(words.len() as f64, self.exponent).map_err(|e| {
            CorpusError(format!(
                "zipf over {} words with exponent {}: {e}",
                words.len(),
                self.exponent
            ))
        })?;
        let blocks: Vec<String> = (0..self.blocks())
            .into_par_iter()
            .filter(|b| b % parts == part)
            .map(|b| self.block(b, &words, &zipf))
            .collect();
        Ok(blocks.concat())
    }

    /// The size of [`CorpusSpec::generate_share`]'s result, without
    /// generating it.
    pub fn share_bytes(&self, part: usize, parts: usize) -> usize {
        (0..self.blocks())
            .filter(|b| parts > 0 && b % parts == part)
            .map(|b| self.block_len(b))
            .sum()
    }

    /// The vocabulary, most frequent rank first: distinct lowercase words
    /// of 2 to 12 letters, shortest first (common words are short).
    fn vocabulary_words(&self) -> Result<Vec<String>, CorpusError> {
        if self.vocabulary == 0 || self.vocabulary > Self::MAX_VOCABULARY {
            return Err(CorpusError(format!(
                "the vocabulary must have 1 to {} words, not {}",
                Self::MAX_VOCABULARY,
                self.vocabulary
            )));
        }
        if !(self.exponent.is_finite() && self.exponent >= 0.0) {
            return Err(CorpusError(format!(
                "the Zipf exponent must be a finite number ≥ 0, not {}",
                self.exponent
            )));
        }
        let mut rng = SmallRng::seed_from_u64(mix(self.seed, u64::MAX));
        let mut seen = hashbrown::HashSet::with_capacity(self.vocabulary);
        let mut words = Vec::with_capacity(self.vocabulary);
        while words.len() < self.vocabulary {
            let len = rng.random_range(2..=12);
            let word: String = (0..len)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        words.sort_by_key(String::len); // stable: ties keep their random order
        Ok(words)
    }

    /// Block `block`: words separated by spaces, a newline every 8 to 16
    /// words, padded with newlines to its exact length (whitespace never
    /// changes a count).
    fn block(&self, block: usize, words: &[String], zipf: &Zipf<f64>) -> String {
        let len = self.block_len(block);
        let mut rng = SmallRng::seed_from_u64(mix(self.seed, block as u64));
        let mut text = String::with_capacity(len);
        let mut line_left = rng.random_range(8..=16);
        loop {
            // Zipf samples are whole numbers in 1..=n; the clamp only guards
            // the float-to-index conversion.
            let rank = (zipf.sample(&mut rng) as usize).clamp(1, words.len());
            let word = &words[rank - 1];
            if text.len() + word.len() + 1 > len {
                break;
            }
            text.push_str(word);
            line_left -= 1;
            if line_left == 0 {
                text.push('\n');
                line_left = rng.random_range(8..=16);
            } else {
                text.push(' ');
            }
        }
        while text.len() < len {
            text.push('\n');
        }
        text
    }
}

/// SplitMix64 of `seed` and `stream`: independent, reproducible seeds for
/// the vocabulary and every block.
pub(super) fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
