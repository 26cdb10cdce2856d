// Kata csv-parser: a streaming CSV parser, fed in chunks.
//
// Fill in the `todo!()`s (README.md says what each must do), then run
// `cargo test`: the kit's own tests run against your `Parser`. When they
// pass, `mastery kata check` places your parser on the kit's CSV ladder.
//
// Keep the names `Parser`, `new`, `feed` and `finish`, and the signatures:
// the tests call them directly.

pub use mastery_kata::csv_parser::{CsvKata, ErrorKind};

/// Your parser: bytes in, one chunk at a time; records out, through the
/// callback. Everything a chunk boundary must remember lives in its fields.
#[derive(Debug)]
pub struct Parser {
    // Replace this with your fields.
}

impl CsvKata for Parser {
    /// A parser at the start of its input.
    fn new() -> Self {
        todo!("Parser::new")
    }

    /// Parses the next chunk (it may end anywhere: inside a quoted field,
    /// between the two quotes of `""`, inside a UTF-8 character), calling
    /// `on_record` with the fields of every record it completes.
    fn feed(&mut self, chunk: &[u8], on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        todo!("Parser::feed of {} bytes", chunk.len())
    }

    /// Ends the input: reports a last record that has no line end, and
    /// returns `ErrorKind::UnclosedQuote` if a quoted field is still open.
    fn finish(&mut self, on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        todo!("Parser::finish")
    }
}
