//! Every rejection names the path, the problem and the position; the
//! literal enum, the bounded and niche-keeping newtypes, the typestate
//! builder in order, all dispatches agreeing; round trips as properties.

use std::time::Duration;

use proptest::prelude::*;

use super::demo::{BAD_CONFIGS, GOOD_CONFIG, boxed, demo, mixed_shapes};
use super::schema_error::json_path_at;
use super::*;

fn rejects(doc: &str) -> SchemaError {
    parse_typed::<ProxyConfig>(doc).expect_err("the document is invalid")
}

#[test]
fn the_good_document_parses_with_defaults() {
    let config: ProxyConfig = parse_typed(GOOD_CONFIG).expect("valid");
    assert_eq!(config.name.as_str(), "edge-proxy");
    assert_eq!(config.listen.get(), 8443);
    assert_eq!(config.log_level, LogLevel::Info);
    assert_eq!(config.workers.get(), 8);
    assert_eq!(config.upstreams[0].weight.get(), 3);
    assert_eq!(
        config.upstreams[1].weight,
        Weight::LOWEST,
        "NotRequired → default"
    );
    assert!(
        config.upstreams.iter().all(|u| u.tls_name.is_none()),
        "NotRequired → Option: absent is None"
    );
}

#[test]
fn not_required_is_an_option_absent_both_ways() {
    let with_tls = r#"{"host": "a", "port": 443, "tls_name": "api.internal"}"#;
    let upstream: Upstream = parse_typed(with_tls).expect("valid");
    assert_eq!(
        upstream.tls_name.as_ref().map(NonEmpty::as_str),
        Some("api.internal")
    );
    let plain: Upstream = parse_typed(r#"{"host": "a", "port": 80}"#).expect("valid");
    assert_eq!(plain.tls_name, None);
    let written = serde_json::to_string(&plain).expect("serializes");
    assert!(!written.contains("tls_name"), "None is no key: {written}");
    assert_eq!(parse_typed::<Upstream>(&written), Ok(plain));
    let empty = r#"{"host": "a", "port": 443, "tls_name": ""}"#;
    assert_eq!(rejects_upstream(empty).path, "$.tls_name");
}

fn rejects_upstream(doc: &str) -> SchemaError {
    parse_typed::<Upstream>(doc).expect_err("the upstream is invalid")
}

/// (document, path, message prefix, line, column)
const CASES: [(&str, &str, &str, usize, usize); 11] = [
    (
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 8, "upstream": []}"#,
        "$.upstream",
        "unknown field `upstream`, expected one of `name`, `listen`, `log_level`, `workers`, `upstreams`",
        1,
        78,
    ),
    (
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "upstreams": []}"#,
        "$",
        "missing field `workers`",
        1,
        70,
    ),
    (
        r#"{"name": "edge", "listen": "8443", "log_level": "info", "workers": 8, "upstreams": []}"#,
        "$.listen",
        "invalid type: string \"8443\", expected a port number 1..=65535",
        1,
        33,
    ),
    (
        r#"{"name": "edge", "listen": 8443, "workers": 8, "upstreams": [], "log_level": "verbose"}"#,
        "$.log_level",
        "unknown variant `verbose`, expected one of `error`, `warn`, `info`, `debug`, `trace`",
        1,
        86,
    ),
    (
        "{\"name\": \"edge\", \"listen\": 8443, \"log_level\": \"info\", \"workers\": 8,\n  \"upstreams\": [{\"host\": \"a\", \"port\": 80}, {\"host\": \"b\", \"port\": 70000}]}",
        "$.upstreams[1].port",
        "port 70000 is outside 1..=65535",
        2,
        70,
    ),
    (
        "{\"name\": \"edge\", \"listen\": 8443, \"log_level\": \"info\", \"workers\": 8,\n  \"upstreams\": [{\"host\": \"a\", \"port\": 80}, {\"host\": \"b\"}]}",
        "$.upstreams[1]",
        "missing field `port`",
        2,
        56,
    ),
    (
        r#"{"name": "edge", "listen": 8443, "log_level": "info", "workers": 0, "upstreams": []}"#,
        "$.workers",
        "0 is outside the allowed range 1..=256",
        1,
        66,
    ),
    (
        r#"{"listen": 8443, "log_level": "info", "workers": 8, "upstreams": [], "name": ""}"#,
        "$.name",
        "must not be empty or only whitespace",
        1,
        79,
    ),
    (
        r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": [{"host": "a", "port": 1, "weight": 0.5}]}"#,
        "$.upstreams[0].weight",
        "invalid type: floating point `0.5`, expected an integer in 1..=100",
        1,
        117,
    ),
    (
        r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "upstreams": [5]}"#,
        "$.upstreams[0]",
        "invalid type: integer `5`, expected struct Upstream",
        1,
        80,
    ),
    (
        r#"{"name": "e", "listen": 8443, "log_level": "info", "workers": 8, "workers": 9, "upstreams": []}"#,
        "$.workers",
        "duplicate field `workers`",
        1,
        74,
    ),
];

