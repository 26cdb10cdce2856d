//! Rust symbol names as the assembly prints them (`_ZN…E`, `_R…`), turned
//! back into paths: `core::panicking::panic_bounds_check`.

/// Demangles a Rust symbol, legacy (`_ZN…E`) or v0 (`_R…`), to its path
/// without the hash: `core::panicking::panic_bounds_check`. Returns `None`
/// for anything else, and for the v0 forms this reader does not cover
/// (generics, impls, back-references) — enough for plain functions.
pub fn demangle(symbol: &str) -> Option<String> {
    let symbol = symbol.split('@').next().unwrap_or(symbol);
    // Mach-O prefixes every symbol with one more underscore.
    let symbol = symbol
        .strip_prefix('_')
        .filter(|s| s.starts_with('_'))
        .unwrap_or(symbol);
    if let Some(rest) = symbol.strip_prefix("_ZN") {
        return demangle_legacy(rest);
    }
    let rest = symbol.strip_prefix("_R")?;
    let mut reader = V0 {
        bytes: rest.as_bytes(),
        at: 0,
    };
    let path = reader.path()?;
    Some(path.join("::"))
}

fn demangle_legacy(mut rest: &str) -> Option<String> {
    let mut parts = Vec::new();
    while !rest.starts_with('E') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let len: usize = rest.get(..digits)?.parse().ok()?;
        let part = rest.get(digits..digits + len)?;
        rest = &rest[digits + len..];
        parts.push(part);
    }
    // The last part is the hash `h0123456789abcdef`: not part of the name.
    if parts
        .last()
        .is_some_and(|p| p.len() == 17 && p.starts_with('h'))
    {
        parts.pop();
    }
    let unescape = |p: &str| {
        [
            ("$LT$", "<"),
            ("$LP$", "("),
            ("$RP$", ")"),
            ("$GT$", ">"),
            ("$RF$", "&"),
            ("$BP$", "*"),
            ("$C$", ","),
            ("$u20$", " "),
            ("$u7b$", "{"),
            ("$u7d$", "}"),
            ("$u5b$", "["),
            ("$u5d$", "]"),
            ("..", "::"),
        ]
        .iter()
        .fold(p.to_owned(), |s, (from, to)| s.replace(from, to))
    };
    (!parts.is_empty()).then(|| {
        parts
            .iter()
            .map(|p| unescape(p))
            .collect::<Vec<_>>()
            .join("::")
    })
}

/// A reader for the subset of v0 mangling that names plain paths:
/// `C` crate roots and `N` nested paths.
struct V0<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl V0<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn path(&mut self) -> Option<Vec<String>> {
        match self.next()? {
            b'C' => Some(vec![self.identifier()?]),
            b'N' => {
                let namespace = self.next()?;
                let mut parent = self.path()?;
                let ident = self.identifier()?;
                parent.push(match namespace {
                    b'C' => "{closure}".to_owned(),
                    b'S' => "{shim}".to_owned(),
                    _ => ident,
                });
                Some(parent)
            }
            _ => None,
        }
    }

    fn identifier(&mut self) -> Option<String> {
        if self.bytes.get(self.at) == Some(&b's') {
            // A disambiguator, `s<base62>_`: not part of the name.
            self.at += 1;
            while self.next()? != b'_' {}
        }
        if self.bytes.get(self.at) == Some(&b'u') {
            return None; // punycode: not needed for the snippet
        }
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let len: usize = std::str::from_utf8(&self.bytes[start..self.at])
            .ok()?
            .parse()
            .ok()?;
        if self.bytes.get(self.at) == Some(&b'_') {
            self.at += 1;
        }
        let ident = self.bytes.get(self.at..self.at + len)?;
        self.at += len;
        String::from_utf8(ident.to_vec()).ok()
    }
}

/// Replaces every mangled symbol in an operand string by its demangled
/// path: `qword ptr [rip + core::panicking::panic_bounds_check]`.
pub fn demangle_operands(operands: &str) -> String {
    let mut out = String::with_capacity(operands.len());
    let mut rest = operands;
    while let Some(at) = rest.find("_ZN").or_else(|| rest.find("_R")) {
        let end = rest[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.'))
            .map_or(rest.len(), |e| at + e);
        let symbol = &rest[at..end];
        out.push_str(&rest[..at]);
        match demangle(symbol) {
            Some(name) => out.push_str(&name),
            None => out.push_str(symbol),
        }
        // `@GOTPCREL` and `@PLT` say how the call is linked, not what it calls.
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix('@') {
            let skip = after
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(after.len());
            rest = &after[skip..];
        }
    }
    out.push_str(rest);
    out
}
