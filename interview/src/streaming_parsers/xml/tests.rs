//! The XML parser's tests: a conformance table written from the XML 1.0
//! (5th edition) and Namespaces 1.0 specs — every case also fed in every
//! two-way split and byte by byte — property tests over generated
//! documents, mutated documents and arbitrary bytes under arbitrary
//! chunkings, and agreement with `quick-xml` on generated documents.

use proptest::prelude::*;

use super::chars::is_xml_char;
use super::references::predefined;
use super::text::skip_text;
use super::*;
use crate::streaming_parsers::ErrorKind;
use crate::streaming_parsers::testkit::{
    self, HugeToken, Lifecycle, Reader, Says, TestEvent, around, check_chunking_never_matters,
    check_huge_tokens_cost_linear_work, cuts, parse, parse_bytewise, parse_cut, parse_split,
};

/// Events as compact text: `<a@urn x="1"> "text" </a@urn>`, `!"…"` for
/// CDATA, `#"…"` for comments, `?target"data"`, `decl[1.0,UTF-8,yes]`,
/// `doctype[name,public,system,subset]`.
impl TestEvent for OwnedXmlEvent {
    fn render(events: &[Self]) -> String {
        crate::streaming_parsers::conformance::render_xml(events)
    }
}

// The conformance tables are files: `interview/conformance/xml/`, one case
// a file, also run one test per file by `testing/pytest-plugins`' harness.

#[test]
fn accepts_what_xml_1_0_allows() {
    testkit::check_case_folder("xml/accepted");
}

#[test]
fn rejects_what_xml_1_0_forbids_at_the_right_byte() {
    testkit::check_case_folder("xml/rejected");
}

#[test]
fn without_namespaces_names_are_plain() {
    testkit::check_case_folder("xml/no-namespaces");
}

#[test]
fn nesting_is_limited_without_recursion() {
    testkit::check_default_depth_limit(XmlOptions::default(), "<a>", "</a>");
    // 100 000 levels: an ordinary error, not a stack overflow.
    let nested = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let (_, err) = parse(nested.as_bytes(), XmlOptions::default());
    assert!(matches!(
        err.map(|e| e.kind().clone()),
        Some(ErrorKind::TooDeep { .. })
    ));
    // A lower limit (`max-depth-2`): the case file under `xml/max-depth/`.
    testkit::check_case_folder("xml/max-depth");
}

