//! The validated form of what `inventory` collected: a map from name to
//! entry, built once, which is where a name claimed twice is found — the
//! first moment all crates' entries are side by side.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::{Registration, Shape, registrations};

/// Types that claim one registry name.
#[derive(Debug, Clone)]
pub struct Clash {
    /// The name they claim.
    pub name: &'static str,
    /// Every entry claiming it (two or more), in definition order: by file,
    /// then line, whatever the link order.
    pub claimants: Vec<&'static Registration>,
}

/// Why the registry could not be built, or had no such entry.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// Names registered more than once; every clash is listed.
    #[error("{}", clash_report(.0))]
    DuplicateNames(Vec<Clash>),
    /// A lookup of a name nobody registered.
    #[error("no shape is registered as `{name}`; registered: {}", .known.join(", "))]
    UnknownName {
        /// The name asked for.
        name: String,
        /// Every registered name, sorted.
        known: Vec<&'static str>,
    },
}

fn clash_report(clashes: &[Clash]) -> String {
    let mut out = format!(
        "{} registry name(s) claimed by more than one type; rename all but one with \
         #[register(name = \"...\")]:",
        clashes.len()
    );
    for c in clashes {
        out.push_str(&format!("\n  `{}`, claimed by", c.name));
        for entry in &c.claimants {
            out.push_str(&format!(
                "\n    `{}` at {} in {}",
                entry.type_name, entry.origin, entry.origin.module
            ));
        }
    }
    out
}

/// Registered shapes by name: the validated form of [`registrations()`].
#[derive(Debug, Clone)]
pub struct Registry {
    by_name: HashMap<&'static str, &'static Registration>,
}

impl Registry {
    /// The registry of everything linked into this program; an error if a
    /// name is claimed twice.
    pub fn global() -> Result<Registry, RegistryError> {
        Registry::from_entries(registrations())
    }

    // ANCHOR: from_entries
    /// A registry of the given entries; an error listing every name that
    /// more than one entry claims.
    pub fn from_entries(
        entries: impl IntoIterator<Item = &'static Registration>,
    ) -> Result<Registry, RegistryError> {
        let mut by_name = HashMap::new();
        let mut claimed: HashMap<&'static str, Vec<&'static Registration>> = HashMap::new();
        for entry in entries {
            match by_name.entry(entry.name) {
                Entry::Vacant(slot) => {
                    slot.insert(entry);
                }
                Entry::Occupied(taken) => claimed
                    .entry(entry.name)
                    .or_insert_with(|| vec![*taken.get()])
                    .push(entry),
            }
        }
        if claimed.is_empty() {
            return Ok(Registry { by_name });
        }
        let mut clashes: Vec<Clash> = claimed
            .into_iter()
            .map(|(name, mut claimants)| {
                claimants.sort_by_key(|e| (e.origin.file, e.origin.line, e.type_name));
                Clash { name, claimants }
            })
            .collect();
        clashes.sort_by_key(|c| c.name);
        Err(RegistryError::DuplicateNames(clashes))
    }
    // ANCHOR_END: from_entries

    /// The entry registered as `name`.
    pub fn get(&self, name: &str) -> Option<&'static Registration> {
        self.by_name.get(name).copied()
    }

    // ANCHOR: new_shape
    /// A new instance of the type registered as `name`.
    pub fn new_shape(&self, name: &str) -> Result<Box<dyn Shape>, RegistryError> {
        match self.get(name) {
            Some(entry) => Ok(entry.new_shape()),
            None => Err(RegistryError::UnknownName {
                name: name.to_owned(),
                known: self.names(),
            }),
        }
    }
    // ANCHOR_END: new_shape

    /// Every registered name, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> Vec<&'static Registration> {
        let mut entries: Vec<&'static Registration> = self.by_name.values().copied().collect();
        entries.sort_unstable_by_key(|e| e.name);
        entries
    }

    /// How many names are registered.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
