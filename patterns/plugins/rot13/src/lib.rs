//! # mastery-plugin-rot13 — an example plugin
//!
//! ROT13 behind the plugin contract, two ways: this library, built as a
//! `cdylib` exporting the `mastery-plugin-abi` symbols, and the
//! `mastery-rot13` executable (`src/main.rs`), which speaks the line
//! protocol. The input `panic!` makes it panic on purpose, so the tests and
//! the demo can show the boundary catching it.

#![deny(unsafe_code)]

/// The plugin's name.
pub const NAME: &str = "rot13";
/// The plugin's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// ROT13 of `input`; panics on the input `panic!` (on purpose), refuses an
/// input with a NUL.
///
/// # Errors
/// A message when the input holds a NUL character.
pub fn transform(input: &str) -> Result<String, String> {
    if input == "panic!" {
        panic!("rot13 was asked to panic");
    }
    if input.contains('\0') {
        return Err("a NUL in the input".to_owned());
    }
    Ok(input
        .chars()
        .map(|c| match c {
            'a'..='z' => (((c as u8 - b'a') + 13) % 26 + b'a') as char,
            'A'..='Z' => (((c as u8 - b'A') + 13) % 26 + b'A') as char,
            _ => c,
        })
        .collect())
}

mastery_plugin_abi::export_plugin!(name: "rot13", version: "0.1.0", call: transform);
