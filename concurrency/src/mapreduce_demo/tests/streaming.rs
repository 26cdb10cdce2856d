//! The streaming engines over files: every one against the reference, an
//! empty input, a read that fails part-way, an engine that fails, and two
//! timely processes whose shares do not fit together (a failed read, or
//! different listings) — which process 0 must report rather than count.

use std::fs;
use std::path::{Path, PathBuf};

use super::inputs::{reference, tree, whole};
use super::*;

#[test]
fn every_streaming_engine_matches_the_reference_on_files() {
    let tree = tree();
    let list = InputList::expand(&[tree.dir.path().to_owned()]).expect("lists");
    let want = reference(&tree.read);
    for target in [1, 7, 64, 4096] {
        let reader = || ChunkReader::new(list.pieces(), target);
        let (single, _) = count_single_inputs(reader()).expect("reads");
        assert_eq!(single.first_difference(&want), None, "single, {target}");
        let (rayon, stats) = stream_chunks(reader(), 3, |queue| count_rayon_stream(queue, 3))
            .expect("reads and counts");
        assert_eq!(rayon.first_difference(&want), None, "rayon, {target}");
        assert_eq!(stats.pieces, tree.read.len());
        let setup = TimelySetup {
            threads: 3,
            cluster: None,
            chunk_bytes: target,
        };
        let (run, _) = stream_chunks(reader(), 3, |queue| {
            count_timely_stream(queue.clone(), list.fingerprint(), &setup)
        })
        .expect("reads and counts");
        let timely = run.counts.expect("worker 0 is in this process");
        assert_eq!(timely.first_difference(&want), None, "timely, {target}");
    }
}

#[test]
fn an_empty_input_counts_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let list = InputList::expand(&[dir.path().to_owned()]).expect("an empty dir lists");
    assert!(list.files.is_empty());
    let (counts, stats) = stream_chunks(ChunkReader::new(list.pieces(), 64), 2, |queue| {
        count_rayon_stream(queue, 2)
    })
    .expect("nothing to read is no error");
    assert_eq!((counts.total(), stats.bytes, stats.chunks), (0, 0, 0));
    let empty = dir.path().join("empty.txt");
    fs::write(&empty, "").expect("write");
    let (counts, stats) =
        count_single_inputs(ChunkReader::new(vec![whole(&empty)], 64)).expect("reads");
    assert_eq!((counts.total(), stats.pieces), (0, 1));
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_that_fails_part_way_ends_the_stream_with_an_error_naming_the_file() {
    // Reading /proc/self/mem at offset 0 fails with EIO: the file opens,
    // then its first read fails.
    let path = PathBuf::from("/proc/self/mem");
    let reader = ChunkReader::new(vec![whole(&path)], 1024);
    let error =
        stream_chunks(reader, 2, |queue| count_rayon_stream(queue, 2)).expect_err("the read fails");
    let StreamError::Input(error) = error else {
        panic!("not an input error: {error}");
    };
    assert!(!error.is_usage(), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("reading /proc/self/mem failed at byte 0: "),
        "{error}"
    );
}

#[test]
fn a_failing_engine_returns_at_once_without_draining_the_input() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("big.txt");
    fs::write(&path, corpus(4 << 20, 3)).expect("write");
    // Small chunks and a short queue: the reader soon waits on a full
    // queue, and must not keep the driver waiting once the engine fails.
    let reader = ChunkReader::new(vec![whole(&path)], 1024);
    let result = stream_chunks(reader, 2, |queue| {
        let _first = queue.next_chunk();
        Err::<(), _>("the engine gave up")
    });
    assert!(
        matches!(result, Err(StreamError::Engine("the engine gave up"))),
        "{result:?}"
    );
}

type Counted = Result<Option<WordCounts>, StreamError<TimelyError>>;

/// Two timely processes on loopback, each streaming `piece` and reporting
/// `listing` as its fingerprint; what each returned.
fn two_processes(pieces: [(PathBuf, u64); 2]) -> [Counted; 2] {
    let ports = [free_loopback_port(), free_loopback_port()].map(|p| p.expect("a free port"));
    let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let processes = pieces
        .into_iter()
        .enumerate()
        .map(|(process, (path, listing))| {
            let setup = TimelySetup {
                threads: 2,
                cluster: Some(ClusterSpec {
                    process,
                    addresses: addresses.clone(),
                    connect_timeout: Duration::from_secs(30),
                }),
                chunk_bytes: 1024,
            };
            std::thread::spawn(move || {
                stream_chunks(ChunkReader::new(vec![whole(&path)], 1024), 2, |queue| {
                    count_timely_stream(queue.clone(), listing, &setup)
                })
                .map(|(run, _)| run.counts)
            })
        })
        .collect::<Vec<_>>();
    let mut results = processes
        .into_iter()
        .map(|p| p.join().expect("a process's thread"));
    [(); 2].map(|()| results.next().expect("two processes"))
}

fn good_file(dir: &Path) -> PathBuf {
    let good = dir.join("good.txt");
    fs::write(&good, "alpha beta\n").expect("write");
    good
}

#[cfg(target_os = "linux")]
#[test]
fn a_timely_process_whose_read_fails_makes_process_0_fail_too() {
    // Process 1's reader fails part-way (/proc/self/mem opens, then fails
    // its first read); process 0 must not report the counts of its own
    // share as the whole.
    let dir = tempfile::tempdir().expect("a temp dir");
    let [zero, one] = two_processes([
        (good_file(dir.path()), 7),
        (PathBuf::from("/proc/self/mem"), 7),
    ]);
    match zero {
        Err(StreamError::Engine(e)) => assert!(
            e.to_string().contains(
                "process 1 could not read its share of the inputs, so the count is incomplete: reading /proc/self/mem failed at byte 0"
            ),
            "{e}"
        ),
        other => panic!("process 0 should fail: {other:?}"),
    }
    assert!(
        matches!(one, Err(StreamError::Input(InputError::Read { .. }))),
        "{one:?}"
    );
}

#[test]
fn timely_processes_that_listed_different_inputs_fail_on_process_0() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let good = good_file(dir.path());
    let [zero, one] = two_processes([(good.clone(), 0xaa), (good.clone(), 0xbb)]);
    match zero {
        Err(StreamError::Engine(e)) => assert!(
            e.to_string().contains(
                "process 1 listed other inputs than process 0 (listing fingerprint 00000000000000bb, not 00000000000000aa)"
            ),
            "{e}"
        ),
        other => panic!("process 0 should fail: {other:?}"),
    }
    assert!(matches!(one, Ok(None)), "process 1 holds no table: {one:?}");
    // The same listing on both: the markers leave no trace in the table.
    let [zero, _] = two_processes([(good.clone(), 0xaa), (good, 0xaa)]);
    let counts = zero.expect("the same listing counts").expect("worker 0");
    assert_eq!(counts.sorted(), [("alpha", 2), ("beta", 2)]);
}
