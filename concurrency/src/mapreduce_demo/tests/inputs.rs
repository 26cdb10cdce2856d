//! Counting the reader's own files: the listing (order, what is skipped,
//! errors that name the path), the chunk reader (no word split at a chunk
//! or file boundary, bytes that are not UTF-8, the word limit, a buffer the
//! size of a chunk), and shares across processes that count every word
//! once. The engines over these files are in `streaming.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

/// The reference for files: each file read whole, decoded as the reader
/// decodes it, counted on its own (so a file's end ends a word), merged.
pub(super) fn reference(paths: &[PathBuf]) -> WordCounts {
    let mut total = WordCounts::new();
    for path in paths {
        let bytes = fs::read(path).expect("a readable test file");
        total.merge(naive(&String::from_utf8_lossy(&bytes)));
    }
    total
}

/// Every chunk of `pieces` in chunks of `target` bytes, with the stats.
fn read_all(pieces: Vec<InputPiece>, target: usize) -> (Vec<String>, ReadStats) {
    let mut reader = ChunkReader::new(pieces, target);
    let mut chunks = Vec::new();
    while let Some(chunk) = reader.next_chunk().expect("the test files are readable") {
        chunks.push(chunk);
    }
    (chunks, reader.into_stats())
}

fn count_chunks(chunks: &[String]) -> WordCounts {
    let mut counts = WordCounts::new();
    for chunk in chunks {
        counts.tally(chunk);
    }
    counts
}

pub(super) fn whole(path: &Path) -> InputPiece {
    InputPiece {
        source: InputSource::File(path.to_owned()),
        range: None,
    }
}

/// A tree with the cases that matter: nested directories, files without a
/// trailing newline, a long word, bytes that are not UTF-8, an empty file,
/// and what the walk skips.
pub(super) struct Tree {
    pub(super) dir: tempfile::TempDir,
    /// The files the walk reads, in its order.
    pub(super) read: Vec<PathBuf>,
}

pub(super) fn tree() -> Tree {
    let dir = tempfile::tempdir().expect("a temp dir");
    let root = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = root.join(name);
        fs::create_dir_all(path.parent().expect("a file in the tree")).expect("mkdir");
        fs::write(&path, bytes).expect("write");
        path
    };
    let long_word = format!("{} tail\n", "w".repeat(300));
    let read = vec![
        write("a.txt", b"alpha beta"),
        write("b.txt", b"gamma alpha\n"),
        write("empty.txt", b""),
        write("sub/deeper/y.txt", long_word.as_bytes()),
        write("sub/latin1.txt", b"caf\xe9 caf\xe9\tna\xefve alpha"),
        write("sub/z.txt", b"  beta\r\nbeta\x0bbeta\x0cend"),
    ];
    write(".hidden.txt", b"hidden words");
    write(".git/config", b"hidden words");
    write("sub/.cache/x", b"hidden words");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("a.txt"), root.join("link.txt")).expect("symlink");
        std::os::unix::fs::symlink(root.join("sub"), root.join("sub/loop")).expect("symlink");
        std::os::unix::net::UnixListener::bind(root.join("sub/socket")).expect("a socket");
    }
    Tree { dir, read }
}

#[test]
fn the_walk_is_sorted_recursive_and_skips_hidden_entries_links_and_sockets() {
    let tree = tree();
    let list = InputList::expand(&[tree.dir.path().to_owned()]).expect("the tree lists");
    let listed: Vec<InputSource> = list.files.iter().map(|f| f.source.clone()).collect();
    let want: Vec<InputSource> = tree.read.iter().cloned().map(InputSource::File).collect();
    assert_eq!(listed, want);
    assert_eq!(list.skipped.hidden, 3, "{:?}", list.skipped);
    if cfg!(unix) {
        assert_eq!((list.skipped.symlinks, list.skipped.special), (2, 1));
    }
    let sizes: u64 = tree
        .read
        .iter()
        .map(|p| fs::metadata(p).expect("stat").len())
        .sum();
    assert_eq!(list.total_bytes(), Some(sizes));
}

#[test]
fn named_paths_are_read_as_given_even_hidden_or_links_and_twice() {
    let tree = tree();
    let root = tree.dir.path();
    let mut named = vec![root.join(".hidden.txt"), root.join("a.txt"), "-".into()];
    if cfg!(unix) {
        named.push(root.join("link.txt"));
    }
    named.push(root.join("a.txt"));
    let list = InputList::expand(&named).expect("named paths list");
    let sources: Vec<String> = list.files.iter().map(|f| f.source.to_string()).collect();
    let want: Vec<String> = named
        .iter()
        .map(|p| match p.to_str() {
            Some("-") => "<stdin>".to_owned(),
            _ => p.display().to_string(),
        })
        .collect();
    assert_eq!(sources, want);
    assert_eq!(list.total_bytes(), None, "stdin has no size in advance");
    assert_eq!(list.skipped, Skipped::default());
}

