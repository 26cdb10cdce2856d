//! `mastery mapreduce --input`, through the real binary: every engine
//! counts a tree of files as the reference does (words cut by chunk
//! boundaries, files without a trailing newline, bytes that are not
//! UTF-8), stdin, the errors for bad inputs, empty inputs, two timely
//! processes each reading its share, and memory that stays bounded by the
//! chunks rather than the input.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use mastery_concurrency::mapreduce_demo::{CorpusSpec, RunSummary, WordCounts, count_single};

use super::{
    DEADLINE, assert_same, loopback_hostfile, mastery, read_tsv, run, temp_dir, text,
    timely_process,
};

/// The reference: each file read whole, bytes that are not UTF-8 read as
/// U+FFFD, counted on its own (a file's end ends a word), merged.
fn reference(paths: &[PathBuf]) -> WordCounts {
    let mut total = WordCounts::new();
    for path in paths {
        let bytes = fs::read(path).expect("a test file");
        total.merge(count_single(&String::from_utf8_lossy(&bytes)));
    }
    total
}

fn total_size(paths: &[PathBuf]) -> u64 {
    paths
        .iter()
        .map(|p| fs::metadata(p).expect("stat").len())
        .sum()
}

/// A tree of the cases that matter; returns the files the walk reads, in
/// its order.
fn write_tree(root: &Path) -> Vec<PathBuf> {
    let write = |name: &str, bytes: &[u8]| {
        let path = root.join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        fs::write(&path, bytes).expect("write");
        path
    };
    let long_word = format!("short {} short\n", "long".repeat(40));
    let read = vec![
        write("a.txt", b"alpha beta"),
        write("b.txt", b"gamma alpha\n"),
        write("docs/empty.txt", b""),
        write("docs/nested/deep.txt", long_word.as_bytes()),
        write("docs/nested/latin1.txt", b"caf\xe9 na\xefve alpha\n"),
        write("docs/z.txt", b"beta\r\n  beta\tend"),
    ];
    write(".hidden/skipped.txt", b"never counted");
    write("docs/.skipped.txt", b"never counted");
    read
}

#[test]
fn every_engine_counts_a_tree_of_files_as_the_reference_does() {
    let dir = temp_dir();
    let root = dir.path().join("tree");
    let files = write_tree(&root);
    let want = reference(&files);
    assert_eq!(want.get("never"), 0);
    assert_eq!(want.get(&"long".repeat(40)), 1);
    let engines = ["single", "rayon", "processes", "timely"];
    let tables: Vec<PathBuf> = engines
        .iter()
        .map(|e| dir.path().join(format!("{e}.tsv")))
        .collect();
    // Chunks of 16 bytes: the 160-byte word and most others cross a chunk
    // boundary; `beta` ends a file without a newline.
    let commands = engines
        .iter()
        .zip(&tables)
        .map(|(engine, table)| {
            let mut command = mastery(&[
                "mapreduce",
                "--engine",
                engine,
                "--workers",
                "2",
                "--chunk-bytes",
                "16",
                "--top",
                "3",
            ]);
            command.arg("--input").arg(&root).arg("--output").arg(table);
            command
        })
        .collect();
    for ((engine, table), out) in engines.iter().zip(&tables).zip(run(commands)) {
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{engine}: {stderr}");
        let summary = RunSummary::parse(&stdout).expect("a summary");
        assert_eq!(
            (summary.words, summary.digest, summary.bytes),
            (want.total(), want.digest(), total_size(&files)),
            "{engine}: {stdout}"
        );
        assert_same(&read_tsv(table), &want, engine);
        assert!(
            stdout.contains("inputs:     6 files")
                && stdout.contains("skipped in directories: 2 hidden entries, 0 symlinks"),
            "{engine}: {stdout}"
        );
        assert!(
            stderr.contains("latin1.txt is not UTF-8 (first invalid byte at offset 3)"),
            "{engine}: {stderr}"
        );
    }
}

