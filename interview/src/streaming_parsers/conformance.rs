//! The parsers' conformance cases, as data files.
//!
//! Each case is one file under `interview/conformance/<format>/<group>/`
//! (see the README there): the input, the options it is parsed with, and
//! either the events it gives — in the compact notation of [`render_csv`],
//! [`render_json`] and [`render_xml`] — or the error kind and the byte it
//! is raised at.
//!
//! ```text
//! # Numbers (§6), kept as written.
//! parser: json
//! options: default
//! input: "-1.5e+10"
//! events: #-1.5e+10
//! ```
//!
//! An `events:` value that spans lines (an XML internal subset keeps its
//! line ends) goes on in lines that start with `| `.
//!
//! [`ConformanceCase::check`] runs a case as the format's tests always
//! have: fed as one chunk, then cut in every two-way split, byte by byte,
//! and as text cut at every character boundary — every feeding must give
//! the identical outcome. The interview crate's own tests and the
//! data-driven harness of `testing/pytest-plugins` both read these files,
//! so no case is written twice.

use std::fmt;
use std::path::{Path, PathBuf};

use super::csv::{CsvOptions, CsvParser, OwnedCsvEvent};
use super::json::{JsonOptions, JsonParser, OwnedJsonEvent};
use super::xml::{OwnedXmlEvent, XML_NAMESPACE, XMLNS_NAMESPACE, XmlOptions, XmlParser};
use super::{ErrorKind, Format, ParseError, PushParser};

/// The folder of case files in this crate's source tree.
pub const CASES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/conformance");

/// The extension of a case file.
pub const CASE_EXTENSION: &str = "case";

/// What a case must give: its events, or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The events, rendered in the format's notation.
    Events(String),
    /// An error of this [`ErrorKind`] variant, at this byte offset.
    Error {
        /// The variant name (`InvalidNumber`, `FieldCount`, …).
        kind: String,
        /// The byte the error is raised at.
        offset: u64,
    },
}

/// A parser's options, by the preset name a case file gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseOptions {
    /// CSV options.
    Csv(CsvOptions),
    /// JSON options.
    Json(JsonOptions),
    /// XML options.
    Xml(XmlOptions),
}

/// The option presets each format's case files may name.
pub const PRESETS: [(Format, &[&str]); 3] = [
    (
        Format::Csv,
        &[
            "default",
            "header",
            "flexible",
            "header-flexible",
            "semicolon-single-quote",
            "tab",
            "keep-bom",
        ],
    ),
    (Format::Json, &["default", "json-lines", "keep-bom"]),
    (
        Format::Xml,
        &[
            "default",
            "no-namespaces",
            "max-depth-2",
            "entity-budget-10",
        ],
    ),
];

impl CaseOptions {
    /// The options a preset name stands for, or `None` if `format` has no
    /// such preset (see [`PRESETS`]).
    pub fn preset(format: Format, name: &str) -> Option<Self> {
        Some(match (format, name) {
            (Format::Csv, _) => CaseOptions::Csv(csv_preset(name)?),
            (Format::Json, "default") => CaseOptions::Json(JsonOptions::new()),
            (Format::Json, "json-lines") => CaseOptions::Json(JsonOptions::json_lines()),
            (Format::Json, "keep-bom") => CaseOptions::Json(JsonOptions {
                skip_bom: false,
                ..JsonOptions::new()
            }),
            (Format::Xml, "default") => CaseOptions::Xml(XmlOptions::new()),
            (Format::Xml, "no-namespaces") => CaseOptions::Xml(XmlOptions {
                namespaces: false,
                ..XmlOptions::new()
            }),
            (Format::Xml, "max-depth-2") => CaseOptions::Xml(XmlOptions {
                max_depth: 2,
                ..XmlOptions::new()
            }),
            (Format::Xml, "entity-budget-10") => CaseOptions::Xml(XmlOptions {
                max_entity_expansion: 10,
                ..XmlOptions::new()
            }),
            _ => return None,
        })
    }
}

impl CaseOptions {
    /// Parses `input` as one chunk with these options: the rendered events
    /// and the error, if one ended the parse.
    pub fn outcome(self, input: &[u8]) -> (String, Option<ParseError>) {
        match self {
            CaseOptions::Csv(o) => rendered(CsvParser::new(o), input, render_csv),
            CaseOptions::Json(o) => rendered(JsonParser::new(o), input, render_json),
            CaseOptions::Xml(o) => rendered(XmlParser::new(o), input, render_xml),
        }
    }
}

