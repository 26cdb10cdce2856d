//! The table itself: order-free digests and equality, readable differences,
//! TSV, and the stable hash that routes words between processes.

use super::*;

#[test]
fn digest_and_order_do_not_depend_on_insertion_order() {
    let a: WordCounts = [("b", 2), ("a", 2), ("c", 5)]
        .into_iter()
        .map(|(w, c)| (w.to_owned(), c))
        .collect();
    let b: WordCounts = [("c", 5), ("b", 1), ("a", 2), ("b", 1)]
        .into_iter()
        .map(|(w, c)| (w.to_owned(), c))
        .collect();
    assert_eq!(a, b);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.sorted(), [("c", 5), ("a", 2), ("b", 2)]);
    let mut c = b.clone();
    c.add("a", 1);
    assert_ne!(a.digest(), c.digest());
    assert_eq!(
        a.first_difference(&c).as_deref(),
        Some("`a` is counted 2 times here and 3 times there")
    );
    let mut tsv = Vec::new();
    a.write_tsv(&mut tsv).expect("a Vec accepts writes");
    assert_eq!(String::from_utf8_lossy(&tsv), "c\t5\na\t2\nb\t2\n");
}

#[test]
fn stable_hash_is_fnv1a() {
    assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
}