/// Runs `command` with `stdin` as its standard input, under the deadline.
fn run_with_stdin(mut command: Command, stdin: &Path) -> Output {
    let mut child = command
        .stdin(File::open(stdin).expect("the stdin file"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mastery starts");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mastery with stdin overstayed {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    }
}

#[test]
fn dash_reads_stdin_alone_or_among_files() {
    let dir = temp_dir();
    let piped = dir.path().join("stdin.txt");
    fs::write(&piped, "from stdin alpha\nalpha").expect("write");
    let file = dir.path().join("file.txt");
    fs::write(&file, "alpha from a file").expect("write");
    for (engine, with_file) in [("single", false), ("rayon", true), ("processes", true)] {
        let mut command = mastery(&[
            "mapreduce",
            "--engine",
            engine,
            "--workers",
            "2",
            "--chunk-bytes",
            "4",
            "--input",
            "-",
        ]);
        let mut want = reference(std::slice::from_ref(&piped));
        if with_file {
            command.arg(&file);
            want.merge(reference(std::slice::from_ref(&file)));
        }
        let out = run_with_stdin(command, &piped);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{engine}: {}", text(&out.stderr));
        let summary = RunSummary::parse(&stdout).expect("a summary");
        assert_eq!(
            (summary.words, summary.digest),
            (want.total(), want.digest()),
            "{engine}: {stdout}"
        );
        assert!(stdout.contains("alpha"), "the top words: {stdout}");
    }
}

#[test]
fn bad_inputs_exit_2_naming_the_path_or_the_flag() {
    let dir = temp_dir();
    let file = dir.path().join("words.txt");
    fs::write(&file, "some words").expect("write");
    let file_arg = file.to_str().expect("a UTF-8 temp path").to_owned();
    let missing = dir.path().join("missing.txt");
    let missing_arg = missing.to_str().expect("a UTF-8 temp path").to_owned();
    let inside = format!("{file_arg}/inside");
    let blob = dir.path().join("blob.bin");
    fs::write(&blob, vec![b'x'; (16 << 20) + 10]).expect("write");
    let blob_arg = blob.to_str().expect("a UTF-8 temp path").to_owned();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--input", &file_arg, "--bytes", "1MB"],
            "'--bytes <SIZE>'".into(),
        ),
        (
            vec!["--seed", "3", "--input", &file_arg],
            "'--seed <N>'".into(),
        ),
        (
            vec!["--input", &file_arg, "--vocabulary", "10"],
            "'--vocabulary <N>'".into(),
        ),
        (
            vec!["--input", &missing_arg],
            format!("cannot open {missing_arg}: No such file or directory (os error 2)"),
        ),
        (
            vec!["--input", &inside],
            format!("cannot open {inside}: Not a directory (os error 20)"),
        ),
        (
            vec!["--input", "-", &file_arg, "-"],
            "`-` (stdin) is named twice".into(),
        ),
        (
            vec!["--engine", "timely", "-n", "2", "-p", "0", "--input", "-"],
            "<stdin> is not a regular file: a timely run across processes splits the inputs".into(),
        ),
        (
            vec!["--engine", "single", "--input", &blob_arg],
            format!("{blob_arg}: the word at byte 0 is longer than 16777216 bytes"),
        ),
    ];
    let commands = cases
        .iter()
        .map(|(args, _)| {
            let mut command = mastery(&["mapreduce", "--workers", "2"]);
            command.args(args);
            command
        })
        .collect();
    for ((args, want), out) in cases.iter().zip(run(commands)) {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want.as_str()), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_that_fails_part_way_exits_1_naming_the_file_and_the_os_error() {
    // /proc/self/mem opens, then fails its first read with EIO.
    let commands = ["single", "rayon", "processes", "timely"]
        .into_iter()
        .map(|engine| {
            mastery(&[
                "mapreduce",
                "--engine",
                engine,
                "--workers",
                "2",
                "--input",
                "/proc/self/mem",
            ])
        })
        .collect();
    for out in run(commands) {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("reading /proc/self/mem failed at byte 0: Input/output error"),
            "{stderr}"
        );
    }
}

