//! The demo of `core/dataclasses-compare`: one record in three shapes, the
//! first failure against every failure, and (in `demo/per_million.rs`)
//! construction, validation and JSON timed per record for each shape.

use mastery_kit::{Area, Narrator, Topic};

use super::{AGE_RANGE, RecordError, User, UserRow, ValidatedUser};
use per_million::per_million;

mod per_million;

mastery_kit::inventory::submit! {
    Topic {
        id: "core/dataclasses-compare",
        area: Area::Core,
        rank: 5,
        title: "Dataclasses vs NamedTuple vs Pydantic",
        python: "@dataclass, typing.NamedTuple, pydantic.BaseModel (validated on construction)",
        rust: "struct + derives, tuple struct (JSON array), serde + garde validated struct: construction, validation and JSON measured",
        path: "core/src/dataclasses_compare/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    shapes_side_by_side(n)?;
    validation_reports(n)?;
    per_million(n)
}

pub(super) fn sample_user(i: usize) -> User {
    const TAGS: [&str; 5] = ["admin", "beta", "billing", "support", "eu-west"];
    User {
        id: i as u64 + 1,
        name: format!("User {i}"),
        email: format!("user{i}@example.com"),
        age: AGE_RANGE.0 + (i % 60) as u8,
        tags: vec![TAGS[i % 5].to_owned(), TAGS[(i / 5) % 5].to_owned()],
    }
}

fn shapes_side_by_side(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("One record, three shapes");
    let user = sample_user(41);
    let row = UserRow::from(user.clone());
    let validated = ValidatedUser::from(user.clone());
    n.show(format!("User      {}", serde_json::to_string(&user)?));
    n.show(format!("UserRow   {}", serde_json::to_string(&row)?));
    n.show(format!("Validated {}", serde_json::to_string(&validated)?));
    n.say(
        "The named struct and the validated one write the same object; the tuple struct \
         writes an array, as json.dumps does for a NamedTuple. In memory all three are the \
         same five fields:",
    );
    n.record_bytes("size of User (plain struct)", std::mem::size_of::<User>());
    n.record_bytes(
        "size of UserRow (tuple struct)",
        std::mem::size_of::<UserRow>(),
    );
    n.record_bytes(
        "size of ValidatedUser (rules add no bytes)",
        std::mem::size_of::<ValidatedUser>(),
    );
    Ok(())
}

fn validation_reports(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Validation: the first failure vs every failure, with paths");
    let raw = r#"{"id": 0, "name": " Ann", "email": "ann.example.com", "age": 9,
                  "tags": ["ok", "", "naïve"]}"#;
    n.show(raw.split_whitespace().collect::<Vec<_>>().join(" "));
    let user: User = serde_json::from_str(raw)?;
    match user.check() {
        Ok(()) => anyhow::bail!("the hand-written check accepted a bad record"),
        Err(e) => n.show(format!("User::check (__post_init__)  → {e}")),
    }
    let report = match ValidatedUser::parse_json(raw) {
        Ok(valid) => anyhow::bail!("garde accepted a bad record: {:?}", *valid),
        Err(RecordError::Json(e)) => anyhow::bail!("the record is well-formed JSON: {e}"),
        Err(RecordError::Invalid(report)) => report,
    };
    n.show("ValidatedUser::parse_json (garde) →");
    for (path, error) in report.iter() {
        n.show(format!("    {path}: {error}"));
    }
    n.record_count(
        "failures garde reported for that record",
        report.iter().count(),
    );
    let typo = r#"{"id": 1, "name": "Ann", "emial": "ann@example.com", "age": 30}"#;
    match ValidatedUser::parse_json(typo) {
        Err(e @ RecordError::Json(_)) => n.show(format!("a misspelt key → {e}")),
        other => anyhow::bail!("a misspelt key must fail in serde: {other:?}"),
    }
    Ok(())
}