#[test]
fn entity_bombs_hit_the_expansion_budget() {
    // "Billion laughs": ten levels of ten references, 3 GB if expanded.
    let mut doc = String::from("<!DOCTYPE lolz [<!ENTITY lol0 \"lol\">");
    for level in 1..10 {
        let previous = format!("&lol{};", level - 1);
        doc.push_str(&format!("<!ENTITY lol{level} \"{}\">", previous.repeat(10)));
    }
    doc.push_str("]><lolz>&lol9;</lolz>");
    let start = std::time::Instant::now();
    let (_, err) = parse(doc.as_bytes(), XmlOptions::default());
    let err = err.expect("the bomb is refused");
    assert_eq!(
        err.kind(),
        &ErrorKind::XmlEntityExpansionLimit {
            limit: XmlOptions::DEFAULT_MAX_ENTITY_EXPANSION
        }
    );
    assert_eq!(
        err.position().offset as usize,
        doc.find("&lol9;").unwrap_or_default()
    );
    assert!(start.elapsed().as_secs() < 5, "refused quickly");
    // The same bomb in an attribute value.
    let in_attribute = doc.replace("<lolz>&lol9;</lolz>", "<lolz a='&lol9;'/>");
    let (_, err) = parse(in_attribute.as_bytes(), XmlOptions::default());
    assert!(matches!(
        err.map(|e| e.kind().clone()),
        Some(ErrorKind::XmlEntityExpansionLimit { .. })
    ));
    // The budget is per document, across references.
    let small = XmlOptions {
        max_entity_expansion: 10,
        ..XmlOptions::default()
    };
    let doc = b"<!DOCTYPE a [<!ENTITY e \"abcd\">]><a>&e;&e;<b x='&e;'/></a>";
    let (_, err) = parse(doc, small);
    assert_eq!(err.map(|e| e.position().offset), Some(48));
    assert_eq!(parse(&doc[..], XmlOptions::default()).1, None);
    // Markup in entities is charged too, tags included (the case files
    // under `xml/entity-budget/`, with the same budget of 10).
    testkit::check_case_folder("xml/entity-budget");
    // A bomb of elements: ten levels of ten references to `<l/>`.
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY m0 \"<l/>\">");
    for level in 1..10 {
        let previous = format!("&m{};", level - 1);
        doc.push_str(&format!("<!ENTITY m{level} \"{}\">", previous.repeat(10)));
    }
    doc.push_str("]><r>&m9;</r>");
    let start = std::time::Instant::now();
    let budget = XmlOptions {
        max_entity_expansion: 64 * 1024,
        ..XmlOptions::default()
    };
    let (events, err) = parse(doc.as_bytes(), budget);
    let err = err.expect("the bomb is refused");
    assert_eq!(
        err.kind(),
        &ErrorKind::XmlEntityExpansionLimit { limit: 64 * 1024 }
    );
    assert_eq!(
        err.position().offset as usize,
        doc.find("&m9;").unwrap_or_default()
    );
    assert!(events.len() < 64 * 1024, "{} events", events.len());
    assert!(start.elapsed().as_secs() < 5, "refused quickly");
}

#[test]
fn errors_report_line_and_column_in_characters() {
    testkit::check_error_positions(
        &[
            ("<a>\n  <é>\n  </b></a>".as_bytes(), &[], (3, 5, 15)),
            // Inside a token cut by a chunk boundary, the position is the same.
            (b"<a>\n<b x='1' x='2'/></a>", &[7], (2, 10, 13)),
        ],
        XmlOptions::default(),
    );
}

#[test]
fn messages_say_what_was_wrong_and_what_to_do() {
    testkit::check_messages(
        &[
            (
                b"<a>\n</b>",
                Says::Exactly(
                    "XML error at line 2, column 3 (byte 6): end tag `</b>` does not match the open element `<a>`",
                ),
            ),
            (b"<a x='1' x='2'/>", Says::Part("duplicate attribute `x`")),
            (b"<a>]]></a>", Says::Part("write `]]&gt;`")),
            (b"<a><!-- -- --></a>", Says::Part("`--` inside a comment")),
            (b"<a>&nbsp;</a>", Says::Part("undefined entity `&nbsp;`")),
            (
                b"<a>&#0;</a>",
                Says::Part("`&#0;` does not name an allowed XML character"),
            ),
            (b"<a/><b/>", Says::Part("a second root element")),
            (b"<a x='<'/>", Says::Part("write `&lt;`")),
            (b"<p:a/>", Says::Part("undeclared namespace prefix `p`")),
            (
                b"<?xml version='1.0' encoding='latin1'?><a/>",
                Says::Part(
                    "encoding `latin1` is not supported: this parser reads UTF-8, and UTF-16",
                ),
            ),
            (
                b"<!DOCTYPE a [<!ENTITY e SYSTEM 'x'>]><a>&e;</a>",
                Says::Part("external entities are never fetched"),
            ),
            (
                b"<a>",
                Says::Part("input ended early, expected the end tags"),
            ),
        ],
        XmlOptions::default(),
    );
}

