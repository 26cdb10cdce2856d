//! # mastery-plugin-abi — the contract a plugin library exports
//!
//! Rust has no stable ABI: two crates built by different compilers, or
//! with different flags, may lay out the same `struct` differently. So a
//! plugin library and its host share only C-compatible things: the
//! `#[repr(C)]` [`PluginV1`] table of function pointers, plain integers and
//! byte pointers.
//!
//! A plugin exports two unmangled functions:
//! - [`VERSION_SYMBOL`], `extern "C" fn() -> u32`, which returns the ABI
//!   version it was built for. Its signature never changes, so the host can
//!   always ask it first: the *handshake*.
//! - [`ENTRY_SYMBOL`], `extern "C" fn() -> *const PluginV1`. The host reads
//!   that table only when the version matched [`ABI_VERSION`]; a future
//!   version changes the table and the symbol's name (`mastery_plugin_v2`).
//!
//! [`export_plugin!`] writes both for a `fn(&str) -> Result<String, String>`,
//! and runs it under `catch_unwind`: a panic unwinding out of an
//! `extern "C"` function aborts the whole process, so it must stop inside
//! the plugin and cross as a status ([`STATUS_PANICKED`]) and a message
//! (the plugin's panic hook stays quiet for those: the host reports them).
//!
//! Text the plugin returns is allocated by the plugin's allocator and must
//! be freed by it: the host hands every [`Output`] back to
//! [`PluginV1::free`].

#![deny(unsafe_code)]

use std::ffi::c_char;

/// The ABI version this crate describes.
pub const ABI_VERSION: u32 = 1;
/// `extern "C" fn() -> u32`: the plugin's ABI version (the handshake).
pub const VERSION_SYMBOL: &str = "mastery_plugin_abi_version";
/// `extern "C" fn() -> *const PluginV1`: the plugin's table, version 1.
pub const ENTRY_SYMBOL: &str = "mastery_plugin_v1";

/// The call succeeded; the output is the answer.
pub const STATUS_OK: u32 = 0;
/// The plugin refused the input; the output is its message.
pub const STATUS_REFUSED: u32 = 1;
/// The plugin panicked and caught it; the output is the panic message.
pub const STATUS_PANICKED: u32 = 2;

/// The type of the [`VERSION_SYMBOL`] function.
pub type AbiVersionFn = unsafe extern "C" fn() -> u32;
/// The type of the [`ENTRY_SYMBOL`] function.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginV1;

/// Bytes the plugin allocated and hands to the host, which returns them to
/// [`PluginV1::free`] when it has copied them.
#[repr(C)]
#[derive(Debug)]
pub struct Output {
    /// Start of the bytes (UTF-8), or null for none.
    pub ptr: *mut u8,
    /// How many bytes.
    pub len: usize,
}

impl Output {
    /// No bytes: what the host passes in for the plugin to fill.
    pub const fn empty() -> Self {
        Output {
            ptr: std::ptr::null_mut(),
            len: 0,
        }
    }
}

/// What a version-1 plugin exports: its name, its version and two
/// functions. Every pointer is valid for the life of the loaded library.
#[repr(C)]
#[derive(Debug)]
pub struct PluginV1 {
    /// The plugin's name, NUL-terminated UTF-8.
    pub name: *const c_char,
    /// The plugin's version, NUL-terminated UTF-8.
    pub version: *const c_char,
    /// Runs the plugin on `len` bytes of UTF-8 at `input`, writes the
    /// answer or the message to `*out` and returns a `STATUS_*` value.
    pub call: unsafe extern "C" fn(input: *const u8, len: usize, out: *mut Output) -> u32,
    /// Frees an [`Output`] this plugin filled.
    pub free: unsafe extern "C" fn(out: Output),
}

pub mod export;

/// Exports a plugin: `export_plugin!(name: "rot13", version: "1.0.0", call: my_fn)`
/// where `my_fn: fn(&str) -> Result<String, String>`. Writes the two
/// symbols of the ABI; a panic in `my_fn` is caught and reported as
/// [`STATUS_PANICKED`].
#[macro_export]
macro_rules! export_plugin {
    (name: $name:literal, version: $version:literal, call: $call:path $(,)?) => {
        /// The handshake: the ABI version this plugin was built for.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn mastery_plugin_abi_version() -> u32 {
            $crate::ABI_VERSION
        }

        /// The plugin's table (ABI version 1).
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn mastery_plugin_v1() -> *const $crate::PluginV1 {
            $crate::export::quiet_guarded_panics();
            static PLUGIN: $crate::export::StaticTable =
                $crate::export::StaticTable($crate::PluginV1 {
                    name: concat!($name, "\0").as_ptr().cast(),
                    version: concat!($version, "\0").as_ptr().cast(),
                    call: __mastery_plugin_call,
                    free: $crate::export::free_output,
                });
            &PLUGIN.0
        }

        #[allow(unsafe_code)]
        unsafe extern "C" fn __mastery_plugin_call(
            input: *const u8,
            len: usize,
            out: *mut $crate::Output,
        ) -> u32 {
            // SAFETY: the host keeps the ABI's promises (`input` valid for
            // `len` bytes, `out` writable), which is what `call_guarded` needs.
            unsafe { $crate::export::call_guarded(input, len, out, $call) }
        }
    };
}
