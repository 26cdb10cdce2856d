//! Per record, for each shape: construct, validate, JSON out and in, and
//! the JSON's size — one table — then the pairs a reader asks about, head
//! to head, each with both sides' samples interleaved.

use mastery_kit::{Narrator, Unit};
use serde::Serialize;

use super::sample_user;
use crate::dataclasses_compare::{User, UserRow, ValidatedUser};

/// Per-record figures of one shape, ns per record (= ms per million).
struct Row {
    construct: f64,
    validate: Option<f64>,
    to_json: f64,
    from_json: f64,
    json_bytes: f64,
}

/// How to build, check and parse one shape, for [`measure_row`].
struct Shape<T> {
    /// Table and label name.
    name: &'static str,
    build: fn(&User) -> T,
    check: Option<fn(&T) -> bool>,
    /// Parses one JSON record (and validates, for the validated shape).
    parse: fn(&str) -> bool,
}

fn build_user(u: &User) -> User {
    User {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        age: u.age,
        tags: u.tags.clone(),
    }
}

fn build_row(u: &User) -> UserRow {
    UserRow(u.id, u.name.clone(), u.email.clone(), u.age, u.tags.clone())
}

fn build_validated(u: &User) -> ValidatedUser {
    ValidatedUser {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        age: u.age,
        tags: u.tags.clone(),
    }
}

fn hand_ok(u: &User) -> bool {
    u.check().is_ok()
}

fn garde_ok(u: &ValidatedUser) -> bool {
    garde::Validate::validate(u).is_ok()
}

fn parse_user(line: &str) -> bool {
    serde_json::from_str::<User>(line).is_ok()
}

fn parse_row(line: &str) -> bool {
    serde_json::from_str::<UserRow>(line).is_ok()
}

fn parse_validated(line: &str) -> bool {
    ValidatedUser::parse_json(line).is_ok()
}

/// Records are built, kept in a `Vec` and dropped in batches of this many:
/// the steady state of an allocator that reuses memory. (One `Vec` of a
/// quarter million records would time page faults — the kernel handing the
/// process fresh memory — and they land on whichever shape is measured
/// first.)
const BATCH: usize = 1_000;

/// Builds every record of `source` with `build`, batch by batch; how many.
fn construct_all<T>(source: &[User], build: impl Fn(&User) -> Option<T>) -> usize {
    source
        .chunks(BATCH)
        .map(|batch| batch.iter().filter_map(&build).collect::<Vec<T>>().len())
        .sum()
}

/// Writes `records` as JSON Lines into `out` (cleared first); its length.
fn write_json_lines<T: Serialize>(records: &[T], out: &mut Vec<u8>) -> serde_json::Result<usize> {
    out.clear();
    for record in records {
        serde_json::to_writer(&mut *out, record)?;
        out.push(b'\n');
    }
    Ok(out.len())
}

/// `records` as JSON Lines.
fn json_lines<T: Serialize>(records: &[T]) -> anyhow::Result<String> {
    let mut buffer = Vec::new();
    write_json_lines(records, &mut buffer)?;
    Ok(String::from_utf8(buffer)?)
}

/// How many lines of `text` `parse` accepts.
fn parse_all(text: &str, parse: fn(&str) -> bool) -> usize {
    text.lines().filter(|line| parse(line)).count()
}

fn measure_row<T: Serialize>(
    n: &mut Narrator,
    source: &[User],
    shape: &Shape<T>,
) -> anyhow::Result<Row> {
    let count = source.len();
    let ops = count as u64;
    let name = shape.name;
    let build = shape.build;
    let construct = n.measure(&format!("{name}: construct"), ops, || {
        construct_all(source, |u| Some(build(u)))
    });
    let records: Vec<T> = source.iter().map(build).collect();
    let validate = match shape.check {
        None => None,
        Some(check) => {
            let passed = records.iter().filter(|r| check(r)).count();
            anyhow::ensure!(passed == count, "{name}: {passed} of {count} records valid");
            let timing = n.measure(&format!("{name}: validate"), ops, || {
                records.iter().filter(|r| check(r)).count()
            });
            Some(timing.ns_per_op)
        }
    };
    let mut buffer = Vec::new();
    let to_json = n.measure(&format!("{name}: to JSON"), ops, || {
        write_json_lines(&records, &mut buffer)
    });
    drop(records);
    let text = json_lines(&source.iter().map(build).collect::<Vec<T>>())?;
    let parsed = parse_all(&text, shape.parse);
    anyhow::ensure!(parsed == count, "{name}: parsed {parsed} of {count} lines");
    let from_json = n.measure(&format!("{name}: from JSON"), ops, || {
        parse_all(&text, shape.parse)
    });
    Ok(Row {
        construct: construct.ns_per_op,
        validate,
        to_json: to_json.ns_per_op,
        from_json: from_json.ns_per_op,
        json_bytes: (text.len() - count) as f64 / count as f64,
    })
}

fn cell(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), mastery_kit::narrator::format_value)
}

