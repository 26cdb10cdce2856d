//! # Dependency injection / service locator
//!
//! ## Python idiom
//! A class takes what it needs in `__init__` instead of reaching for a
//! global, so a test can hand it a fake:
//!
//! ```python
//! class Notifier:
//!     def __init__(self, clock: Clock, store: Store, sender: Sender):
//!         self.clock, self.store, self.sender = clock, store, sender
//!
//!     def notify(self, user: int, body: str) -> Receipt:
//!         address = self.store.address_of(user)
//!         return self.sender.send(address, body, at=self.clock.now())
//!
//! notifier = Notifier(FakeClock(0), MemoryStore({7: "ada@example.com"}), RecordingSender())
//! ```
//!
//! Larger programs add a *container* (`dependency-injector`, `injector`,
//! FastAPI's `Depends`): a registry that builds and hands out services by
//! type or name. Either way the wiring is checked when the code runs: a
//! forgotten argument is a `TypeError` at the call, a service nobody
//! registered a `KeyError` (or a `None`) the first time something asks for
//! it — possibly long after start-up, in the one request that needs it.
//!
//! ## Rust answer
//! The same notifier ([`Clock`], [`Store`], [`Sender`]; one function,
//! [`deliver`], does the work) wired four ways, from "the compiler checks
//! everything" to "the program checks when asked":
//!
//! - **Generic parameters** — [`GenericNotifier<C, S, T>`](GenericNotifier).
//!   Constructor injection where every dependency's *type* is part of the
//!   notifier's type: each call is compiled for exactly those types and
//!   inlined. A missing dependency, or one that does not implement its
//!   trait, does not compile.
//! - **`&dyn Trait`** — [`BorrowedNotifier<'a>`](BorrowedNotifier). One
//!   compiled notifier for every implementation; each call goes through a
//!   vtable. The borrow checker adds a check of its own: a dependency that
//!   does not outlive the notifier does not compile.
//! - **`Arc<dyn Trait>`** — [`SharedNotifier`]. Owned, shared, `Send +
//!   Sync`, `'static`: what goes into application state shared by threads
//!   or tasks. A dependency that is not thread-safe does not compile.
//! - **A `TypeId`-keyed service locator** — [`ServiceLocator`], a type map
//!   (`HashMap<TypeId, Box<dyn Any>>`) that [`LocatorNotifier`] asks for
//!   each dependency on every call. This is the container, and the only
//!   way where a missing dependency compiles: asking for it returns
//!   [`MissingService`], an `Err` that names the type — never a panic.
//!   [`LocatorNotifier::checked`] asks for everything once, at start-up.
//!
//! The real-world anchor is `axum`. `State<S>` is the first three ways:
//! the router's state type is part of the router's type, and a handler
//! asking for a state the router does not have is a compile error.
//! `Extension<T>` is the fourth: extensions live in `http::Extensions`, a
//! type map keyed by `TypeId`, so a handler asking for an extension nobody
//! added compiles and fails each request with a 500, "Missing request
//! extension". axum's own docs recommend `State` for that reason. The
//! locator here keeps `http::Extensions`' trick of not hashing a `TypeId`
//! again ([`TypeIdHasher`]): it already is a hash.
//!
//! ```
//! use std::sync::Arc;
//! use mastery_patterns::dependency_injection::{
//!     FixedClock, GenericNotifier, LocatorNotifier, MemoryStore, RecordingSender,
//!     ServiceLocator, SharedClock, SharedStore, Timestamp, UserId,
//! };
//!
//! let store = MemoryStore::from_iter([(UserId(7), "ada@example.com")]);
//! let sender = RecordingSender::default();
//! let notifier = GenericNotifier::new(FixedClock(Timestamp(60)), store, &sender);
//! notifier.notify(UserId(7), "build is green")?;
//! assert_eq!(sender.sent()[0].to, "ada@example.com");
//!
//! // The locator compiles with the sender forgotten, and says so when asked.
//! let mut services = ServiceLocator::new();
//! services.provide::<SharedClock>(Arc::new(FixedClock(Timestamp(60))));
//! services.provide::<SharedStore>(Arc::new(MemoryStore::default()));
//! let error = LocatorNotifier::checked(Arc::new(services)).unwrap_err();
//! assert_eq!(error.short_name(), "Arc<dyn Sender + Send + Sync>");
//! # Ok::<(), mastery_patterns::dependency_injection::NotifyError>(())
//! ```
//!
//! ## When to use which
//! - **Generics** by default, for code you own: the wiring is checked, the
//!   calls inline, and a test double is just another type. The price is
//!   in the types: `GenericNotifier<C, S, T>` spreads its parameters to
//!   every struct that holds one, each new combination is compiled again,
//!   and two notifiers wired differently are different types (they do not
//!   fit in one `Vec`).
//! - **`&dyn`** when the dependencies are borrowed for a scope (a request, a
//!   test) and one compiled copy is enough: no parameters, no allocation.
//!   It cannot be stored past the owners' lifetime.
//! - **`Arc<dyn>`** for long-lived application state handed to threads or
//!   async tasks, or chosen at run time from configuration (a real sender in
//!   production, a logging one in staging). This is what most services
//!   built on `axum` or `tonic` put in their `State`.
//! - **A service locator** only where the set of services is open and not
//!   known to the code that needs them: a plugin host, a framework's
//!   per-request extensions, a middleware passing a value down. It hides
//!   what a component depends on (its constructor no longer says), turns
//!   a compile error into a run-time one, and pays a lookup per use. If you
//!   use one, resolve everything once at start-up
//!   ([`LocatorNotifier::checked`]) so a missing service stops the program
//!   before it serves anyone.
//!
//! A test double costs the same to write for every way: a type that
//! implements the trait ([`FixedClock`], [`RecordingSender`]). To inject it,
//! the generic way compiles a notifier for it, `&dyn` borrows it, `Arc<dyn>`
//! needs it thread-safe (a `Mutex` in the recording sender, not a
//! `RefCell`), and the locator replaces an entry — nothing checks that the
//! test provided everything the code will ask for.
//!
//! ## What it costs
//! The demo measures, with paired samples:
//! - **One `notify` call per way**, `&dyn`, `Arc<dyn>` and the locator
//!   each against the generic notifier, on dependencies that do almost
//!   nothing, so what differs is the wiring: inlined calls against three
//!   vtable calls, against three type-map lookups and three vtable calls.
//! - **One service lookup**: the locator's `get::<T>()` against a direct
//!   field access (what the compiled wirings do), and against a plain
//!   `HashMap<TypeId, Box<dyn Any>>` with the standard SipHash hasher, the
//!   cost of hashing a key that is already a hash.
//!
//! It also records the size of each notifier, and prints the compiler's
//! words for each compile-time refusal next to the locator's `Err`. Not
//! measured at run time: the generic way's compile time and code size
//! grow with each combination of types it is instantiated for.
//!
//! ## Run it
//! `mastery run patterns/dependency-injection` (the four wirings, what a
//! missing dependency does in each, the call and lookup costs), and
//! `cargo test -p mastery-patterns dependency_injection` (a test double
//! injected per way, the locator's errors, doctests) plus `cargo test -p
//! mastery-patterns --test dependency_injection_ui` (the compile-fail
//! cases in `tests/ui/dependency_injection/`). The code: the core below
//! (the traits, [`deliver`] and the generic wiring); `trait_objects.rs`
//! (`&dyn` and `Arc<dyn>`), `service_locator.rs` (the type map and its
//! notifier), `services.rs` (a system clock, two stores, test doubles),
//! `error.rs`, `demo.rs`, `tests.rs`.

