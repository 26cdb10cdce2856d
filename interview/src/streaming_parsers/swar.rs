//! SWAR — "SIMD within a register": testing eight bytes at once with
//! plain `u64` arithmetic, which the scanners use to skip runs of ordinary
//! bytes (string contents, unquoted fields, text) in one step per eight
//! bytes instead of one branch per byte.
//!
//! The one trick behind every helper here is Alan Mycroft's zero-byte
//! test. Subtract `0x01` from every byte of `x` at once
//! (`x - 0x0101…01`): a byte that was `0x00` borrows and becomes `0xFF`,
//! setting its high bit. `& !x` then clears the high bits of bytes that
//! had it set to begin with. What is left has bit 7 set in the *lowest*
//! zero byte for certain; above it, a borrow may also flag a `0x01` byte,
//! so only the lowest flag is exact — which is all a scan for "the first
//! byte that stops me" needs. To find bytes equal to `b`, XOR with `b` in
//! every byte first (equal bytes become zero); to find bytes below `n`,
//! subtract `n` instead of `1`.
//!
//! The helpers return the flags unmasked; a scan ORs the tests it needs
//! and masks once with [`HIGHS`], then [`first_flagged`] turns the lowest
//! flag into a byte index (`u64::from_le_bytes`, so the lowest byte is the
//! first in memory). A scan ends with a byte-at-a-time loop over the last
//! (fewer than eight) bytes.
//!
//! What this buys is measured by the benches (`cargo bench -p
//! mastery-interview --bench streaming_parsers`, `--bench streaming_csv`,
//! `--bench streaming_xml`): their inputs are mostly such runs.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = u64::MAX / 255;

/// `0x80` in every byte: the flag bits.
pub(crate) const HIGHS: u64 = ONES << 7;

/// `byte` in every byte of a `u64`.
#[inline(always)]
pub(crate) const fn splat(byte: u8) -> u64 {
    ONES * byte as u64
}

/// The eight bytes at `buf[i..i + 8]` as one little-endian word, or `None`
/// when fewer are left.
#[inline(always)]
pub(crate) fn load(buf: &[u8], i: usize) -> Option<u64> {
    let word = buf.get(i..i + 8)?;
    let bytes = <[u8; 8]>::try_from(word).ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// Flags (unmasked) the bytes of `x` that are zero: exact for the lowest.
#[inline(always)]
pub(crate) fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x
}

/// Flags (unmasked) the bytes of `x` below `n` (`n` at most `0x80`):
/// exact for the lowest.
#[inline(always)]
pub(crate) fn bytes_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(splat(n)) & !x
}

/// Flags (unmasked) the bytes of `x` equal to `byte`: exact for the lowest.
#[inline(always)]
pub(crate) fn bytes_equal(x: u64, byte: u8) -> u64 {
    zero_bytes(x ^ splat(byte))
}

/// The index, within its word, of the lowest byte flagged in `found`
/// (masked with [`HIGHS`], not zero).
#[inline(always)]
pub(crate) fn first_flagged(found: u64) -> usize {
    (found.trailing_zeros() / 8) as usize
}