#[test]
fn empty_inputs_count_zero_words_and_say_so() {
    let dir = temp_dir();
    let nothing = dir.path().join("nothing");
    fs::create_dir_all(nothing.join(".only-hidden")).expect("mkdir");
    let empties = dir.path().join("empties");
    fs::create_dir_all(&empties).expect("mkdir");
    fs::write(empties.join("a.txt"), "").expect("write");
    fs::write(empties.join("b.txt"), " \n\t ").expect("write");
    let cases = [
        (
            &nothing,
            "warning: the inputs hold no files to read (skipped 1 hidden entry",
        ),
        (
            &empties,
            "warning: the inputs (2 files, 4 bytes) hold no words",
        ),
    ];
    let commands = cases
        .iter()
        .flat_map(|(path, _)| {
            ["single", "timely"].map(|engine| {
                let mut command = mastery(&["mapreduce", "--engine", engine, "--workers", "2"]);
                command.arg("--input").arg(path);
                command
            })
        })
        .collect();
    let outputs = run(commands);
    for (out, (_, want)) in outputs.iter().zip(cases.iter().flat_map(|c| [c, c])) {
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let summary = RunSummary::parse(&text(&out.stdout)).expect("a summary");
        assert_eq!((summary.words, summary.distinct), (0, 0));
        assert!(stderr.contains(want), "{stderr}");
    }
}

#[test]
fn two_timely_processes_each_read_their_share_and_together_match_the_reference() {
    let dir = temp_dir();
    let root = dir.path().join("tree");
    let mut files = write_tree(&root);
    // A file large enough that the cut between the shares falls inside it.
    let corpus = CorpusSpec::new(300_000, 21).generate().expect("valid");
    let big = root.join("docs/nested/corpus.txt");
    fs::write(&big, &corpus).expect("write");
    files.push(big);
    let want = reference(&files);
    let total = total_size(&files);
    let hostfile = loopback_hostfile(dir.path());
    let table = dir.path().join("counts.tsv");
    let process = |i: &str| {
        let mut command = timely_process(&hostfile, i);
        command
            .args(["--chunk-bytes", "4KiB"])
            .arg("--output")
            .arg(&table)
            .arg("--input")
            .arg(&root);
        command
    };
    let outputs = run(vec![process("1"), process("0")]);
    for (name, out) in ["process 1", "process 0"].iter().zip(&outputs) {
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
    let stdout = text(&outputs[1].stdout);
    let summary = RunSummary::parse(&stdout).expect("process 0 prints the summary");
    assert_eq!(
        (summary.words, summary.digest, summary.bytes),
        (want.total(), want.digest(), total),
        "{stdout}"
    );
    assert_same(&read_tsv(&table), &want, "two timely processes over files");
    let other = text(&outputs[0].stdout);
    let share = |out: &str, prefix: &str| -> u64 {
        let rest = &out[out
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix}: {out}"))
            + prefix.len()..];
        rest.split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a byte count after {prefix}: {out}"))
    };
    let read_0 = share(&stdout, "share:      process 0 of 2 read ");
    let read_1 = share(&other, "process 1 of 2: counted its share (");
    for read in [read_0, read_1] {
        assert!(
            read > total / 4 && read < total * 3 / 4,
            "each process reads about half of the {total} bytes: {read_0} and {read_1}"
        );
    }
    assert!(read_0 + read_1 >= total, "{read_0} + {read_1} < {total}");
}

/// The peak heap a run reports, in KB.
fn peak_heap_kb(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("peak heap:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no peak heap in: {stdout}"))
}

