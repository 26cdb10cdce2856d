//! The benchmark and demo input: [`bench_input_csv`].

use std::fmt;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A deterministic CSV document of at least `size_bytes` bytes, varied the
/// way exported tables are: a header, then eight columns of integers,
/// names (some non-ASCII), e-mail addresses, signed decimals, dates, some
/// empty fields, and a free-text note that is often quoted because it holds
/// commas, doubled quotes or line breaks. `\n` line ends, strict field
/// counts. The same `seed` gives the same bytes.
pub fn bench_input_csv(size_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut out = String::with_capacity(size_bytes + 1024);
    out.push_str("id,name,email,amount,quantity,date,note,active\n");
    let mut id = 0u64;
    while out.len() < size_bytes || id == 0 {
        write_row(&mut rng, &mut out, id).expect("writing to a String cannot fail");
        id += 1;
    }
    out.into_bytes()
}

/// One row of [`bench_input_csv`].
fn write_row(rng: &mut SmallRng, out: &mut String, id: u64) -> fmt::Result {
    use std::fmt::Write as _;
    const FIRST: [&str; 8] = [
        "Ada", "Grace", "Linus", "Zoë", "Ümit", "Søren", "Margaret", "Ken",
    ];
    const LAST: [&str; 8] = [
        "Lovelace",
        "Hopper",
        "Torvalds",
        "Ng",
        "Kılıç",
        "Kierkegaard",
        "Hamilton",
        "Thompson",
    ];
    let first = FIRST[rng.random_range(0..FIRST.len())];
    let last = LAST[rng.random_range(0..LAST.len())];
    let amount = rng.random_range(-100_000..1_000_000i64);
    write!(
        out,
        "{id},{first} {last},{}.{}{}@example.com,{}.{:02},",
        first.to_lowercase(),
        last.to_lowercase(),
        id % 100,
        amount / 100,
        (amount % 100).abs()
    )?;
    if rng.random_ratio(5, 6) {
        write!(out, "{}", rng.random_range(1..500u32))?;
    }
    let (month, day) = (rng.random_range(1..=12u8), rng.random_range(1..=28u8));
    write!(out, ",2024-{month:02}-{day:02},")?;
    push_note(rng, out);
    out.push_str(match rng.random_range(0..3u8) {
        0 => ",true\n",
        1 => ",false\n",
        _ => ",\n",
    });
    Ok(())
}

/// The free-text column: empty, plain words, or quoted with commas, doubled
/// quotes and line breaks.
fn push_note(rng: &mut SmallRng, out: &mut String) {
    const WORDS: [&str; 12] = [
        "delivered",
        "on time",
        "customer",
        "requested",
        "refund",
        "priority",
        "naïve",
        "café",
        "warehouse",
        "東京",
        "backorder",
        "ok",
    ];
    const SPECIAL: [&str; 4] = [", ", "\"\"quoted\"\" ", "\n", "; "];
    match rng.random_range(0..4u8) {
        0 => {}
        1 => {
            for w in 0..rng.random_range(1..5) {
                if w > 0 {
                    out.push(' ');
                }
                out.push_str(WORDS[rng.random_range(0..WORDS.len())]);
            }
        }
        _ => {
            out.push('"');
            for w in 0..rng.random_range(2..10) {
                if w > 0 {
                    out.push(' ');
                }
                if rng.random_ratio(1, 3) {
                    out.push_str(SPECIAL[rng.random_range(0..SPECIAL.len())]);
                }
                out.push_str(WORDS[rng.random_range(0..WORDS.len())]);
            }
            out.push('"');
        }
    }
}
