//! # Dataclasses vs NamedTuple vs Pydantic
//!
//! ## Python idiom
//! Three ways to give a record a shape:
//!
//! ```python
//! @dataclass(frozen=True, slots=True)        # generated __init__, __repr__, __eq__
//! class User:
//!     id: int
//!     name: str
//!     email: str
//!     age: int
//!     tags: list[str] = field(default_factory=list)
//!     def __post_init__(self):               # validation is yours to write
//!         if not 13 <= self.age <= 130: raise ValueError("age")
//!
//! class UserRow(NamedTuple):                 # a tuple with names: row[0], unpacking
//!     id: int; name: str; email: str; age: int; tags: list[str]
//!
//! class UserModel(BaseModel):                # Pydantic v2: validated on construction
//!     id: PositiveInt
//!     age: Annotated[int, Field(ge=13, le=130)]
//!     ...
//! UserModel.model_validate_json(raw)         # ValidationError lists every bad field
//! ```
//!
//! A dataclass checks nothing unless `__post_init__` does; a NamedTuple is a
//! tuple (and `json.dumps` writes it as a list); Pydantic validates every
//! field on the way in and reports all failures with their location. (Its
//! validation core, `pydantic-core`, is itself written in Rust.)
//!
//! ## Rust answer
//! - **`@dataclass` → a struct with derives.** [`User`] derives what the
//!   decorator generates: `Debug` (`__repr__`), `Clone`, `PartialEq`/`Eq`
//!   (`__eq__`), and serde's `Serialize`/`Deserialize` (`asdict` plus
//!   `json`). [`User::check`] is the hand-written `__post_init__`, and
//!   `slots` is free: a struct is its fields and nothing else.
//! - **`Hash` is checked when it is derived.** Every field must be `Hash`,
//!   and `Vec<String>` is, so a `User` can be a set member or a map key.
//!   Python's `frozen=True` generates a `__hash__` that hashes the fields
//!   only when called: `hash(user)` raises `TypeError: unhashable type:
//!   'list'` for this class, at run time (a `tuple[str, ...]` field would
//!   hash).
//! - **`Default` is not field defaults.** The derive gives every field its
//!   type's default — `0`, `""`, an empty `Vec` — which matches
//!   `default_factory=list` for `tags` but makes `id` and `age` zero, values
//!   the rules reject. Per-field defaults are a hand-written `impl Default`,
//!   or, for keys absent from JSON, `#[serde(default = "path")]` on the
//!   field (`tags` here takes `#[serde(default)]`, its type's).
//! - **`frozen` has no exact twin: mutability belongs to the binding, not
//!   the type.** `let user` cannot be changed through that name, but its
//!   owner may move it into `let mut user` and assign any `pub` field. A
//!   type is frozen only when its fields are private and no method takes
//!   `&mut self` — as `garde::Valid<T>` lends out `&T` and never `&mut T`.
//! - **`NamedTuple` → a tuple struct.** [`UserRow`] has fields `.0` to
//!   `.4`, destructures like tuple unpacking, and serde writes it as a JSON
//!   *array* — smaller, and just as position-dependent as the Python one.
//! - **Pydantic → serde + `garde`.** [`ValidatedUser`] declares its rules as
//!   attributes (`range`, `length`, `contains`, `ascii`, a `custom`
//!   function, `inner` rules for each tag); `validate()` checks every field
//!   and returns a `garde::Report` holding *every* failure with its path
//!   (`tags[2]`). [`ValidatedUser::new`] and [`ValidatedUser::parse_json`]
//!   are the model's constructor and `model_validate_json`: they return
//!   `garde::Valid<ValidatedUser>`, a wrapper only validation can create.
//!
//! ```
//! use mastery_core::dataclasses_compare::{RecordError, ValidatedUser};
//!
//! let raw = r#"{"id": 7, "name": "Ann", "email": "ann.example.com", "age": 9, "tags": ["ok", ""]}"#;
//! let Err(RecordError::Invalid(report)) = ValidatedUser::parse_json(raw) else {
//!     panic!("three fields are invalid");
//! };
//! let paths: Vec<String> = report.iter().map(|(path, _)| path.to_string()).collect();
//! // garde reports fields in alphabetical order of their names (its derive
//! // walks them in a sorted map); Pydantic reports in declaration order,
//! // which would be email, age, tags.1.
//! assert_eq!(paths, ["age", "email", "tags[1]"]);
//! ```
//!
//! ## When to use which
//! - **A plain struct** for records your own code builds: the type system
//!   already guarantees the shape, so there is nothing left to check at run
//!   time except *business* rules — write those as a method, or better as
//!   newtypes (see `core/typing-examples`) so they hold everywhere.
//! - **A tuple struct** for small, obvious records (`Rgb(u8, u8, u8)`,
//!   `Meters(f64)`) and newtypes; for five fields, names win — `row.3` is
//!   the same readability trap as `row[3]`. Its array JSON is smaller, but
//!   a reader (or a peer service) must know the column order, and adding a
//!   field breaks every old document.
//! - **serde + garde** for records that arrive from outside (requests,
//!   files, queues), when you want *all* failures reported with paths,
//!   rules next to the fields, and a `Valid<T>` proof type. The price is a
//!   validation pass after parsing — the demo measures it — and rules that
//!   are attributes rather than types, so code that builds the struct by
//!   hand can skip them; newtypes cannot be skipped.
//! - Strictness differs from Pydantic: serde does not coerce (`"42"` is not
//!   an integer), which Pydantic's default lax mode would accept. Extra
//!   keys are ignored unless `#[serde(deny_unknown_fields)]` — here they
//!   are refused, like `model_config = ConfigDict(extra="forbid")`.
//!
//! ## Run it
//! `mastery run core/dataclasses-compare` (construction, validation and
//! JSON to and from, per million records, for all three shapes in one
//! table; validated vs plain construction and tuple vs named JSON compared
//! head to head), and `cargo test -p mastery-core dataclasses_compare`
//! (garde reports with field paths, hand-written and garde rules agreeing,
//! JSON round trips as property tests, array vs object JSON).