#[test]
fn errors_stick_and_finish_ends_the_input() {
    testkit::check_lifecycle(
        XmlOptions::default(),
        &Lifecycle {
            rejected: b"<a></b>",
            after_error: b"</a>",
            complete: (b"<a/>", "<a> </a>", ""),
            after_finish: b" ",
            // reset() starts over (DTD, namespaces and all).
            after_reset: (b"<x>&lt;</x>", r#"<x> "<" </x>"#, ""),
        },
    );
}

#[test]
fn events_borrow_from_the_chunk_when_they_can() {
    let chunk = b"<a x='plain' y='a&amp;b'>plain<b/>esc&lt;</a>";
    let range = chunk.as_ptr_range();
    let inside = |s: &str| range.contains(&s.as_ptr());
    let mut borrowed = Vec::new();
    let mut parser = XmlParser::new(XmlOptions::default());
    parser
        .feed(chunk, |e| match e {
            XmlEvent::Text(t) => borrowed.push(inside(t)),
            XmlEvent::StartElement(s) => {
                borrowed.push(inside(s.name));
                for a in s.attributes {
                    borrowed.push(inside(a.value));
                }
            }
            _ => {}
        })
        .expect("valid");
    // Plain text and values are slices of the input; decoded ones are not.
    assert_eq!(borrowed, [true, true, false, true, true, false]);
}

#[test]
fn attributes_are_iterated_and_looked_up_without_allocation() {
    let mut parser = XmlParser::new(XmlOptions::default());
    let mut checked = false;
    parser
        .feed(b"<a xmlns:p='urn:p' p:id='7' n='x'/>", |e| {
            if let XmlEvent::StartElement(s) = e {
                assert_eq!(s.attributes.len(), 3);
                assert_eq!(s.attributes.get("p:id"), Some("7"));
                assert_eq!(s.attributes.get("missing"), None);
                let id = s.attributes.iter().nth(1).expect("three attributes");
                assert_eq!((id.local_name(), id.namespace), ("id", Some("urn:p")));
                assert_eq!(s.local_name(), "a");
                assert_eq!(s.attributes.iter().len(), 3);
                checked = true;
            }
        })
        .expect("valid");
    assert!(checked);
}

#[test]
fn the_pull_adapter_reads_any_reader() {
    let options = XmlOptions::default();
    testkit::check_pull_adapter(&[
        (
            options,
            Reader::Trickle,
            b"<r a='1'>caf&#233;<![CDATA[x]]></r>",
            r#"<r a="1"> "café" !"x" </r>"#,
            None,
        ),
        // Two start tags, then the mismatched end tag.
        (
            options,
            Reader::Whole,
            b"<a><b></a>",
            "<a> <b>",
            Some((8, "XmlMismatchedEndTag")),
        ),
    ]);
}

#[test]
fn count_events_uses_the_fast_path_over_a_reader() {
    let input = bench_input_xml(200_000, 7);
    let summary = count_events(&input[..], XmlOptions::default()).expect("valid");
    testkit::check_count_events(&input, summary, XmlOptions::default());
}

#[test]
fn the_bench_input_is_deterministic_valid_and_varied() {
    let input = testkit::check_bench_input(
        bench_input_xml,
        &[
            "&amp;",
            "&#233;",
            "<![CDATA[",
            "<!--",
            "x:kind=",
            "/>",
            "東京",
            "\n    <",
        ],
    );
    let (events, err) = parse(&input, XmlOptions::default());
    assert_eq!(err, None);
    // quick-xml reads the same names, attribute values and text.
    assert_eq!(quick_xml_view(&input), Ok(ours_view(&events)));
    assert!(bench_input_xml(0, 1).len() > 100, "at least one record");
    // 64 KiB chunks give the same events as one chunk.
    let cuts: Vec<usize> = (1..input.len() / 65536 + 1).map(|k| k * 65536).collect();
    assert_eq!(
        parse_split(&input, &cuts, XmlOptions::default()),
        parse(&input, XmlOptions::default())
    );
}

// ---------------------------------------------------------------------------
// Generated documents.

/// A node of a generated document.
#[derive(Debug, Clone)]
enum Node {
    Element {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    },
    Text {
        text: String,
        as_refs: bool,
    },
    CData(String),
    Comment(String),
    Pi {
        target: String,
        data: String,
    },
}

const NAMES: &[&str] = &["a", "b", "item", "x-y", "_z", "n.1", "été", "名前", "Ω"];

fn xml_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec!['a', 'b', ' ', '<', '>', '&', '"', '\'', ']', '\n', '\t', '\r', 'é', '東', '😀']),
            1 => any::<char>(),
        ],
        0..12,
    )
    .prop_map(|chars| chars.into_iter().filter(|&c| is_xml_char(c)).collect())
}

