//! An incremental XML 1.0 parser (well-formedness, non-validating, with
//! namespaces): feed chunks, get borrowed events.
//!
//! See the [module lesson](super) for the shared design; this page says
//! what is particular to XML.
//!
//! ```
//! use mastery_interview::streaming_parsers::xml::{XmlEvent, XmlOptions, XmlParser};
//!
//! let mut parser = XmlParser::new(XmlOptions::default());
//! let mut seen = Vec::new();
//! // The chunk boundaries cut a tag, an attribute and an entity reference.
//! for chunk in [&b"<a:doc xmlns:a='urn:x'><it"[..], b"em id='1'>fish &am", b"p; chips</item></a:doc>"] {
//!     parser.feed(chunk, |event| match event {
//!         XmlEvent::StartElement(e) => seen.push(format!("<{} {:?}>", e.name, e.namespace)),
//!         XmlEvent::Text(t) => seen.push(t.to_owned()),
//!         _ => {}
//!     })?;
//! }
//! parser.finish(|_| {})?;
//! assert_eq!(seen, ["<a:doc Some(\"urn:x\")>", "<item None>", "fish & chips"]);
//! # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
//! ```
//!
//! # What is checked
//! Everything XML 1.0 (5th edition) calls a well-formedness constraint for a
//! document without an external subset: the XML declaration (only at the
//! very start; `version="1.x"`, `encoding` agreeing with the bytes,
//! `standalone`),
//! the DOCTYPE and the syntax of every declaration in its internal subset,
//! element and attribute syntax, names per the `NameStartChar`/`NameChar`
//! productions, matching end tags, unique attributes, no `<` in attribute
//! values, exactly one root element with only whitespace, comments and
//! processing instructions around it, `--` in comments, `]]>` in text, the
//! reserved PI target `xml`, character references to legal characters only,
//! and every character in the `Char` production. Namespaces (on by default)
//! add: at most one colon per name, every prefix declared, the `xml` and
//! `xmlns` rules, and attributes unique by namespace and local name.
//!
//! # Choices
//! - **Text**: one [`XmlEvent::Text`] per maximal run of character data
//!   between two pieces of markup, with references expanded and line ends
//!   normalized (`\r\n` and lone `\r` become `\n`, XML 1.0 §2.11) — the same
//!   event whatever the chunking. A CDATA section is its own
//!   [`XmlEvent::CData`] event, so text interrupted by CDATA, a comment or a
//!   PI comes in pieces, deterministically. Whitespace outside the root
//!   element is not reported.
//! - **Attributes** are normalized per §3.3.3 (whitespace characters become
//!   spaces, references expanded; attributes declared with a non-CDATA type
//!   in the internal subset are also trimmed and collapsed), defaults
//!   declared in the internal subset are supplied, and `xmlns` attributes
//!   are reported too (namespace `http://www.w3.org/2000/xmlns/`).
//! - **Empty-element tags** (`<a/>`) give a start and an end event.
//! - **Entities**: internal general entities declared in the internal subset
//!   are expanded in text and attribute values, with a budget of expanded
//!   bytes per document ([`XmlOptions::max_entity_expansion`], "billion
//!   laughs"; markup counts too) and recursion detected. In content, a
//!   replacement text with markup is parsed as content (§4.4.2
//!   "included"): elements, CDATA, comments, PIs and further references
//!   give the events the same text would give written inline (a text run
//!   goes on across the entity's edges), and it must be balanced on its
//!   own (§4.3.2: an element that starts in an entity ends in it) — an
//!   explicit stack of entities, parsed by the same token functions; an
//!   error inside an entity is reported at its reference. In an attribute
//!   value, an entity whose replacement text contains `<` is an error
//!   (§3.1). External entities are **never fetched**: referencing one is
//!   an error. Parameter entities are not expanded; declarations after a
//!   parameter-entity reference are syntax-checked but not processed (§5.1
//!   allows this for unread parameter entities).
//! - **Encoding**: UTF-8, and UTF-16 with its byte order mark (`FF FE`
//!   little-endian, `FE FF` big-endian), the two XML 1.0 §4.3.3 requires.
//!   A UTF-16 document is decoded chunk by chunk into UTF-8 and parsed by
//!   the same code, so its events are those of the same document in UTF-8;
//!   memory stays constant (one reused buffer for the decoded chunk; a
//!   code unit or surrogate pair cut by a chunk boundary is carried over).
//!   Errors are where they would be in UTF-8 — line and column count
//!   characters — and the byte offset counts the input's own bytes. The
//!   encoding declaration must agree with the bytes: `UTF-8` without a
//!   UTF-16 byte order mark; `UTF-16`, or the name with the mark's byte
//!   order (`UTF-16LE` after `FF FE`), with one; anything else is an error
//!   that names both. Other encodings (`ISO-8859-1`, `Shift_JIS`) are an
//!   error that names the encoding: transcode first. A code unit that is
//!   not UTF-16 (a lone surrogate, an odd byte at the end) is an error at
//!   its first byte.
//! - **Namespaces** can be switched off ([`XmlOptions::namespaces`],
//!   `mastery parse xml --no-namespaces`): names are then plain XML 1.0
//!   names, so `a:b:c` — well-formed XML 1.0, not namespace-well-formed —
//!   is accepted, and no prefix is resolved.
//!
//! ```
//! use mastery_interview::streaming_parsers::xml::{XmlEvent, XmlOptions, XmlParser};
//!
//! let doc = br#"<!DOCTYPE r [<!ENTITY e "<b>x</b> &amp; more">]><r>&e;!</r>"#;
//! let mut parser = XmlParser::new(XmlOptions::default());
//! let mut seen = Vec::new();
//! let mut on_event = |event: XmlEvent<'_>| match event {
//!     XmlEvent::StartElement(e) => seen.push(format!("<{}>", e.name)),
//!     XmlEvent::EndElement { name, .. } => seen.push(format!("</{name}>")),
//!     XmlEvent::Text(t) => seen.push(t.to_owned()),
//!     _ => {}
//! };
//! parser.feed(doc, &mut on_event)?;
//! parser.finish(&mut on_event)?;
//! assert_eq!(seen, ["<r>", "<b>", "x", "</b>", " & more!", "</r>"]);
//! # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
//! ```
//!
//! # How chunking stays invisible
//! Text and tags — the hot path — are parsed in place from the chunk
//! (validated as UTF-8 once per chunk, scanned eight bytes at a time for
//! `<`, `&`, `]`, control bytes and the lead byte of U+FFFE/U+FFFF). A
//! token cut by the end of a chunk is collected in `pending` while
//! `find_end`, a small resumable scanner, looks for where it ends (`>`
//! outside quotes, `-->`, `?>`, `]]>`, the DOCTYPE's closing `>`, the `<`
//! after text, or the first byte that is an error whatever follows); the
//! whole token is then parsed by the same functions. A DOCTYPE is always
//! delimited first. The UTF-8 check of a chunk starts after the token
//! resumed from the last one (which may end with the rest of a character
//! cut by the boundary) and leaves out a character cut at its end, so
//! every chunk is validated once and all its other tokens stay on the fast
//! path. Memory is O(depth + longest token + chunk).
//!
//! # What it costs
//! `cargo bench -p mastery-interview --bench streaming_xml` compares
//! `xml/ours` (fed whole) and `xml/ours-64KiB-chunks` with `xml/quick-xml`
//! counting its events. That race is not like for like: `quick-xml`, by
//! default, checks little beyond end-tag names — no UTF-8, name or
//! character checks, no unescaping, no namespaces, attributes not even
//! split — so `xml/quick-xml-attributes` also has it unescape every
//! attribute and text, as a caller must.
//!
//! # How the code is laid out
//! Top-down: besides this file's types, a file imports only files listed
//! below it.
//! - this file: [`XmlParser`]'s state — the open elements, the namespace
//!   bindings in scope, the entities being expanded;
//! - `parser.rs`: `feed`, `feed_str` and `finish`, the main loop, the byte
//!   order mark, tokens cut by a chunk boundary, and the
//!   [`PushParser`](super::PushParser) implementation;
//! - `markup.rs`: tags, comments, PIs, CDATA, the DOCTYPE and the XML
//!   declaration; `text.rs`: character data and entities expanded in
//!   content; `namespaces.rs`: the prefixes of a start tag resolved;
//! - `doctype/`: the DOCTYPE's syntax and each declaration of its internal
//!   subset;
//! - `attributes.rs`: attribute values, their references expanded;
//! - `dtd.rs`: what the internal subset declared, and the lookups in it;
//!   `budget.rs`: how many bytes entity expansion may still produce;
//! - `references.rs`: how references are written; `token_end.rs`: where a
//!   token cut by a chunk boundary ends; `delimiters.rs`: keywords, and
//!   the content of comments, PIs and CDATA up to their closing delimiter;
//!   `names.rs`: the name scanner;
//! - `stop.rs`: how a token parser stops early; `chars.rs`: the character
//!   classes (`Char`, names, whitespace);
//! - `utf16.rs`: the encoding from the first bytes, the UTF-16 decoder and
//!   error offsets placed in the input (uses `parser.rs`);
//! - `events.rs`, `options.rs`: the public types; `bench_input.rs`: the
//!   generated input of the benchmarks and the demo.
//!
//! # Run it
//! `cargo test -p mastery-interview streaming_parsers::xml` (a conformance
//! table from the XML 1.0 and Namespaces specs, every case fed whole, in
//! every two-way split and byte by byte; generated documents, mutated
//! documents, token soup and arbitrary bytes under arbitrary chunkings;
//! agreement with `quick-xml`), and `cargo bench -p mastery-interview
//! --bench streaming_xml`.