#[test]
fn bad_paths_are_errors_that_name_the_path_and_the_os_error() {
    let tree = tree();
    let root = tree.dir.path();
    let missing = root.join("missing.txt");
    let through_a_file = root.join("a.txt/inside");
    let cases = [
        (vec![missing.clone()], missing.display().to_string()),
        (
            vec![through_a_file.clone()],
            through_a_file.display().to_string(),
        ),
        (
            vec!["-".into(), "-".into()],
            "`-` (stdin) is named twice".into(),
        ),
    ];
    for (paths, want) in cases {
        let error = InputList::expand(&paths).expect_err("a bad path");
        let message = error.to_string();
        assert!(message.contains(&want), "{message}");
        assert!(error.is_usage(), "{message}");
        if !matches!(error, InputError::StdinTwice) {
            assert!(message.contains("(os error "), "{message}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_file_or_directory_that_cannot_be_read_is_an_error_of_the_listing() {
    use std::os::unix::fs::PermissionsExt;
    let tree = tree();
    let locked_dir = tree.dir.path().join("sub/deeper");
    let locked_file = tree.dir.path().join("b.txt");
    for (locked, want) in [
        (
            &locked_dir,
            format!("cannot list directory {}", locked_dir.display()),
        ),
        (
            &locked_file,
            format!("cannot open {}", locked_file.display()),
        ),
    ] {
        fs::set_permissions(locked, fs::Permissions::from_mode(0o000)).expect("chmod");
        let readable = fs::read_dir(locked).is_ok() || fs::File::open(locked).is_ok();
        let result = InputList::expand(&[tree.dir.path().to_owned()]);
        fs::set_permissions(locked, fs::Permissions::from_mode(0o755)).expect("chmod back");
        if readable {
            continue; // root reads anything: the case below still runs
        }
        let message = result.expect_err("a locked entry").to_string();
        assert!(
            message.contains(&want) && message.contains("Permission denied"),
            "{message}"
        );
    }
    // Permissions stop nothing when the tests run as root (as in CI
    // containers), so the loop above may check nothing; a write-only
    // sysctl file cannot be opened for reading even by root.
    let sysctl = Path::new("/proc/sys/vm/drop_caches");
    if sysctl.is_file() && fs::File::open(sysctl).is_err() {
        let message = InputList::expand(&[sysctl.to_owned()])
            .expect_err("a write-only file")
            .to_string();
        assert_eq!(
            message,
            "cannot open /proc/sys/vm/drop_caches: Permission denied (os error 13)"
        );
    }
}

#[test]
fn no_chunk_splits_a_word_or_spans_two_files() {
    let tree = tree();
    let want = reference(&tree.read);
    // `beta` ends a file without a newline, and `\x0b` (vertical tab) is
    // not ASCII whitespace to `split_ascii_whitespace`, so it joins words.
    assert_eq!(
        (
            want.get("beta"),
            want.get("beta\u{b}beta"),
            want.get("betagamma")
        ),
        (2, 1, 0),
        "{:?}",
        want.sorted()
    );
    assert_eq!(want.get(&"w".repeat(300)), 1);
    let pieces: Vec<InputPiece> = tree.read.iter().map(|p| whole(p)).collect();
    for target in [1, 2, 3, 7, 16, 64, 299, 300, 301, 4096, 1 << 20] {
        let (chunks, stats) = read_all(pieces.clone(), target);
        assert_eq!(
            count_chunks(&chunks).first_difference(&want),
            None,
            "target {target}"
        );
        assert!(chunks.iter().all(|c| !c.is_empty()), "target {target}");
        assert!(
            stats.largest_chunk <= target.max(1) + 301,
            "target {target}: a chunk of {} bytes",
            stats.largest_chunk
        );
        let bytes: u64 = tree
            .read
            .iter()
            .map(|p| fs::metadata(p).expect("stat").len())
            .sum();
        assert_eq!(stats.bytes, bytes, "target {target}");
        assert_eq!(stats.pieces, tree.read.len(), "target {target}");
    }
}

#[test]
fn bytes_that_are_not_utf8_count_as_replacement_characters_and_are_reported() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let latin1 = dir.path().join("latin1.txt");
    fs::write(&latin1, b"ok ok\ncaf\xe9 bin\xff\xfe\n\xc3").expect("write");
    let utf8 = dir.path().join("utf8.txt");
    fs::write(&utf8, "café ok".as_bytes()).expect("write");
    for target in [1, 4, 9, 100] {
        let (chunks, stats) = read_all(vec![whole(&latin1), whole(&utf8)], target);
        let counts = count_chunks(&chunks);
        assert_eq!(
            (
                counts.get("ok"),
                counts.get("caf\u{FFFD}"),
                counts.get("bin\u{FFFD}\u{FFFD}"),
                counts.get("\u{FFFD}"),
                counts.get("café"),
            ),
            (3, 1, 1, 1, 1),
            "target {target}: {:?}",
            counts.sorted()
        );
        assert_eq!(
            stats.not_utf8,
            vec![NotUtf8 {
                source: InputSource::File(latin1.clone()),
                offset: 9,
            }],
            "target {target}: the first invalid byte of the one file that is not UTF-8"
        );
        assert_eq!(stats.not_utf8_inputs, 1);
    }
}

#[test]
fn a_word_over_the_limit_is_an_error_naming_the_file_and_the_offset() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("blob.bin");
    fs::write(&path, format!("fine words\n{}", "x".repeat(5000))).expect("write");
    let mut reader = ChunkReader::new(vec![whole(&path)], 64).with_max_word(1000);
    let error = loop {
        match reader.next_chunk() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("a 5000-byte word passed a limit of 1000"),
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            error,
            InputError::WordTooLong {
                offset: 11,
                limit: 1000,
                ..
            }
        ),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(error.is_usage());
    assert!(
        reader.stats().largest_buffer < 4 * 1024,
        "the reader gave up without buffering the word: {:?}",
        reader.stats()
    );
}

#[test]
fn the_reader_holds_about_a_chunk_never_the_input() {
    // 24 MB of text through chunks of 64 KiB: the reader's buffer (all the
    // memory it has) stays about one chunk — the bytes are counted by the
    // reader itself, so this is exact, not timed.
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("big.txt");
    let block = corpus(1 << 20, 17);
    let mut text = String::with_capacity(24 << 20);
    for _ in 0..24 {
        text.push_str(&block);
    }
    fs::write(&path, &text).expect("write");
    let longest_word = text
        .split_ascii_whitespace()
        .map(str::len)
        .max()
        .unwrap_or(0);
    let target = 64 << 10;
    let mut reader = ChunkReader::new(vec![whole(&path)], target);
    let mut counts = WordCounts::new();
    while let Some(chunk) = reader.next_chunk().expect("readable") {
        counts.tally(&chunk);
    }
    let stats = reader.into_stats();
    assert_eq!(stats.bytes, text.len() as u64);
    assert!(stats.chunks >= 24 * 16, "{stats:?}");
    assert!(stats.largest_chunk <= target + longest_word, "{stats:?}");
    assert!(
        stats.largest_buffer <= 2 * (target + longest_word),
        "the reader held {} bytes for a {} byte input: {stats:?}",
        stats.largest_buffer,
        text.len()
    );
    assert_eq!(counts.first_difference(&count_single(&text)), None);
}

#[test]
fn shares_across_processes_count_every_word_once() {
    let tree = tree();
    let list = InputList::expand(&[tree.dir.path().to_owned()]).expect("lists");
    let want = reference(&tree.read);
    let total = list.total_bytes().expect("regular files");
    for parts in 1..=7 {
        let mut counts = WordCounts::new();
        let mut read = 0;
        for part in 0..parts {
            let share = list.share(part, parts).expect("regular files split");
            let (chunks, stats) = read_all(share, 5);
            counts.merge(count_chunks(&chunks));
            read += stats.bytes;
        }
        assert_eq!(counts.first_difference(&want), None, "{parts} parts");
        assert!(read >= total, "{parts} parts read {read} of {total} bytes");
    }
}

#[test]
fn a_run_across_processes_needs_inputs_of_known_size() {
    let list = InputList::expand(&["-".into()]).expect("stdin lists");
    assert!(list.share(0, 1).is_ok(), "one process reads stdin");
    let error = list.share(1, 2).expect_err("stdin cannot be split");
    assert!(matches!(error, InputError::NotSplittable { .. }), "{error}");
    assert!(error.to_string().contains("<stdin> is not a regular file"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever the files, the chunk size and the number of processes, the
    /// shares' chunks hold exactly the words of the files.
    #[test]
    fn shares_and_chunks_hold_exactly_the_words_of_the_files(
        files in proptest::collection::vec("([abé]{0,5}[ \t\n]{0,2}){0,30}", 0..5),
        target in 1usize..40,
        parts in 1usize..5,
    ) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let paths: Vec<PathBuf> = files
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let path = dir.path().join(format!("{i}.txt"));
                fs::write(&path, text).expect("write");
                path
            })
            .collect();
        let list = InputList::expand(&paths).expect("lists");
        let mut counts = WordCounts::new();
        for part in 0..parts {
            let (chunks, _) = read_all(list.share(part, parts).expect("splits"), target);
            counts.merge(count_chunks(&chunks));
        }
        proptest::prop_assert_eq!(counts.first_difference(&reference(&paths)), None);
    }
}