fn arb_node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        3 => (xml_text(), any::<bool>()).prop_map(|(text, as_refs)| Node::Text { text, as_refs }),
        1 => "[a-z <>&\\]é]{0,10}"
            .prop_filter("no ]]>", |s| !s.contains("]]>"))
            .prop_map(Node::CData),
        1 => "([a-z <>&é]|-[a-z]){0,8}".prop_map(Node::Comment),
        1 => (prop::sample::select(vec!["pi", "go", "x-y"]), "([a-z][a-z <>&]{0,8})?")
            .prop_map(|(target, data)| Node::Pi { target: target.to_owned(), data }),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| element(inner).boxed())
}

fn element(children: impl Strategy<Value = Node>) -> impl Strategy<Value = Node> {
    (
        prop::sample::select(NAMES),
        prop::collection::btree_map(prop::sample::select(NAMES), xml_text(), 0..4),
        prop::collection::vec(children, 0..6),
    )
        .prop_map(|(name, attributes, children)| Node::Element {
            name: name.to_owned(),
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            children,
        })
}

/// A whole document: an optional declaration, a root that may declare a
/// default namespace, and the epilog.
fn arb_document() -> impl Strategy<Value = (bool, Option<&'static str>, Node)> {
    (
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["urn:gen", "http://e.org/ns"])),
        element(arb_node()),
    )
}

fn escape_text(text: &str, as_refs: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if as_refs && !c.is_ascii_alphanumeric() => {
                out.push_str(&format!("&#x{:X};", u32::from(c)))
            }
            c => out.push(c),
        }
    }
}