pub(super) fn per_million(n: &mut Narrator) -> anyhow::Result<()> {
    // Records are built in batches of BATCH and JSON is streamed line by
    // line, so the time per record is the same for a few batches as for
    // hundreds of them: the default run times five batches, deep mode 250.
    // A short sample also keeps a busy machine from preempting one side of
    // a pair and not the other.
    let count = n.mode().pick_deep(2_000, 5_000, 250_000);
    n.section("Per million records: construct, validate, JSON out and in");
    n.say(&format!(
        "Each figure is the median time for {count} records ({}), divided per record: \
         nanoseconds per record, which is the same number as milliseconds per million \
         records. A record has two short strings and two tags, so building one allocates \
         five times in every shape; records are built into Vecs of {BATCH}, so the figure \
         per record does not depend on how many batches are timed. JSON is one record per \
         line (JSON Lines).",
        n.mode().pick_deep(
            "quick mode: two batches; run without --quick for a verdict",
            "`--deep` times 250_000",
            "deep mode"
        )
    ));
    let source: Vec<User> = (0..count).map(sample_user).collect();
    // Untimed warm-up: build and drop one full Vec of records. Until a large
    // block has been freed once, glibc's malloc hands freed memory back to
    // the kernel (heap trimming) and every batch faults it in again; freeing
    // one raises its thresholds. Without this, the row measured first would
    // pay page faults that the rows after it do not.
    let warm: Vec<User> = source.iter().map(build_user).collect();
    anyhow::ensure!(warm.len() == count, "the warm-up built every record");
    drop(warm);
    let plain = measure_row(
        n,
        &source,
        &Shape {
            name: "User (plain struct)",
            build: build_user,
            check: Some(hand_ok),
            parse: parse_user,
        },
    )?;
    let tuple = measure_row(
        n,
        &source,
        &Shape {
            name: "UserRow (tuple struct)",
            build: build_row,
            check: None,
            parse: parse_row,
        },
    )?;
    let validated = measure_row(
        n,
        &source,
        &Shape {
            name: "ValidatedUser (serde + garde)",
            build: build_validated,
            check: Some(garde_ok),
            parse: parse_validated,
        },
    )?;

    n.say("Milliseconds per million records (= ns per record), measured above:");
    n.show(format!(
        "{:<34} {:>9} {:>9} {:>9} {:>10} {:>11}",
        "Python → Rust", "construct", "validate", "to JSON", "from JSON", "JSON bytes"
    ));
    let rows = [
        ("@dataclass → struct User", &plain, " (check: hand-written)"),
        ("NamedTuple → tuple struct UserRow", &tuple, " (no rules)"),
        (
            "Pydantic → serde + garde",
            &validated,
            " (from JSON validates)",
        ),
    ];
    for (label, row, note) in rows {
        n.show(format!(
            "{label:<34} {:>9} {:>9} {:>9} {:>10} {:>11}{note}",
            cell(Some(row.construct)),
            cell(row.validate),
            cell(Some(row.to_json)),
            cell(Some(row.from_json)),
            cell(Some(row.json_bytes)),
        ));
    }
    if let Some(garde) = validated.validate {
        n.record(
            "garde validation, as a share of constructing the record",
            100.0 * garde / validated.construct,
            Unit::Percent,
        );
        n.record(
            "garde validation, as a share of parsing a User from JSON",
            100.0 * garde / plain.from_json,
            Unit::Percent,
        );
    }
    head_to_head(n, &source, &tuple, &plain)
}

/// The pairs a reader asks about, each timed with the two sides' samples
/// interleaved so machine noise hits both alike.
fn head_to_head(n: &mut Narrator, source: &[User], tuple: &Row, plain: &Row) -> anyhow::Result<()> {
    n.section("Head to head, per record");
    let ops = source.len() as u64;
    let construct = n.compare_timed(
        "construct + validate (Pydantic-style) vs construct alone (@dataclass)",
        ops,
        || {
            construct_all(source, |u| {
                ValidatedUser::new(u.id, &u.name, &u.email, u.age, u.tags.clone()).ok()
            })
        },
        "plain struct, unchecked",
        || construct_all(source, |u| Some(build_user(u))),
    );
    n.say(&format!(
        "Construct and validate against construct alone: {}. The checks read fields \
         already in memory; building allocates five times per record.",
        construct.in_words(
            "constructing and validating is faster",
            "constructing alone is faster"
        )
    ));
    let validated: Vec<ValidatedUser> = source.iter().map(build_validated).collect();
    let validate = n.compare_timed(
        "validate: garde derive vs hand-written __post_init__ checks",
        ops,
        || validated.iter().filter(|u| garde_ok(u)).count(),
        "hand-written checks",
        || source.iter().filter(|u| hand_ok(u)).count(),
    );
    drop(validated);
    n.say(&format!(
        "On valid records both check every rule; the derive's rules are generic code that \
         also carries what a report needs (paths, all failures, not just the first). Timed on \
         the same records: {}. What the derive buys is rules that sit on the fields they guard.",
        validate.in_words("garde is faster", "the hand-written checks are faster")
    ));
    n.compare(
        "JSON bytes: tuple struct (array) vs struct (object)",
        tuple.json_bytes,
        plain.json_bytes,
        "named struct",
        Unit::Bytes,
    );
    let rows: Vec<UserRow> = source.iter().map(build_row).collect();
    let (mut row_buffer, mut user_buffer) = (Vec::new(), Vec::new());
    let write = n.compare_timed(
        "to JSON: tuple struct vs named struct",
        ops,
        || write_json_lines(&rows, &mut row_buffer),
        "named struct",
        || write_json_lines(source, &mut user_buffer),
    );
    let (row_text, user_text) = (json_lines(&rows)?, json_lines(source)?);
    drop(rows);
    let read = n.compare_timed(
        "from JSON: tuple struct vs named struct",
        ops,
        || parse_all(&row_text, parse_row),
        "named struct",
        || parse_all(&user_text, parse_user),
    );
    n.say(&format!(
        "Validation is a pass over fields already in memory, so it is set against the \
         allocations of building a record and the work of parsing it (the two shares under \
         the table). The tuple struct's JSON is smaller because it repeats no field names — \
         the same trade as msgpack arrays vs maps — and exactly as fragile: the order of the \
         columns is the schema. Writing it: {}; reading it: {}.",
        write.in_words("the array is faster", "the object is faster"),
        read.in_words("the array is faster", "the object is faster"),
    ));
    Ok(())
}
