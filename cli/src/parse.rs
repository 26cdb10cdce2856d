//! `mastery parse <json|csv|xml> [FILE|-]`: run one of the interview
//! section's streaming parsers over a file or stdin.
//!
//! By default it prints a summary (events or records, bytes, MB/s, peak
//! heap). `--events` prints every event as one JSON object per line; for
//! CSV, `--records` prints each record as a JSON array of strings. The
//! summary then goes to stderr so stdout stays machine-readable. A malformed
//! input exits 1 with `FILE:LINE:COL: message` on stderr; a file that cannot
//! be opened exits 2. XML may be UTF-8 or UTF-16 (with its byte order
//! mark; error offsets count the file's bytes); `--no-namespaces` reads
//! plain XML 1.0 names.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use mastery_interview::streaming_parsers::csv::{CsvEvent, CsvOptions, CsvParser};
use mastery_interview::streaming_parsers::json::{JsonEvent, JsonOptions, JsonParser};
use mastery_interview::streaming_parsers::xml::{XmlEvent, XmlOptions, XmlParser};
use mastery_interview::streaming_parsers::{ParseError, PushParser, READ_CHUNK_SIZE};
use mastery_kit::narrator::format_value;

use mastery_tooling::cli_tools::{ParseArgs, ParseFormat};

use crate::error::{AppError, EXIT_FAILURE};

/// What a parse produced when the input was well-formed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParseSummary {
    /// Events (JSON, XML) or records (CSV, header excluded).
    pub items: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Most heap held at once during the parse, when the counting allocator
    /// is installed (it is in the `mastery` binary).
    pub peak_heap: Option<usize>,
}

/// Carries out `mastery parse`; `Ok` holds the exit code.
///
/// # Errors
/// [`AppError::Usage`] when the file cannot be opened or the CSV dialect is
/// invalid; [`AppError::Failure`] when output cannot be written.
pub fn parse(args: &ParseArgs) -> Result<u8, AppError> {
    if args.records && args.format != ParseFormat::Csv {
        return Err(AppError::Usage(
            "--records is for CSV; use --events for JSON and XML".into(),
        ));
    }
    if args.no_namespaces && args.format != ParseFormat::Xml {
        return Err(AppError::Usage("--no-namespaces is for XML".into()));
    }
    let name = display_name(args.input.as_deref());
    let input: Box<dyn Read> = match args.input.as_deref() {
        None => Box::new(io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(io::stdin().lock()),
        Some(p) => Box::new(
            File::open(p).map_err(|e| AppError::Usage(format!("cannot open {name}: {e}")))?,
        ),
    };
    let csv_options = csv_options(args)?;
    let printing = args.events || args.records;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout);
    let started = Instant::now();
    let (result, peak_heap) = mastery_kit::memory::peak_heap_during(|| match args.format {
        ParseFormat::Json => {
            let options = JsonOptions {
                multi_value: args.json_lines,
                ..JsonOptions::default()
            };
            drive(
                JsonParser::new(options),
                input,
                &mut out,
                printing,
                |_| true,
                write_json_event,
            )
        }
        ParseFormat::Csv => drive(
            CsvParser::new(csv_options),
            input,
            &mut out,
            printing,
            |e: &CsvEvent<'_>| !e.is_header(),
            |e, w| write_csv_event(e, w, args.events),
        ),
        ParseFormat::Xml => drive(
            XmlParser::new(XmlOptions {
                namespaces: !args.no_namespaces,
                ..XmlOptions::default()
            }),
            input,
            &mut out,
            printing,
            |_| true,
            write_xml_event,
        ),
    });
    let seconds = started.elapsed().as_secs_f64();
    out.flush().map_err(|e| AppError::Failure(e.into()))?;
    match result {
        Ok(Driven::Done { items, bytes }) => {
            let summary = ParseSummary {
                items,
                bytes,
                seconds,
                peak_heap,
            };
            let line = summary_line(args.format, &summary);
            if printing {
                eprintln!("{line}");
            } else {
                writeln!(io::stdout(), "{line}").map_err(|e| AppError::Failure(e.into()))?;
            }
            Ok(0)
        }
        Ok(Driven::OutputClosed) => Ok(0),
        Err(Failed::Output(e)) => Err(AppError::Failure(e.into())),
        Err(Failed::Parse(e)) => {
            let at = e.position();
            eprintln!(
                "{name}:{}:{}: {} error: {} (byte {})",
                at.line,
                at.column,
                e.format(),
                e.kind(),
                at.offset
            );
            Ok(EXIT_FAILURE)
        }
    }
}

