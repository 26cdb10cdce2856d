//! The demo of `core/typing-examples`: static vs `dyn` vs enum dispatch
//! timed, a typed parse against `serde_json::Value`, the errors of real bad
//! documents, and the typestate builder with the compiler's refusal.

use std::hint::black_box;
use std::time::Duration;

use mastery_kit::{Area, Comparison, Narrator, Topic, Verdict};

use super::{
    AnyShape, Circle, LogLevel, Method, NoMethod, NoUrl, NonEmpty, Port, ProxyConfig, Rect,
    Request, RequestBuilder, Shape, Triangle, WithMethod, WithUrl, Workers, parse_typed,
    total_area, total_area_boxed, total_area_dyn,
};

mastery_kit::inventory::submit! {
    Topic {
        id: "core/typing-examples",
        area: Area::Core,
        rank: 4,
        title: "Advanced typing: Protocol, TypedDict, Literal, Annotated",
        python: "Protocol, TypedDict, Literal[...], Annotated[int, Gt(0)]: checked by mypy, kept in __annotations__ but not enforced at run time",
        rust: "traits (generic or dyn), serde structs with deny_unknown_fields, enums, validated newtypes and const generics, typestate builders",
        path: "core/src/typing_examples/mod.rs",
        source: include_str!("mod.rs"),
        run: demo,
    }
}

pub(super) fn demo(n: &mut Narrator) -> anyhow::Result<()> {
    dispatch_costs(n)?;
    typed_parsing(n)?;
    validation_errors(n)?;
    literals_and_newtypes(n)?;
    typestate(n);
    Ok(())
}

/// A seeded sequence of shapes of mixed kinds in pseudo-random order (a
/// linear congruential generator picks the kind).
pub(super) fn mixed_shapes(count: usize) -> Vec<AnyShape> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let size = 1.0 + (i % 7) as f64;
            match state >> 62 {
                0 | 1 => AnyShape::Circle(Circle { radius: size }),
                2 => AnyShape::Rect(Rect {
                    width: size,
                    height: 2.0,
                }),
                _ => AnyShape::Triangle(Triangle {
                    base: size,
                    height: 3.0,
                }),
            }
        })
        .collect()
}

pub(super) fn boxed(shape: AnyShape) -> Box<dyn Shape> {
    match shape {
        AnyShape::Circle(c) => Box::new(c),
        AnyShape::Rect(r) => Box::new(r),
        AnyShape::Triangle(t) => Box::new(t),
    }
}

/// Runs `pass` `reps` times over `black_box`ed input, so the optimizer can
/// neither hoist the work out of the loop nor see through the slice.
fn repeat<T: ?Sized>(reps: usize, input: &T, pass: impl Fn(&T) -> f64) -> f64 {
    let mut sum = 0.0;
    for _ in 0..reps {
        sum += pass(black_box(input));
    }
    sum
}

fn dispatch_costs(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Protocol → trait: static vs dynamic dispatch, measured");
    // 4 096 shapes stay in L1/L2, so the figures are about the call, not
    // about memory; full mode repeats the pass to time a longer stretch,
    // deep mode a longer one still (the time per call does not change).
    const SHAPES: usize = 4_096;
    let reps = n.mode().pick_deep(4, 16, 64);
    let ops = (SHAPES * reps) as u64;
    let circles: Vec<Circle> = (0..SHAPES)
        .map(|i| Circle {
            radius: 1.0 + (i % 13) as f64,
        })
        .collect();
    let circle_refs: Vec<&dyn Shape> = circles.iter().map(|c| c as &dyn Shape).collect();
    anyhow::ensure!(
        total_area(&circles) == total_area_dyn(&circle_refs),
        "both dispatches must compute the same sum"
    );
    n.say(&format!(
        "The same {SHAPES} circles summed {reps} times: through a generic `S: Shape` (the call \
         inlined) and through `&dyn Shape` (a vtable call per circle). Inputs pass through \
         std::hint::black_box, so neither loop can be folded away."
    ));
    let homogeneous = n.compare_timed(
        "area of one circle: generic `total_area::<Circle>` vs `&dyn Shape`",
        ops,
        || repeat(reps, circles.as_slice(), total_area),
        "&dyn Shape",
        || repeat(reps, circle_refs.as_slice(), total_area_dyn),
    );
    explain_ratio(
        n,
        &homogeneous,
        "The generic",
        "`&dyn`",
        "with `area` inlined the loop is a multiply and an add per circle, and the \
         compiler may unroll and vectorise the multiplies; through `&dyn` every circle is an \
         indirect call it cannot see into.",
    );

    // Long enough that the branch predictors cannot memorise the order of
    // kinds, as they do for a few thousand shapes summed over and over: the
    // enum would then be timed on a list it has learnt, not on an unseen one.
    const MIXED: usize = 1 << 16;
    let mixed_reps = n.mode().pick_deep(1, 2, 8);
    let mixed = mixed_shapes(MIXED);
    let boxes: Vec<Box<dyn Shape>> = mixed.iter().copied().map(boxed).collect();
    anyhow::ensure!(
        total_area(&mixed) == total_area_boxed(&boxes),
        "enum and boxed dispatch must compute the same sum"
    );
    n.say(&format!(
        "A mixed list of {MIXED} circles, rectangles and triangles in pseudo-random order, \
         summed {mixed_reps} times: as a closed enum (`Vec<AnyShape>`, a match per element, \
         values inline) and as an open set (`Vec<Box<dyn Shape>>`, a heap pointer and a \
         vtable call per element)."
    ));
    let heterogeneous = n.compare_timed(
        "area of one mixed shape: enum `AnyShape` vs `Box<dyn Shape>`",
        (MIXED * mixed_reps) as u64,
        || repeat(mixed_reps, mixed.as_slice(), total_area),
        "Box<dyn Shape>",
        || repeat(mixed_reps, boxes.as_slice(), total_area_boxed),
    );
    explain_ratio(
        n,
        &heterogeneous,
        "The enum",
        "`Box<dyn>`",
        "the match branches on a tag stored next to the values, where `Box<dyn>` first \
         follows a pointer to the heap, then calls through the vtable. Both mispredict the \
         same unpredictable order of kinds.",
    );
    n.record_bytes(
        "size of one AnyShape (values inline)",
        std::mem::size_of::<AnyShape>(),
    );
    n.record_bytes(
        "size of one Box<dyn Shape> (fat pointer; value on the heap)",
        std::mem::size_of::<Box<dyn Shape>>(),
    );
    Ok(())
}

