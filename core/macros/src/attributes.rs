//! Parsing `#[register(...)]`: the keys on the struct, the key on a field.
//!
//! Every error carries the span of the token that is wrong — the key, the
//! value — so rustc underlines exactly that, and the message says what is
//! accepted instead. Errors of several attributes (the struct's and each
//! field's) are combined, so one build reports all of them.

use proc_macro2::TokenTree;
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Error, LitStr, Path, Token};

use crate::spelling::{is_kebab_case, kebab_case};

/// The helper attribute's name, declared by the derive.
const ATTRIBUTE: &str = "register";

/// What `#[register(...)]` on the struct says.
#[derive(Default)]
pub(crate) struct TypeOptions {
    /// `name = "..."`: the registry name, already checked to be kebab case.
    pub(crate) name: Option<LitStr>,
    /// `crate = "..."`: the path of the runtime module.
    pub(crate) runtime: Option<Path>,
}

/// What `#[register(...)]` on a field says.
#[derive(Default)]
pub(crate) struct FieldOptions {
    /// `skip`: leave the field out of `describe()` and of the field list
    /// (Python's `dataclasses.field(repr=False)`).
    pub(crate) skip: bool,
}

/// Reads every `#[register(...)]` among the struct's attributes.
pub(crate) fn type_options(attrs: &[Attribute]) -> syn::Result<TypeOptions> {
    let mut options = TypeOptions::default();
    let mut errors = Errors::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(ATTRIBUTE)) {
        errors.check(attr.parse_nested_meta(|meta| type_key(&mut options, &meta)));
    }
    errors.finish(options)
}

/// Reads every `#[register(...)]` among a field's attributes.
pub(crate) fn field_options(attrs: &[Attribute]) -> syn::Result<FieldOptions> {
    let mut options = FieldOptions::default();
    let mut errors = Errors::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(ATTRIBUTE)) {
        errors.check(attr.parse_nested_meta(|meta| field_key(&mut options, &meta)));
    }
    errors.finish(options)
}

fn type_key(options: &mut TypeOptions, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.path.is_ident("name") {
        reject_repeat(meta, options.name.is_some())?;
        let name = string_value(meta, "name", "circle")?;
        check_kebab_case(&name)?;
        options.name = Some(name);
        return Ok(());
    }
    if meta.path.is_ident("crate") {
        reject_repeat(meta, options.runtime.is_some())?;
        let path = string_value(meta, "crate", "my_facade::metaclasses")?;
        let parsed = path.parse::<Path>().map_err(|_| {
            Error::new(
                path.span(),
                "`crate` takes a module path, like `crate = \"my_facade::metaclasses\"`",
            )
        })?;
        options.runtime = Some(parsed);
        return Ok(());
    }
    if meta.path.is_ident("skip") {
        return Err(meta
            .error("`skip` goes on a field, not on the struct: `#[register(skip)] cache: Cache`"));
    }
    Err(meta.error(format!(
        "unknown key `{}` in #[register(...)]: the struct accepts `name = \"...\"` and `crate = \"...\"`",
        key_text(&meta.path)
    )))
}

fn field_key(options: &mut FieldOptions, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.path.is_ident("skip") {
        reject_repeat(meta, options.skip)?;
        if !(meta.input.is_empty() || meta.input.peek(Token![,])) {
            return Err(meta.error("`skip` is a flag and takes no value: `#[register(skip)]`"));
        }
        options.skip = true;
        return Ok(());
    }
    if meta.path.is_ident("name") || meta.path.is_ident("crate") {
        return Err(meta.error(format!(
            "`{}` belongs on the struct, not on a field; a field accepts only `skip`",
            key_text(&meta.path)
        )));
    }
    Err(meta.error(format!(
        "unknown key `{}` on a field: a field accepts only `skip`",
        key_text(&meta.path)
    )))
}

/// The second `name` (or `crate`, or `skip`) is an error on that key, even
/// when it repeats the same value: two attributes that must agree are one
/// too many.
fn reject_repeat(meta: &ParseNestedMeta<'_>, seen: bool) -> syn::Result<()> {
    if seen {
        return Err(meta.error(format!(
            "duplicate key `{}`: give it once",
            key_text(&meta.path)
        )));
    }
    Ok(())
}

/// The value of `key = "..."`, which must be a string literal.
fn string_value(meta: &ParseNestedMeta<'_>, key: &str, example: &str) -> syn::Result<LitStr> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = \"{example}\"")));
    }
    let input = meta.value()?;
    if input.peek(LitStr) {
        return input.parse();
    }
    let found: TokenTree = input.parse()?;
    Err(Error::new(
        found.span(),
        format!("`{key}` takes a string literal, like `{key} = \"{example}\"`"),
    ))
}