use mastery_kit::{Area, Narrator, Topic, Unit};
use serde::{Deserialize, Serialize};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/dataclasses-compare",
        area: Area::Core,
        rank: 5,
        title: "Dataclasses vs NamedTuple vs Pydantic",
        python: "@dataclass, typing.NamedTuple, pydantic.BaseModel (validated on construction)",
        rust: "struct + derives, tuple struct (JSON array), serde + garde validated struct: construction, validation and JSON measured",
        path: "core/src/dataclasses_compare.rs",
        source: include_str!("dataclasses_compare.rs"),
        run: demo,
    }
}

// ---- the rules, shared by the hand-written check and the garde attributes --

/// Longest name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// Shortest and longest e-mail address, in bytes.
pub const EMAIL_BYTES: (usize, usize) = (3, 254);
/// Youngest and oldest allowed age.
pub const AGE_RANGE: (u8, u8) = (13, 130);
/// Most tags on one user.
pub const MAX_TAGS: usize = 8;
/// Longest tag, in bytes (tags are ASCII).
pub const TAG_MAX_BYTES: usize = 32;

// ---- @dataclass → struct + derives ----------------------------------------

/// A user as a plain record: `@dataclass(frozen=True, slots=True)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// Positive id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Age in years.
    pub age: u8,
    /// Labels; absent in JSON means none (`field(default_factory=list)`).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The first rule a [`User`] breaks, as `__post_init__` would raise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// Which field: `name`, `tags[2]`, ...
    pub field: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn field_error(field: impl Into<String>, problem: &'static str) -> Result<(), FieldError> {
    Err(FieldError {
        field: field.into(),
        problem,
    })
}

impl User {
    /// The hand-written `__post_init__`: the same rules as
    /// [`ValidatedUser`]'s attributes, stopping at the first failure.
    ///
    /// # Errors
    /// [`FieldError`] naming the first field that breaks a rule.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.id == 0 {
            return field_error("id", "must be at least 1");
        }
        let chars = self.name.chars().count();
        if chars == 0 || chars > NAME_MAX_CHARS {
            return field_error("name", "must have 1 to 64 characters");
        }
        if self.name.trim() != self.name {
            return field_error("name", "must not start or end with whitespace");
        }
        if !(EMAIL_BYTES.0..=EMAIL_BYTES.1).contains(&self.email.len()) {
            return field_error("email", "must have 3 to 254 bytes");
        }
        if !self.email.contains('@') {
            return field_error("email", "must contain `@`");
        }
        if !(AGE_RANGE.0..=AGE_RANGE.1).contains(&self.age) {
            return field_error("age", "must be 13 to 130");
        }
        if self.tags.len() > MAX_TAGS {
            return field_error("tags", "must have at most 8 entries");
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if !tag.is_ascii() || tag.is_empty() || tag.len() > TAG_MAX_BYTES {
                return field_error(format!("tags[{i}]"), "must be 1 to 32 ASCII characters");
            }
        }
        Ok(())
    }
}

