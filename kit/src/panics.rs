//! Panics as values: their message, and keeping a demo's deliberate panics
//! off stderr.
//!
//! [`panic_message`] turns a caught panic's payload into text; the runner,
//! the task groups and the worker pools all report panics with it.
//!
//! Topics about failure (task groups, RAII on unwind, a batching service
//! isolating a crashing handler) panic on purpose; the default hook would
//! print each one, with a backtrace under `RUST_BACKTRACE`, in the middle of
//! the story. [`quiet_panics_starting_with`] installs one hook, once per
//! process, that drops panics whose message starts with a registered
//! prefix and hands every other panic to the hook that was there before.

use std::any::Any;
use std::panic;
use std::sync::{Mutex, Once};

/// The message of a caught panic: the `&str` or `String` that `panic!`
/// carries, or a placeholder for any other payload.
///
/// Pass the payload itself (`&*boxed`), not a reference to its `Box`: a
/// `&Box<dyn Any + Send>` is itself a `&dyn Any` whose type is the box, and
/// would always give the placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}

static PREFIXES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();

/// Silences panics whose message starts with `prefix` (a demo's own marker,
/// such as `"demo panic:"`); any other panic still reaches the previous
/// hook. Calling it again with the same prefix does nothing.
pub fn quiet_panics_starting_with(prefix: &'static str) {
    {
        let mut prefixes = PREFIXES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
    }
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied());
            if !message.is_some_and(is_quiet) {
                previous(info);
            }
        }));
    });
}

fn is_quiet(message: &str) -> bool {
    PREFIXES
        .lock()
        .map(|prefixes| prefixes.iter().any(|p| message.starts_with(p)))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_from_str_and_string_payloads() {
        let caught = |f: fn()| panic::catch_unwind(f).expect_err("it panics");
        quiet_panics_starting_with("kit test panic:");
        let literal = caught(|| panic!("kit test panic: literal"));
        assert_eq!(panic_message(&*literal), "kit test panic: literal");
        let formatted = caught(|| panic!("kit test panic: {}", 42));
        assert_eq!(panic_message(&*formatted), "kit test panic: 42");
        let other: Box<dyn Any + Send> = Box::new(7_u8);
        assert_eq!(panic_message(&*other), "a panic with a non-string payload");
    }

    #[test]
    fn registered_prefixes_are_quiet_and_others_are_not() {
        quiet_panics_starting_with("kit test panic:");
        quiet_panics_starting_with("kit test panic:");
        assert!(is_quiet("kit test panic: on purpose"));
        assert!(!is_quiet("index out of bounds"));
        let caught = panic::catch_unwind(|| panic!("kit test panic: on purpose"));
        assert!(caught.is_err());
        assert_eq!(
            PREFIXES
                .lock()
                .map(|p| p.iter().filter(|x| **x == "kit test panic:").count())
                .unwrap_or(0),
            1
        );
    }
}
