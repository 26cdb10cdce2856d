//! The code `#[derive(Register)]` generates, and the checks that come first.
//!
//! For `struct Circle { radius: f64 }` the output is, with `rt` standing for
//! the runtime path (`mastery_core::metaclasses` by default):
//!
//! ```text
//! const _: () = {
//!     impl rt::Describe for Circle {
//!         fn describe(&self) -> String {
//!             rt::__private::describe_named("circle", &[("radius", &self.radius as &dyn Debug)])
//!         }
//!     }
//!     const ENTRY: rt::Registration = rt::Registration {
//!         name: "circle",
//!         type_name: "Circle",
//!         fields: &[rt::Field { name: "radius", ty: "f64" }],
//!         constructor: rt::__private::construct::<Circle>,
//!         origin: rt::Origin { module: module_path!(), file: file!(), line: line!() },
//!     };
//!     impl rt::Registered for Circle {
//!         const REGISTRATION: rt::Registration = ENTRY;
//!     }
//!     rt::__private::inventory::submit! { ENTRY }
//! };
//! ```
//!
//! The entry is a local constant that both the impl and the submission
//! use: submitting `<Circle as Registered>::REGISTRATION` would check
//! `Registered`'s supertraits a second time, and a struct that is not a
//! `Shape` would get the same error twice.
//!
//! Why the runtime path has no leading `::`: an absolute `::mastery_core`
//! names only an *extern* crate, and a crate is not extern to itself, so the
//! derive could not be used inside `mastery-core` (its demo types, its unit
//! tests). A relative `mastery_core::metaclasses` resolves to the extern
//! crate everywhere else, and inside `mastery-core` to the alias
//! `use crate as mastery_core;` that the runtime module declares. A facade
//! crate that re-exports the runtime says where with
//! `#[register(crate = "facade::shapes")]`, as serde's `#[serde(crate)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Generics, Index, Member, Path, Type, parse_quote};

use crate::attributes::{Errors, field_options, type_options};
use crate::spelling::{is_kebab_case, kebab_case, type_text};

/// How `describe()` prints the fields: `name { a: 1, b: 2 }` for named
/// fields (or a unit struct: just `name`), `name(1, 2)` for a tuple struct.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    Named,
    Tuple,
}

/// A field that `describe()` shows and the registry lists.
struct ShownField<'a> {
    /// How the generated code reads it: `self.radius`, `self.0`.
    member: Member,
    /// How the registry names it: `radius`, `0`.
    label: String,
    ty: &'a Type,
}

/// The derive: every check, then the generated items (see the module doc).
pub(crate) fn register(input: &DeriveInput) -> syn::Result<TokenStream> {
    let (options, ((), (layout, fields))) = both(
        type_options(&input.attrs),
        both(reject_generics(&input.generics), shown_fields(input)),
    )?;
    let ident = &input.ident;
    let type_name = ident.unraw().to_string();
    let name = match options.name {
        Some(name) => name.value(),
        None => default_name(ident)?,
    };
    let rt = options
        .runtime
        .unwrap_or_else(|| parse_quote!(mastery_core::metaclasses));

    let describe = describe_body(&rt, &name, layout, &fields);
    let field_list = fields.iter().map(|f| {
        let label = &f.label;
        let ty = type_text(f.ty);
        quote!(#rt::Field { name: #label, ty: #ty })
    });
    // Spanned at the struct's name, so `line!()` is the line of the
    // definition and a missing `Shape` or `Default` is reported there.
    let origin = quote_spanned! {ident.span()=>
        #rt::Origin {
            module: ::core::module_path!(),
            file: ::core::file!(),
            line: ::core::line!(),
        }
    };
    let constructor = quote_spanned!(ident.span()=> #rt::__private::construct::<#ident>);
    Ok(quote! {
        const _: () = {
            #[automatically_derived]
            impl #rt::Describe for #ident {
                fn describe(&self) -> ::std::string::String {
                    #describe
                }
            }

            const ENTRY: #rt::Registration = #rt::Registration {
                name: #name,
                type_name: #type_name,
                fields: &[#(#field_list),*],
                constructor: #constructor,
                origin: #origin,
            };

            #[automatically_derived]
            impl #rt::Registered for #ident {
                const REGISTRATION: #rt::Registration = ENTRY;
            }

            #rt::__private::inventory::submit! { ENTRY }
        };
    })
}