// ---- NamedTuple → tuple struct --------------------------------------------

/// The same record as a tuple struct: `class UserRow(NamedTuple)`. Fields
/// by position: id, name, email, age, tags. Serialized as a JSON array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UserRow(pub u64, pub String, pub String, pub u8, pub Vec<String>);

impl From<User> for UserRow {
    fn from(u: User) -> Self {
        UserRow(u.id, u.name, u.email, u.age, u.tags)
    }
}

/// `row._asdict()`: the named form of a row.
impl From<UserRow> for User {
    fn from(UserRow(id, name, email, age, tags): UserRow) -> Self {
        User {
            id,
            name,
            email,
            age,
            tags,
        }
    }
}

// ---- Pydantic → serde + garde ---------------------------------------------

/// The same record with its rules attached: `class UserModel(BaseModel)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, garde::Validate)]
#[serde(deny_unknown_fields)]
pub struct ValidatedUser {
    /// Positive id.
    #[garde(range(min = 1))]
    pub id: u64,
    /// Display name: 1–64 characters, no surrounding whitespace.
    #[garde(length(chars, min = 1, max = NAME_MAX_CHARS), custom(no_surrounding_whitespace))]
    pub name: String,
    /// E-mail address: 3–254 bytes with an `@` (a sanity check, not RFC 5322).
    #[garde(length(min = EMAIL_BYTES.0, max = EMAIL_BYTES.1), contains("@"))]
    pub email: String,
    /// Age in years, 13–130.
    #[garde(range(min = AGE_RANGE.0, max = AGE_RANGE.1))]
    pub age: u8,
    /// At most 8 labels, each 1–32 ASCII characters.
    #[serde(default)]
    #[garde(length(max = MAX_TAGS), inner(ascii, length(min = 1, max = TAG_MAX_BYTES)))]
    pub tags: Vec<String>,
}

/// A garde `custom` rule: the value and the (here empty) context.
fn no_surrounding_whitespace(value: &str, _context: &()) -> garde::Result {
    if value.trim() != value {
        return Err(garde::Error::new("must not start or end with whitespace"));
    }
    Ok(())
}

