//! Words for a decided verdict that the perf demos share: the factor of a
//! timing (`1.50× faster`) and a tie's half-width (`within ±2.4 %`). The
//! rule that a sentence may call one side faster only when the verdict
//! says so lives in the kit: `Comparison::in_words` and
//! `Comparison::faster_or_slower`.

use mastery_kit::Comparison;

/// `1.50× faster` or `1.43× slower`: how ours ran against the peer, for a
/// comparison whose verdict is decided (the ratio alone says nothing
/// about noise).
pub(crate) fn factor(c: &Comparison) -> String {
    if c.speedup >= 1.0 {
        format!("{:.2}× faster", c.speedup)
    } else {
        format!("{:.2}× slower", 1.0 / c.speedup)
    }
}

/// A tie's half-width: `within ±2.4 %`.
pub(crate) fn tie_band(within: f64) -> String {
    format!("within ±{:.1} %", within * 100.0)
}
