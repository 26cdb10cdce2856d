// The kata's trait for the lesson's `SimpleCsvParser`
// (interview/streaming-parsers, `ANCHOR: simple_csv`): each method calls the
// inherent one of the same name. The kit includes this block in
// `mastery_kata::textbook`, and `mastery kata new csv-parser --solution`
// pastes it after the lesson's code.
impl CsvKata for SimpleCsvParser {
    fn new() -> Self {
        SimpleCsvParser::new()
    }

    fn feed(&mut self, chunk: &[u8], on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        SimpleCsvParser::feed(self, chunk, on_record)
    }

    fn finish(&mut self, on_record: impl FnMut(&[String])) -> Result<(), ErrorKind> {
        SimpleCsvParser::finish(self, on_record)
    }
}