#[test]
fn memory_stays_bounded_by_the_chunks_not_the_input() {
    // 32 MiB of text, a small vocabulary (so the count tables are small),
    // chunks of 64 KiB and two workers: every engine's process holds a few
    // chunks, never the input. The figure is the counting allocator's peak
    // (this process's heap; worker processes hold one chunk each on their
    // own).
    let dir = temp_dir();
    let path = dir.path().join("big.txt");
    let block = CorpusSpec {
        vocabulary: 2_000,
        ..CorpusSpec::new(1 << 20, 5)
    }
    .generate()
    .expect("valid");
    let mut file = fs::File::create(&path).expect("create");
    for _ in 0..32 {
        std::io::Write::write_all(&mut file, block.as_bytes()).expect("write");
    }
    drop(file);
    let input_kb = (32 << 20) / 1024;
    let commands = ["single", "rayon", "processes", "timely"]
        .into_iter()
        .map(|engine| {
            let mut command = mastery(&[
                "mapreduce",
                "--engine",
                engine,
                "--workers",
                "2",
                "--chunk-bytes",
                "64KiB",
                "--top",
                "0",
            ]);
            command.arg("--input").arg(&path);
            command
        })
        .collect();
    // The bound: (2 × workers + 1) chunks of at most 64 KiB plus a word,
    // each buffer at most twice its contents, and room for the count tables
    // of 2 000 words and the engines' own buffers: 4 MiB, an eighth of the
    // input (the runs measured here peak at about 1 MiB).
    let bound_kb = 4 * 1024;
    for out in run(commands) {
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let peak = peak_heap_kb(&stdout);
        assert!(
            peak < bound_kb,
            "peak heap {peak} KB for a {input_kb} KB input, over the bound of {bound_kb} KB: {stdout}"
        );
    }
}

/// A file this process cannot open: `locked` with its permissions taken
/// away or, when they stop nothing (tests running as root), a write-only
/// sysctl file, which not even root may read. `None` when neither works.
fn unreadable_file(locked: &Path) -> Option<PathBuf> {
    fs::write(locked, "locked words").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(locked, fs::Permissions::from_mode(0o000)).expect("chmod");
        if File::open(locked).is_err() {
            return Some(locked.to_owned());
        }
    }
    let sysctl = Path::new("/proc/sys/vm/drop_caches");
    (sysctl.is_file() && File::open(sysctl).is_err()).then(|| sysctl.to_owned())
}

#[test]
fn an_unreadable_file_exits_2_naming_it_before_anything_is_counted() {
    let dir = temp_dir();
    let Some(locked) = unreadable_file(&dir.path().join("locked.txt")) else {
        eprintln!("skipped: no file here is unreadable to this process");
        return;
    };
    let readable = dir.path().join("readable.txt");
    fs::write(&readable, "some words").expect("write");
    let want = format!(
        "cannot open {}: Permission denied (os error 13)",
        locked.display()
    );
    let commands = ["single", "rayon", "processes", "timely"]
        .into_iter()
        .map(|engine| {
            let mut command = mastery(&["mapreduce", "--engine", engine, "--workers", "2"]);
            command.arg("--input").arg(&readable).arg(&locked);
            command
        })
        .collect();
    for out in run(commands) {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&want), "{stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing is counted: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn timely_processes_given_different_inputs_fail_on_process_0() {
    // Per-host paths are not supported: process 1 lists one more file, so
    // the byte ranges of the two listings do not fit together, and process
    // 0 says so instead of printing a wrong count.
    let dir = temp_dir();
    let root = dir.path().join("tree");
    write_tree(&root);
    let extra = dir.path().join("extra.txt");
    fs::write(&extra, "one more file").expect("write");
    let hostfile = loopback_hostfile(dir.path());
    let process = |i: &str, inputs: &[&Path]| {
        let mut command = timely_process(&hostfile, i);
        command.arg("--input").args(inputs);
        command
    };
    let outputs = run(vec![process("1", &[&root, &extra]), process("0", &[&root])]);
    let stderr = text(&outputs[1].stderr);
    assert_eq!(outputs[1].status.code(), Some(1), "process 0: {stderr}");
    assert!(
        stderr.contains("process 1 listed other inputs than process 0"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