mod demo;
mod error;
mod service_locator;
mod services;
#[cfg(test)]
mod tests;
mod trait_objects;

pub use error::{MissingService, NotifyError, SendError};
pub use service_locator::{LocatorNotifier, ServiceLocator, TypeIdHasher, short_type_name};
pub use services::{
    FixedClock, IndexedStore, MemoryStore, NullSender, RecordingSender, SentMessage, SystemClock,
};
pub use trait_objects::{BorrowedNotifier, SharedClock, SharedNotifier, SharedSender, SharedStore};

// ANCHOR: core
// Three dependencies, each a trait with the one method the notifier
// needs. `deliver` is the whole application; each wiring only decides how
// it reaches its three dependencies. A `?Sized` bound lets the same
// function take `dyn Clock` as well as a concrete clock: the `&dyn`
// wirings call `deliver::<dyn Clock, dyn Store, dyn Sender>`, the generic
// one `deliver::<C, S, T>`, inlined.

/// Seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

/// Whom to notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u32);

/// Tells the time: `time.time` behind a seam a test can replace.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// Knows where to reach each user.
pub trait Store {
    /// The address of `user`, if the store knows one.
    fn address_of(&self, user: UserId) -> Option<&str>;
}

/// One notification on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// The recipient's address.
    pub to: &'a str,
    /// What to tell them.
    pub body: &'a str,
    /// When it was sent.
    pub at: Timestamp,
}

