//! CPython's figures, measured by running `python3` in the same run:
//! `sys.getsizeof` of a few values and a list's growth.

use std::ffi::{OsStr, OsString};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::bytecode_demo::{CompileError, run_with_timeout};

/// `sys.getsizeof` figures and a list's growth, measured by `python3`.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct PythonSizes {
    pub(super) version: String,
    pub(super) list_empty: usize,
    pub(super) list_final: usize,
    pub(super) list_steps: usize,
    pub(super) int_small: usize,
    pub(super) str_empty: usize,
    pub(super) str_word: usize,
    pub(super) tuple_4: usize,
}

const PYTHON_SCRIPT: &str = r#"
import json, sys
n = int(sys.argv[1])
l = []
last = sys.getsizeof(l)
steps = 0
for i in range(n):
    l.append(i)
    size = sys.getsizeof(l)
    if size != last:
        steps += 1
        last = size
print(json.dumps({
    "version": sys.version.split()[0],
    "list_empty": sys.getsizeof([]),
    "list_final": last,
    "list_steps": steps,
    "int_small": sys.getsizeof(1),
    "str_empty": sys.getsizeof(""),
    "str_word": sys.getsizeof("hello"),
    "tuple_4": sys.getsizeof((1, 2, 3, 4)),
}))
"#;

/// The interpreter to ask: the `python` setting when given, else `python3`
/// on `PATH`. (Demos take settings from the narrator only; `MASTERY_PYTHON`
/// reaches this through it.)
pub(super) fn python_program(setting: Option<&OsStr>) -> OsString {
    setting.map_or_else(|| "python3".into(), OsStr::to_owned)
}

/// Runs the script with `program`, `appends` appends to the list; `Err`
/// says why it could not.
pub(super) fn python_sizes(program: &OsStr, appends: usize) -> Result<PythonSizes, String> {
    let mut command = Command::new(program);
    command.args(["-c", PYTHON_SCRIPT, &appends.to_string()]);
    let scratch = tempfile::tempdir().map_err(|e| format!("no temp dir: {e}"))?;
    let done =
        run_with_timeout(command, Duration::from_secs(20), scratch.path()).map_err(
            |e| match e {
                CompileError::NotFound { program, .. } => {
                    format!(
                        "`{program}` is not installed (set the `python` setting, \
                         MASTERY_PYTHON, to another interpreter)"
                    )
                }
                other => other.to_string(),
            },
        )?;
    if !done.status.success() {
        return Err(format!(
            "{} failed: {}",
            program.to_string_lossy(),
            done.stderr.trim()
        ));
    }
    serde_json::from_str(done.stdout.trim()).map_err(|e| format!("unexpected python3 output: {e}"))
}
