//! The data the kernels run on and what the machine offers them: sample
//! data, a read-only pass, the copy's byte count, the last-level cache.

use std::path::Path;

/// `len` deterministic values in `[-1, 1)` (xorshift32 from `seed`): the
/// data of the demo and of the bench, cheap to make even at 256 MiB.
pub fn sample_data(len: usize, seed: u32) -> Vec<f32> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // 24 random bits → [0, 2) → [-1, 1), exact in f32.
            (state >> 8) as f32 * (2.0 / (1u32 << 24) as f32) - 1.0
        })
        .collect()
}

/// A read-only pass over `xs`: the wrapping integer sum of the bit
/// patterns. Integer addition is associative, so the compiler vectorizes
/// this loop by itself; it measures how fast the data can be *read*.
pub fn read_pass(xs: &[f32]) -> u32 {
    xs.iter().fold(0u32, |acc, x| acc.wrapping_add(x.to_bits()))
}

/// Bytes a copy of `len` `f32` moves, counted as read plus write (the
/// STREAM convention). A cache that first reads the line it will overwrite
/// moves a third more; large `memcpy`s avoid that with streaming stores.
pub fn copy_bytes(len: usize) -> u64 {
    2 * 4 * len as u64
}

/// The size of the largest data cache (the last level), from Linux's
/// sysfs; `None` elsewhere or when unreadable.
pub fn last_level_cache_bytes() -> Option<u64> {
    let base = Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut best: Option<(u32, u64)> = None;
    for entry in std::fs::read_dir(base).ok()?.flatten() {
        let dir = entry.path();
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        if read("type").is_some_and(|t| t.trim() == "Instruction") {
            continue;
        }
        let (Some(level), Some(size)) = (
            read("level").and_then(|l| l.trim().parse::<u32>().ok()),
            read("size").and_then(|s| parse_cache_size(&s)),
        ) else {
            continue;
        };
        if best.is_none_or(|(l, _)| level > l) {
            best = Some((level, size));
        }
    }
    best.map(|(_, size)| size)
}

/// Parses sysfs cache sizes: `32768K`, `1M`, `512`.
pub(super) fn parse_cache_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, scale) = match text.as_bytes().last()? {
        b'K' => (&text[..text.len() - 1], 1 << 10),
        b'M' => (&text[..text.len() - 1], 1 << 20),
        b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok().map(|n| n * scale)
}

/// `16 KiB`, `256 MiB`: sizes the way caches are sized.
pub(super) fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}
