//! garde's reports with their paths (and their order), the hand-written
//! and garde rules agreeing, what the derives give, and JSON in every
//! shape — round trips as properties.

use garde::Validate;
use proptest::prelude::*;

use super::demo::{demo, sample_user};
use super::validation::one_line;
use super::*;

fn ann() -> User {
    User {
        id: 1,
        name: "ann".into(),
        email: "ann@example.com".into(),
        age: 30,
        tags: vec!["admin".into()],
    }
}

fn paths(report: &garde::Report) -> Vec<String> {
    report.iter().map(|(path, _)| path.to_string()).collect()
}

#[test]
fn tuple_structs_serialize_as_arrays_and_structs_as_objects() {
    let user = ann();
    let named = serde_json::to_string(&user).expect("serializes");
    let row = serde_json::to_string(&UserRow::from(user.clone())).expect("serializes");
    let validated = serde_json::to_string(&ValidatedUser::from(user)).expect("serializes");
    assert_eq!(
        named,
        r#"{"id":1,"name":"ann","email":"ann@example.com","age":30,"tags":["admin"]}"#
    );
    assert_eq!(row, r#"[1,"ann","ann@example.com",30,["admin"]]"#);
    assert_eq!(validated, named, "the rules change nothing on the wire");
    let value: serde_json::Value = serde_json::from_str(&row).expect("json");
    assert!(value.is_array());
    assert!(
        serde_json::from_str::<User>(&row).is_ok(),
        "serde accepts a struct as a sequence too"
    );
    assert!(
        serde_json::from_str::<UserRow>(&named).is_err(),
        "but not a tuple struct as a map"
    );
}

#[test]
fn garde_reports_every_failure_with_its_path() {
    // garde reports in field-name order (its derive keeps fields in a
    // BTreeMap), not in declaration order.
    let cases: [(User, &[&str]); 6] = [
        (ann(), &[]),
        (User { id: 0, ..ann() }, &["id"]),
        (
            User {
                name: " ann".into(),
                ..ann()
            },
            &["name"],
        ),
        (
            User {
                name: "é".repeat(65),
                email: "nope".into(),
                ..ann()
            },
            &["email", "name"],
        ),
        (
            User {
                age: 12,
                tags: vec!["ok".into(), String::new(), "naïve".into(), "x".repeat(33)],
                ..ann()
            },
            &["age", "tags[1]", "tags[2]", "tags[3]"],
        ),
        (
            User {
                tags: vec!["t".into(); 9],
                ..ann()
            },
            &["tags"],
        ),
    ];
    for (user, want) in cases {
        let validated = ValidatedUser::from(user.clone());
        let got = validated
            .validate()
            .err()
            .map(|r| paths(&r))
            .unwrap_or_default();
        assert_eq!(got, want, "{user:?}");
        match user.check() {
            Ok(()) => assert!(want.is_empty()),
            Err(e) => assert!(want.contains(&e.field.as_str()), "{e} is one of {want:?}"),
        }
    }
}

#[test]
fn garde_reports_fields_alphabetically_not_in_declaration_order() {
    // Declared id, name, email, age, tags: every one broken.
    let user = User {
        id: 0,
        name: String::new(),
        email: "x".into(),
        age: 1,
        tags: vec![String::new()],
    };
    let report = ValidatedUser::from(user)
        .validate()
        .expect_err("every field is bad");
    let fields: Vec<String> = paths(&report)
        .into_iter()
        .map(|path| path.split('[').next().unwrap_or_default().to_owned())
        .collect();
    let mut sorted = fields.clone();
    sorted.sort();
    assert_eq!(fields, sorted, "alphabetical by field name");
    assert_eq!(fields.first().map(String::as_str), Some("age"));
    assert_eq!(fields.last().map(String::as_str), Some("tags"));
}

#[test]
fn derived_hash_and_default_are_what_the_types_give() {
    // Hash: checked at compile time, and a Vec<String> field hashes.
    let users: std::collections::HashSet<User> = [ann(), ann()].into_iter().collect();
    assert_eq!(users.len(), 1);
    // Default: each field's type default, not the record's rules.
    let default = User::default();
    assert_eq!((default.id, default.age), (0, 0));
    assert!(
        default.check().is_err(),
        "a derived Default is not a valid user"
    );
}

#[test]
fn mutability_belongs_to_the_binding_not_the_type() {
    let frozen = ann();
    let mut thawed = frozen; // the owner moves it into a `mut` binding
    thawed.age = 31;
    assert_eq!(thawed.age, 31);
}

#[test]
fn report_messages_say_what_is_wrong() {
    let report = ValidatedUser::new(1, "ann ", "ann@example.com", 200, vec![])
        .expect_err("bad name and age");
    let shown = one_line(&report);
    assert!(
        shown.contains("name: must not start or end with whitespace"),
        "{shown}"
    );
    assert!(shown.contains("age: greater than 130"), "{shown}");
}

#[test]
fn parse_json_separates_shape_errors_from_rule_errors() {
    let good = r#"{"id": 3, "name": "Bo", "email": "bo@x.io", "age": 40}"#;
    let valid = ValidatedUser::parse_json(good).expect("valid");
    assert_eq!(valid.tags, Vec::<String>::new(), "tags default to empty");
    let typo = r#"{"id": 3, "name": "Bo", "emial": "bo@x.io", "age": 40}"#;
    match ValidatedUser::parse_json(typo) {
        Err(RecordError::Json(e)) => {
            assert!(e.to_string().starts_with("unknown field `emial`"), "{e}");
            assert_eq!((e.line(), e.column()), (1, 31));
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    let wrong_type = r#"{"id": "3", "name": "Bo", "email": "bo@x.io", "age": 40}"#;
    assert!(matches!(
        ValidatedUser::parse_json(wrong_type),
        Err(RecordError::Json(_))
    ));
    let rules = r#"{"id": 3, "name": "Bo", "email": "bo.x.io", "age": 40}"#;
    match ValidatedUser::parse_json(rules) {
        Err(RecordError::Invalid(report)) => assert_eq!(paths(&report), ["email"]),
        other => panic!("expected a rule error, got {other:?}"),
    }
}

#[test]
fn the_shapes_convert_and_share_a_layout() {
    let user = ann();
    assert_eq!(User::from(UserRow::from(user.clone())), user);
    assert_eq!(std::mem::size_of::<User>(), std::mem::size_of::<UserRow>());
    assert_eq!(
        std::mem::size_of::<User>(),
        std::mem::size_of::<ValidatedUser>()
    );
    assert!((0..1_000).map(sample_user).all(|u| u.check().is_ok()));
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("core/dataclasses-compare", demo);
    let bytes = n
        .comparisons()
        .iter()
        .find(|c| c.label.starts_with("JSON bytes"))
        .expect("the size comparison");
    assert!(bytes.ours < bytes.peer, "arrays are smaller than objects");
    assert!(
        n.measurements()
            .iter()
            .any(|m| m.label == "ValidatedUser (serde + garde): validate")
    );
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" x".to_owned()),
        Just("naïve".to_owned()),
        "[a-z@. ]{0,8}",
        "[a-z]{60,70}",
        ".{0,6}",
    ]
}

prop_compose! {
    fn any_user()(
        id in 0u64..3,
        name in text(),
        email in text(),
        age in any::<u8>(),
        tags in proptest::collection::vec(text(), 0..10),
    ) -> User {
        User { id, name, email, age, tags }
    }
}

proptest! {
    /// Every record, valid or not, survives JSON in all three shapes.
    #[test]
    fn json_round_trips_in_every_shape(user in any_user()) {
        let json = serde_json::to_string(&user).expect("serializes");
        prop_assert_eq!(serde_json::from_str::<User>(&json).expect("parses"), user.clone());
        let row = UserRow::from(user.clone());
        let json = serde_json::to_string(&row).expect("serializes");
        prop_assert_eq!(serde_json::from_str::<UserRow>(&json).expect("parses"), row);
        let validated = ValidatedUser::from(user);
        let json = serde_json::to_string(&validated).expect("serializes");
        prop_assert_eq!(serde_json::from_str::<ValidatedUser>(&json).expect("parses"), validated);
    }

    /// The hand-written __post_init__ and the garde attributes are the
    /// same rules: they accept and reject the same records, and the
    /// field the hand-written check stops at is among garde's paths.
    #[test]
    fn hand_written_and_garde_rules_agree(user in any_user()) {
        let hand = user.check();
        let garde = ValidatedUser::from(user).validate();
        prop_assert_eq!(hand.is_ok(), garde.is_ok());
        if let (Err(first), Err(report)) = (hand, garde) {
            prop_assert!(paths(&report).contains(&first.field), "{} not in {:?}", first, paths(&report));
        }
    }
}
