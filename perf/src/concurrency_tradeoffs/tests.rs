//! Every variant counts like one thread, every wait completes, errors say
//! what failed, and the memory figures are never presented as one
//! quantity.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use mastery_concurrency::mapreduce_demo::{CorpusSpec, count_single};

use super::demo::{demo, memory_row_label, memory_rows};
use super::waits::proc_status_bytes;
use super::*;

fn corpus() -> String {
    CorpusSpec::new(300_000, 11)
        .generate()
        .expect("a valid corpus spec")
}

#[test]
fn threads_and_tasks_count_like_one_thread() {
    let text = corpus();
    let shared: Arc<str> = Arc::from(text.as_str());
    let reference = count_single(&text);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    for workers in [1, 2, 3, 8] {
        for chunk in [1_000, 64 << 10] {
            let threads = count_threads(&text, chunk, workers).expect("threads start");
            assert_eq!(
                reference.first_difference(&threads),
                None,
                "{workers} threads"
            );
            for rt in [&multi, &current] {
                let tasks = count_tasks(rt, &shared, chunk, workers).expect("tasks run");
                assert_eq!(reference.first_difference(&tasks), None, "{workers} tasks");
            }
        }
    }
    assert_eq!(count_threads("", 10, 2).expect("empty").total(), 0);
}

#[test]
fn worker_processes_need_the_program_and_say_so() {
    let Err(e) = start_workers(None, 2) else {
        panic!("no program must be an error");
    };
    assert!(e.to_string().contains("mastery` binary"), "{e}");
    let missing = Path::new("/nonexistent/mastery-worker");
    let Err(e) = start_workers(Some(missing), 2) else {
        panic!("a missing program must be an error");
    };
    assert!(e.to_string().contains("/nonexistent/mastery-worker"), "{e}");
}

#[test]
fn every_wait_completes_in_every_variant() {
    let wait = Duration::from_millis(5);
    let threads = waits_threads(50, wait).expect("threads start");
    assert_eq!((threads.waits, threads.completed), (50, 50));
    assert!(threads.elapsed >= wait);
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let tasks = waits_tasks(&current, 2_000, wait).expect("tasks run");
    assert_eq!(tasks.completed, 2_000);
    assert!(tasks.elapsed >= wait);
    let processes = waits_processes("sleep", 5, wait).expect("`sleep` is installed");
    assert_eq!(processes.completed, 5);
}

#[test]
fn waits_overlap_rather_than_queue() {
    // 200 waits of 50 ms in sequence would take 10 s; overlapped, far less.
    // The bound is loose on purpose: this asserts concurrency, not speed.
    let wait = Duration::from_millis(50);
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let tasks = waits_tasks(&current, 200, wait).expect("tasks run");
    assert!(tasks.elapsed < wait * 100, "{:?}", tasks.elapsed);
    let threads = waits_threads(200, wait).expect("threads start");
    assert!(threads.elapsed < wait * 100, "{:?}", threads.elapsed);
}

#[test]
fn a_program_that_cannot_start_is_a_clear_error() {
    let err = waits_processes("/nonexistent/sleep", 3, Duration::from_millis(1))
        .expect_err("no such program");
    let text = err.to_string();
    assert!(
        text.contains("/nonexistent/sleep") && text.contains("number 0"),
        "{text}"
    );
    // A program that fails is reported with its exit status.
    let err = waits_processes("false", 2, Duration::from_millis(1)).expect_err("`false` fails");
    assert!(err.to_string().contains("exit status"), "{err}");
}

#[test]
fn proc_status_is_read_where_it_exists() {
    if Path::new("/proc/self/status").exists() {
        assert!(proc_status_bytes(None, "VmRSS").is_some_and(|b| b > 0));
    }
    assert_eq!(proc_status_bytes(None, "NoSuchField"), None);
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("perf/concurrency-tradeoffs", demo);
    assert!(
        n.measurements()
            .iter()
            .any(|m| m.label.starts_with("100 waits, tasks"))
    );
    assert!(!n.comparisons().is_empty());
    // A memory figure's label says which quantity it is.
    assert!(
        n.measurements()
            .iter()
            .filter(|m| m.unit == mastery_kit::Unit::Bytes)
            .all(|m| MemorySource::ALL
                .iter()
                .any(|s| m.label.ends_with(s.quantity()))),
        "{:?}",
        n.measurements()
            .iter()
            .map(|m| m.label.as_str())
            .collect::<Vec<_>>()
    );
}

#[test]
fn memory_figures_of_different_sources_never_share_a_row() {
    let held = |source, bytes_per_wait| WaitMemory {
        bytes_per_wait,
        source,
    };
    // What a Linux run with the counting allocator installed measures:
    // threads by RSS growth, processes by child RSS, tasks by heap.
    let memory = [
        Some((10_000, held(MemorySource::ResidentGrowth, 20_000.0))),
        Some((1_000, held(MemorySource::ChildResident, 1_500_000.0))),
        Some((10_000, held(MemorySource::HeapRetained, 400.0))),
        Some((10_000, held(MemorySource::HeapRetained, 380.0))),
    ];
    let rows = memory_rows(&memory);
    assert_eq!(rows.len(), 3, "one row per source: {rows:?}");
    for (row, source) in rows.iter().zip(MemorySource::ALL) {
        assert_eq!(row[0], memory_row_label(source), "{row:?}");
        let sources_in_row: Vec<MemorySource> = memory
            .iter()
            .zip(&row[2..])
            .filter(|(_, cell)| *cell != "—")
            .filter_map(|(m, _)| m.map(|(_, held)| held.source))
            .collect();
        assert!(!sources_in_row.is_empty(), "{row:?}");
        assert!(
            sources_in_row.iter().all(|&s| s == source),
            "a row mixes {sources_in_row:?}: {row:?}"
        );
    }
    // The two task columns share the heap row: the same quantity.
    assert_ne!(rows[2][4], "—");
    assert_ne!(rows[2][5], "—");
    // Nothing measured: one row that says so.
    let none = memory_rows(&[None; 4]);
    assert_eq!(none.len(), 1);
    assert!(none[0][2..].iter().all(|cell| cell == "not measured"));
}

#[test]
fn every_memory_source_names_its_own_quantity() {
    let quantities: Vec<&str> = MemorySource::ALL.iter().map(|s| s.quantity()).collect();
    assert!(quantities[0].contains("RSS growth"), "{quantities:?}");
    assert!(quantities[1].contains("child"), "{quantities:?}");
    assert!(quantities[2].contains("heap"), "{quantities:?}");
    let mut unique = quantities.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), quantities.len(), "{quantities:?}");
    let mut labels: Vec<&str> = MemorySource::ALL
        .into_iter()
        .map(memory_row_label)
        .collect();
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), MemorySource::ALL.len(), "{labels:?}");
}
