//! # mastery-plugin-no-entry — a library without the entry point
//!
//! It answers the handshake correctly but exports no `mastery_plugin_v1`:
//! the host names the missing symbol.

#![deny(unsafe_code)]

/// The handshake: the right version.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn mastery_plugin_abi_version() -> u32 {
    mastery_plugin_abi::ABI_VERSION
}
