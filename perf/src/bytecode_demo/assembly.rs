//! Reading assembly back: functions, their loops (found by backward
//! jumps), the calls into panics that bounds checks leave, and a
//! comparison of two instruction lists after renaming labels.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;

use super::symbols::{demangle, demangle_operands};

/// One line of a function's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsmLine {
    /// A jump target, `.LBB0_7` (without the colon).
    Label(String),
    /// A machine instruction.
    Instruction(Instruction),
}

/// A machine instruction: `paddd xmm1, xmm2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// `paddd`, `jne`, `call`, ...
    pub mnemonic: String,
    /// Everything after the mnemonic, as printed (`xmm1, xmm2`).
    pub operands: String,
}

impl Instruction {
    fn parse(text: &str) -> Instruction {
        let (mnemonic, operands) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        Instruction {
            mnemonic: mnemonic.to_owned(),
            operands: operands.trim().to_owned(),
        }
    }

    /// Whether control may go elsewhere: `jne .LBB0_7`, `b.ne .LBB0_3`.
    pub fn is_jump(&self) -> bool {
        let m = self.mnemonic.as_str();
        m.starts_with('j')
            || m == "b"
            || m.starts_with("b.")
            || matches!(m, "cbz" | "cbnz" | "tbz" | "tbnz")
    }

    /// Whether it is a call.
    pub fn is_call(&self) -> bool {
        matches!(self.mnemonic.as_str(), "call" | "bl" | "blr")
    }

    /// Whether control never falls through to the next line.
    fn ends_block(&self) -> bool {
        matches!(self.mnemonic.as_str(), "ret" | "jmp" | "b" | "ud2" | "brk")
    }

    /// Whether it works on several lanes at once (SSE/AVX packed
    /// operations, NEON vector registers). Scalar floating point uses the
    /// same `xmm` registers, so `…ss`/`…sd` forms are excluded.
    pub fn is_vector(&self) -> bool {
        let ops = self.operands.as_str();
        let x86 = ["xmm", "ymm", "zmm"].iter().any(|r| ops.contains(r));
        if x86 {
            let m = self.mnemonic.as_str();
            let scalar = (m.ends_with("ss") || m.ends_with("sd")) && !m.starts_with('p');
            return !scalar && m != "movd" && m != "movq";
        }
        // AArch64: `add v0.4s, v0.4s, v1.4s`, `ldp q0, q1, [x8]`.
        ops.split([',', ' ', '[', ']'])
            .any(|t| is_arm_vector_register(t.trim()))
    }

    /// The label or symbol a jump or call names (its last operand word).
    fn target(&self) -> &str {
        self.operands
            .rsplit([' ', ','])
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
    }
}

fn is_arm_vector_register(token: &str) -> bool {
    let (reg, arrangement) = token.split_once('.').unwrap_or((token, ""));
    let numbered = |prefix: char| {
        reg.strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    (numbered('v') && !arrangement.is_empty()) || numbered('q')
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operands.is_empty() {
            f.write_str(&self.mnemonic)
        } else {
            write!(f, "{:<7} {}", self.mnemonic, self.operands)
        }
    }
}

/// What a call into a panic function is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PanicKind {
    /// `core::panicking::panic_bounds_check`: `v[i]` with `i >= v.len()`.
    BoundsCheck,
    /// `core::slice::index::slice_index_fail` and friends: `&v[a..b]` out
    /// of range (one check for a whole range).
    SliceRange,
    /// Anything else that panics: `assert!`, `unwrap`, overflow.
    Other,
}

impl PanicKind {
    fn of(callee: &str) -> Option<PanicKind> {
        if callee.contains("panic_bounds_check") {
            Some(PanicKind::BoundsCheck)
        } else if callee.contains("slice_index") || callee.contains("slice_end_index") {
            Some(PanicKind::SliceRange)
        } else if callee.contains("panic") {
            Some(PanicKind::Other)
        } else {
            None
        }
    }
}

/// A loop: the label its backward jump goes to, and that jump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loop {
    /// Line index of the loop's head label.
    pub head: usize,
    /// Line index of the backward jump closing the loop.
    pub latch: usize,
}

impl Loop {
    /// The loop's lines, head label to backward jump inclusive.
    pub fn range(&self) -> Range<usize> {
        self.head..self.latch + 1
    }
}

/// One function of the assembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsmFunction {
    /// The symbol as emitted (`_ZN7snippet8sum_iter17h…E`).
    pub symbol: String,
    /// The demangled path without the hash (`snippet::sum_iter`).
    pub name: String,
    /// Labels and instructions, in order; directives dropped.
    pub lines: Vec<AsmLine>,
}

