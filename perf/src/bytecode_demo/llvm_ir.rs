//! Reading LLVM IR back: one function, one basic block of it.

use super::symbols::demangle;

/// The text of the IR function whose demangled name is `name` or ends in
/// `::name`: from its `define` line to the closing `}`.
pub fn ir_function<'a>(ir: &'a str, name: &str) -> Option<&'a str> {
    let suffix = format!("::{name}");
    let mut offset = 0;
    for line in ir.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if !line.starts_with("define ") {
            continue;
        }
        let symbol = line
            .split('@')
            .nth(1)
            .and_then(|s| s.split('(').next())
            .unwrap_or("")
            .trim_matches('"');
        let Some(found) = demangle(symbol) else {
            continue;
        };
        if found == name || found.ends_with(&suffix) {
            let end = ir[start..].find("\n}").map_or(ir.len(), |e| start + e + 2);
            return Some(&ir[start..end]);
        }
    }
    None
}

/// The basic block `label` (`vector.body`) of an IR function: its label
/// line to the blank line that ends it.
pub fn ir_block<'a>(function: &'a str, label: &str) -> Option<&'a str> {
    let head = format!("\n{label}:");
    let start = function.find(&head)? + 1;
    let end = function[start..]
        .find("\n\n")
        .map_or(function.len(), |e| start + e);
    Some(&function[start..end])
}