fn display_name(input: Option<&Path>) -> String {
    match input {
        None => "<stdin>".into(),
        Some(p) if p == Path::new("-") => "<stdin>".into(),
        Some(p) => p.display().to_string(),
    }
}

fn csv_options(args: &ParseArgs) -> Result<CsvOptions, AppError> {
    let byte = |c: char, what: &str| -> Result<u8, AppError> {
        u8::try_from(c).ok().filter(u8::is_ascii).ok_or_else(|| {
            AppError::Usage(format!(
                "the CSV {what} must be one ASCII character, not {c:?}"
            ))
        })
    };
    let options = CsvOptions {
        delimiter: byte(args.delimiter, "delimiter")?,
        quote: byte(args.quote, "quote")?,
        has_header: args.header,
        flexible: args.flexible,
        ..CsvOptions::default()
    };
    options
        .validate()
        .map_err(|kind| AppError::Usage(format!("invalid CSV dialect: {kind}")))?;
    Ok(options)
}

/// The one-line summary: `json: 7_912_345 events, 50.0 MB in 0.081 s (617.3 MB/s), peak heap 210 KB`.
pub fn summary_line(format: ParseFormat, s: &ParseSummary) -> String {
    let what = if format == ParseFormat::Csv {
        "records"
    } else {
        "events"
    };
    let mb = s.bytes as f64 / 1e6;
    let rate = if s.seconds > 0.0 {
        format!("{:.1} MB/s", mb / s.seconds)
    } else {
        "too fast to time".into()
    };
    let heap = match s.peak_heap {
        Some(bytes) => format!(
            "peak heap {} KB",
            format_value((bytes as f64 / 1024.0).ceil())
        ),
        None => "peak heap not measured (counting allocator not installed)".into(),
    };
    format!(
        "{}: {} {what}, {:.1} MB in {:.3} s ({rate}), {heap}",
        format.name(),
        format_value(s.items as f64),
        mb,
        s.seconds,
    )
}

enum Driven {
    Done { items: u64, bytes: u64 },
    OutputClosed,
}

enum Failed {
    Parse(ParseError),
    Output(io::Error),
}

/// Feeds `input` to `parser` a chunk at a time, counting the events for
/// which `counts` holds and (when `printing`) writing each with `write`.
/// Stops early, successfully, when stdout is closed
/// (`mastery parse … --events | head`).
fn drive<P, W>(
    mut parser: P,
    mut input: impl Read,
    out: &mut W,
    printing: bool,
    counts: impl Fn(&P::Event<'_>) -> bool,
    mut write: impl FnMut(&P::Event<'_>, &mut W) -> io::Result<()>,
) -> Result<Driven, Failed>
where
    P: PushParser,
    W: Write,
{
    let mut buf = vec![0u8; READ_CHUNK_SIZE];
    let mut items = 0u64;
    let mut bytes = 0u64;
    // Shared with the callback: the first write error, after which writing
    // stops (parsing goes on to the end of the chunk).
    let output_error: Cell<Option<io::Error>> = Cell::new(None);
    let failed = Cell::new(false);
    let mut on_event = |event: P::Event<'_>| {
        items += u64::from(counts(&event));
        if printing && !failed.get() {
            if let Err(e) = write(&event, out) {
                failed.set(true);
                output_error.set(Some(e));
            }
        }
    };
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failed::Parse(ParseError::io(
                    parser.format(),
                    parser.position(),
                    &e,
                )));
            }
        };
        bytes += n as u64;
        parser
            .feed(&buf[..n], &mut on_event)
            .map_err(Failed::Parse)?;
        if let Some(e) = output_error.take() {
            return closed_or_failed(e);
        }
    }
    parser.finish(&mut on_event).map_err(Failed::Parse)?;
    if let Some(e) = output_error.take() {
        return closed_or_failed(e);
    }
    Ok(Driven::Done { items, bytes })
}

fn closed_or_failed(e: io::Error) -> Result<Driven, Failed> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(Driven::OutputClosed)
    } else {
        Err(Failed::Output(e))
    }
}

/// Writes `{"event":"<kind>"` and, when given, `,"<key>":<json string>`.
fn open_event(w: &mut impl Write, kind: &str) -> io::Result<()> {
    write!(w, "{{\"event\":\"{kind}\"")
}