/// Why [`ValidatedUser::parse_json`] refused a record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not JSON, or not the shape of a user (a missing, unknown or mistyped
    /// field); serde's message names the field, the line and the column.
    #[error("not a user record: {0}")]
    Json(#[from] serde_json::Error),
    /// The shape is right but values break rules; every failure, with its
    /// path.
    #[error("invalid user record: {}", one_line(.0))]
    Invalid(#[from] garde::Report),
}

/// `path: message; path: message` — a report on one line.
fn one_line(report: &garde::Report) -> String {
    report
        .iter()
        .map(|(path, error)| format!("{path}: {error}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidatedUser {
    /// Pydantic's `UserModel(id=..., ...)`: builds and validates.
    ///
    /// # Errors
    /// A `garde::Report` with every rule the values break.
    pub fn new(
        id: u64,
        name: impl Into<String>,
        email: impl Into<String>,
        age: u8,
        tags: Vec<String>,
    ) -> Result<garde::Valid<Self>, garde::Report> {
        garde::Unvalidated::new(ValidatedUser {
            id,
            name: name.into(),
            email: email.into(),
            age,
            tags,
        })
        .validate()
    }

    /// `UserModel.model_validate_json(raw)`: parse, then validate.
    ///
    /// # Errors
    /// [`RecordError::Json`] when the text is not a user's shape,
    /// [`RecordError::Invalid`] when values break rules.
    pub fn parse_json(json: &str) -> Result<garde::Valid<Self>, RecordError> {
        let unchecked: garde::Unvalidated<ValidatedUser> = serde_json::from_str(json)?;
        Ok(unchecked.validate()?)
    }
}

impl From<User> for ValidatedUser {
    /// Moves the fields over *unchecked*; call `validate()` before trusting it.
    fn from(u: User) -> Self {
        ValidatedUser {
            id: u.id,
            name: u.name,
            email: u.email,
            age: u.age,
            tags: u.tags,
        }
    }
}

// ---- demo -------------------------------------------------------------------

fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    shapes_side_by_side(n)?;
    validation_reports(n)?;
    per_million(n)
}

fn sample_user(i: usize) -> User {
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
    n.record(
        "size of User (plain struct)",
        std::mem::size_of::<User>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of UserRow (tuple struct)",
        std::mem::size_of::<UserRow>() as f64,
        Unit::Bytes,
    );
    n.record(
        "size of ValidatedUser (rules add no bytes)",
        std::mem::size_of::<ValidatedUser>() as f64,
        Unit::Bytes,
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
    n.record(
        "failures garde reported for that record",
        report.iter().count() as f64,
        Unit::Count,
    );
    let typo = r#"{"id": 1, "name": "Ann", "emial": "ann@example.com", "age": 30}"#;
    match ValidatedUser::parse_json(typo) {
        Err(e @ RecordError::Json(_)) => n.show(format!("a misspelt key → {e}")),
        other => anyhow::bail!("a misspelt key must fail in serde: {other:?}"),
    }
    Ok(())
}

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

fn per_million(n: &mut Narrator) -> anyhow::Result<()> {
    let count = n.mode().pick(10_000, 250_000);
    n.section("Per million records: construct, validate, JSON out and in");
    n.say(&format!(
        "Each figure is the median time for {count} records ({}), divided per record: \
         nanoseconds per record, which is the same number as milliseconds per million \
         records. A record has two short strings and two tags, so building one allocates \
         five times in every shape; records are built into Vecs of {BATCH}. JSON is one \
         record per line (JSON Lines).",
        n.mode().pick(
            "quick mode: a small batch; run without --quick for 250_000",
            "full mode"
        )
    ));
    let source: Vec<User> = (0..count).map(sample_user).collect();
    // Untimed warm-up: build and drop one full Vec of records. Until a large
    // block has been freed once, glibc's malloc hands freed memory back to
    // the kernel (heap trimming) and every batch faults it in again; freeing
    // one raises its thresholds. Without this, whichever row is measured
    // first looks a third slower.
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
    n.compare_timed(
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
    let validated: Vec<ValidatedUser> = source.iter().map(build_validated).collect();
    n.compare_timed(
        "validate: garde derive vs hand-written __post_init__ checks",
        ops,
        || validated.iter().filter(|u| garde_ok(u)).count(),
        "hand-written checks",
        || source.iter().filter(|u| hand_ok(u)).count(),
    );
    drop(validated);
    n.say(
        "On valid records both check every rule. The derive's rules are generic code that \
         also carries what a report needs (paths, all failures, not just the first); what \
         that costs per record is the ratio above, and it buys rules that sit on the fields \
         they guard.",
    );
    n.compare(
        "JSON bytes: tuple struct (array) vs struct (object)",
        tuple.json_bytes,
        plain.json_bytes,
        "named struct",
        Unit::Bytes,
    );
    let rows: Vec<UserRow> = source.iter().map(build_row).collect();
    let (mut row_buffer, mut user_buffer) = (Vec::new(), Vec::new());
    n.compare_timed(
        "to JSON: tuple struct vs named struct",
        ops,
        || write_json_lines(&rows, &mut row_buffer),
        "named struct",
        || write_json_lines(source, &mut user_buffer),
    );
    let (row_text, user_text) = (json_lines(&rows)?, json_lines(source)?);
    drop(rows);
    n.compare_timed(
        "from JSON: tuple struct vs named struct",
        ops,
        || parse_all(&row_text, parse_row),
        "named struct",
        || parse_all(&user_text, parse_user),
    );
    n.say(
        "Validation is a pass over fields already in memory, so it is set against the \
         allocations of building a record and the work of parsing it (the two shares under the table). \
         The tuple struct's JSON is smaller because it repeats no field names — the same \
         trade as msgpack arrays vs maps — and exactly as fragile: the order of the columns \
         is the schema. Whether that also makes it faster is in the two timings above.",
    );
    Ok(())
}

// ---- tests ------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use garde::Validate;
    use proptest::prelude::*;

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
        let mut n = Narrator::silent("core/dataclasses-compare", mastery_kit::Mode::Quick);
        let started = std::time::Instant::now();
        demo(&mut n).expect("demo succeeds");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "quick means quick (debug build)"
        );
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
}
