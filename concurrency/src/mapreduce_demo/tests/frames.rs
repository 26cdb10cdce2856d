//! The frames: every message round-trips, every malformed frame is an error
//! that says what arrived, and the worker's side of a conversation.

use super::*;

fn round_trip(message: &Message) -> Message {
    let mut wire = Vec::new();
    message.write_to(&mut wire).expect("a Vec accepts writes");
    let mut input = wire.as_slice();
    let back = Message::read_from(&mut input)
        .expect("a frame we wrote decodes")
        .expect("one frame");
    assert!(input.is_empty(), "the frame is read exactly");
    back
}

#[test]
fn every_message_round_trips() {
    let counts = count_single("a b b c c c é");
    for message in [
        Message::Hello {
            version: PROTOCOL_VERSION,
            pid: 4242,
        },
        Message::Chunk("the cat sat".into()),
        Message::Chunk(String::new()),
        Message::End,
        Message::Counts(counts),
        Message::Counts(WordCounts::new()),
        Message::Failure("out of memory".into()),
    ] {
        assert_eq!(round_trip(&message), message);
    }
    assert!(
        Message::read_from(&mut &[][..])
            .expect("clean end")
            .is_none()
    );
}

fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

fn counts_payload(entries: &[(&[u8], u64)], announced: u64) -> Vec<u8> {
    let mut p = announced.to_le_bytes().to_vec();
    for (word, count) in entries {
        p.extend_from_slice(&(word.len() as u32).to_le_bytes());
        p.extend_from_slice(word);
        p.extend_from_slice(&count.to_le_bytes());
    }
    p
}

#[test]
fn malformed_frames_are_errors_that_say_what() {
    let mut hello = HELLO_MAGIC.to_vec();
    hello.extend_from_slice(&[1, 0, 0, 0, 7, 0, 0, 0]);
    // One entry whose word claims 20 bytes where 3 (and a count) follow.
    let mut short_word = 1u64.to_le_bytes().to_vec();
    short_word.extend_from_slice(&20u32.to_le_bytes());
    short_word.extend_from_slice(b"abc");
    short_word.extend_from_slice(&7u64.to_le_bytes());
    let mut huge = vec![FrameKind::Chunk.byte()];
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![2, 5, 0], "the frame header needs 5 bytes, 3 arrived"),
        (
            frame(2, b"hello")[..7].to_vec(),
            "the chunk needs 5 bytes, 2 arrived",
        ),
        (frame(0x72, b"unning 0 tests"), "unknown frame kind 0x72"),
        (huge, "a chunk frame of 4294967295 bytes is over the limit"),
        (
            frame(2, &[0x66, 0xff, 0x6f]),
            "malformed chunk frame: not UTF-8",
        ),
        (frame(3, b"x"), "an end frame carries no payload"),
        (
            frame(1, &hello[1..]),
            "malformed hello frame: expected the 16-byte magic",
        ),
        (
            frame(4, &short_word),
            "malformed counts frame: needs 20 bytes at offset 12, only 11 remain",
        ),
        (
            frame(4, &counts_payload(&[(b"a", 1)], 1_000_000)),
            "announces 1000000 entries",
        ),
        (
            frame(4, &counts_payload(&[(b"a", 1), (b"a", 2)], 2)),
            "the word `a` appears twice",
        ),
        (
            frame(4, &counts_payload(&[(&[0xff], 1)], 1)),
            "entry 0: the word is not UTF-8",
        ),
        (
            frame(4, &[counts_payload(&[(b"a", 1)], 1), vec![0]].concat()),
            "1 bytes left over",
        ),
    ];
    for (wire, want) in cases {
        let error = Message::read_from(&mut wire.as_slice()).expect_err(want);
        assert!(
            error.to_string().contains(want),
            "{error} does not say {want:?}"
        );
    }
}

#[test]
fn a_worker_counts_jobs_and_answers_each_end() {
    let text = corpus(200_000, 6);
    let mut input = Vec::new();
    for _job in 0..2 {
        for chunk in split_chunks(&text, 10_000) {
            write_chunk(&mut input, chunk).expect("a Vec accepts writes");
        }
        Message::End
            .write_to(&mut input)
            .expect("a Vec accepts writes");
    }
    let mut output = Vec::new();
    let exit = serve_worker(input.as_slice(), &mut output, WorkerOptions::default())
        .expect("a well-formed conversation");
    assert_eq!(exit, WorkerExit::ParentClosed { jobs: 2 });
    let mut replies = output.as_slice();
    let hello = Message::read_from(&mut replies)
        .expect("frame")
        .expect("hello");
    assert!(matches!(
        hello,
        Message::Hello {
            version: PROTOCOL_VERSION,
            ..
        }
    ));
    let reference = count_single(&text);
    for job in 0..2 {
        match Message::read_from(&mut replies).expect("frame") {
            Some(Message::Counts(counts)) => {
                assert_eq!(counts.first_difference(&reference), None, "job {job}")
            }
            other => panic!("job {job}: expected counts, got {other:?}"),
        }
    }
    assert!(
        Message::read_from(&mut replies)
            .expect("clean end")
            .is_none()
    );
}

#[test]
fn a_worker_refuses_bad_frames_and_says_why() {
    let mut input = Vec::new();
    Message::Hello { version: 1, pid: 1 }
        .write_to(&mut input)
        .expect("Vec");
    let mut output = Vec::new();
    let error = serve_worker(input.as_slice(), &mut output, WorkerOptions::default())
        .expect_err("a hello from the parent is wrong");
    assert!(matches!(error, ServeError::Unexpected(FrameKind::Hello)));
    let mut replies = output.as_slice();
    let _hello = Message::read_from(&mut replies).expect("frame");
    match Message::read_from(&mut replies).expect("frame") {
        Some(Message::Failure(why)) => assert!(why.contains("unexpected hello frame"), "{why}"),
        other => panic!("expected a failure frame, got {other:?}"),
    }
}

#[test]
fn the_crash_hook_stops_the_named_worker_at_its_chunk() {
    let options = WorkerOptions::from_crash_spec(1, Some("1:2")).expect("valid");
    assert_eq!(options.crash_at_chunk, Some(2));
    let other = WorkerOptions::from_crash_spec(0, Some("1:2")).expect("valid");
    assert_eq!(other.crash_at_chunk, None);
    for bad in ["1", "x:2", "1:0", "1:-3"] {
        assert!(
            WorkerOptions::from_crash_spec(1, Some(bad)).is_err(),
            "{bad}"
        );
    }
    let mut input = Vec::new();
    for chunk in ["a b", "c d", "e f"] {
        write_chunk(&mut input, chunk).expect("Vec");
    }
    let exit = serve_worker(input.as_slice(), io::sink(), options).expect("stops cleanly");
    assert_eq!(exit, WorkerExit::CrashRequested { chunk: 2 });
}
