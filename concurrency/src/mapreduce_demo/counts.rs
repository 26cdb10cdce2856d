//! The table every engine produces: [`WordCounts`], with the map step
//! (`tally`) and the reduce step (`merge`) that all engines share.

use std::io::{self, Write};

use hashbrown::HashMap;

use super::corpus::mix;

/// How many times each word occurs. Words are maximal runs of bytes that
/// are not ASCII whitespace (`str::split_ascii_whitespace`); case and
/// punctuation are kept as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WordCounts {
    counts: HashMap<String, u64>,
}

impl WordCounts {
    /// No words.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `count` occurrences of `word`.
    pub fn add(&mut self, word: &str, count: u64) {
        *self.counts.entry_ref(word).or_insert(0) += count;
    }

    /// Adds every count of `other` (the reduce step). The smaller table is
    /// added into the larger, so the merge costs the smaller one's size.
    pub fn merge(&mut self, mut other: WordCounts) {
        if other.counts.len() > self.counts.len() {
            std::mem::swap(self, &mut other);
        }
        self.extend(other.counts);
    }

    /// [`WordCounts::merge`] by value, the shape `reduce` wants.
    pub(super) fn merged(mut self, other: WordCounts) -> WordCounts {
        self.merge(other);
        self
    }

    /// The map step: every word of `text`, counted into this table. Keys
    /// are owned `String`s looked up by `&str` (`entry_ref`), so a word
    /// costs an allocation only the first time this table sees it.
    ///
    /// Why not borrow the keys from the text, which allocates nothing? Each
    /// probe compares the word with the stored key, and a borrowed key
    /// lives wherever in the text the word first appeared — anywhere in a
    /// corpus far larger than the caches, so a likely cache miss per word.
    /// Owned keys sit together in a heap the size of the vocabulary, which
    /// the probes keep warm.
    pub(super) fn tally(&mut self, text: &str) {
        for word in text.split_ascii_whitespace() {
            *self.counts.entry_ref(word).or_insert(0) += 1;
        }
    }

    /// Empties the table into its `(word, count)` pairs, keeping its
    /// allocation (a timely operator emits its table this way).
    pub(super) fn drain(&mut self) -> impl Iterator<Item = (String, u64)> + '_ {
        self.counts.drain()
    }

    /// Removes and returns the entries whose key starts with ASCII
    /// whitespace. No word can (words are runs of non-whitespace), so the
    /// streaming dataflow uses such keys to carry messages to worker 0
    /// along with the counts, and takes them out before the table is used.
    pub(super) fn take_markers(&mut self) -> Vec<(String, u64)> {
        let is_marker = |key: &str| key.starts_with(|c: char| c.is_ascii_whitespace());
        let keys: Vec<String> = self
            .counts
            .keys()
            .filter(|k| is_marker(k))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|key| self.counts.remove_entry(&key))
            .collect()
    }

    /// A table of `counts`, which the caller has checked.
    pub(super) fn from_map(counts: HashMap<String, u64>) -> Self {
        WordCounts { counts }
    }

    /// Occurrences of `word` (0 when absent).
    pub fn get(&self, word: &str) -> u64 {
        self.counts.get(word).copied().unwrap_or(0)
    }

    /// Total words counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Distinct words.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Every word and its count, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.counts.iter().map(|(w, &c)| (w.as_str(), c))
    }

    /// Every word and its count, most frequent first, ties by word.
    pub fn sorted(&self) -> Vec<(&str, u64)> {
        let mut all: Vec<(&str, u64)> = self.iter().collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all
    }

    /// The `k` most frequent words, as [`WordCounts::sorted`] orders them.
    pub fn top(&self, k: usize) -> Vec<(&str, u64)> {
        let mut all = self.sorted();
        all.truncate(k);
        all
    }

    /// A fingerprint of the whole table that does not depend on order or
    /// on the process: equal tables have equal digests, and two processes
    /// can compare tables by exchanging 8 bytes.
    pub fn digest(&self) -> u64 {
        self.counts.iter().fold(0u64, |acc, (word, &count)| {
            acc.wrapping_add(mix(stable_hash(word), count))
        })
    }

    /// The first difference from `other`, in word order, as a sentence
    /// (`None` when equal) — a readable verdict where `assert_eq!` would
    /// print two tables of 50 000 words.
    pub fn first_difference(&self, other: &WordCounts) -> Option<String> {
        let mut words: Vec<&str> = self
            .counts
            .keys()
            .chain(other.counts.keys())
            .map(String::as_str)
            .collect();
        words.sort_unstable();
        words.dedup();
        words.into_iter().find_map(|word| {
            let (a, b) = (self.get(word), other.get(word));
            (a != b).then(|| format!("`{word}` is counted {a} times here and {b} times there"))
        })
    }

    /// Writes the table as TSV, `word<TAB>count` per line, in
    /// [`WordCounts::sorted`] order.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_tsv(&self, mut out: impl Write) -> io::Result<()> {
        for (word, count) in self.sorted() {
            writeln!(out, "{word}\t{count}")?;
        }
        out.flush()
    }

    /// Consumes the table into its `(word, count)` pairs.
    pub fn into_pairs(self) -> impl Iterator<Item = (String, u64)> {
        self.counts.into_iter()
    }
}

impl FromIterator<(String, u64)> for WordCounts {
    fn from_iter<I: IntoIterator<Item = (String, u64)>>(iter: I) -> Self {
        let mut counts = WordCounts::new();
        counts.extend(iter);
        counts
    }
}

impl Extend<(String, u64)> for WordCounts {
    fn extend<I: IntoIterator<Item = (String, u64)>>(&mut self, iter: I) {
        for (word, count) in iter {
            *self.counts.entry(word).or_insert(0) += count;
        }
    }
}

/// FNV-1a, 64 bits: a hash that is the same in every process and on every
/// run, which routing words between processes needs (hashbrown's default
/// hasher is seeded at random per process).
pub fn stable_hash(word: &str) -> u64 {
    word.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}
