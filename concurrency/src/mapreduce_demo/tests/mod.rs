//! The word-count tests, by concern; the helpers below make a corpus and an
//! independent count to check against.

mod corpus_and_chunks;
mod counts;
mod engines;
mod frames;
mod hostfiles;
mod inputs;
mod streaming;
mod summary_and_demo;
mod worker_programs;

use std::io;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mastery_kit::net::free_loopback_port;

use super::demo::{TempFile, demo};
use super::*;

fn corpus(bytes: usize, seed: u64) -> String {
    CorpusSpec::new(bytes, seed)
        .generate()
        .expect("the default spec is valid")
}

/// A naive count with the standard library, as independent of the
/// engines as possible.
fn naive(text: &str) -> WordCounts {
    let mut map = std::collections::BTreeMap::<&str, u64>::new();
    for word in text.split(|c: char| c.is_ascii_whitespace()) {
        if !word.is_empty() {
            *map.entry(word).or_default() += 1;
        }
    }
    map.into_iter().map(|(w, c)| (w.to_owned(), c)).collect()
}
