//! `mastery explain ID`: a topic's lesson, rendered for a terminal.

use std::io::Write;

use mastery_kit::{Topic, lesson, select};

use crate::error::AppError;

/// Writes the lesson of the topic whose id is exactly `id`. `Ok` is exit
/// code 0.
///
/// # Errors
/// An unknown id (a usage error with the closest id as a suggestion), or
/// `out` failing.
pub fn explain(out: &mut impl Write, topics: &[&'static Topic], id: &str) -> Result<u8, AppError> {
    let Some(topic) = topics.iter().find(|t| t.id == id) else {
        let err = select::UnknownTopic {
            pattern: id.to_owned(),
            suggestion: select::closest(id, topics.iter().map(|t| t.id)),
        };
        return Err(AppError::usage(err.to_string()));
    };
    writeln!(out, "{} — {}\n", topic.id, topic.title)?;
    writeln!(out, "Python: {}\nRust:   {}\n", topic.python, topic.rust)?;
    write!(out, "{}", lesson::render_for_terminal(&topic.lesson()))?;
    writeln!(
        out,
        "\nSource: {}   Run: mastery run {}",
        topic.path, topic.id
    )?;
    Ok(0)
}
