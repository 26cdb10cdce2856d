//! Every engine against the one-thread reference, and the reference against
//! a naive count; the readable rayon engine against the production one.

use super::*;

#[test]
fn one_thread_matches_a_naive_count() {
    let text = "the cat  the\that\n\nthé the\r\ncat é  ";
    assert_eq!(count_single(text), naive(text));
    let text = corpus(200_000, 3);
    assert_eq!(count_single(&text).first_difference(&naive(&text)), None);
}

#[test]
fn rayon_matches_the_reference() {
    let text = corpus(600_000, 4);
    let reference = count_single(&text);
    for chunk in [1, 100, 64 << 10, 10 << 20] {
        assert_eq!(
            count_rayon(&text, chunk).first_difference(&reference),
            None,
            "chunk {chunk}"
        );
    }
    for chunk in [1, 64 << 10, 10 << 20] {
        assert_eq!(
            count_rayon_fold(&text, chunk).first_difference(&reference),
            None,
            "fold, chunk {chunk}"
        );
    }
    let on_three = count_rayon_on(&text, 4096, 3).expect("a pool of three starts");
    assert_eq!(on_three.first_difference(&reference), None);
}

#[test]
fn timely_threads_match_the_reference() {
    let text = Arc::new(corpus(800_000, 5));
    let reference = count_single(&text);
    for threads in [1, 3] {
        let setup = TimelySetup {
            threads,
            cluster: None,
            chunk_bytes: 16 << 10,
        };
        let run = count_timely(Arc::clone(&text), &setup).expect("timely runs");
        let counts = run.counts.expect("worker 0 is in this process");
        assert_eq!(
            counts.first_difference(&reference),
            None,
            "{threads} threads"
        );
    }
}

#[test]
fn timely_on_an_empty_share_returns_an_empty_table() {
    let setup = TimelySetup {
        threads: 2,
        cluster: None,
        chunk_bytes: 1024,
    };
    let run = count_timely(Arc::new(String::new()), &setup).expect("timely runs");
    assert_eq!(run.counts, Some(WordCounts::new()));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// The readable engine (`count_rayon_fold`, the core) and the
    /// production one (`count_rayon`, a table per thread) agree with one
    /// thread and with a naive count, whatever the text and the chunk size:
    /// words from a small alphabet (so they repeat), any ASCII whitespace
    /// between them, and a few non-ASCII letters.
    #[test]
    fn the_readable_and_the_production_rayon_engines_agree(
        text in "([abcé]{1,4}[ \t\n\r]{1,3}){0,200}",
        chunk in 1usize..64,
    ) {
        let reference = count_single(&text);
        proptest::prop_assert_eq!(&reference, &naive(&text));
        proptest::prop_assert_eq!(&count_rayon_fold(&text, chunk), &reference);
        proptest::prop_assert_eq!(&count_rayon(&text, chunk), &reference);
    }
}