fn escape_attribute(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Serializes `node` and appends the events it must produce (text runs
/// merged, empty text dropped).
fn write_node(node: &Node, ns: Option<&str>, out: &mut String, events: &mut Vec<OwnedXmlEvent>) {
    let push_text = |events: &mut Vec<OwnedXmlEvent>, text: &str| {
        if text.is_empty() {
            return;
        }
        if let Some(OwnedXmlEvent::Text(last)) = events.last_mut() {
            last.push_str(text);
        } else {
            events.push(OwnedXmlEvent::Text(text.to_owned()));
        }
    };
    match node {
        Node::Text { text, as_refs } => {
            escape_text(text, *as_refs, out);
            push_text(events, text);
        }
        Node::CData(text) => {
            out.push_str("<![CDATA[");
            out.push_str(text);
            out.push_str("]]>");
            events.push(OwnedXmlEvent::CData(text.clone()));
        }
        Node::Comment(text) => {
            out.push_str("<!--");
            out.push_str(text);
            out.push_str("-->");
            events.push(OwnedXmlEvent::Comment(text.clone()));
        }
        Node::Pi { target, data } => {
            out.push_str("<?");
            out.push_str(target);
            if !data.is_empty() {
                out.push(' ');
                out.push_str(data);
            }
            out.push_str("?>");
            events.push(OwnedXmlEvent::ProcessingInstruction {
                target: target.clone(),
                data: data.clone(),
            });
        }
        Node::Element {
            name,
            attributes,
            children,
        } => {
            out.push('<');
            out.push_str(name);
            for (k, v) in attributes {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                escape_attribute(v, out);
                out.push('"');
            }
            let namespace = ns.map(str::to_owned);
            events.push(OwnedXmlEvent::StartElement {
                name: name.clone(),
                namespace: namespace.clone(),
                attributes: attributes
                    .iter()
                    .map(|(k, v)| OwnedAttribute {
                        name: k.clone(),
                        namespace: None,
                        value: v.clone(),
                    })
                    .collect(),
            });
            if children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for child in children {
                    write_node(child, ns, out, events);
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            events.push(OwnedXmlEvent::EndElement {
                name: name.clone(),
                namespace,
            });
        }
    }
}

/// Writes `text` as an entity value whose replacement text is `text`.
fn escape_entity_value(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&#38;"),
            '%' => out.push_str("&#37;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
}

/// The document's bytes and expected events. With `entities`, the root's
/// content is moved into two general entities — `h`, its first child, and
/// `g`, a reference to `h` then the other children — declared in a
/// DOCTYPE and referenced as `&g;`: the events must be the same as
/// inline, plus the DOCTYPE's.
fn write_document(
    (declaration, default_ns, root): &(bool, Option<&'static str>, Node),
    entities: bool,
) -> (Vec<u8>, Vec<OwnedXmlEvent>) {
    let mut out = String::new();
    let mut events = Vec::new();
    if *declaration {
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        events.push(OwnedXmlEvent::Declaration {
            version: "1.0".into(),
            encoding: Some("UTF-8".into()),
            standalone: None,
        });
    }
    out.push_str("<!--prolog-->\n");
    events.push(OwnedXmlEvent::Comment("prolog".into()));
    let mut root = root.clone();
    if let (Some(uri), Node::Element { attributes, .. }) = (default_ns, &mut root) {
        attributes.retain(|(k, _)| k != "xmlns");
        attributes.insert(0, ("xmlns".into(), (*uri).into()));
    }
    let mut content = None;
    if let (true, Node::Element { name, children, .. }) = (entities, &root) {
        if let Some((first, others)) = children.split_first() {
            let mut first_text = String::new();
            write_node(first, *default_ns, &mut first_text, &mut Vec::new());
            let mut other_text = String::new();
            for child in others {
                write_node(child, *default_ns, &mut other_text, &mut Vec::new());
            }
            let mut subset = String::from("<!ENTITY g \"&h;");
            escape_entity_value(&other_text, &mut subset);
            subset.push_str("\"><!ENTITY h \"");
            escape_entity_value(&first_text, &mut subset);
            subset.push_str("\">");
            out.push_str(&format!("<!DOCTYPE {name} [{subset}]>\n"));
            events.push(OwnedXmlEvent::Doctype {
                name: name.clone(),
                public_id: None,
                system_id: None,
                internal_subset: Some(subset),
            });
            content = Some((name.len(), first_text + &other_text));
        }
    }
    let start = events.len();
    let mut root_text = String::new();
    write_node(&root, *default_ns, &mut root_text, &mut events);
    if let Some((name_len, content)) = content {
        // The root ends with its content, then `</name>`.
        let end = root_text.len() - name_len - 3;
        let start = end - content.len();
        assert_eq!(&root_text[start..end], content);
        root_text.replace_range(start..end, "&g;");
    }
    out.push_str(&root_text);
    if let Some(OwnedXmlEvent::StartElement { attributes, .. }) = events.get_mut(start) {
        if let Some(first) = attributes.first_mut().filter(|a| a.name == "xmlns") {
            first.namespace = Some(XMLNS_NAMESPACE.into());
        }
    }
    out.push_str("\n<?done?>\n");
    events.push(OwnedXmlEvent::ProcessingInstruction {
        target: "done".into(),
        data: String::new(),
    });
    (out.into_bytes(), events)
}

/// What `quick-xml` sees: elements with attributes, end tags, text (its
/// text and reference events merged) and CDATA inside the root.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Start(String, Vec<(String, String)>),
    End(String),
    Text(String),
    CData(String),
}

fn ours_view(events: &[OwnedXmlEvent]) -> Vec<Seen> {
    events
        .iter()
        .filter_map(|e| match e {
            OwnedXmlEvent::StartElement {
                name, attributes, ..
            } => Some(Seen::Start(
                name.clone(),
                attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone()))
                    .collect(),
            )),
            OwnedXmlEvent::EndElement { name, .. } => Some(Seen::End(name.clone())),
            OwnedXmlEvent::Text(t) => Some(Seen::Text(t.clone())),
            OwnedXmlEvent::CData(t) => Some(Seen::CData(t.clone())),
            _ => None,
        })
        .collect()
}

fn quick_xml_view(input: &[u8]) -> Result<Vec<Seen>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    let mut depth = 0usize;
    let mut text = String::new();
    let flush = |text: &mut String, seen: &mut Vec<Seen>| {
        if !text.is_empty() {
            seen.push(Seen::Text(std::mem::take(text)));
        }
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        let is_text = matches!(event, Event::Text(_) | Event::GeneralRef(_));
        if !is_text {
            flush(&mut text, &mut seen);
        }
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let value = a.unescape_value().map_err(|e| e.to_string())?;
                    attributes.push((
                        String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                        value.into_owned(),
                    ));
                }
                seen.push(Seen::Start(name.clone(), attributes));
                if empty {
                    seen.push(Seen::End(name));
                } else {
                    depth += 1;
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                seen.push(Seen::End(
                    String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                ));
            }
            Event::Text(e) if depth > 0 => {
                text.push_str(&e.xml10_content().map_err(|e| e.to_string())?);
            }
            Event::GeneralRef(e) if depth > 0 => {
                if let Some(c) = e.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(c);
                } else {
                    let name = e.decode().map_err(|e| e.to_string())?;
                    text.push(predefined(&name).ok_or(format!("entity {name}"))?);
                }
            }
            Event::CData(e) if depth > 0 => {
                seen.push(Seen::CData(String::from_utf8_lossy(&e).into_owned()));
            }
            Event::Eof => return Ok(seen),
            _ => {}
        }
        buf.clear();
    }
}

