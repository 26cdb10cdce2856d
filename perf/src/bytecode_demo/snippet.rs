//! The code the demo hands to `rustc`, and the same code compiled into
//! this crate so the demo can time it: one text, so what is timed is what
//! is shown. The index loops are the point here, so clippy's advice
//! against them is switched off.

#![allow(clippy::needless_range_loop)]

/// Defines the functions in this module and keeps their source as
/// [`SNIPPET`].
macro_rules! snippet {
    ($($item:item)*) => {
        $($item)*

        /// The source handed to `rustc`: the functions of this module, as
        /// text. Each is `#[inline(never)]`, because `rustc` does not emit
        /// code for small functions it considers inlinable into other
        /// crates unless something calls them.
        pub const SNIPPET: &str = stringify!($($item)*);
    };
}

snippet! {
    #[inline(never)]
    pub fn sum_iter(v: &[u32]) -> u32 {
        v.iter().fold(0u32, |s, &x| s.wrapping_add(x))
    }

    #[inline(never)]
    pub fn sum_loop(v: &[u32]) -> u32 {
        let mut s = 0u32;
        for i in 0..v.len() {
            s = s.wrapping_add(v[i]);
        }
        s
    }

    // ANCHOR: hoisted_check
    #[inline(never)]
    pub fn sum_first_n(v: &[u32], n: usize) -> u32 {
        let mut s = 0u32;
        for i in 0..n {
            s = s.wrapping_add(v[i]);
        }
        s
    }

    #[inline(never)]
    pub fn sum_first_n_asserted(v: &[u32], n: usize) -> u32 {
        assert!(n <= v.len());
        let mut s = 0u32;
        for i in 0..n {
            s = s.wrapping_add(v[i]);
        }
        s
    }
    // ANCHOR_END: hoisted_check

    // ANCHOR: zipped
    #[inline(never)]
    pub fn add_indexed(out: &mut [u32], a: &[u32], b: &[u32]) {
        for i in 0..out.len() {
            out[i] = a[i].wrapping_add(b[i]);
        }
    }

    #[inline(never)]
    pub fn add_zipped(out: &mut [u32], a: &[u32], b: &[u32]) {
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = x.wrapping_add(*y);
        }
    }
    // ANCHOR_END: zipped

    #[inline(never)]
    pub fn add_resliced(out: &mut [u32], a: &[u32], b: &[u32]) {
        let n = out.len();
        let (a, b) = (&a[..n], &b[..n]);
        for i in 0..n {
            out[i] = a[i].wrapping_add(b[i]);
        }
    }

    #[inline(never)]
    pub fn histogram_slice(bytes: &[u8], counts: &mut [u32]) {
        for &b in bytes {
            counts[usize::from(b)] += 1;
        }
    }

    #[inline(never)]
    pub fn histogram_array(bytes: &[u8]) -> [u32; 256] {
        let mut counts = [0u32; 256];
        for &b in bytes {
            counts[usize::from(b)] += 1;
        }
        counts
    }
}

/// The functions of [`SNIPPET`] and what each one shows.
pub const SNIPPET_FUNCTIONS: [(&str, &str); 9] = [
    ("sum_iter", "iterator fold"),
    ("sum_loop", "index loop over 0..v.len()"),
    ("sum_first_n", "index loop over 0..n, n unknown"),
    (
        "sum_first_n_asserted",
        "the same after assert!(n <= v.len())",
    ),
    ("add_indexed", "out[i] = a[i] + b[i]"),
    ("add_zipped", "the same with zipped iterators"),
    ("add_resliced", "the same after a = &a[..n]"),
    ("histogram_slice", "counts[byte] += 1, counts: &mut [u32]"),
    ("histogram_array", "counts[byte] += 1, counts: [u32; 256]"),
];
