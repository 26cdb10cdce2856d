//! The textbook parser against the production one: the same verdict and
//! the same events on every conformance case and on random JSON-ish text,
//! under any chunking.

use proptest::prelude::*;

use super::{JsonOptions, JsonParser, OwnedJsonEvent, SimpleJsonParser};
use crate::streaming_parsers::ErrorKind;
use crate::streaming_parsers::testkit::{load_case_folder, split_at};

/// The events, and the error's kind if the parse failed.
type Outcome = (Vec<OwnedJsonEvent>, Option<ErrorKind>);

fn simple(chunks: &[&[u8]]) -> Outcome {
    let mut parser = SimpleJsonParser::new();
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(kind) = parser.feed(chunk, |e| events.push(e)) {
            return (events, Some(kind));
        }
    }
    let end = parser.finish(|e| events.push(e));
    (events, end.err())
}

/// The production parser in the textbook's dialect: one value, a byte
/// order mark is an error, nesting limited to the default depth.
fn production(chunks: &[&[u8]]) -> Outcome {
    let options = JsonOptions {
        skip_bom: false,
        ..JsonOptions::new()
    };
    let mut parser = JsonParser::new(options);
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, |e| events.push(e.to_owned_event())) {
            return (events, Some(e.kind().clone()));
        }
    }
    let end = parser.finish(|e| events.push(e.to_owned_event()));
    (events, end.err().map(|e| e.kind().clone()))
}

/// Both accept or both reject; when they accept, the same events.
fn agree(input: &[u8], cuts: &[usize]) -> Result<(), String> {
    let chunks = split_at(input, cuts);
    let (ours, ours_error) = simple(&chunks);
    let (theirs, theirs_error) = production(&chunks);
    let shown = String::from_utf8_lossy(input);
    if ours_error.is_some() != theirs_error.is_some() {
        return Err(format!(
            "{shown:?} cut at {cuts:?}: textbook {ours_error:?}, production {theirs_error:?}"
        ));
    }
    if ours_error.is_none() && ours != theirs {
        return Err(format!(
            "{shown:?}: textbook events {ours:?}, production {theirs:?}"
        ));
    }
    Ok(())
}

#[test]
fn the_textbook_agrees_on_every_conformance_case_and_split() {
    let mut failures = Vec::new();
    let mut tested = 0;
    for folder in ["json/accepted", "json/rejected"] {
        for (path, case) in load_case_folder(folder) {
            if case.options_name != "default" {
                continue;
            }
            tested += 1;
            for at in 0..=case.input.len() {
                if let Err(why) = agree(&case.input, &[at]) {
                    failures.push(format!("{}: {why}", path.display()));
                    break;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        tested >= 100,
        "only {tested} default-option cases were found"
    );
}

#[test]
fn the_textbook_reads_escapes_and_rejects_lone_surrogates() {
    let (events, error) = simple(&[br#"["\ud83d\ude00 \u00e9\n", -0.5e+3]"#]);
    assert_eq!(error, None);
    assert_eq!(
        events,
        [
            OwnedJsonEvent::StartArray,
            OwnedJsonEvent::String("😀 é\n".into()),
            OwnedJsonEvent::Number("-0.5e+3".into()),
            OwnedJsonEvent::EndArray,
        ]
    );
    for (input, kind) in [
        (
            &br#""\ud83d""#[..],
            ErrorKind::LoneSurrogate { code_unit: 0xD83D },
        ),
        (
            br#""\ude00""#,
            ErrorKind::LoneSurrogate { code_unit: 0xDE00 },
        ),
        (
            br#""\ud83dx""#,
            ErrorKind::LoneSurrogate { code_unit: 0xD83D },
        ),
        (
            b"[1,]",
            ErrorKind::UnexpectedByte {
                found: b']',
                expected: "a value",
            },
        ),
        (b"1 2", ErrorKind::TrailingCharacters),
    ] {
        assert_eq!(
            simple(&[input]).1,
            Some(kind),
            "{}",
            String::from_utf8_lossy(input)
        );
    }
    let deep = vec![b'['; 1025];
    assert_eq!(simple(&[&deep]).1, Some(ErrorKind::TooDeep { limit: 1024 }));
}

proptest! {
    /// JSON-ish token soup: mostly invalid, sometimes valid, always the
    /// same verdict and events from both parsers, however it is cut.
    #[test]
    fn the_textbook_agrees_on_json_ish_text(
        text in r#"[\[\]{}:, "a0-9.eE+\-\\ufdtrnl]{0,40}"#,
        cuts in prop::collection::vec(0usize..48, 0..4),
    ) {
        prop_assert_eq!(agree(text.as_bytes(), &cuts), Ok(()));
    }

    /// Valid documents built by serde_json, cut anywhere.
    #[test]
    fn the_textbook_agrees_on_valid_documents(
        value in prop::collection::vec((any::<i32>(), "[a-zé\"\\\\\n😀]{0,6}", any::<bool>()), 0..6),
        cuts in prop::collection::vec(0usize..200, 0..4),
    ) {
        let text = serde_json::to_string(&value).expect("serializable");
        let (_, error) = simple(&[text.as_bytes()]);
        prop_assert_eq!(error, None);
        prop_assert_eq!(agree(text.as_bytes(), &cuts), Ok(()));
    }
}