/// An outcome in one line, as a case file would state it:
/// `events: …` or `error: Kind at byte N`.
pub fn describe((events, error): &(String, Option<ParseError>)) -> String {
    match error {
        None if events.is_empty() => "events:".to_owned(),
        None => format!("events: {events}"),
        Some(e) => format!(
            "error: {} at byte {}",
            kind_name(e.kind()),
            e.position().offset
        ),
    }
}

fn csv_preset(name: &str) -> Option<CsvOptions> {
    let base = CsvOptions::new();
    Some(match name {
        "default" => base,
        "header" => CsvOptions {
            has_header: true,
            ..base
        },
        "flexible" => CsvOptions {
            flexible: true,
            ..base
        },
        "header-flexible" => CsvOptions {
            has_header: true,
            flexible: true,
            ..base
        },
        "semicolon-single-quote" => CsvOptions {
            delimiter: b';',
            quote: b'\'',
            ..base
        },
        "tab" => CsvOptions {
            delimiter: b'\t',
            ..base
        },
        "keep-bom" => CsvOptions {
            skip_bom: false,
            ..base
        },
        _ => return None,
    })
}

/// One conformance case, read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConformanceCase {
    /// The `#` lines at the top: what the case is about.
    pub comment: String,
    /// The parser (`parser:`).
    pub format: Format,
    /// The options' preset name (`options:`, `default` when absent).
    pub options_name: String,
    /// The options that name stands for.
    pub options: CaseOptions,
    /// The input bytes (`input:`, a quoted string with escapes).
    pub input: Vec<u8>,
    /// The events (`events:`) or the error (`error: Kind at byte N`).
    pub expected: Expected,
}

/// Why a case file could not be read: the file, the line, and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// The file could not be read.
    #[error("cannot read case file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a valid case.
    #[error("{}:{line}: {problem}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 for the file as a whole).
        line: usize,
        /// What is wrong and how to fix it.
        problem: String,
    },
}

/// A case whose parse did not give what its file says, under one feeding
/// or more: one line per failing feeding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", failures.join("\n"))]
pub struct CaseMismatch {
    /// What went wrong, one entry per feeding.
    pub failures: Vec<String>,
}