/// XML-ish tokens, valid and not, for inputs near the grammar's edges.
const TOKENS: &[&str] = &[
    "<a>",
    "</a>",
    "<b/>",
    "<a x='1'>",
    "<a x=\"&amp;\" y='2'>",
    " ",
    "\n",
    "\r\n",
    "text",
    "&lt;",
    "&amp",
    "&#60;",
    "&#x0;",
    "&e;",
    "]]>",
    "]",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "--",
    "<?pi ",
    "?>",
    "<?xml version='1.0'?>",
    "<!DOCTYPE a [",
    "<!ENTITY e 'v'>",
    "]>",
    ">",
    "<",
    "\"",
    "'",
    "=",
    "é",
    "\u{FFFF}",
    "\u{1}",
    "xmlns:p='u'",
    "<p:a>",
    "</p:a>",
    "\u{FEFF}",
];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    testkit::token_soup(TOKENS, 24)
}

/// A generated document with a few random byte edits.
fn mutated_document() -> impl Strategy<Value = Vec<u8>> {
    (arb_document(), any::<bool>(), testkit::edits()).prop_map(|(doc, entities, edits)| {
        testkit::mutate(write_document(&doc, entities).0, &edits)
    })
}

proptest! {
    // 256 cases each; PROPTEST_CASES=20000 for a longer hunt.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256),
        // Shrunk failures become rows of the conformance tables instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn plain_text_is_skipped_eight_bytes_at_a_time_up_to_the_first_special(
        bytes in prop::collection::vec(
            prop_oneof![
                6 => any::<u8>(),
                1 => prop::sample::select(vec![b'<', b'&', b']', 0xEF, 0x00, 0x1f, 0x20, 0x21, 0x26 ^ 0x80]),
            ],
            0..40,
        ),
        start in 0usize..40,
    ) {
        let start = start.min(bytes.len());
        let naive = bytes[start..]
            .iter()
            .position(|&c| c < 0x20 || matches!(c, b'<' | b'&' | b']' | 0xEF))
            .map_or(bytes.len(), |k| start + k);
        prop_assert_eq!(skip_text(&bytes, start), naive);
    }

    #[test]
    fn generated_documents_parse_to_their_events_under_any_chunking(
        doc in arb_document(),
        entities in any::<bool>(),
        cuts in cuts(),
    ) {
        let (bytes, expected) = write_document(&doc, entities);
        prop_assert_eq!(parse(&bytes, XmlOptions::default()), (expected.clone(), None));
        prop_assert_eq!(parse_cut(&bytes, &cuts, XmlOptions::default()), (expected.clone(), None));
        prop_assert_eq!(parse_bytewise(&bytes, XmlOptions::default()), (expected, None));
    }

    #[test]
    fn quick_xml_agrees_on_names_attributes_and_text(doc in arb_document()) {
        let (bytes, expected) = write_document(&doc, false);
        let theirs = quick_xml_view(&bytes).map_err(TestCaseError::fail)?;
        prop_assert_eq!(ours_view(&expected), theirs);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_never_matters(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        cuts in cuts(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, XmlOptions::default())?;
    }

    #[test]
    fn token_soup_gives_the_same_outcome_under_any_chunking(
        bytes in token_soup(),
        cuts in cuts(),
        namespaces in any::<bool>(),
    ) {
        let options = XmlOptions { namespaces, ..XmlOptions::default() };
        check_chunking_never_matters(&bytes, &cuts, options)?;
    }

    #[test]
    fn mutated_documents_give_the_same_outcome_under_any_chunking(
        bytes in mutated_document(),
        cuts in cuts(),
    ) {
        check_chunking_never_matters(&bytes, &cuts, XmlOptions::default())?;
    }
}

