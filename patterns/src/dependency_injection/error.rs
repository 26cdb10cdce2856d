//! What can go wrong when notifying: the store does not know the user, the
//! sender refuses, or — with the service locator only — a dependency was
//! never provided.

use super::UserId;
use super::service_locator::short_type_name;

/// Why a notification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The store has no address for the user.
    #[error("no address for user {}: add one to the store before notifying them", .0.0)]
    UnknownUser(UserId),
    /// The sender refused the message.
    #[error(transparent)]
    Send(#[from] SendError),
    /// The service locator holds no service of a type the notifier needs
    /// (the only way a missing dependency gets past the compiler).
    #[error(transparent)]
    Missing(#[from] MissingService),
}

/// A sender's refusal, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sender refused the message to {to}: {reason}")]
pub struct SendError {
    /// The address the message was for.
    pub to: String,
    /// Why it was refused.
    pub reason: String,
}

/// A service asked of a [`ServiceLocator`](super::ServiceLocator) that was
/// never provided: names the type, so the fix is one `provide` away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the service locator holds no `{short}`: call `ServiceLocator::provide::<{short}>(..)` at \
     start-up (full type: `{type_name}`)",
    short = short_type_name(type_name)
)]
pub struct MissingService {
    /// The full name of the missing type (`std::any::type_name`).
    pub type_name: &'static str,
}

impl MissingService {
    /// The error for a missing `T`.
    pub fn of<T: ?Sized>() -> Self {
        MissingService {
            type_name: std::any::type_name::<T>(),
        }
    }

    /// The type's name without module paths: `Arc<dyn Sender + Send + Sync>`.
    pub fn short_name(&self) -> String {
        short_type_name(self.type_name)
    }
}
