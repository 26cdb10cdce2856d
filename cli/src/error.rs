//! The app's one error type, and the exit code each kind of failure maps to.
//!
//! Two kinds are enough for a user: *you asked for something wrong* (exit 2,
//! fix the command or the configuration) and *what you asked for failed*
//! (exit 1, a topic failed, a worker died, output could not be written).

/// Exit code for a failed topic, a failed command or an I/O error.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for usage and configuration errors.
pub const EXIT_USAGE: u8 = 2;

/// What went wrong, and therefore which exit code.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The user asked for something that does not exist or is misconfigured.
    #[error("{0}")]
    Usage(String),
    /// Something failed while doing what was asked.
    #[error("{0:#}")]
    Failure(anyhow::Error),
}

impl AppError {
    /// A usage error with this message.
    pub fn usage(message: impl Into<String>) -> Self {
        AppError::Usage(message.into())
    }

    /// A failure caused by `error`.
    pub fn failure(error: impl Into<anyhow::Error>) -> Self {
        AppError::Failure(error.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Usage(_) => EXIT_USAGE,
            AppError::Failure(_) => EXIT_FAILURE,
        }
    }

    /// Whether this is stdout closing under us (`mastery list | head`),
    /// which is the reader's choice and not an error.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            AppError::Failure(e) => e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe),
            AppError::Usage(_) => false,
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        AppError::Failure(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_their_exit_codes() {
        assert_eq!(AppError::usage("bad flag").exit_code(), EXIT_USAGE);
        assert_eq!(
            AppError::failure(anyhow::anyhow!("worker died")).exit_code(),
            EXIT_FAILURE
        );
    }

    #[test]
    fn only_a_closed_stdout_counts_as_a_broken_pipe() {
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(AppError::from(pipe).is_broken_pipe());
        let other = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert!(!AppError::from(other).is_broken_pipe());
        assert!(!AppError::usage("x").is_broken_pipe());
    }
}