impl AsmFunction {
    /// The instructions, without labels.
    pub fn instructions(&self) -> impl Iterator<Item = &Instruction> {
        self.lines.iter().filter_map(|l| match l {
            AsmLine::Instruction(i) => Some(i),
            AsmLine::Label(_) => None,
        })
    }

    fn label_positions(&self) -> HashMap<&str, usize> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                AsmLine::Label(name) => Some((name.as_str(), i)),
                AsmLine::Instruction(_) => None,
            })
            .collect()
    }

    /// Every loop, found as a jump to a label above it.
    pub fn loops(&self) -> Vec<Loop> {
        let labels = self.label_positions();
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(at, line)| {
                let AsmLine::Instruction(i) = line else {
                    return None;
                };
                let head = *labels.get(i.target())?;
                (i.is_jump() && head < at).then_some(Loop { head, latch: at })
            })
            .collect()
    }

    /// How many of a range's instructions are vector instructions.
    pub fn vector_instructions(&self, range: Range<usize>) -> usize {
        self.lines[range]
            .iter()
            .filter(|l| matches!(l, AsmLine::Instruction(i) if i.is_vector()))
            .count()
    }

    /// The loop doing the work: the one with the most vector instructions,
    /// else the longest.
    pub fn hot_loop(&self) -> Option<Loop> {
        self.loops()
            .into_iter()
            .max_by_key(|l| (self.vector_instructions(l.range()), l.latch - l.head))
    }

    /// Every call into a panic function, by kind, with the callee demangled.
    pub fn panics(&self) -> Vec<(PanicKind, String)> {
        self.instructions()
            .filter(|i| i.is_call())
            .filter_map(|i| {
                let callee = demangle_operands(i.target());
                PanicKind::of(&callee).map(|kind| (kind, callee))
            })
            .collect()
    }

    /// How many calls of `kind` the function contains.
    pub fn panic_count(&self, kind: PanicKind) -> usize {
        self.panics().iter().filter(|(k, _)| *k == kind).count()
    }

    /// Whether the code starting at line `from` reaches a call of `kind`
    /// before it can leave (a return, an unconditional jump) — how a branch
    /// to an out-of-line panic block is recognised.
    fn reaches_panic(&self, from: usize, kind: PanicKind) -> bool {
        for line in self.lines.iter().skip(from).take(16) {
            let AsmLine::Instruction(i) = line else {
                continue;
            };
            if i.is_call() && PanicKind::of(&demangle_operands(i.target())) == Some(kind) {
                return true;
            }
            if i.ends_block() || i.is_jump() {
                return false;
            }
        }
        false
    }

    /// The checks of `kind` executed inside loops: branches from a loop body
    /// to a block that panics, plus panic calls inside the body itself.
    /// Counted once per branch, over every loop (nested loops counted once).
    pub fn checks_in_loops(&self, kind: PanicKind) -> usize {
        let mut in_loop = vec![false; self.lines.len()];
        for l in self.loops() {
            in_loop[l.range()].iter_mut().for_each(|x| *x = true);
        }
        (0..self.lines.len())
            .filter(|&at| in_loop[at] && self.is_check(at, kind))
            .count()
    }

    /// The checks of `kind` within one range of lines (one loop).
    pub fn checks_in(&self, range: Range<usize>, kind: PanicKind) -> usize {
        range.filter(|&at| self.is_check(at, kind)).count()
    }

    /// Whether line `at` is a branch to a panic of `kind`, or a call to one.
    fn is_check(&self, at: usize, kind: PanicKind) -> bool {
        let labels = self.label_positions();
        match &self.lines[at] {
            AsmLine::Instruction(i) if i.is_jump() => labels
                .get(i.target())
                .is_some_and(|&to| self.reaches_panic(to, kind)),
            AsmLine::Instruction(i) if i.is_call() => {
                PanicKind::of(&demangle_operands(i.target())) == Some(kind)
            }
            _ => false,
        }
    }

    /// The lines of `range` as comparable text: labels renamed `L0`, `L1`,
    /// ... in order of first mention (so two functions' `.LBB2_6` and
    /// `.LBB4_6` match), symbols demangled, registers kept.
    pub fn normalized(&self, range: Range<usize>) -> Vec<String> {
        let labels = self.label_positions();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut rename = |label: &str| {
            let next = format!("L{}", names.len());
            names.entry(label.to_owned()).or_insert(next).clone()
        };
        self.lines[range]
            .iter()
            .map(|line| match line {
                AsmLine::Label(l) => format!("{}:", rename(l)),
                AsmLine::Instruction(i) => {
                    let target = i.target();
                    let operands = if labels.contains_key(target) {
                        i.operands.replace(target, &rename(target))
                    } else {
                        demangle_operands(&i.operands)
                    };
                    Instruction {
                        mnemonic: i.mnemonic.clone(),
                        operands,
                    }
                    .to_string()
                }
            })
            .collect()
    }

    /// [`AsmFunction::normalized`] over the whole function.
    pub fn normalized_all(&self) -> Vec<String> {
        self.normalized(0..self.lines.len())
    }
}

