//! The call protocol every parser keeps: [`Lifecycle`].

use super::{ErrorKind, Format, ParseError, Position};

/// The call protocol the three push parsers share: an error is sticky
/// (every later `feed` or `finish` returns it again), feeding after
/// `finish` is an error, and a second `finish` does nothing.
#[derive(Debug, Clone)]
pub(crate) struct Lifecycle {
    failed: Option<ParseError>,
    finished: bool,
}

impl Lifecycle {
    /// A parser that has not failed or finished.
    pub(crate) const fn new() -> Self {
        Lifecycle {
            failed: None,
            finished: false,
        }
    }

    /// A parser that is broken from the start (bad options).
    pub(crate) const fn failed(error: ParseError) -> Self {
        Lifecycle {
            failed: Some(error),
            finished: false,
        }
    }

    /// Before a `feed` at `pos`: the sticky error, or that the input has
    /// already been finished.
    pub(crate) fn check_feed(&self, format: Format, pos: Position) -> Result<(), ParseError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.finished {
            return Err(ParseError::new(format, ErrorKind::FeedAfterFinish, pos));
        }
        Ok(())
    }

    /// Before `finish`: `true` when the input is to be finished now,
    /// `false` when it already was; the sticky error if any.
    pub(crate) fn start_finish(&mut self) -> Result<bool, ParseError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let first = !self.finished;
        self.finished = true;
        Ok(first)
    }

    /// Remembers `error` for every later call, and returns it.
    pub(crate) fn fail(&mut self, error: ParseError) -> ParseError {
        self.failed = Some(error.clone());
        error
    }
}
