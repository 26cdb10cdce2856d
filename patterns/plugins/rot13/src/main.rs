//! `mastery-rot13`: the rot13 plugin as an executable. On start it prints
//! the handshake `mastery-plugin <abi> <name> <version>`; then for each line
//! `call <text>` it answers `ok <answer>` or `err <message>` (a panic
//! becomes `err`, and the process goes on). It exits at the end of its
//! input. Lines that are not `call …` get `err unknown request`.

use std::io::{self, BufRead, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};

use mastery_plugin_rot13::{NAME, VERSION, transform};

fn main() -> io::Result<()> {
    // The panic message belongs in the answer, not on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let stdin = io::stdin().lock();
    let mut out = io::stdout().lock();
    writeln!(out, "mastery-plugin 1 {NAME} {VERSION}")?;
    out.flush()?;
    for line in stdin.lines() {
        let line = line?;
        let answer = match line.strip_prefix("call ") {
            Some(input) => match catch_unwind(AssertUnwindSafe(|| transform(input))) {
                Ok(Ok(answer)) => format!("ok {answer}"),
                Ok(Err(message)) => format!("err {message}"),
                Err(_) => "err panicked (rot13 was asked to panic)".to_owned(),
            },
            None => "err unknown request".to_owned(),
        };
        writeln!(out, "{answer}")?;
        out.flush()?;
    }
    Ok(())
}