/// Delivers a message (mail, chat, a queue).
pub trait Sender {
    /// Sends `message`, or says why it could not.
    fn send(&self, message: &Message<'_>) -> Result<(), SendError>;
}

/// What a successful `notify` hands back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// Who was notified.
    pub user: UserId,
    /// When.
    pub at: Timestamp,
    /// How many bytes of body went out.
    pub bytes: usize,
}

/// The application: look the user up, stamp the time, send.
///
/// # Errors
/// [`NotifyError::UnknownUser`] when the store has no address for `user`,
/// [`NotifyError::Send`] when the sender refuses.
pub fn deliver<C, S, T>(
    clock: &C,
    store: &S,
    sender: &T,
    user: UserId,
    body: &str,
) -> Result<Receipt, NotifyError>
where
    C: Clock + ?Sized,
    S: Store + ?Sized,
    T: Sender + ?Sized,
{
    let to = store
        .address_of(user)
        .ok_or(NotifyError::UnknownUser(user))?;
    let at = clock.now();
    sender.send(&Message { to, body, at })?;
    Ok(Receipt {
        user,
        at,
        bytes: body.len(),
    })
}

/// Way 1, constructor injection through generic parameters: the types of
/// the dependencies are part of the notifier's type, so the compiler checks
/// the wiring and inlines every call.
#[derive(Debug, Clone)]
pub struct GenericNotifier<C, S, T> {
    clock: C,
    store: S,
    sender: T,
}

impl<C: Clock, S: Store, T: Sender> GenericNotifier<C, S, T> {
    /// Wires the three dependencies; leaving one out does not compile.
    pub fn new(clock: C, store: S, sender: T) -> Self {
        GenericNotifier {
            clock,
            store,
            sender,
        }
    }

    /// Notifies `user`; see [`deliver`].
    ///
    /// # Errors
    /// As [`deliver`].
    pub fn notify(&self, user: UserId, body: &str) -> Result<Receipt, NotifyError> {
        deliver(&self.clock, &self.store, &self.sender, user, body)
    }
}

// A reference to a dependency is a dependency: `&RecordingSender` lets a
// test keep the double and read what it recorded after the notifier used it.
impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<S: Store + ?Sized> Store for &S {
    fn address_of(&self, user: UserId) -> Option<&str> {
        (**self).address_of(user)
    }
}

impl<T: Sender + ?Sized> Sender for &T {
    fn send(&self, message: &Message<'_>) -> Result<(), SendError> {
        (**self).send(message)
    }
}
// ANCHOR_END: core