impl ConformanceCase {
    /// Reads and parses the case file at `path`.
    ///
    /// # Errors
    /// [`CaseFileError`] naming the file (and the line) when it cannot be
    /// read or is not a valid case.
    pub fn load(path: &Path) -> Result<Self, CaseFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| CaseFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of a case file; `path` only names it in errors.
    ///
    /// # Errors
    /// [`CaseFileError::Syntax`] with the line and what to fix: an unknown
    /// or repeated key, a missing `parser:`/`input:`, both or neither of
    /// `events:` and `error:`, a bad escape, an unknown options preset.
    pub fn parse(path: &Path, text: &str) -> Result<Self, CaseFileError> {
        let fail = |line: usize, problem: String| CaseFileError::Syntax {
            path: path.to_owned(),
            line,
            problem,
        };
        let mut comment = Vec::new();
        let (mut format, mut options, mut input, mut expected) = (None, None, None, None);
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if let Some(note) = raw.strip_prefix('#') {
                comment.push(note.trim().to_owned());
                continue;
            }
            if raw.trim().is_empty() {
                continue;
            }
            if let Some(more) = raw.strip_prefix('|') {
                // A continuation of a multi-line `events:` value.
                let Some(Expected::Events(events)) = &mut expected else {
                    return Err(fail(
                        line,
                        "a `|` continuation line must follow an `events:` line".to_owned(),
                    ));
                };
                events.push('\n');
                events.push_str(more.strip_prefix(' ').unwrap_or(more));
                continue;
            }
            let Some((key, value)) = raw.split_once(':') else {
                return Err(fail(line, format!("expected `key: value`, found {raw:?}")));
            };
            let value = value.trim();
            let key = key.trim();
            let fresh = match key {
                "parser" => set(&mut format, parse_format(value).map_err(|p| fail(line, p))?),
                "options" => set(&mut options, (line, value.to_owned())),
                "input" => set(&mut input, unquote(value).map_err(|p| fail(line, p))?),
                "events" => set(&mut expected, Expected::Events(value.to_owned())),
                "error" => set(
                    &mut expected,
                    parse_error(value).map_err(|p| fail(line, p))?,
                ),
                other => {
                    return Err(fail(
                        line,
                        format!(
                            "unknown key `{other}`; a case has parser, options, input, and \
                             events or error"
                        ),
                    ));
                }
            };
            if !fresh {
                return Err(fail(
                    line,
                    format!(
                        "`{key}` given twice (or both `events` and `error`): a file holds one case"
                    ),
                ));
            }
        }
        let format =
            format.ok_or_else(|| fail(0, "no `parser:` line (csv, json or xml)".to_owned()))?;
        let (options_line, options_name) = options.unwrap_or((0, "default".to_owned()));
        let options = CaseOptions::preset(format, &options_name).ok_or_else(|| {
            let known = PRESETS
                .iter()
                .find(|(f, _)| *f == format)
                .map(|(_, names)| names.join(", "))
                .unwrap_or_default();
            fail(
                options_line,
                format!("unknown {format} options `{options_name}`; known: {known}"),
            )
        })?;
        let input = input.ok_or_else(|| fail(0, "no `input:` line".to_owned()))?;
        let expected = expected.ok_or_else(|| {
            fail(
                0,
                "no `events:` or `error:` line: say what the input must give".to_owned(),
            )
        })?;
        Ok(ConformanceCase {
            comment: comment.join(" "),
            format,
            options_name,
            options,
            input,
            expected,
        })
    }

    /// Parses the input as one chunk: the rendered events and the error.
    pub fn outcome(&self) -> (String, Option<ParseError>) {
        self.options.outcome(&self.input)
    }

    /// Runs the case under every feeding (see the module doc).
    ///
    /// # Errors
    /// [`CaseMismatch`] listing every feeding whose outcome differs from
    /// the file or from the one-chunk outcome.
    pub fn check(&self) -> Result<(), CaseMismatch> {
        let failures = match self.options {
            CaseOptions::Csv(o) => check_feedings(
                || CsvParser::new(o),
                render_csv,
                &self.input,
                &self.expected,
            ),
            CaseOptions::Json(o) => check_feedings(
                || JsonParser::new(o),
                render_json,
                &self.input,
                &self.expected,
            ),
            CaseOptions::Xml(o) => check_feedings(
                || XmlParser::new(o),
                render_xml,
                &self.input,
                &self.expected,
            ),
        };
        if failures.is_empty() {
            Ok(())
        } else {
            Err(CaseMismatch { failures })
        }
    }
}

/// Fills `slot`; `false` if it was already filled.
fn set<T>(slot: &mut Option<T>, value: T) -> bool {
    slot.replace(value).is_none()
}

fn parse_format(value: &str) -> Result<Format, String> {
    match value {
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        "xml" => Ok(Format::Xml),
        other => Err(format!("unknown parser `{other}`; use csv, json or xml")),
    }
}

/// `Kind at byte N`.
fn parse_error(value: &str) -> Result<Expected, String> {
    let bad = || format!("expected `error: <ErrorKind variant> at byte <offset>`, found {value:?}");
    let (kind, offset) = value.split_once(" at byte ").ok_or_else(bad)?;
    let offset = offset.trim().parse().map_err(|_| bad())?;
    let kind = kind.trim();
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok(Expected::Error {
        kind: kind.to_owned(),
        offset,
    })
}

/// A double-quoted string with the escapes `\\ \" \n \r \t \xNN \u{…}`:
/// `\xNN` is one byte (so invalid UTF-8 can be written), anything else
/// between the quotes is its UTF-8.
pub fn unquote(value: &str) -> Result<Vec<u8>, String> {
    let body = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|_| value.len() >= 2)
        .ok_or_else(|| format!("the input must be in double quotes, found {value:?}"))?;
    let mut bytes = Vec::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        let column = at + 2;
        match c {
            '\\' => {}
            '"' => {
                return Err(format!(
                    "column {column}: a quote inside the input; write \\\""
                ));
            }
            c => {
                bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
        }
        match chars.next().map(|(_, e)| e) {
            Some('\\') => bytes.push(b'\\'),
            Some('"') => bytes.push(b'"'),
            Some('n') => bytes.push(b'\n'),
            Some('r') => bytes.push(b'\r'),
            Some('t') => bytes.push(b'\t'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).map(|(_, h)| h).collect();
                let byte = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .ok_or_else(|| {
                        format!("column {column}: `\\x` needs two hex digits, found {hex:?}")
                    })?;
                bytes.push(byte);
            }
            Some('u') => {
                let rest = &body[at + 2..];
                let close = rest.find('}').filter(|_| rest.starts_with('{'));
                let c = close
                    .and_then(|end| u32::from_str_radix(&rest[1..end], 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        format!("column {column}: `\\u` needs a scalar value as `\\u{{1F600}}`")
                    })?;
                bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                for _ in 0..close.unwrap_or_default() + 1 {
                    chars.next();
                }
            }
            other => {
                return Err(format!(
                    "column {column}: unknown escape `\\{}`; use \\\\ \\\" \\n \\r \\t \\xNN \\u{{…}}",
                    other.map(String::from).unwrap_or_default()
                ));
            }
        }
    }
    Ok(bytes)
}