fn field(w: &mut impl Write, key: &str, value: &str) -> io::Result<()> {
    write!(w, ",\"{key}\":")?;
    serde_json::to_writer(&mut *w, value).map_err(io::Error::from)
}

fn optional(w: &mut impl Write, key: &str, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(v) => field(w, key, v),
        None => Ok(()),
    }
}

fn close_event(w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"}\n")
}

fn write_json_event(event: &JsonEvent<'_>, w: &mut impl Write) -> io::Result<()> {
    match *event {
        JsonEvent::StartObject => open_event(w, "start_object")?,
        JsonEvent::EndObject => open_event(w, "end_object")?,
        JsonEvent::StartArray => open_event(w, "start_array")?,
        JsonEvent::EndArray => open_event(w, "end_array")?,
        JsonEvent::Key(k) => {
            open_event(w, "key")?;
            field(w, "value", k)?;
        }
        JsonEvent::String(s) => {
            open_event(w, "string")?;
            field(w, "value", s)?;
        }
        JsonEvent::Number(n) => {
            // The text passed the JSON number grammar, so it is a valid JSON
            // number as written: no precision is lost by re-parsing.
            open_event(w, "number")?;
            write!(w, ",\"value\":{}", n.as_str())?;
        }
        JsonEvent::Bool(b) => {
            open_event(w, "bool")?;
            write!(w, ",\"value\":{b}")?;
        }
        JsonEvent::Null => open_event(w, "null")?,
        JsonEvent::EndOfValue => open_event(w, "end_of_value")?,
    }
    close_event(w)
}

fn write_csv_event(event: &CsvEvent<'_>, w: &mut impl Write, as_events: bool) -> io::Result<()> {
    let record = event.record();
    if as_events {
        open_event(
            w,
            if event.is_header() {
                "header"
            } else {
                "record"
            },
        )?;
        write!(w, ",\"fields\":")?;
        serde_json::to_writer(&mut *w, &record.iter().collect::<Vec<_>>())?;
        return close_event(w);
    }
    if event.is_header() {
        return Ok(());
    }
    w.write_all(b"[")?;
    for (i, f) in record.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, f)?;
    }
    w.write_all(b"]\n")
}

fn write_xml_event(event: &XmlEvent<'_>, w: &mut impl Write) -> io::Result<()> {
    match *event {
        XmlEvent::Declaration {
            version,
            encoding,
            standalone,
        } => {
            open_event(w, "declaration")?;
            field(w, "version", version)?;
            optional(w, "encoding", encoding)?;
            if let Some(s) = standalone {
                write!(w, ",\"standalone\":{s}")?;
            }
        }
        XmlEvent::Doctype {
            name,
            public_id,
            system_id,
            internal_subset,
        } => {
            open_event(w, "doctype")?;
            field(w, "name", name)?;
            optional(w, "public_id", public_id)?;
            optional(w, "system_id", system_id)?;
            optional(w, "internal_subset", internal_subset)?;
        }
        XmlEvent::StartElement(ref start) => {
            open_event(w, "start_element")?;
            field(w, "name", start.name)?;
            optional(w, "namespace", start.namespace)?;
            write!(w, ",\"attributes\":[")?;
            for (i, a) in start.attributes.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(b"{")?;
                w.write_all(b"\"name\":")?;
                serde_json::to_writer(&mut *w, a.name)?;
                optional(w, "namespace", a.namespace)?;
                field(w, "value", a.value)?;
                w.write_all(b"}")?;
            }
            w.write_all(b"]")?;
        }
        XmlEvent::EndElement { name, namespace } => {
            open_event(w, "end_element")?;
            field(w, "name", name)?;
            optional(w, "namespace", namespace)?;
        }
        XmlEvent::Text(t) => {
            open_event(w, "text")?;
            field(w, "value", t)?;
        }
        XmlEvent::CData(t) => {
            open_event(w, "cdata")?;
            field(w, "value", t)?;
        }
        XmlEvent::Comment(t) => {
            open_event(w, "comment")?;
            field(w, "value", t)?;
        }
        XmlEvent::ProcessingInstruction { target, data } => {
            open_event(w, "processing_instruction")?;
            field(w, "target", target)?;
            field(w, "data", data)?;
        }
    }
    close_event(w)
}
