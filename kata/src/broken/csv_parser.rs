//! Broken answers to the `csv-parser` kata: one byte-at-a-time automaton,
//! the textbook's, written once, and three parsers that each make one
//! plausible mistake in it ([`Mistake`]), so the bug is the only
//! difference. Each is caught by the kit test named in its doc.

use std::marker::PhantomData;

use crate::csv_parser::{CsvKata, ErrorKind};

/// The one mistake a broken parser makes.
pub trait Mistake {
    /// `""` inside quotes keeps both quotes instead of one.
    const KEEPS_DOUBLED_QUOTES: bool = false;
    /// Each `feed` starts from "between records", forgetting where the
    /// last chunk ended.
    const FORGETS_STATE_BETWEEN_CHUNKS: bool = false;
    /// A quote inside an unquoted field is kept as text.
    const ACCEPTS_QUOTE_IN_UNQUOTED_FIELD: bool = false;
}

/// Broken: `"say ""hi"""` reads as `say ""hi""` — the doubled quote's
/// escape is seen but both halves are kept. Caught by
/// `doubled_quotes_are_one_quote`.
#[derive(Debug)]
pub struct KeepsDoubledQuotes;

impl Mistake for KeepsDoubledQuotes {
    const KEEPS_DOUBLED_QUOTES: bool = true;
}

/// Broken: the scan's state is reset at the start of every `feed`, as if
/// it were a local of `feed` — the field and record are kept, but a chunk
/// that ends inside a quoted field resumes outside it. Whole inputs parse
/// right. Caught by `quoted_fields_hold_commas_and_line_ends`, at the
/// first cut inside the quotes.
#[derive(Debug)]
pub struct ForgetsStateBetweenChunks;

impl Mistake for ForgetsStateBetweenChunks {
    const FORGETS_STATE_BETWEEN_CHUNKS: bool = true;
}

/// Broken: `ab"c` is read as the text `ab"c`, where RFC 4180 rejects it
/// (`QuoteInUnquotedField`). Caught by
/// `a_quote_inside_an_unquoted_field_is_an_error`.
#[derive(Debug)]
pub struct AcceptsQuoteInUnquotedField;

impl Mistake for AcceptsQuoteInUnquotedField {
    const ACCEPTS_QUOTE_IN_UNQUOTED_FIELD: bool = true;
}

#[derive(Debug, Default, Clone, Copy)]
enum State {
    #[default]
    RecordStart,
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// The textbook automaton with the mistake `M`.
#[derive(Debug)]
pub struct BrokenCsv<M> {
    state: State,
    field: Vec<u8>,
    record: Vec<String>,
    mistake: PhantomData<M>,
}

impl<M: Mistake> BrokenCsv<M> {
    fn step(&mut self, byte: u8, on_record: &mut impl FnMut(&[String])) -> Result<(), ErrorKind> {
        use State as S;
        self.state = match (self.state, byte) {
            (S::RecordStart, b'\r' | b'\n') => S::RecordStart,
            (S::RecordStart | S::FieldStart, b'"') => S::Quoted,
            (S::Unquoted, b'"') if M::ACCEPTS_QUOTE_IN_UNQUOTED_FIELD => {
                self.field.push(b'"'); // BUG: kept as text.
                S::Unquoted
            }
            (S::Unquoted, b'"') => return Err(ErrorKind::QuoteInUnquotedField { quote: b'"' }),
            (S::Quoted, b'"') => S::QuoteInQuoted,
            (S::QuoteInQuoted, b'"') => {
                if M::KEEPS_DOUBLED_QUOTES {
                    self.field.push(b'"'); // BUG: the escaping quote kept too.
                }
                self.field.push(b'"');
                S::Quoted
            }
            (S::Quoted, _) => {
                self.field.push(byte);
                S::Quoted
            }
            (_, b',') => {
                self.end_field()?;
                S::FieldStart
            }
            (_, b'\r' | b'\n') => {
                self.end_record(on_record)?;
                S::RecordStart
            }
            (S::QuoteInQuoted, found) => return Err(ErrorKind::TextAfterClosingQuote { found }),
            (S::RecordStart | S::FieldStart | S::Unquoted, _) => {
                self.field.push(byte);
                S::Unquoted
            }
        };
        Ok(())
    }

    fn end_field(&mut self) -> Result<(), ErrorKind> {
        let bytes = std::mem::take(&mut self.field);
        let text = String::from_utf8(bytes).map_err(|_| ErrorKind::InvalidUtf8)?;
        self.record.push(text);
        Ok(())
    }

    fn end_record(&mut self, on_record: &mut impl FnMut(&[String])) -> Result<(), ErrorKind> {
        self.end_field()?;
        on_record(&self.record);
        self.record.clear();
        Ok(())
    }
}

impl<M: Mistake> CsvKata for BrokenCsv<M> {
    fn new() -> Self {
        BrokenCsv {
            state: State::RecordStart,
            field: Vec::new(),
            record: Vec::new(),
            mistake: PhantomData,
        }
    }

    fn feed(
        &mut self,
        chunk: &[u8],
        mut on_record: impl FnMut(&[String]),
    ) -> Result<(), ErrorKind> {
        if M::FORGETS_STATE_BETWEEN_CHUNKS {
            self.state = State::RecordStart; // BUG: where the last chunk ended is lost.
        }
        for &byte in chunk {
            self.step(byte, &mut on_record)?;
        }
        Ok(())
    }

    fn finish(&mut self, mut on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        match self.state {
            State::RecordStart => Ok(()),
            State::Quoted => Err(ErrorKind::UnclosedQuote { quote: b'"' }),
            _ => self.end_record(&mut on_record),
        }
    }
}
