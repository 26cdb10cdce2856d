//! `mastery list`: the roadmap tree, one line per topic, or JSON.

use std::io::Write;

use mastery_kit::{Area, Topic};

use crate::error::AppError;

/// Writes every topic by area (`Python idiom → Rust answer`), naming the
/// areas not built yet; with `json`, one array of topic objects. `Ok` is
/// exit code 0.
///
/// # Errors
/// When `out` cannot be written.
pub fn list(out: &mut impl Write, topics: &[&'static Topic], json: bool) -> Result<u8, AppError> {
    if json {
        let rows: Vec<serde_json::Value> = topics
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id, "area": t.area, "title": t.title,
                    "python": t.python, "rust": t.rust, "path": t.path,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&rows).map_err(AppError::failure)?;
        writeln!(out, "{text}")?;
        return Ok(0);
    }
    for area in Area::ALL {
        let in_area: Vec<_> = topics.iter().filter(|t| t.area == area).collect();
        writeln!(out, "{} ({}/)", area.heading(), area.name())?;
        if in_area.is_empty() {
            writeln!(out, "  (not built yet: see ROADMAP.md)")?;
        }
        for t in in_area {
            writeln!(out, "  {:<28} {}", t.id, t.python)?;
            writeln!(out, "  {:<28} → {}", "", t.rust)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} topics. `mastery run <id>` runs one; `mastery explain <id>` shows its lesson.",
        topics.len()
    )?;
    Ok(0)
}
