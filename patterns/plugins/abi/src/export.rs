//! The plugin side of the boundary: the only `unsafe` of this crate.
//! [`call_guarded`] turns raw bytes into a `&str`, runs the plugin's
//! function under `catch_unwind` and hands the answer out as an [`Output`];
//! [`free_output`] takes it back.

#![allow(unsafe_code)]

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::{Output, PluginV1, STATUS_OK, STATUS_PANICKED, STATUS_REFUSED};

/// A [`PluginV1`] that may live in a `static`.
#[derive(Debug)]
pub struct StaticTable(pub PluginV1);

// SAFETY: the table is never written after it is built, and its pointers
// are to `'static` string literals and functions, which any thread may read.
unsafe impl Sync for StaticTable {}

thread_local! {
    /// Whether this thread is inside [`call_guarded`], whose panics are
    /// reported to the host and need no printing.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Installs, once, a panic hook that stays quiet for panics inside
/// [`call_guarded`] (their message crosses to the host as the error) and
/// hands every other panic to the hook that was there before. The hook is
/// the plugin's own: a `cdylib` carries its own copy of `std`.
pub fn quiet_guarded_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `call` on the input and writes the answer to `*out`; a panic is
/// caught here and reported as [`STATUS_PANICKED`] with its message.
///
/// # Safety
/// `input` must be valid for reads of `len` bytes (it may dangle when `len`
/// is 0) and `out` must be valid for a write of one [`Output`].
pub unsafe fn call_guarded(
    input: *const u8,
    len: usize,
    out: *mut Output,
    call: fn(&str) -> Result<String, String>,
) -> u32 {
    let bytes: &[u8] = if len == 0 {
        &[]
    } else {
        // SAFETY: the caller promises `len` readable bytes at `input`.
        unsafe { std::slice::from_raw_parts(input, len) }
    };
    // ANCHOR: catch_panic
    let was_guarded = GUARDED.with(|g| g.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| match std::str::from_utf8(bytes) {
        Ok(text) => call(text),
        Err(e) => Err(format!("input is not UTF-8: {e}")),
    }));
    GUARDED.with(|g| g.set(was_guarded));
    let (status, text) = match outcome {
        Ok(Ok(answer)) => (STATUS_OK, answer),
        Ok(Err(message)) => (STATUS_REFUSED, message),
        Err(payload) => (STATUS_PANICKED, panic_message(payload.as_ref())),
    };
    // ANCHOR_END: catch_panic
    let boxed: Box<[u8]> = text.into_bytes().into_boxed_slice();
    let len = boxed.len();
    let ptr = Box::into_raw(boxed).cast::<u8>();
    // SAFETY: the caller promises `out` is writable.
    unsafe { out.write(Output { ptr, len }) };
    status
}

/// Frees what [`call_guarded`] handed out.
///
/// # Safety
/// `out` must come from [`call_guarded`] of this library, freed once.
pub unsafe extern "C" fn free_output(out: Output) {
    if out.ptr.is_null() {
        return;
    }
    let slice = std::ptr::slice_from_raw_parts_mut(out.ptr, out.len);
    // SAFETY: `ptr`/`len` are those of a `Box<[u8]>` leaked by
    // `call_guarded` in this library, handed back once.
    drop(unsafe { Box::from_raw(slice) });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shout(text: &str) -> Result<String, String> {
        match text {
            "panic!" => panic!("asked to panic"),
            "" => Err("nothing to shout".to_owned()),
            _ => Ok(text.to_uppercase()),
        }
    }

    fn call(input: &[u8]) -> (u32, String) {
        let mut out = Output::empty();
        // SAFETY: `input` is a live slice and `out` a local.
        let status = unsafe { call_guarded(input.as_ptr(), input.len(), &mut out, shout) };
        // SAFETY: `out` was filled by `call_guarded` just now.
        let text = unsafe { std::slice::from_raw_parts(out.ptr, out.len) };
        let text = String::from_utf8_lossy(text).into_owned();
        // SAFETY: handed back once.
        unsafe { free_output(out) };
        (status, text)
    }

    #[test]
    fn answers_refusals_and_panics_become_statuses() {
        assert_eq!(call(b"hi"), (STATUS_OK, "HI".to_owned()));
        assert_eq!(call(b""), (STATUS_REFUSED, "nothing to shout".to_owned()));
        assert_eq!(
            call(b"panic!"),
            (STATUS_PANICKED, "asked to panic".to_owned())
        );
        assert_eq!(call(&[0xff]).0, STATUS_REFUSED);
    }
}
