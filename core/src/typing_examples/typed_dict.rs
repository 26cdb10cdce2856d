//! TypedDict → serde structs with `deny_unknown_fields`: the shape of a
//! proxy's configuration document, every key known and every value typed
//! by the newtypes and enums beside this file.

use serde::{Deserialize, Serialize};

use super::{LogLevel, NonEmpty, Port, Weight, Workers};

// ANCHOR: upstream
/// One backend of a proxy: `class Upstream(TypedDict): host: str; port:
/// int; weight: NotRequired[int]; tls_name: NotRequired[str]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Host name or address.
    pub host: NonEmpty,
    /// Port to connect to.
    pub port: Port,
    /// Relative share of traffic. `NotRequired`, and absent means 1: the
    /// default is applied while parsing, so code never sees "absent".
    #[serde(default = "Weight::lowest")]
    pub weight: Weight,
    /// The server name to check when connecting over TLS; `None` (the key
    /// absent) connects in plain TCP. `NotRequired[str]` as `Option`: absent
    /// reads as `None`, and `None` is written back as no key at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_name: Option<NonEmpty>,
}
// ANCHOR_END: upstream

/// A proxy's configuration document: every key known, every value typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Name of the proxy, for logs.
    pub name: NonEmpty,
    /// Port the proxy listens on.
    pub listen: Port,
    /// Log verbosity, one of five names.
    pub log_level: LogLevel,
    /// Worker threads, 1–256.
    pub workers: Workers,
    /// Where requests go.
    pub upstreams: Vec<Upstream>,
}
