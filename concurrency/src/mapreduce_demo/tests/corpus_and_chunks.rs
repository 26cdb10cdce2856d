//! The corpus generator (deterministic, exact in size, Zipf-shaped, split
//! into shares) and the chunking that never cuts a word.

use super::*;

#[test]
fn the_corpus_is_deterministic_exact_in_size_and_zipf_shaped() {
    let a = corpus(300_000, 1);
    assert_eq!(a, corpus(300_000, 1), "same seed, same corpus");
    assert_ne!(a, corpus(300_000, 2), "another seed, another corpus");
    assert_eq!(a.len(), 300_000);
    let counts = count_single(&a);
    let top = counts.top(2);
    let rarest = counts.sorted()[counts.distinct() - 1].1;
    assert!(top[0].1 > top[1].1, "{top:?}");
    assert!(
        top[0].1 > 100 * rarest,
        "the top word is far more common than the rarest"
    );
    assert!(
        a.split_ascii_whitespace()
            .all(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
    );
}

#[test]
fn shares_partition_the_corpus() {
    let spec = CorpusSpec::new(2 * BLOCK_BYTES + 12_345, 9);
    let whole = spec.generate().expect("valid");
    let mut from_shares = WordCounts::new();
    for part in 0..2 {
        let share = spec.generate_share(part, 2).expect("valid");
        assert_eq!(share.len(), spec.share_bytes(part, 2));
        from_shares.merge(count_single(&share));
    }
    assert_eq!(from_shares.first_difference(&count_single(&whole)), None);
    assert!(spec.generate_share(2, 2).is_err());
}

#[test]
fn bad_corpus_specs_are_errors() {
    for spec in [
        CorpusSpec {
            vocabulary: 0,
            ..CorpusSpec::new(10, 0)
        },
        CorpusSpec {
            exponent: -1.0,
            ..CorpusSpec::new(10, 0)
        },
        CorpusSpec {
            exponent: f64::NAN,
            ..CorpusSpec::new(10, 0)
        },
    ] {
        assert!(spec.generate().is_err(), "{spec:?}");
    }
    assert_eq!(CorpusSpec::new(0, 0).generate().as_deref(), Ok(""));
}

#[test]
fn chunks_are_cut_only_at_whitespace() {
    let text = "alpha beta\tgamma\ndelta  épsilon ζήτα eta";
    for target in 1..text.len() + 2 {
        let chunks = split_chunks(text, target);
        assert_eq!(chunks.concat(), text, "target {target}");
        let counted: WordCounts = chunks.iter().fold(WordCounts::new(), |mut all, c| {
            all.merge(count_single(c));
            all
        });
        assert_eq!(counted, count_single(text), "target {target}");
    }
    assert!(split_chunks("", 10).is_empty());
    assert_eq!(split_chunks("oneverylongword", 3), ["oneverylongword"]);
}
