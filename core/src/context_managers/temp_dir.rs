//! A temporary directory guard: created private, removed with its contents
//! on drop or unwind, kept or closed (with the error reported) on request.

use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A private temporary directory, removed with its contents when dropped —
/// also while a panic unwinds. `tempfile::TempDir` is the production peer.
#[derive(Debug)]
pub struct TempDir {
    /// Empty once the directory has been kept or closed: nothing to remove.
    path: PathBuf,
}

/// Names tried before giving up on finding a free one.
const NAME_ATTEMPTS: u32 = 64;

impl TempDir {
    /// A new directory named `mastery-…` under the system's temp dir.
    ///
    /// # Errors
    /// When the directory cannot be created (the error names the path).
    pub fn new() -> io::Result<Self> {
        Self::new_in(std::env::temp_dir(), "mastery-")
    }

    /// A new directory under `parent`, its name starting with `prefix`.
    ///
    /// # Errors
    /// When the directory cannot be created, or no free name was found.
    pub fn new_in(parent: impl AsRef<Path>, prefix: &str) -> io::Result<Self> {
        let parent = parent.as_ref();
        for _ in 0..NAME_ATTEMPTS {
            let path = parent.join(format!("{prefix}{}", unique_suffix()));
            match create_private_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("creating temporary directory {}: {e}", path.display()),
                    ));
                }
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "no free temporary directory name under {} after {NAME_ATTEMPTS} attempts",
                parent.display()
            ),
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Disarms the guard and returns the path: the directory stays.
    pub fn keep(mut self) -> PathBuf {
        std::mem::take(&mut self.path)
    }

    /// Removes the directory now and reports whether that worked — what
    /// `Drop`, which must ignore errors, cannot do.
    ///
    /// # Errors
    /// When removal fails (the directory vanished, permissions, a busy file).
    pub fn close(mut self) -> io::Result<()> {
        let path = std::mem::take(&mut self.path);
        std::fs::remove_dir_all(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("removing temporary directory {}: {e}", path.display()),
            )
        })
    }
}

// ANCHOR: temp_dir_drop
impl Drop for TempDir {
    fn drop(&mut self) {
        if self.path.as_os_str().is_empty() {
            return; // kept or closed
        }
        // Drop cannot return an error; `close` is the way to hear about one.
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
// ANCHOR_END: temp_dir_drop

/// 16 hex digits no other call in this process returns, and unlikely in
/// any other process: a per-process random key (std's `RandomState`)
/// hashing a counter and the clock.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static KEYS: std::sync::LazyLock<std::hash::RandomState> =
        std::sync::LazyLock::new(std::hash::RandomState::new);
    let mut hasher = KEYS.build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:016x}", hasher.finish())
}

/// Creates `path`, readable by its owner only where the platform allows.
fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}