/// States what a comparison lets the reader conclude, and no more: `why`
/// explains a win for `ours`, and is said only when the verdict is a win.
fn explain_ratio(n: &mut Narrator, c: &Comparison, ours: &str, peer: &str, why: &str) {
    let text = match c.verdict {
        Verdict::Better => format!("{ours} is {:.1}× faster on this run: {why}", c.speedup),
        Verdict::Worse => format!(
            "{peer} came out {:.1}× faster on this run — reported as measured; the usual \
             expectation is the opposite.",
            1.0 / c.speedup
        ),
        Verdict::Tie { within } => format!(
            "No difference this run can see (within ±{:.1} %). The sum is one chain of \
             dependent float additions (it may not be reordered), and the cost of {peer} can \
             hide behind it.",
            within * 100.0
        ),
        Verdict::Equal | Verdict::TooFewSamples => format!(
            "Too few samples in this mode for a verdict (ours {:.2}× against {peer}).",
            c.speedup
        ),
    };
    n.say(&text);
}

pub(super) const GOOD_CONFIG: &str = r#"{
  "name": "edge-proxy",
  "listen": 8443,
  "log_level": "info",
  "workers": 8,
  "upstreams": [
    {"host": "10.0.0.1", "port": 8080, "weight": 3},
    {"host": "10.0.0.2", "port": 8080}
  ]
}"#;

fn typed_parsing(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("TypedDict → serde struct: parse once, typed from then on");
    let config: ProxyConfig = parse_typed(GOOD_CONFIG)?;
    n.say(
        "A well-formed document parses into `ProxyConfig`; the missing `weight` took its default, \
         and the missing `tls_name` (an `Option`) is `None`:",
    );
    for upstream in &config.upstreams {
        n.show(format!(
            "upstream {}:{} weight {} tls_name {:?}",
            upstream.host,
            upstream.port,
            upstream.weight,
            upstream.tls_name.as_ref().map(NonEmpty::as_str)
        ));
    }
    let docs = n.mode().pick_deep(50, 200, 5_000);
    let bytes = (GOOD_CONFIG.len() * docs) as u64;
    n.say(&format!(
        "Parsing the same {}-byte document {docs} times into the typed struct — every key \
         checked, every value converted and validated — against parsing it into \
         `serde_json::Value`, which is what a TypedDict is at run time: a dict, nothing checked.",
        GOOD_CONFIG.len()
    ));
    let parse = n.compare_throughput(
        "parse: typed ProxyConfig (checked) vs serde_json::Value (unchecked dict)",
        bytes,
        || {
            (0..docs)
                .filter(|_| serde_json::from_str::<ProxyConfig>(black_box(GOOD_CONFIG)).is_ok())
                .count()
        },
        "serde_json::Value",
        || {
            (0..docs)
                .filter(|_| {
                    serde_json::from_str::<serde_json::Value>(black_box(GOOD_CONFIG)).is_ok()
                })
                .count()
        },
    );
    n.say(&match parse.verdict {
        Verdict::Better => "The typed parse checks more and still wins: field names are \
             matched and dropped instead of allocated as map keys, and numbers land in machine \
             integers rather than in a tree of `Value`s."
            .to_owned(),
        Verdict::Worse => {
            "On this run the untyped parse was faster; the checks were not free.".to_owned()
        }
        Verdict::Tie { within } => format!(
            "No difference this run can see (within ±{:.1} %): the checks cost about what \
             building the tree of `Value`s costs.",
            within * 100.0
        ),
        Verdict::Equal | Verdict::TooFewSamples => {
            "Too few samples in this mode for a verdict on the two parses.".to_owned()
        }
    });
    Ok(())
}

