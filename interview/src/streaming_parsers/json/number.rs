//! Number tokens: the grammar as a small resumable state machine
//! ([`scan_number`]), and a fast path that reads a common number's shape
//! from one load ([`number_end`]).

/// Where a number's scan stands: the grammar
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` as states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberPhase {
    /// At the first byte (`-` or a digit).
    Start,
    /// After `-`.
    Minus,
    /// After a leading `0`.
    Zero,
    /// In the integer digits.
    Int,
    /// After `.`.
    Dot,
    /// In the fraction digits.
    Frac,
    /// After `e`/`E`.
    Exp,
    /// After the exponent's sign.
    ExpSign,
    /// In the exponent digits.
    ExpDigits,
}

impl NumberPhase {
    /// Whether the number may end here.
    pub(super) fn is_complete(self) -> bool {
        matches!(
            self,
            NumberPhase::Zero | NumberPhase::Int | NumberPhase::Frac | NumberPhase::ExpDigits
        )
    }

    /// What must come next when the number may not end here.
    pub(super) fn expected(self) -> &'static str {
        match self {
            NumberPhase::Start | NumberPhase::Minus => "a digit after `-`",
            NumberPhase::Dot => "a digit after the decimal point",
            NumberPhase::Exp => "a digit or sign in the exponent",
            _ => "a digit in the exponent",
        }
    }
}

/// What a number's scan found.
pub(super) enum NumberScan {
    /// The number ends before this index.
    Done(usize),
    /// The slice ended; resume in this phase.
    More(NumberPhase),
    /// A broken rule, at this index.
    Error(usize, &'static str),
}

/// Scans a number from `buf[i]` in `phase`. Loops over digit runs; the
/// phase is dispatched once per part (sign, integer, fraction, exponent).
#[inline]
pub(super) fn scan_number(buf: &[u8], mut i: usize, mut phase: NumberPhase) -> NumberScan {
    let n = buf.len();
    loop {
        let Some(&b) = buf.get(i) else {
            return NumberScan::More(phase);
        };
        phase = match phase {
            NumberPhase::Start if b == b'-' => NumberPhase::Minus,
            NumberPhase::Start | NumberPhase::Minus => match b {
                b'0' => NumberPhase::Zero,
                b'1'..=b'9' => NumberPhase::Int,
                _ => return NumberScan::Error(i, "expected a digit after `-`"),
            },
            NumberPhase::Zero => match b {
                b'0'..=b'9' => return NumberScan::Error(i, "leading zeros are not allowed"),
                b'.' => NumberPhase::Dot,
                b'e' | b'E' => NumberPhase::Exp,
                _ => return NumberScan::Done(i),
            },
            NumberPhase::Int | NumberPhase::Frac | NumberPhase::ExpDigits => {
                while i < n && buf[i].is_ascii_digit() {
                    i += 1;
                }
                let Some(&b) = buf.get(i) else {
                    return NumberScan::More(phase);
                };
                match (phase, b) {
                    (NumberPhase::Int, b'.') => NumberPhase::Dot,
                    (NumberPhase::Int | NumberPhase::Frac, b'e' | b'E') => NumberPhase::Exp,
                    _ => return NumberScan::Done(i),
                }
            }
            NumberPhase::Dot => match b {
                b'0'..=b'9' => NumberPhase::Frac,
                _ => return NumberScan::Error(i, "expected a digit after the decimal point"),
            },
            NumberPhase::Exp => match b {
                b'+' | b'-' => NumberPhase::ExpSign,
                b'0'..=b'9' => NumberPhase::ExpDigits,
                _ => return NumberScan::Error(i, "expected a digit or sign in the exponent"),
            },
            NumberPhase::ExpSign => match b {
                b'0'..=b'9' => NumberPhase::ExpDigits,
                _ => return NumberScan::Error(i, "expected a digit in the exponent"),
            },
        };
        i += 1;
    }
}

/// The end of a number at `buf[start]` in its common shapes — at most 16
/// bytes after the sign, followed by a byte in `buf` — or `None` for
/// anything else (an error, a long number, the end of `buf`), which the
/// caller sends to [`scan_number`], the authority. Where it answers, it
/// agrees with `scan_number` (property tests check this).
///
/// The whole shape comes from one load: every byte is classified digit or
/// not at once, and the integer, fraction and exponent runs are measured
/// by counting trailing zeros in that mask — no byte is loaded twice, and
/// no loop exit has to be predicted. Most numbers end within 8 bytes, so
/// a `u64` is tried before a `u128`, whose every step works on two
/// registers.
#[inline(always)]
pub(super) fn number_end(buf: &[u8], start: usize) -> Option<usize> {
    let i = start + usize::from(buf.get(start) == Some(&b'-'));
    let end = match shape_u64(buf, i) {
        Shape::End(end) => end,
        Shape::Longer => match shape_u128(buf, i) {
            Shape::End(end) => end,
            Shape::Longer | Shape::Other => return None,
        },
        Shape::Other => return None,
    };
    Some(i + end as usize)
}

/// What a window of bytes says about the number in it.
enum Shape {
    /// A number in a common shape ends before this byte of the window.
    End(u32),
    /// A digit run reaches the end of the window: try a wider one.
    Longer,
    /// Not a number the window can settle (an error, the end of `buf`).
    Other,
}

/// `shape_u64` and `shape_u128`: [`number_end`]'s scan of the digits from
/// `buf[i]` (just after any sign) through an 8- or 16-byte window.
macro_rules! number_shape {
    ($name:ident, $word:ty) => {
        #[inline(always)]
        fn $name(buf: &[u8], i: usize) -> Shape {
            const ONES: $word = <$word>::MAX / 255;
            const HIGHS: $word = ONES << 7;
            const WINDOW: u32 = <$word>::BITS / 8;
            let Some(bytes) = buf.get(i..i + WINDOW as usize) else {
                return Shape::Other;
            };
            let Ok(window) = bytes.try_into() else {
                return Shape::Other;
            };
            let w = <$word>::from_le_bytes(window);
            // Bit 7 of each byte of `other` is set iff that byte is not a
            // digit: computed on 7-bit values, so no carry crosses a byte
            // and every byte is classified exactly (a borrow-based test is
            // exact only for the first flagged byte).
            let low = w & !HIGHS;
            let at_least_0 = low + ONES * (0x80 - <$word>::from(b'0'));
            let above_9 = low + ONES * (0x80 - <$word>::from(b'9') - 1);
            let other = !(at_least_0 & !above_9 & !w) & HIGHS;
            let byte = |k: u32| (w >> (8 * k)) as u8;
            // The length of the digit run at byte `k` (< WINDOW).
            let digits = |k: u32| (other >> (8 * k)).trailing_zeros() / 8;
            let mut end = digits(0);
            if end >= WINDOW {
                return Shape::Longer;
            }
            if end == 0 || (end > 1 && byte(0) == b'0') {
                return Shape::Other;
            }
            let mut b = byte(end);
            if b == b'.' {
                if end + 1 >= WINDOW {
                    return Shape::Longer;
                }
                let frac = digits(end + 1);
                end += 1 + frac;
                if end >= WINDOW {
                    return Shape::Longer;
                }
                if frac == 0 {
                    return Shape::Other;
                }
                b = byte(end);
            }
            if b | 0x20 == b'e' {
                let mut k = end + 1;
                if k < WINDOW && matches!(byte(k), b'+' | b'-') {
                    k += 1;
                }
                if k >= WINDOW {
                    return Shape::Longer;
                }
                let exp = digits(k);
                end = k + exp;
                if end >= WINDOW {
                    return Shape::Longer;
                }
                if exp == 0 {
                    return Shape::Other;
                }
            }
            Shape::End(end)
        }
    };
}

number_shape!(shape_u64, u64);
number_shape!(shape_u128, u128);

/// Text the scanners proved ASCII (numbers).
pub(super) fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}
