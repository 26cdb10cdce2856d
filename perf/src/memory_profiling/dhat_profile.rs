//! dhat's heap profiles: an ad hoc profile of the growth strategies, and
//! a reader that summarises any profile dhat writes by allocation site.

use std::sync::{Mutex, PoisonError};

use serde::Deserialize;

use super::trace_growth;

/// Why a dhat profile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is not the JSON dhat writes.
    #[error("not a dhat profile (dhatFileVersion 2 JSON expected): {0}")]
    Json(#[from] serde_json::Error),
    /// A program point names a frame the frame table lacks.
    #[error("dhat profile: frame {index} is not in the frame table ({frames} entries)")]
    MissingFrame {
        /// The frame index.
        index: usize,
        /// How many frames the table has.
        frames: usize,
    },
}

/// One allocation site (a *program point*) of a dhat profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhatSite {
    /// Bytes (heap mode) or event weight (ad hoc mode) attributed to it.
    pub units: u64,
    /// Blocks allocated (heap mode) or events (ad hoc mode).
    pub events: u64,
    /// Its backtrace, innermost first: `function (file:line:col)`.
    pub frames: Vec<String>,
}

impl DhatSite {
    /// The innermost frame containing `needle` (a module path, say).
    pub fn frame_matching(&self, needle: &str) -> Option<&str> {
        self.frames
            .iter()
            .map(String::as_str)
            .find(|f| f.contains(needle))
    }
}

/// A dhat profile (`dhat-heap.json` / `dhat-ad-hoc.json`), summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhatSummary {
    /// `rust-heap` or `rust-ad-hoc`.
    pub mode: String,
    /// Total bytes or event weight.
    pub units: u64,
    /// Total blocks or events.
    pub events: u64,
    /// The sites, most units first.
    pub sites: Vec<DhatSite>,
}

#[derive(Deserialize)]
struct RawProfile {
    mode: String,
    pps: Vec<RawSite>,
    ftbl: Vec<String>,
}

#[derive(Deserialize)]
struct RawSite {
    tb: u64,
    tbk: u64,
    fs: Vec<usize>,
}

impl DhatSummary {
    /// Reads the JSON dhat writes when its `Profiler` is dropped.
    ///
    /// # Errors
    /// [`ProfileError`] when the text is not such a profile.
    pub fn from_json(text: &str) -> Result<DhatSummary, ProfileError> {
        let raw: RawProfile = serde_json::from_str(text)?;
        let frame = |index: usize| {
            raw.ftbl
                .get(index)
                .map(|f| {
                    // "0x55d5…: path::to::fn (src/file.rs:12:5)": drop the address.
                    f.split_once(": ")
                        .map_or(f.as_str(), |(_, rest)| rest)
                        .to_owned()
                })
                .ok_or(ProfileError::MissingFrame {
                    index,
                    frames: raw.ftbl.len(),
                })
        };
        let mut sites = raw
            .pps
            .iter()
            .map(|pp| {
                Ok(DhatSite {
                    units: pp.tb,
                    events: pp.tbk,
                    frames: pp.fs.iter().map(|&i| frame(i)).collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<Vec<_>, ProfileError>>()?;
        sites.sort_by_key(|site| std::cmp::Reverse(site.units));
        Ok(DhatSummary {
            units: sites.iter().map(|s| s.units).sum(),
            events: sites.iter().map(|s| s.events).sum(),
            mode: raw.mode,
            sites,
        })
    }
}

/// dhat allows one profiler per process at a time.
static DHAT: Mutex<()> = Mutex::new(());

// One reporter per strategy, so the two are separate sites in the profile.
fn report_push_allocation(bytes: usize) {
    dhat::ad_hoc_event(bytes);
}

fn report_reserved_allocation(bytes: usize) {
    dhat::ad_hoc_event(bytes);
}

// ANCHOR: dhat_ad_hoc
/// Runs the two growth strategies under a dhat ad hoc profiler, each
/// allocation reported as an event weighted by its bytes, and reads back
/// the profile dhat writes (to a temp dir, removed afterwards). dhat prints
/// a two-line summary of its own on stderr.
///
/// # Errors
/// When the profile cannot be written or read, or another dhat profiler is
/// running in this process.
pub fn profile_growth_ad_hoc(pushes: usize) -> anyhow::Result<DhatSummary> {
    let _one_at_a_time = DHAT.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("dhat-ad-hoc.json");
    let profiled = std::panic::catch_unwind(|| {
        let _profiler = dhat::Profiler::builder().ad_hoc().file_name(&path).build();
        trace_growth(pushes, 0, report_push_allocation);
        trace_growth(pushes, pushes, report_reserved_allocation);
        // Dropping the profiler writes the file.
    });
    if profiled.is_err() {
        anyhow::bail!("dhat refused to start: another dhat profiler is running in this process");
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("dhat wrote no profile at {}: {e}", path.display()))?;
    Ok(DhatSummary::from_json(&text)?)
}
// ANCHOR_END: dhat_ad_hoc
/// A site's frames whose source file lies in the folder `dir` (such as
/// `memory_profiling/`), innermost first, as `fn:line` joined by `←`:
/// `trace_growth:260 ← {closure#0}:567`. Release builds name inlined frames
/// without their module path, so frames are picked by file, not by path.
pub(super) fn short_backtrace(site: &DhatSite, dir: &str) -> String {
    let ours: Vec<String> = site
        .frames
        .iter()
        .filter_map(|f| {
            let (function, path) = f.rsplit_once(" (")?;
            if !path.contains(dir) {
                return None;
            }
            let place = path.trim_end_matches(')').rsplit('/').next()?;
            let at = place.rsplit_once(':').map_or(place, |(at, _column)| at);
            let line = at.rsplit_once(':').map_or("?", |(_, line)| line);
            let plain = function.split('<').next().unwrap_or(function);
            let name = plain.rsplit("::").find(|s| !s.is_empty()).unwrap_or(plain);
            Some(format!("{name}:{line}"))
        })
        .collect();
    if ours.is_empty() {
        site.frames.first().cloned().unwrap_or_default()
    } else {
        ours.join(" ← ")
    }
}
