//! Pydantic's entry points for the validated shape: the constructor that
//! validates, and `model_validate_json` — parse, then validate — with an
//! error that tells a wrong shape (serde) from broken rules (garde).

use super::ValidatedUser;

/// Why [`ValidatedUser::parse_json`] refused a record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Not JSON, or not the shape of a user (a missing, unknown or mistyped
    /// field); serde's message names the field, the line and the column.
    #[error("not a user record: {0}")]
    Json(#[from] serde_json::Error),
    /// The shape is right but values break rules; every failure, with its
    /// path.
    #[error("invalid user record: {}", one_line(.0))]
    Invalid(#[from] garde::Report),
}

/// `path: message; path: message` — a report on one line.
pub(super) fn one_line(report: &garde::Report) -> String {
    report
        .iter()
        .map(|(path, error)| format!("{path}: {error}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidatedUser {
    /// Pydantic's `UserModel(id=..., ...)`: builds and validates.
    ///
    /// # Errors
    /// A `garde::Report` with every rule the values break.
    pub fn new(
        id: u64,
        name: impl Into<String>,
        email: impl Into<String>,
        age: u8,
        tags: Vec<String>,
    ) -> Result<garde::Valid<Self>, garde::Report> {
        garde::Unvalidated::new(ValidatedUser {
            id,
            name: name.into(),
            email: email.into(),
            age,
            tags,
        })
        .validate()
    }

    // ANCHOR: parse_json
    /// `UserModel.model_validate_json(raw)`: parse, then validate.
    ///
    /// # Errors
    /// [`RecordError::Json`] when the text is not a user's shape,
    /// [`RecordError::Invalid`] when values break rules.
    pub fn parse_json(json: &str) -> Result<garde::Valid<Self>, RecordError> {
        let unchecked: garde::Unvalidated<ValidatedUser> = serde_json::from_str(json)?;
        Ok(unchecked.validate()?)
    }
    // ANCHOR_END: parse_json
}
