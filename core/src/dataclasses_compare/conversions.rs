//! Moving one record between the three shapes: `row._asdict()` and back,
//! and into the validated shape *unchecked* (validation is a separate,
//! explicit step).

use super::{User, UserRow, ValidatedUser};

impl From<User> for UserRow {
    fn from(u: User) -> Self {
        UserRow(u.id, u.name, u.email, u.age, u.tags)
    }
}

/// `row._asdict()`: the named form of a row.
impl From<UserRow> for User {
    fn from(UserRow(id, name, email, age, tags): UserRow) -> Self {
        User {
            id,
            name,
            email,
            age,
            tags,
        }
    }
}

impl From<User> for ValidatedUser {
    /// Moves the fields over *unchecked*; call `validate()` before trusting it.
    fn from(u: User) -> Self {
        ValidatedUser {
            id: u.id,
            name: u.name,
            email: u.email,
            age: u.age,
            tags: u.tags,
        }
    }
}