fn check_kebab_case(name: &LitStr) -> syn::Result<()> {
    let value = name.value();
    if is_kebab_case(&value) {
        return Ok(());
    }
    let suggestion = kebab_case(&value);
    let hint = if is_kebab_case(&suggestion) {
        format!(", like `{suggestion}`")
    } else {
        String::new()
    };
    Err(Error::new(
        name.span(),
        format!(
            "registry name `{value}` is not kebab case: use lowercase ASCII letters and digits, words joined by single `-`{hint}"
        ),
    ))
}

/// A key as written (`name`, `crate`, `a::b`), for messages.
fn key_text(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Several errors reported together: `syn::Error` holds many messages, each
/// with its own span.
#[derive(Default)]
pub(crate) struct Errors(Option<Error>);

impl Errors {
    /// Adds one error.
    pub(crate) fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Keeps the error of `result`, if any; gives back its value otherwise.
    pub(crate) fn check<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// `value` when nothing went wrong, every error otherwise.
    pub(crate) fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_type(attrs: &str) -> syn::Result<TypeOptions> {
        let input: syn::DeriveInput =
            syn::parse_str(&format!("{attrs} struct Circle;")).expect("test input parses");
        type_options(&input.attrs)
    }

    fn parse_field(attrs: &str) -> syn::Result<FieldOptions> {
        let input: syn::DeriveInput =
            syn::parse_str(&format!("struct S {{ {attrs} f: u8 }}")).expect("test input parses");
        let syn::Data::Struct(data) = input.data else {
            unreachable!("the input is a struct")
        };
        let field = data.fields.iter().next().expect("the struct has one field");
        field_options(&field.attrs)
    }

    fn messages(error: Error) -> Vec<String> {
        error.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn accepted_struct_keys() {
        let cases = [
            ("", None, None),
            ("#[register(name = \"circle\")]", Some("circle"), None),
            (
                "#[register(name = \"two-d\", crate = \"facade::shapes\")]",
                Some("two-d"),
                Some("facade::shapes"),
            ),
            (
                "#[register(name = \"c\")] #[register(crate = \"x\")]",
                Some("c"),
                Some("x"),
            ),
            (
                "#[derive(Debug)] #[doc = \"other attributes are ignored\"]",
                None,
                None,
            ),
        ];
        for (attrs, name, runtime) in cases {
            let options = parse_type(attrs).unwrap_or_else(|e| panic!("{attrs}: {e}"));
            assert_eq!(options.name.map(|n| n.value()).as_deref(), name, "{attrs}");
            assert_eq!(
                options.runtime.as_ref().map(key_text).as_deref(),
                runtime,
                "{attrs}"
            );
        }
    }

    #[test]
    fn rejected_struct_keys_say_why() {
        let cases = [
            ("#[register(nmae = \"circle\")]", "unknown key `nmae`"),
            ("#[register(name = 42)]", "`name` takes a string literal"),
            (
                "#[register(name = circle)]",
                "`name` takes a string literal",
            ),
            ("#[register(name)]", "`name` needs a value"),
            (
                "#[register(name = \"a\", name = \"a\")]",
                "duplicate key `name`",
            ),
            (
                "#[register(name = \"a\")] #[register(name = \"b\")]",
                "duplicate key `name`",
            ),
            ("#[register(name = \"Big Circle\")]", "like `big-circle`"),
            ("#[register(name = \"\")]", "is not kebab case"),
            ("#[register(name = \"a--b\")]", "is not kebab case"),
            (
                "#[register(crate = \"not a path\")]",
                "`crate` takes a module path",
            ),
            ("#[register(skip)]", "`skip` goes on a field"),
        ];
        for (attrs, expected) in cases {
            let Err(error) = parse_type(attrs) else {
                panic!("{attrs} was accepted")
            };
            let text = messages(error).join("\n");
            assert!(text.contains(expected), "{attrs}: {text}");
        }
    }

    #[test]
    fn every_bad_attribute_is_reported_at_once() {
        let error = parse_type("#[register(colour = \"red\")] #[register(name = 7)]")
            .err()
            .expect("both attributes are wrong");
        assert_eq!(messages(error).len(), 2);
    }

    #[test]
    fn field_keys() {
        let cases = [
            ("", Ok(false)),
            ("#[register(skip)]", Ok(true)),
            ("#[register(skip = true)]", Err("`skip` is a flag")),
            ("#[register(skip, skip)]", Err("duplicate key `skip`")),
            (
                "#[register(name = \"x\")]",
                Err("`name` belongs on the struct"),
            ),
            ("#[register(hide)]", Err("unknown key `hide` on a field")),
        ];
        for (attrs, expected) in cases {
            match (parse_field(attrs), expected) {
                (Ok(options), Ok(skip)) => assert_eq!(options.skip, skip, "{attrs}"),
                (Err(error), Err(text)) => {
                    let all = messages(error).join("\n");
                    assert!(all.contains(text), "{attrs}: {all}");
                }
                (Ok(_), Err(text)) => panic!("{attrs} was accepted, expected `{text}`"),
                (Err(error), Ok(_)) => panic!("{attrs} was rejected: {error}"),
            }
        }
    }
}
