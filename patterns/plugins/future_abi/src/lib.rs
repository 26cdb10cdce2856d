//! # mastery-plugin-future-abi — a plugin built for another ABI
//!
//! It answers the handshake with version 99 and exports a table the host
//! must never read: the host refuses it before looking further.

#![deny(unsafe_code)]

/// The handshake: an ABI version this host does not speak.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn mastery_plugin_abi_version() -> u32 {
    mastery_plugin_abi::ABI_VERSION + 98
}

/// A version-99 entry point; its table's layout is not version 1's.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn mastery_plugin_v1() -> *const u64 {
    static NOT_A_V1_TABLE: [u64; 2] = [99, 99];
    NOT_A_V1_TABLE.as_ptr()
}
