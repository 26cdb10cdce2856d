//! A validated newtype over `String`, checked against a reserved-word set
//! that a `LazyLock` builds on first use: Python's module-level
//! `RESERVED = frozenset(...)`, initialised once even when threads race.

use std::collections::HashSet;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::ValidationError;

/// The longest sensor name, in bytes.
pub const MAX_NAME_LEN: usize = 32;

/// Names a sensor may not take. Built on first use, once per process: the
/// `LazyLock` answer to a module-level `RESERVED = frozenset(...)`.
static RESERVED_NAMES: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    RESERVED_NAME_BUILDS.fetch_add(1, Ordering::Relaxed);
    ["all", "any", "none", "null", "self", "default"]
        .into_iter()
        .collect()
});

static RESERVED_NAME_BUILDS: AtomicUsize = AtomicUsize::new(0);

/// How many times the reserved-name set has been built in this process:
/// 0 before the first name is validated, 1 ever after.
pub fn reserved_name_builds() -> usize {
    RESERVED_NAME_BUILDS.load(Ordering::Relaxed)
}

/// A sensor's name: 1 to [`MAX_NAME_LEN`] bytes of `a-z`, `0-9`, `-`, `_`,
/// and not a reserved word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SensorName(String);

impl SensorName {
    /// Validates `name`.
    ///
    /// # Errors
    /// [`ValidationError::BadName`] naming the rule it breaks.
    pub fn new(name: &str) -> Result<Self, ValidationError> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_NAME_LEN {
            Some("it is longer than 32 bytes")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            Some("only a-z, 0-9, '-' and '_' are allowed")
        } else if RESERVED_NAMES.contains(name) {
            Some("it is a reserved word")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(ValidationError::BadName {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(SensorName(name.to_owned())),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
