//! Words of a text, borrowed (`&str`) or owned (`String`): the same list,
//! with and without a copy of every word.

// ANCHOR: words
/// The words of `text`, borrowed: one `&str` (16 bytes) per word, no copy.
pub fn words_borrowed(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The words of `text`, owned: one `String` (24 bytes) and one heap buffer
/// per word.
pub fn words_owned(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}
// ANCHOR_END: words

/// A deterministic text of `words` words of 1 to 12 letters.
pub fn sample_text(words: usize) -> String {
    let mut text = String::new();
    let mut x: u32 = 12_345;
    for i in 0..words {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let len = 1 + (x >> 16) as usize % 12;
        if i > 0 {
            text.push(' ');
        }
        text.extend((0..len).map(|k| char::from(b'a' + ((x as usize >> k) % 26) as u8)));
    }
    text
}