use std::io::Read;
use std::sync::Arc;

use super::input::Bom;
use super::{Events, Lifecycle, ParseError, Position, Summary};

mod attributes;
mod bench_input;
mod budget;
mod chars;
mod delimiters;
mod doctype;
mod dtd;
mod events;
mod markup;
mod names;
mod namespaces;
mod options;
mod parser;
mod references;
mod stop;
mod text;
mod token_end;
mod utf16;

pub use bench_input::bench_input_xml;
pub use events::{
    Attribute, AttributeIter, Attributes, OwnedAttribute, OwnedXmlEvent, StartElement, XmlEvent,
};
pub use options::XmlOptions;

use dtd::{Dtd, Replacement};
use events::{AttrSlot, NsRef};
use token_end::Partial;
use utf16::{Encoding, Utf16State};

/// The namespace of the `xml` prefix, bound in every document.
pub const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` attributes.
pub const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// An incremental XML parser. See the [module docs](self).
///
/// ```
/// use mastery_interview::streaming_parsers::xml::{XmlEvent, XmlOptions, XmlParser};
///
/// let mut parser = XmlParser::new(XmlOptions::default());
/// let mut prices = Vec::new();
/// let mut on_event = |event: XmlEvent<'_>| {
///     if let XmlEvent::StartElement(item) = event {
///         if let Some(price) = item.attributes.get("price") {
///             prices.push(price.parse::<f64>().unwrap_or(f64::NAN));
///         }
///     }
/// };
/// parser.feed(b"<?xml version='1.0'?>\n<cart><item price='1.5'/><item pr", &mut on_event)?;
/// parser.feed(b"ice='2.25'>&lt;gift&gt;</item></cart>\n", &mut on_event)?;
/// parser.finish(&mut on_event)?;
/// assert_eq!(prices, [1.5, 2.25]);
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct XmlParser {
    options: XmlOptions,
    /// No byte has been consumed yet (after a byte order mark): the only
    /// place an XML declaration may be.
    at_start: bool,
    /// The root element has started.
    root_seen: bool,
    /// A DOCTYPE has been read.
    doctype_seen: bool,
    /// The open elements, innermost last.
    stack: Vec<Frame>,
    /// The names of the open elements, one after another.
    names: Vec<u8>,
    /// In-scope namespace declarations, innermost last.
    bindings: Vec<Binding>,
    /// Prefixes and URIs of `bindings`.
    ns_text: String,
    /// The default namespace in scope (a cache of the innermost `xmlns`
    /// binding).
    default_ns: NsRef,
    /// The decoded text of a text run with references or `\r`.
    scratch: String,
    /// The attributes of the current start tag.
    attrs: Vec<AttrSlot>,
    /// Decoded attribute values (and defaulted names).
    attr_text: String,
    /// The declarations of the internal subset.
    dtd: Dtd,
    /// Bytes produced by entity expansion so far.
    expanded: usize,
    /// The entities being expanded in content, innermost last (reused).
    entity_frames: Vec<EntityFrame>,
    /// A token cut by the end of the last chunk.
    partial: Partial,
    /// The raw bytes of `partial` seen so far.
    pending: Vec<u8>,
    /// Where `pending` starts in the input.
    pending_pos: Position,
    /// Where in the chunk being fed `pending` starts, if it started there.
    suspended_at: Option<usize>,
    /// The position of the next byte to be fed.
    pos: Position,
    /// How far a byte order mark at the start has been matched.
    bom: Bom,
    /// The encoding the first bytes show.
    encoding: Encoding,
    /// The UTF-16 decoder's state, when the encoding is UTF-16.
    utf16: Utf16State,
    /// The last chunk of UTF-16 input, decoded (reused).
    decoded: String,
    /// Failed or finished.
    life: Lifecycle,
}