/// One huge token of each kind XML has.
const HUGE_TOKENS: &[HugeToken] = &[
    ("an element name", |len| around("<a", "b", "/>", len)),
    ("an end tag name", |len| {
        let name = "n".repeat(len / 2);
        format!("<{name}></{name}>").into_bytes()
    }),
    ("an attribute name", |len| {
        around("<r a", "b", "='1'/>", len)
    }),
    ("an attribute value", |len| {
        around("<r a='", "x", "'/>", len)
    }),
    ("an attribute value with references", |len| {
        around("<r a=\"", "x&amp;&#233;\t", "\"/>", len)
    }),
    ("a namespace name", |len| {
        around("<p:r xmlns:p='urn:", "x", "'/>", len)
    }),
    ("text", |len| around("<r>", "x", "</r>", len)),
    ("text with references and line ends", |len| {
        around("<r>", "a&lt;&#x65E5;\r\n", "</r>", len)
    }),
    ("non-ASCII text", |len| around("<r>", "é日😀", "</r>", len)),
    ("a comment", |len| around("<r><!--", "x-", "x--></r>", len)),
    ("a CDATA section", |len| {
        around("<r><![CDATA[", "x]]", "]]></r>", len)
    }),
    ("a processing instruction target", |len| {
        around("<?p", "i", "?><r/>", len)
    }),
    ("a processing instruction", |len| {
        around("<r><?pi ", "x?", "?></r>", len)
    }),
    ("a DOCTYPE", |len| {
        around("<!DOCTYPE r [", "<!-- x --><?p x?>", "]><r/>", len)
    }),
    ("an entity value in the DOCTYPE", |len| {
        around("<!DOCTYPE r [<!ENTITY e '", "x", "'>]><r/>", len)
    }),
];

#[test]
fn a_huge_token_costs_linear_work_in_any_chunking() {
    check_huge_tokens_cost_linear_work(HUGE_TOKENS, XmlOptions::default());
}

mod utf16;