#[test]
fn every_rejection_names_the_path_the_problem_and_the_position() {
    for (doc, path, message, line, column) in CASES {
        let error = rejects(doc);
        assert_eq!(error.path, path, "{error}");
        assert!(
            error.message.starts_with(message),
            "message {:?} should start with {message:?}",
            error.message
        );
        assert_eq!((error.line, error.column), (line, column), "{error}");
        let shown = error.to_string();
        assert!(shown.starts_with(path) && shown.contains(&format!("line {line}")));
    }
}

#[test]
fn the_demo_documents_are_all_rejected() {
    for (what, doc) in BAD_CONFIGS {
        assert!(parse_typed::<ProxyConfig>(doc).is_err(), "{what}");
    }
}

#[test]
fn json_paths_follow_nesting_and_indices() {
    let text = r#"{"a": [1, {"b": "x,y", "c": [true, {"d"#;
    let cases = [
        (0, "$"),
        (1, "$"),
        (text.find('[').expect("[") + 1, "$.a[0]"),
        (text.find("{\"b").expect("b") + 5, "$.a[1].b"),
        (text.find("x,y").expect("x") + 3, "$.a[1].b"),
        (text.len(), "$.a[1].c[1].d"),
    ];
    for (end, want) in cases {
        assert_eq!(json_path_at(text, end), want, "at {end}");
    }
    assert_eq!(json_path_at(r#"{"k\"ey": 1"#, 11), "$.k\\\"ey");
}

#[test]
fn literal_enum_accepts_its_names_and_rejects_others_by_name() {
    for level in LogLevel::ALL {
        let json = serde_json::to_string(&level).expect("serializes");
        assert_eq!(json, format!("\"{level}\""), "serde and as_str agree");
        assert_eq!(level.as_str().parse::<LogLevel>(), Ok(level));
    }
    let error = "verbose".parse::<LogLevel>().expect_err("not a level");
    assert_eq!(error.given, "verbose");
    assert_eq!(
        error.to_string(),
        "unknown variant `verbose`, expected one of `error`, `warn`, `info`, `debug`, `trace`"
    );
    assert!("INFO".parse::<LogLevel>().is_err(), "literals are exact");
}

#[test]
fn bounded_enforces_its_const_bounds() {
    assert_eq!(Workers::new(1).map(Bounded::get), Ok(1));
    assert_eq!(Workers::new(256).map(Bounded::get), Ok(256));
    assert_eq!(
        Workers::new(257),
        Err(OutOfRange {
            value: 257,
            min: 1,
            max: 256
        })
    );
    assert!(Workers::new(0).is_err());
    assert_eq!(Bounded::<-5, 5>::new(-5).map(i64::from), Ok(-5));
    assert!(Bounded::<-5, 5>::new(-6).is_err());
    assert_eq!(Bounded::<7, 7>::new(7).map(Bounded::get), Ok(7));
    assert_eq!(
        serde_json::from_str::<Weight>("101")
            .expect_err("above 100")
            .to_string(),
        "101 is outside the allowed range 1..=100 at line 1 column 3"
    );
}

#[test]
fn port_and_non_empty_validate_and_keep_their_niche() {
    assert_eq!(Port::new(443).map(Port::get), Ok(443));
    for bad in [0, -1, 65_536] {
        assert_eq!(Port::new(bad), Err(BadPort(bad)));
    }
    assert_eq!(std::mem::size_of::<Option<Port>>(), 2);
    assert_eq!(NonEmpty::new("x").map(String::from), Ok("x".to_owned()));
    assert_eq!(NonEmpty::new(" \t"), Err(EmptyString));
    assert!(serde_json::from_str::<NonEmpty>("\"\"").is_err());
}

#[test]
fn typestate_builder_builds_when_used_in_order() {
    let request = Request::builder()
        .method(Method::Post)
        .header("content-type", "application/json")
        .url("https://example.com/items")
        .timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(2))
        .build();
    assert_eq!(
        request,
        Request {
            url: "https://example.com/items".into(),
            method: Method::Post,
            headers: vec![("content-type".into(), "application/json".into())],
            timeout: Some(Duration::from_secs(2)),
        }
    );
    assert_eq!(std::mem::size_of::<NoUrl>(), 0);
    assert_eq!(std::mem::size_of::<NoMethod>(), 0);
}

#[test]
fn every_dispatch_computes_the_same_areas() {
    let mixed = mixed_shapes(300);
    let boxes: Vec<Box<dyn Shape>> = mixed.iter().copied().map(boxed).collect();
    let refs: Vec<&dyn Shape> = mixed.iter().map(|s| s as &dyn Shape).collect();
    assert_eq!(total_area(&mixed), total_area_boxed(&boxes));
    assert_eq!(total_area(&mixed), total_area_dyn(&refs));
    let kinds = mixed
        .iter()
        .map(std::mem::discriminant)
        .collect::<std::collections::HashSet<_>>();
    assert_eq!(kinds.len(), 3, "the mix holds every kind");
}

#[test]
fn demo_runs_in_quick_mode() {
    let n = mastery_kit::demo_test::run_quick("core/typing-examples", demo);
    assert!(n.comparison_with("&dyn Shape").is_some());
    assert!(n.comparison_with("Box<dyn Shape>").is_some());
    assert!(
        n.measurements()
            .iter()
            .any(|m| m.label.starts_with("bad documents rejected")
                && m.value == BAD_CONFIGS.len() as f64)
    );
}

fn upstream() -> impl Strategy<Value = Upstream> {
    (
        "[a-z0-9.-]{1,20}",
        1i64..=65_535,
        1i64..=100,
        proptest::option::of("[a-z.]{1,12}"),
    )
        .prop_map(|(host, port, weight, tls_name)| Upstream {
            host: NonEmpty::new(host).expect("generated non-empty"),
            port: Port::new(port).expect("generated in range"),
            weight: Weight::new(weight).expect("generated in range"),
            tls_name: tls_name.map(|name| NonEmpty::new(name).expect("generated non-empty")),
        })
}

proptest! {
    /// Every valid config survives a JSON round trip unchanged.
    #[test]
    fn valid_configs_round_trip(
        name in "[a-z][a-z-]{0,15}",
        listen in 1i64..=65_535,
        level in 0usize..5,
        workers in 1i64..=256,
        upstreams in proptest::collection::vec(upstream(), 0..4),
    ) {
        let config = ProxyConfig {
            name: NonEmpty::new(name).expect("generated non-empty"),
            listen: Port::new(listen).expect("generated in range"),
            log_level: LogLevel::ALL[level],
            workers: Workers::new(workers).expect("generated in range"),
            upstreams,
        };
        let json = serde_json::to_string_pretty(&config).expect("serializes");
        prop_assert_eq!(parse_typed::<ProxyConfig>(&json), Ok(config));
    }

    /// Any integer is a Bounded exactly when it lies in the bounds, and
    /// serde agrees with the constructor.
    #[test]
    fn bounded_agrees_with_its_range(value in -1_000i64..1_000) {
        let direct = Bounded::<-100, 100>::new(value);
        prop_assert_eq!(direct.is_ok(), (-100..=100).contains(&value));
        let parsed = serde_json::from_str::<Bounded<-100, 100>>(&value.to_string());
        prop_assert_eq!(parsed.ok(), direct.ok());
    }

    /// The path finder never panics, whatever the text and offset.
    #[test]
    fn json_path_never_panics(text in "[\\[\\]{}\",:a-z0-9\\\\ ]{0,40}", end in 0usize..50) {
        let path = json_path_at(&text, end);
        prop_assert!(path.starts_with('$'));
    }
}
