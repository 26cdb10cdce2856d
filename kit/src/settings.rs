//! What a demo may need from the reader's configuration.
//!
//! The app loads layered settings (defaults < `mastery.toml` < `MASTERY_*` <
//! flags) and hands the part demos use to every [`Narrator`] as one typed
//! value. A demo reads `n.settings().redis_url`; a misspelled field is a
//! compile error, where a string key would have been a silent `None`.
//!
//! The kit names no topic here either: each field says what kind of demo uses
//! it, and the topic's lesson says which key the reader sets.
//!
//! [`Narrator`]: crate::Narrator

use std::path::PathBuf;

/// The settings every demo can read through [`Narrator::settings`].
///
/// `Default` is what a demo sees when nothing was configured: no external
/// server, no interpreter override, nothing required, no worker program.
///
/// [`Narrator::settings`]: crate::Narrator::settings
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// An existing Redis server (`redis://127.0.0.1:6379`) for the demos that
    /// count on one; `None` lets them spawn their own `redis-server`.
    pub redis_url: Option<String>,
    /// A missing or unreachable Redis fails the demo instead of being skipped.
    pub require_redis: bool,
    /// The Python interpreter for demos that time Python code; `None` lets
    /// them look for the kit's venv, then `python3`.
    pub python: Option<PathBuf>,
    /// A missing Python comparison fails the demo instead of being skipped.
    pub require_python: bool,
    /// A missing valgrind fails the profiling demo instead of being skipped.
    pub require_valgrind: bool,
    /// The `mastery` executable, which demos about worker processes may start
    /// again as `mastery worker`. Only the real binary sets it: re-running an
    /// unknown program (a test harness) as a worker would start copies of the
    /// harness, each starting more.
    pub worker_program: Option<PathBuf>,
    /// Where a profiling demo writes the flame graph (SVG) of what it
    /// sampled, when the reader asked for one (`mastery run <id>
    /// --flamegraph FILE`); `None` writes none.
    pub flamegraph: Option<PathBuf>,
}
