//! Growth, sizes, small vectors and dhat profiles on the system allocator
//! (the integration tests in `perf/tests/` install the counting allocator
//! and dhat's for the heap figures).

use super::demo::demo;
use super::dhat_profile::short_backtrace;
use super::*;

/// The folder of this topic as dhat's backtraces spell it.
const TOPIC_DIR: &str = "memory_profiling/";

#[test]
fn push_doubles_and_with_capacity_allocates_once() {
    let pushed = trace_growth(1_000, 0, |_| {});
    assert_eq!(pushed.capacities, [4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    assert_eq!(pushed.allocations(), 9);
    assert_eq!(pushed.spare_bytes(), 24 * 8);
    assert_eq!(
        pushed.bytes_requested(),
        (4 + 8 + 16 + 32 + 64 + 128 + 256 + 512 + 1024) * 8
    );
    assert!(pushed.moves <= 8, "at most one move per reallocation");
    let reserved = trace_growth(1_000, 1_000, |_| {});
    assert_eq!(reserved.capacities, [1_000]);
    assert_eq!(
        (
            reserved.moves,
            reserved.bytes_copied,
            reserved.spare_bytes()
        ),
        (0, 0, 0)
    );
}

#[test]
fn every_allocation_is_reported_as_it_happens() {
    let mut seen = Vec::new();
    let growth = trace_growth(100, 0, |bytes| seen.push(bytes));
    let expected: Vec<usize> = growth.capacities.iter().map(|c| c * 8).collect();
    assert_eq!(seen, expected);
    assert!(
        trace_growth(0, 0, |_| panic!("no push, no allocation"))
            .capacities
            .is_empty()
    );
}

#[test]
fn inline_vec_spills_on_the_fifth_item() {
    let mut v: InlineVec<u32, 4> = InlineVec::new();
    assert!(v.is_empty() && v.is_inline());
    for i in 0..4 {
        v.push(i);
        assert!(v.is_inline(), "{i}");
    }
    v.push(4);
    assert!(!v.is_inline());
    assert_eq!(v.as_slice(), [0, 1, 2, 3, 4]);
    v.extend(5..10);
    assert_eq!(v.len(), 10);
    let collected: InlineVec<u8, 2> = [7, 8].into_iter().collect();
    assert_eq!(
        (collected.as_slice(), collected.is_inline()),
        (&[7u8, 8][..], true)
    );
    let zero: InlineVec<u8, 0> = [1].into_iter().collect();
    assert_eq!(zero.as_slice(), [1]);
}

#[test]
fn inline_vec_is_bigger_by_value_than_vec_but_not_by_much() {
    assert!(size_of::<InlineVec<u32, 4>>() >= size_of::<Vec<u32>>());
    assert!(size_of::<InlineVec<u32, 4>>() <= 32);
}

#[test]
fn the_size_table_is_what_the_compiler_says() {
    let facts = size_facts();
    let size = |name: &str| {
        facts
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.size)
            .unwrap_or_else(|| panic!("{name} in the table"))
    };
    let word = size_of::<usize>();
    assert_eq!(size("&str"), 2 * word);
    assert_eq!(size("String"), 3 * word);
    assert_eq!(size("Box<[u64]>"), 2 * word);
    assert_eq!(
        size("Option<Box<[u64]>>"),
        size("Box<[u64]>"),
        "the null niche"
    );
    assert_eq!(size("[u64; 4]"), 32);
}

#[test]
fn borrowed_and_owned_words_agree() {
    let text = sample_text(500);
    let borrowed = words_borrowed(&text);
    let owned = words_owned(&text);
    assert_eq!(borrowed.len(), 500);
    assert!(borrowed.iter().zip(&owned).all(|(b, o)| b == o));
    assert!(borrowed.iter().all(|w| (1..=12).contains(&w.len())));
    assert_eq!(sample_text(500), text, "deterministic");
}

const PROFILE: &str = r#"{"dhatFileVersion":2,"mode":"rust-heap","verb":"Allocated",
    "bklt":true,"bkacc":false,"tu":"µs","Mtu":"s","tuth":10,"cmd":"t","pid":1,"te":5,"tg":3,
    "pps":[{"tb":64,"tbk":2,"tl":1,"mb":64,"mbk":2,"gb":64,"gbk":2,"eb":0,"ebk":0,"fs":[1,2]},
           {"tb":4096,"tbk":1,"tl":1,"mb":4096,"mbk":1,"gb":0,"gbk":0,"eb":0,"ebk":0,"fs":[3]}],
    "ftbl":["[root]","0x1: alloc::raw_vec::grow (raw_vec.rs:1:1)",
            "0x2: app::load (src/app.rs:10:5)","0x3: app::buffer (src/app.rs:20:9)"]}"#;

#[test]
fn a_dhat_profile_is_summarised_by_site() -> Result<(), ProfileError> {
    let summary = DhatSummary::from_json(PROFILE)?;
    assert_eq!(summary.mode, "rust-heap");
    assert_eq!((summary.units, summary.events), (4160, 3));
    assert_eq!(summary.sites[0].frames, ["app::buffer (src/app.rs:20:9)"]);
    assert_eq!(
        summary.sites[1].frame_matching("app::"),
        Some("app::load (src/app.rs:10:5)")
    );
    Ok(())
}

#[test]
fn a_broken_profile_is_a_clear_error() {
    let err = DhatSummary::from_json("{}").expect_err("not a profile");
    assert!(err.to_string().contains("dhat profile"), "{err}");
    let missing = PROFILE.replace("\"fs\":[3]", "\"fs\":[9]");
    let err = DhatSummary::from_json(&missing).expect_err("frame 9");
    assert!(
        matches!(
            err,
            ProfileError::MissingFrame {
                index: 9,
                frames: 4
            }
        ),
        "{err}"
    );
}

#[test]
fn the_ad_hoc_profile_attributes_events_to_their_sites() {
    let summary = profile_growth_ad_hoc(1_000).expect("a profile");
    assert_eq!(summary.mode, "rust-ad-hoc");
    let pushed = trace_growth(1_000, 0, |_| {});
    assert_eq!(summary.events as usize, pushed.allocations() + 1);
    assert_eq!(summary.units as usize, pushed.bytes_requested() + 8_000);
    // Two sites: the pushes (most bytes, first) and the one reservation.
    let events: Vec<u64> = summary.sites.iter().map(|s| s.events).collect();
    assert_eq!(events, [pushed.allocations() as u64, 1]);
    for site in &summary.sites {
        let trace = short_backtrace(site, TOPIC_DIR);
        assert!(trace.contains("trace_growth:"), "{trace}");
    }
    assert_ne!(
        short_backtrace(&summary.sites[0], TOPIC_DIR),
        short_backtrace(&summary.sites[1], TOPIC_DIR),
        "the call sites differ"
    );
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("perf/memory-profiling", demo);
    let calls = n
        .comparisons()
        .iter()
        .find(|c| c.label.starts_with("allocation calls"))
        .map(|c| (c.ours, c.peer));
    assert_eq!(calls, Some((1.0, 9.0)));
    assert!(n.comparisons().len() >= 7);
}

#[test]
fn the_python_setting_names_the_interpreter() {
    use std::ffi::OsStr;
    let program = super::cpython::python_program(Some(OsStr::new("/opt/py/bin/python3")));
    assert_eq!(program, OsStr::new("/opt/py/bin/python3"));
}
