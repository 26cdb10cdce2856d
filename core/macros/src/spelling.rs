//! How names and types are spelled in the registry: registry names in kebab
//! case (`RegularPolygon` → `regular-polygon`), field types as a reader
//! would write them (`Cell<Option<f64>>`, not `Cell < Option < f64 > >`).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// Whether `name` is lowercase ASCII words joined by single `-`.
pub(crate) fn is_kebab_case(name: &str) -> bool {
    !name.is_empty()
        && name.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The kebab-case spelling of a type name or a phrase: a word starts at an
/// uppercase letter after a lowercase one (`RegularPolygon`), at the last
/// capital of an acronym (`HTTPServer` → `http-server`), and after anything
/// that is not an ASCII letter or digit (`Big Circle`, `big_circle`).
pub(crate) fn kebab_case(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            start_word(&mut out);
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase() || (previous.is_ascii_uppercase() && next_is_lower) {
                start_word(&mut out);
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out.trim_end_matches('-').to_owned()
}

fn start_word(out: &mut String) {
    if !out.is_empty() && !out.ends_with('-') {
        out.push('-');
    }
}

/// A type as a reader writes it. `ToTokens` would give the token stream's
/// own spelling, a space between every two tokens.
pub(crate) fn type_text(ty: &impl ToTokens) -> String {
    let mut out = String::new();
    write_tokens(ty.to_token_stream(), &mut out);
    out
}

fn write_tokens(tokens: TokenStream, out: &mut String) {
    // `word` is true after an identifier or a literal: two words in a row
    // need a space (`dyn Shape`, `'static str`), punctuation mostly does not.
    let mut word = false;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                if word {
                    out.push(' ');
                }
                out.push_str(&ident.to_string());
                word = true;
            }
            TokenTree::Literal(literal) => {
                if word {
                    out.push(' ');
                }
                out.push_str(&literal.to_string());
                word = true;
            }
            TokenTree::Punct(punct) => {
                match (punct.as_char(), punct.spacing()) {
                    (',' | ';', _) => out.push_str(&format!("{} ", punct.as_char())),
                    ('+' | '=', _) => out.push_str(&format!(" {} ", punct.as_char())),
                    ('-', Spacing::Joint) => out.push_str(" -"),
                    ('>', _) if out.ends_with(" -") => out.push_str("> "),
                    (c, _) => out.push(c),
                }
                word = false;
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                // `&mut [u8]` and `dyn (Fn())` keep their space; `Fn(u8)` does not.
                let keyword_before = ["mut", "dyn", "impl"].iter().any(|k| out.ends_with(k));
                if word && (group.delimiter() == Delimiter::Bracket || keyword_before) {
                    out.push(' ');
                }
                out.push_str(open);
                write_tokens(group.stream(), out);
                out.push_str(close);
                word = group.delimiter() == Delimiter::None && word;
            }
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_case_of_type_names_and_phrases() {
        let cases = [
            ("Circle", "circle"),
            ("RegularPolygon", "regular-polygon"),
            ("HTTPServer", "http-server"),
            ("Shape2D", "shape2d"),
            ("big_circle", "big-circle"),
            ("Big Circle!", "big-circle"),
            ("__Private", "private"),
            ("Π", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(kebab_case(input), expected, "{input}");
        }
    }

    #[test]
    fn what_counts_as_kebab_case() {
        for good in ["circle", "regular-polygon", "shape2d", "3d"] {
            assert!(is_kebab_case(good), "{good}");
        }
        for bad in [
            "",
            "Circle",
            "big circle",
            "a--b",
            "-a",
            "a-",
            "snake_case",
            "naïve",
        ] {
            assert!(!is_kebab_case(bad), "{bad}");
        }
    }

    #[test]
    fn types_are_spelled_as_written() {
        let cases = [
            "f64",
            "Vec<u8>",
            "std::cell::Cell<Option<f64>>",
            "&'static str",
            "&mut [u8]",
            "[u8; 4]",
            "(u8, u16)",
            "Box<dyn Fn(u8) -> u8 + Send>",
            "HashMap<String, Vec<(u32, f64)>>",
            "<T as Iterator>::Item",
            "impl Iterator<Item = u8>",
        ];
        for written in cases {
            let ty: syn::Type = syn::parse_str(written).expect("test types parse");
            assert_eq!(type_text(&ty), written);
        }
    }
}