fn describe_body(rt: &Path, name: &str, layout: Layout, fields: &[ShownField<'_>]) -> TokenStream {
    // Each field is spanned at its type: a field that is not `Debug` is
    // reported on that field, not on the derive.
    let values = fields.iter().map(|f| {
        let member = &f.member;
        quote_spanned!(f.ty.span()=> &self.#member as &dyn ::core::fmt::Debug)
    });
    match layout {
        Layout::Named => {
            let labels = fields.iter().map(|f| &f.label);
            quote!(#rt::__private::describe_named(#name, &[#((#labels, #values)),*]))
        }
        Layout::Tuple => quote!(#rt::__private::describe_tuple(#name, &[#(#values),*])),
    }
}

fn reject_generics(generics: &Generics) -> syn::Result<()> {
    if generics.params.is_empty() && generics.where_clause.is_none() {
        return Ok(());
    }
    Err(Error::new_spanned(
        generics,
        "#[derive(Register)] cannot register a generic type: a registry entry constructs one \
         concrete type; register each instantiation you need as its own non-generic struct \
         (`struct Meters(Length<f64>);`)",
    ))
}

fn shown_fields(input: &DeriveInput) -> syn::Result<(Layout, Vec<ShownField<'_>>)> {
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            return Err(Error::new(
                data.enum_token.span,
                "#[derive(Register)] registers structs only: an enum already is a closed list \
                 of its cases — match on it; to register each case, make each one a struct",
            ));
        }
        Data::Union(data) => {
            return Err(Error::new(
                data.union_token.span,
                "#[derive(Register)] registers structs only: a union cannot say which of its \
                 fields holds a value, so it cannot describe itself",
            ));
        }
    };
    let layout = match fields {
        Fields::Unnamed(_) => Layout::Tuple,
        Fields::Named(_) | Fields::Unit => Layout::Named,
    };
    let mut errors = Errors::default();
    let mut shown = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let Some(options) = errors.check(field_options(&field.attrs)) else {
            continue;
        };
        if options.skip {
            continue;
        }
        let (member, label) = match &field.ident {
            Some(ident) => (Member::Named(ident.clone()), ident.unraw().to_string()),
            None => {
                let mut index = Index::from(i);
                index.span = field.ty.span();
                (Member::Unnamed(index), i.to_string())
            }
        };
        shown.push(ShownField {
            member,
            label,
            ty: &field.ty,
        });
    }
    errors.finish((layout, shown))
}

/// The type name in kebab case, when `name = "..."` is not given.
fn default_name(ident: &syn::Ident) -> syn::Result<String> {
    let name = kebab_case(&ident.unraw().to_string());
    if is_kebab_case(&name) {
        return Ok(name);
    }
    Err(Error::new(
        ident.span(),
        format!(
            "cannot spell `{ident}` as a kebab-case registry name; give one with \
             #[register(name = \"...\")]"
        ),
    ))
}

/// Both results, or every error of the two.
fn both<A, B>(a: syn::Result<A>, b: syn::Result<B>) -> syn::Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(mut e), Err(f)) => {
            e.combine(f);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(source: &str) -> syn::Result<String> {
        let input: DeriveInput = syn::parse_str(source).expect("test input parses");
        register(&input).map(|tokens| tokens.to_string())
    }

    fn errors(source: &str) -> Vec<String> {
        match expand(source) {
            Ok(_) => panic!("accepted: {source}"),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn generates_describe_registration_and_submission() {
        let out = expand("struct Circle { radius: f64 }").expect("a plain struct expands");
        let expected = [
            "impl mastery_core :: metaclasses :: Describe for Circle",
            "describe_named (\"circle\" , & [(\"radius\" , & self . radius as & dyn :: core :: fmt :: Debug)])",
            "impl mastery_core :: metaclasses :: Registered for Circle",
            "type_name : \"Circle\"",
            "mastery_core :: metaclasses :: Field { name : \"radius\" , ty : \"f64\" }",
            "construct :: < Circle >",
            "const REGISTRATION : mastery_core :: metaclasses :: Registration = ENTRY",
            "inventory :: submit !",
        ];
        for piece in expected {
            assert!(out.contains(piece), "missing `{piece}` in\n{out}");
        }
    }

    #[test]
    fn names_layouts_and_skipped_fields() {
        let cases = [
            (
                "struct RegularPolygon { sides: u32 }",
                "\"regular-polygon\"",
            ),
            (
                "#[register(name = \"disc\")] struct Circle(f64);",
                "describe_tuple (\"disc\" , & [& self . 0 as",
            ),
            ("struct Point;", "describe_named (\"point\" , & [])"),
            (
                "struct Square { side: f64, #[register(skip)] cache: Cell<f64> }",
                "fields : & [mastery_core :: metaclasses :: Field { name : \"side\" , ty : \"f64\" }]",
            ),
            (
                "#[register(crate = \"facade::shapes\")] struct Circle;",
                "impl facade :: shapes :: Describe for Circle",
            ),
            (
                "struct r#Loop { r#type: u8 }",
                "name : \"type\" , ty : \"u8\"",
            ),
        ];
        for (source, piece) in cases {
            let out = expand(source).unwrap_or_else(|e| panic!("{source}: {e}"));
            assert!(out.contains(piece), "{source}: missing `{piece}` in\n{out}");
        }
        let out = expand("struct Square { side: f64, #[register(skip)] cache: Cell<f64> }")
            .expect("skip is accepted");
        assert!(
            !out.contains("cache"),
            "a skipped field is never read: {out}"
        );
    }

    #[test]
    fn misuse_is_an_error_that_says_what_to_do() {
        let cases = [
            ("enum Shape { Circle }", "registers structs only: an enum"),
            (
                "union Bits { a: u32, b: f32 }",
                "registers structs only: a union",
            ),
            (
                "struct Length<T> { value: T }",
                "cannot register a generic type",
            ),
            (
                "struct Borrowed<'a> { name: &'a str }",
                "cannot register a generic type",
            ),
            (
                "struct S { #[register(hide)] f: u8 }",
                "unknown key `hide` on a field",
            ),
        ];
        for (source, expected) in cases {
            let all = errors(source).join("\n");
            assert!(all.contains(expected), "{source}: {all}");
        }
    }

    #[test]
    fn all_errors_of_one_derive_are_reported_together() {
        let all = errors(
            "#[register(name = \"Bad Name\")] struct Length<T> { #[register(skip = 1)] value: T }",
        );
        assert_eq!(all.len(), 3, "{all:?}");
    }
}
