//! The hand-written `__post_init__`: the same rules as `ValidatedUser`'s
//! garde attributes, written as code that stops at the first failure.

use super::{AGE_RANGE, EMAIL_BYTES, MAX_TAGS, NAME_MAX_CHARS, TAG_MAX_BYTES, User};

/// The first rule a [`User`] breaks, as `__post_init__` would raise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    /// Which field: `name`, `tags[2]`, ...
    pub field: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

fn field_error(field: impl Into<String>, problem: &'static str) -> Result<(), FieldError> {
    Err(FieldError {
        field: field.into(),
        problem,
    })
}

impl User {
    /// The hand-written `__post_init__`: the same rules as
    /// [`ValidatedUser`](super::ValidatedUser)'s attributes, stopping at the first failure.
    ///
    /// # Errors
    /// [`FieldError`] naming the first field that breaks a rule.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.id == 0 {
            return field_error("id", "must be at least 1");
        }
        let chars = self.name.chars().count();
        if chars == 0 || chars > NAME_MAX_CHARS {
            return field_error("name", "must have 1 to 64 characters");
        }
        if self.name.trim() != self.name {
            return field_error("name", "must not start or end with whitespace");
        }
        if !(EMAIL_BYTES.0..=EMAIL_BYTES.1).contains(&self.email.len()) {
            return field_error("email", "must have 3 to 254 bytes");
        }
        if !self.email.contains('@') {
            return field_error("email", "must contain `@`");
        }
        if !(AGE_RANGE.0..=AGE_RANGE.1).contains(&self.age) {
            return field_error("age", "must be 13 to 130");
        }
        if self.tags.len() > MAX_TAGS {
            return field_error("tags", "must have at most 8 entries");
        }
        for (i, tag) in self.tags.iter().enumerate() {
            if !tag.is_ascii() || tag.is_empty() || tag.len() > TAG_MAX_BYTES {
                return field_error(format!("tags[{i}]"), "must be 1 to 32 ASCII characters");
            }
        }
        Ok(())
    }
}