/// `bytes` as a case file's `input:` value: printable text as itself,
/// line ends and tabs escaped, any other byte as `\xNN`. [`unquote`]
/// reads it back.
pub fn quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() || c == '\u{feff}' || (c.is_whitespace() && c != ' ') => {
                    for b in c.encode_utf8(&mut [0; 4]).bytes() {
                        out.push_str(&format!("\\x{b:02X}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out.push('"');
    out
}

/// The variant name of an error kind (`TooDeep`, `InvalidUtf8`, …).
pub fn kind_name(kind: &ErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Events, then the error if one ended the parse.
type Outcome<E> = (Vec<E>, Option<ParseError>);

/// Feeds `chunks` to `parser` one after another, then finishes.
fn feed_chunks<P: PushParser>(mut parser: P, chunks: &[&[u8]]) -> Outcome<P::OwnedEvent> {
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed(chunk, |e| events.push(P::to_owned_event(&e))) {
            return (events, Some(e));
        }
    }
    let end = parser.finish(|e| events.push(P::to_owned_event(&e)));
    (events, end.err())
}

/// Feeds text `chunks` through `feed_str`, then finishes.
fn feed_text<P: PushParser>(mut parser: P, chunks: &[&str]) -> Outcome<P::OwnedEvent> {
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(e) = parser.feed_str(chunk, |e| events.push(P::to_owned_event(&e))) {
            return (events, Some(e));
        }
    }
    let end = parser.finish(|e| events.push(P::to_owned_event(&e)));
    (events, end.err())
}

fn rendered<P: PushParser>(
    parser: P,
    input: &[u8],
    render: fn(&[P::OwnedEvent]) -> String,
) -> (String, Option<ParseError>) {
    let (events, error) = feed_chunks(parser, &[input]);
    (render(&events), error)
}

/// The input shown in a failure.
fn shown(input: &[u8]) -> String {
    quote(input)
}

/// Checks one case under every feeding: the one-chunk outcome against
/// `expected`, then every two-way cut, byte by byte, and text cut at every
/// character boundary against the one-chunk outcome. Returns one line per
/// failure.
fn check_feedings<P>(
    new_parser: impl Fn() -> P,
    render: fn(&[P::OwnedEvent]) -> String,
    input: &[u8],
    expected: &Expected,
) -> Vec<String>
where
    P: PushParser<OwnedEvent: PartialEq>,
{
    let shown = shown(input);
    let mut failures = Vec::new();
    let whole = feed_chunks(new_parser(), &[input]);
    match (expected, &whole) {
        (Expected::Events(want), (got, None)) if render(got) != *want => {
            failures.push(format!(
                "input {shown}: got events {}, expected {want}",
                render(got)
            ));
        }
        (Expected::Error { kind, offset }, (_, Some(err)))
            if (err.position().offset, kind_name(err.kind())) != (*offset, kind.clone()) =>
        {
            failures.push(format!(
                "input {shown}: got {} at byte {} ({err}), expected {kind} at byte {offset}",
                kind_name(err.kind()),
                err.position().offset
            ));
        }
        (Expected::Events(_), (_, Some(err))) => {
            failures.push(format!("input {shown} rejected: {err}"));
        }
        (Expected::Error { .. }, (got, None)) => {
            failures.push(format!("input {shown} accepted: {}", render(got)));
        }
        _ => {}
    }
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        if feed_chunks(new_parser(), &[a, b]) != whole {
            failures.push(format!("input {shown} differs when cut at {cut}"));
        }
    }
    let bytewise: Vec<&[u8]> = input.chunks(1).collect();
    if feed_chunks(new_parser(), &bytewise) != whole {
        failures.push(format!("input {shown} differs byte by byte"));
    }
    // Text fed as `&str` is not validated again: the same outcome.
    if let Ok(text) = std::str::from_utf8(input) {
        for cut in (0..=text.len()).filter(|&c| text.is_char_boundary(c)) {
            let (a, b) = text.split_at(cut);
            if feed_text(new_parser(), &[a, b]) != whole {
                failures.push(format!("input {shown} differs as text cut at {cut}"));
            }
        }
    }
    failures
}

/// CSV events as compact text: `["a", "b"] ["c", ""]`, `H` before the header.
pub fn render_csv(events: &[OwnedCsvEvent]) -> String {
    let words: Vec<String> = events
        .iter()
        .map(|e| match e {
            OwnedCsvEvent::Header(fields) => format!("H{fields:?}"),
            OwnedCsvEvent::Record(fields) => format!("{fields:?}"),
        })
        .collect();
    words.join(" ")
}

/// JSON events as compact text: `{ "key": [ #1 "s" true null ] }`, `;`
/// for `EndOfValue`.
pub fn render_json(events: &[OwnedJsonEvent]) -> String {
    let words: Vec<String> = events
        .iter()
        .map(|e| match e {
            OwnedJsonEvent::StartObject => "{".to_owned(),
            OwnedJsonEvent::EndObject => "}".to_owned(),
            OwnedJsonEvent::StartArray => "[".to_owned(),
            OwnedJsonEvent::EndArray => "]".to_owned(),
            OwnedJsonEvent::Key(k) => format!("{k:?}:"),
            OwnedJsonEvent::String(s) => format!("{s:?}"),
            OwnedJsonEvent::Number(n) => format!("#{n}"),
            OwnedJsonEvent::Bool(b) => b.to_string(),
            OwnedJsonEvent::Null => "null".to_owned(),
            OwnedJsonEvent::EndOfValue => ";".to_owned(),
        })
        .collect();
    words.join(" ")
}

fn show_ns(ns: &Option<String>) -> String {
    match ns.as_deref() {
        None => String::new(),
        Some(XMLNS_NAMESPACE) => "@xmlns".to_owned(),
        Some(XML_NAMESPACE) => "@xml".to_owned(),
        Some(uri) => format!("@{uri}"),
    }
}

/// XML events as compact text: `<a@urn x="1"> "text" </a@urn>`, `!"…"` for
/// CDATA, `#"…"` for comments, `?target"data"`, `decl[1.0,UTF-8,yes]`,
/// `doctype[name,public,system,subset]`.
pub fn render_xml(events: &[OwnedXmlEvent]) -> String {
    let words: Vec<String> = events.iter().map(XmlWord).map(|w| w.to_string()).collect();
    words.join(" ")
}

/// One XML event in the notation of [`render_xml`].
struct XmlWord<'a>(&'a OwnedXmlEvent);