/// Bad documents and what each one gets wrong, for the demo and the tests.
pub(super) const BAD_CONFIGS: [(&str, &str); 6] = [
    (
        "a misspelt key",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8, "upstream": []}"#,
    ),
    (
        "a missing key",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "upstreams": []}"#,
    ),
    (
        "a string where a number belongs",
        r#"{"name": "edge", "listen": "8443", "log_level": "info", "workers": 8, "upstreams": []}"#,
    ),
    (
        "a value outside Literal[...]",
        r#"{"name": "edge", "listen": 8443, "log_level": "verbose", "workers": 8, "upstreams": []}"#,
    ),
    (
        "a value outside Annotated bounds",
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8,
  "upstreams": [{"host": "10.0.0.1", "port": 8080}, {"host": "10.0.0.2", "port": 70000}]}"#,
    ),
    (
        "an empty name",
        r#"{"name": " ", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": []}"#,
    ),
];

fn validation_errors(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Bad documents: the error says where and what");
    let mut rejected = 0;
    for (what, doc) in BAD_CONFIGS {
        match parse_typed::<ProxyConfig>(doc) {
            Ok(config) => anyhow::bail!("{what} was accepted: {config:?}"),
            Err(error) => {
                n.show(format!("{what}:"));
                n.show(format!("  {error}"));
                rejected += 1;
            }
        }
    }
    n.record_count(
        "bad documents rejected, each with path, line and column",
        rejected,
    );
    n.say(
        "Python's TypedDict would have accepted every one of these from json.loads; mypy \
         checks only code it can see, never the file read at run time.",
    );
    Ok(())
}

fn literals_and_newtypes(n: &mut Narrator) -> anyhow::Result<()> {
    n.section("Literal → enum, Annotated → newtype");
    match "verbose".parse::<LogLevel>() {
        Ok(level) => anyhow::bail!("`verbose` parsed as {level}"),
        Err(e) => n.show(format!("\"verbose\".parse::<LogLevel>()  → {e}")),
    }
    for value in [0, 8, 300] {
        match Workers::new(value) {
            Ok(w) => n.show(format!("Workers::new({value:<3})              → Ok({w})")),
            Err(e) => n.show(format!("Workers::new({value:<3})              → Err: {e}")),
        }
    }
    n.record_bytes("size of Port (a NonZeroU16)", std::mem::size_of::<Port>());
    n.record_bytes(
        "size of Option<Port> (0 is the None niche)",
        std::mem::size_of::<Option<Port>>(),
    );
    n.record_bytes(
        "size of Bounded<1, 256> (an i64; the bounds live in the type)",
        std::mem::size_of::<Workers>(),
    );
    Ok(())
}

/// The compiler's refusal of `build()` before `method()`, as checked by
/// the trybuild test.
const BUILD_BEFORE_METHOD: &str =
    include_str!("../../tests/ui/typestate/build_before_method.stderr");

fn typestate(n: &mut Narrator) {
    n.section("Typestate: a builder that cannot be used wrongly");
    let request = Request::builder()
        .url("https://api.example.com/v1/items")
        .header("accept", "application/json")
        .method(Method::Get)
        .timeout(Duration::from_secs(5))
        .build();
    n.say("Used in order, it builds:");
    n.show(format!("{request:?}"));
    n.say(
        "Used out of order, it does not compile. This is rustc's answer to \
         `Request::builder().url(..).build()` — the file that `cargo test --test typestate_ui` \
         checks, so it cannot drift from what the compiler says:",
    );
    n.show_block(&BUILD_BEFORE_METHOD);
    n.record_bytes(
        "size of RequestBuilder<NoUrl, NoMethod> (state markers are zero-sized)",
        std::mem::size_of::<RequestBuilder<NoUrl, NoMethod>>(),
    );
    n.record_bytes(
        "size of RequestBuilder<WithUrl, WithMethod>",
        std::mem::size_of::<RequestBuilder<WithUrl, WithMethod>>(),
    );
}