/// An open element: what its end tag must match, and what to restore when
/// it closes.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Where the element's name starts in `names`.
    name_start: usize,
    /// The element's namespace.
    ns: NsRef,
    /// `bindings.len()` and `ns_text.len()` before the element's own
    /// declarations.
    bindings_mark: usize,
    ns_text_mark: usize,
    /// The default namespace outside the element.
    default_ns: NsRef,
}

/// An entity whose replacement text is being parsed as content.
#[derive(Debug, Clone)]
struct EntityFrame {
    entity: Arc<Replacement>,
    /// How much of its replacement text is parsed.
    pos: usize,
    /// `stack.len()` where the reference was: the elements that start in
    /// the entity must end in it, and it cannot end the ones below.
    depth: usize,
}

/// A namespace declaration in scope: where its prefix and URI are in
/// `ns_text` (an empty prefix: the default namespace).
#[derive(Debug, Clone, Copy)]
struct Binding {
    prefix: (usize, usize),
    uri: (usize, usize),
}

/// An iterator of owned events over any [`Read`]: the pull adapter for
/// files and stdin. For speed, use [`XmlParser::feed`] or
/// [`for_each_event`] (borrowed events, no allocation per event).
///
/// [`for_each_event`]: super::for_each_event
pub fn events_from_reader<R: Read>(reader: R, options: XmlOptions) -> Events<XmlParser, R> {
    Events::new(XmlParser::new(options), reader)
}

/// Counts the events and bytes of the XML in `reader`, on the fast path.
///
/// ```
/// use mastery_interview::streaming_parsers::xml::{self, XmlOptions};
///
/// let summary = xml::count_events(&b"<a x='1'>hi<b/></a>"[..], XmlOptions::default())?;
/// assert_eq!((summary.events, summary.bytes), (5, 19));
/// # Ok::<(), mastery_interview::streaming_parsers::ParseError>(())
/// ```
pub fn count_events<R: Read>(reader: R, options: XmlOptions) -> Result<Summary, ParseError> {
    super::count_events(&mut XmlParser::new(options), reader)
}

#[cfg(test)]
mod tests;