impl fmt::Display for XmlWord<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            OwnedXmlEvent::Declaration {
                version,
                encoding,
                standalone,
            } => {
                let mut parts = vec![version.clone()];
                parts.extend(encoding.clone());
                parts.extend(standalone.map(|s| if s { "yes" } else { "no" }.to_owned()));
                write!(f, "decl[{}]", parts.join(","))
            }
            OwnedXmlEvent::Doctype {
                name,
                public_id,
                system_id,
                internal_subset,
            } => write!(
                f,
                "doctype[{name},{},{},{}]",
                public_id.as_deref().unwrap_or_default(),
                system_id.as_deref().unwrap_or_default(),
                internal_subset.as_deref().unwrap_or_default()
            ),
            OwnedXmlEvent::StartElement {
                name,
                namespace,
                attributes,
            } => {
                write!(f, "<{name}{}", show_ns(namespace))?;
                for a in attributes {
                    write!(f, " {}{}={:?}", a.name, show_ns(&a.namespace), a.value)?;
                }
                f.write_str(">")
            }
            OwnedXmlEvent::EndElement { name, namespace } => {
                write!(f, "</{name}{}>", show_ns(namespace))
            }
            OwnedXmlEvent::Text(t) => write!(f, "{t:?}"),
            OwnedXmlEvent::CData(t) => write!(f, "!{t:?}"),
            OwnedXmlEvent::Comment(t) => write!(f, "#{t:?}"),
            OwnedXmlEvent::ProcessingInstruction { target, data } => {
                write!(f, "?{target}{data:?}")
            }
        }
    }
}

/// Every `.case` file under `dir`, in sorted path order.
///
/// # Errors
/// The I/O error of a directory that cannot be listed.
pub fn case_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == CASE_EXTENSION) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
