//! Way 4: a service locator, the container of Python DI frameworks. A type
//! map — `HashMap<TypeId, Box<dyn Any>>` — holds one value per type; code
//! asks for a type and gets it, or an `Err` naming the type. This is what
//! `http::Extensions` is, and so what `axum`'s `Extension<T>` reads.
//!
//! A `TypeId` is already a hash the compiler computed, so hashing it again
//! with SipHash is wasted work; [`TypeIdHasher`] passes it through, as
//! `http::Extensions` does. Unlike http's hasher, which treats any other
//! input as unreachable, it mixes arbitrary bytes too: `TypeId`'s `Hash`
//! is an implementation detail that may change, and a lookup must not
//! panic when it does.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::{
    MissingService, NotifyError, Receipt, SharedClock, SharedSender, SharedStore, UserId, deliver,
};

/// A hasher for `TypeId` keys: keeps the 64 bits `TypeId` writes as they
/// are, and folds any other bytes in with an FNV-1a step.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Not the path `TypeId` takes today (it writes one u64), but a
        // correct hash if it ever does.
        const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 ^= value;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A type map: at most one service per type, found by its `TypeId`.
#[derive(Default)]
pub struct ServiceLocator {
    services: HashMap<TypeId, Box<dyn Any + Send + Sync>, BuildHasherDefault<TypeIdHasher>>,
}

impl ServiceLocator {
    /// An empty locator.
    pub fn new() -> Self {
        Self::default()
    }

    // ANCHOR: provide_get
    /// Registers `service` under its type `T`; returns the service it
    /// replaced. Name the type when it is a trait object
    /// (`provide::<SharedClock>(Arc::new(..))`): the key is the exact type.
    pub fn provide<T: Any + Send + Sync>(&mut self, service: T) -> Option<T> {
        let previous = self.services.insert(TypeId::of::<T>(), Box::new(service))?;
        previous.downcast::<T>().ok().map(|boxed| *boxed)
    }

    /// The service of type `T`.
    ///
    /// # Errors
    /// [`MissingService`] naming `T` when none was provided — what the
    /// compiler catches for the other three wirings.
    pub fn get<T: Any>(&self) -> Result<&T, MissingService> {
        self.services
            .get(&TypeId::of::<T>())
            .and_then(|service| service.downcast_ref::<T>())
            .ok_or_else(MissingService::of::<T>)
    }
    // ANCHOR_END: provide_get

    /// Whether a service of type `T` was provided.
    pub fn contains<T: Any>(&self) -> bool {
        self.services.contains_key(&TypeId::of::<T>())
    }

    /// How many services the locator holds.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether the locator holds no service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

impl fmt::Debug for ServiceLocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceLocator")
            .field("services", &self.services.len())
            .finish()
    }
}

/// Way 4: a notifier that asks the locator for its dependencies on every
/// call, as a handler reads `Extension<T>` from each request. Its
/// constructor says nothing about what it needs; `notify` finds out.
#[derive(Debug, Clone)]
pub struct LocatorNotifier {
    services: Arc<ServiceLocator>,
}

impl LocatorNotifier {
    /// A notifier over `services`, checked only when it is used.
    pub fn new(services: Arc<ServiceLocator>) -> Self {
        LocatorNotifier { services }
    }

    // ANCHOR: checked
    /// A notifier over `services` that first resolves each dependency once,
    /// so a missing one stops start-up instead of a later call.
    ///
    /// # Errors
    /// [`MissingService`] naming the first dependency not provided.
    pub fn checked(services: Arc<ServiceLocator>) -> Result<Self, MissingService> {
        services.get::<SharedClock>()?;
        services.get::<SharedStore>()?;
        services.get::<SharedSender>()?;
        Ok(LocatorNotifier { services })
    }
    // ANCHOR_END: checked

    /// Notifies `user`, resolving the clock, the store and the sender first.
    ///
    /// # Errors
    /// [`NotifyError::Missing`] naming a dependency nobody provided, else as
    /// [`deliver`].
    pub fn notify(&self, user: UserId, body: &str) -> Result<Receipt, NotifyError> {
        let clock = self.services.get::<SharedClock>()?;
        let store = self.services.get::<SharedStore>()?;
        let sender = self.services.get::<SharedSender>()?;
        deliver(&**clock, &**store, &**sender, user, body)
    }
}

/// A type name without its module paths, for messages a person reads:
/// `alloc::sync::Arc<dyn my_crate::Sender + core::marker::Send>` becomes
/// `Arc<dyn Sender + Send>`.
pub fn short_type_name(full: &str) -> String {
    let mut short = String::with_capacity(full.len());
    let mut path = String::new();
    for ch in full.chars() {
        if ch.is_alphanumeric() || ch == '_' || ch == ':' {
            path.push(ch);
            continue;
        }
        short.push_str(last_segment(&path));
        path.clear();
        short.push(ch);
    }
    short.push_str(last_segment(&path));
    short
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}