/// A whole `.s` file, split into functions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assembly {
    /// The functions, in the order emitted.
    pub functions: Vec<AsmFunction>,
}

impl Assembly {
    /// Parses GNU-assembler text as LLVM prints it. A function starts at the
    /// label of a symbol declared `.type …,@function` or `.globl`, and ends
    /// at its `.Lfunc_end` label (or `.cfi_endproc`, or the next function).
    pub fn parse(text: &str) -> Assembly {
        let mut declared: Vec<&str> = Vec::new();
        let mut functions = Vec::new();
        let mut current: Option<AsmFunction> = None;
        for raw in text.lines() {
            let line = strip_comment(raw).trim();
            if line.is_empty() {
                continue;
            }
            if let Some(label) = line
                .strip_suffix(':')
                .filter(|l| !l.contains(char::is_whitespace))
            {
                if declared.contains(&label) {
                    functions.extend(current.take());
                    current = Some(AsmFunction {
                        symbol: label.to_owned(),
                        name: demangle(label).unwrap_or_else(|| label.to_owned()),
                        lines: Vec::new(),
                    });
                } else if label.starts_with(".Lfunc_end") {
                    functions.extend(current.take());
                } else if let Some(f) = current.as_mut() {
                    f.lines.push(AsmLine::Label(label.to_owned()));
                }
                continue;
            }
            if let Some(directive) = line.strip_prefix('.') {
                if let Some(symbol) = declared_function(directive) {
                    declared.push(symbol);
                } else if directive.starts_with("cfi_endproc") {
                    functions.extend(current.take());
                }
                continue;
            }
            if let Some(f) = current.as_mut() {
                f.lines.push(AsmLine::Instruction(Instruction::parse(line)));
            }
        }
        functions.extend(current);
        Assembly { functions }
    }

    /// The function whose demangled path is `name` or ends in `::name`.
    pub fn function(&self, name: &str) -> Option<&AsmFunction> {
        let suffix = format!("::{name}");
        self.functions
            .iter()
            .find(|f| f.name == name || f.name.ends_with(&suffix))
    }
}

/// The symbol a `.type sym,@function` or `.globl sym` directive declares.
fn declared_function(directive: &str) -> Option<&str> {
    if let Some(rest) = directive.strip_prefix("type") {
        let (symbol, kind) = rest.trim().split_once(',')?;
        return kind.contains("function").then_some(symbol.trim());
    }
    directive
        .strip_prefix("globl")
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Drops an end-of-line comment: `#` with a space before it on x86 (so
/// AArch64's `#imm` survives), `//` on AArch64.
fn strip_comment(line: &str) -> &str {
    let mut cut = line.len();
    if let Some(at) = line.find("//") {
        cut = cut.min(at);
    }
    if let Some(at) = line.find(" #").or_else(|| line.find("\t#")) {
        cut = cut.min(at);
    }
    if line.trim_start().starts_with('#') {
        return "";
    }
    &line[..cut]
}
/// How two instruction lists compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeComparison {
    /// Same instructions in the same order.
    pub identical: bool,
    /// Same instructions, counted with multiplicity, in any order.
    pub same_multiset: bool,
    /// Instructions (with multiplicity) only on the left.
    pub only_left: Vec<String>,
    /// Instructions (with multiplicity) only on the right.
    pub only_right: Vec<String>,
}

/// Compares two normalized instruction lists ([`AsmFunction::normalized`]).
pub fn compare_code(left: &[String], right: &[String]) -> CodeComparison {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for l in left {
        *counts.entry(l).or_default() += 1;
    }
    for r in right {
        *counts.entry(r).or_default() -= 1;
    }
    let repeat = |s: &str, n: i64| std::iter::repeat_n(s.to_owned(), n.unsigned_abs() as usize);
    let only_left: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .flat_map(|(s, n)| repeat(s, *n))
        .collect();
    let only_right: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n < 0)
        .flat_map(|(s, n)| repeat(s, *n))
        .collect();
    CodeComparison {
        identical: left == right,
        same_multiset: only_left.is_empty() && only_right.is_empty(),
        only_left,
        only_right,
    }
}
