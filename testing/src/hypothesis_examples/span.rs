//! The first planted bug: an off-by-one in a range check, and the two
//! strategies that show why *where* a strategy draws matters as much as how
//! many cases it runs.

use std::fmt;

use proptest::prelude::*;
use proptest::sample::Index;

/// A half-open byte range `[start, start + len)` of a document: the kind of
/// span a parser attaches to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The first offset inside the span.
    pub start: usize,
    /// How many offsets it covers.
    pub len: usize,
}

impl Span {
    /// The first offset past the span.
    pub fn end(self) -> usize {
        self.start.saturating_add(self.len)
    }

    /// Whether `offset` lies inside the span.
    pub fn contains(self, offset: usize) -> bool {
        offset >= self.start && offset - self.start < self.len
    }

    /// **Broken on purpose**: `<=` where `<` belongs, so the first offset
    /// past the span counts as inside it (and an empty span contains its
    /// start). Kept next to [`Span::contains`] to show a property catching
    /// it; never call it.
    pub fn contains_broken(self, offset: usize) -> bool {
        offset >= self.start && offset - self.start <= self.len
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end())
    }
}

/// A span and an offset to test against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// The span.
    pub span: Span,
    /// The offset asked about.
    pub offset: usize,
}

impl Probe {
    /// The property: `contains` agrees with the definition, spelled as a
    /// `Range` the standard library checks.
    pub fn check(self, contains: impl Fn(Span, usize) -> bool) -> Result<(), String> {
        let expected = (self.span.start..self.span.end()).contains(&self.offset);
        let got = contains(self.span, self.offset);
        if got == expected {
            return Ok(());
        }
        Err(format!(
            "offset {} in span {}: said {got}, the range says {expected}",
            self.offset, self.span
        ))
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "offset {} in span {}", self.offset, self.span)
    }
}

/// Probes whose offset is drawn *relative to the span*, so the boundary is
/// one of a few dozen values: one probe in three lands inside the span or
/// exactly at its end (`end - back`), the others one or two past it.
///
/// Each part shrinks on its own, so each must keep the failure as it
/// shrinks: `back` is an [`Index`] into `0..=end` and shrinks towards 0,
/// which is the end itself whatever the span — the failing case shrinks
/// to the empty span at 0, probed at 0. An offset drawn *after* the span
/// (`prop_flat_map`) or as a fraction of the whole range would lose the
/// boundary as the span shrinks, and the shrinker would stop early.
pub fn probe() -> impl Strategy<Value = Probe> {
    (0_usize..1_000, 0_usize..64, any::<Index>(), 0_usize..3).prop_map(
        |(start, len, back, past)| {
            let span = Span { start, len };
            let end = span.end();
            let offset = match past {
                0 => end - back.index(end + 1),
                past => end + past,
            };
            Probe { span, offset }
        },
    )
}

/// Probes with every number drawn uniformly from half of `usize` (so that
/// `start + len` cannot overflow): the obvious strategy, and one that almost
/// never lands on the boundary.
pub fn probe_uniform() -> impl Strategy<Value = Probe> {
    let half = 0..usize::MAX / 2;
    (half.clone(), half.clone(), half).prop_map(|(start, len, offset)| Probe {
        span: Span { start, len },
        offset,
    })
}
