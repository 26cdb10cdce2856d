//! The one error type of the topic: why a value was refused, naming the
//! field that refused it.

/// Why a value was refused. The field that refused it is named, as Python's
/// `__set_name__` lets a descriptor name its attribute in the message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// A number outside its range (NaN and infinities are outside every range).
    #[error("{field} must be between {min} and {max}, got {value}; the old value was kept")]
    OutOfRange {
        /// The field being set (`percent` when not set through a field).
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// The smallest allowed value.
        min: f64,
        /// The largest allowed value.
        max: f64,
    },
    /// A sensor name that breaks the naming rule.
    #[error("sensor name {name:?} is invalid: {reason}")]
    BadName {
        /// The rejected name.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
}

impl ValidationError {
    /// The same error, reported against `field` (what `__set_name__` gives a
    /// Python descriptor: the name of the attribute it guards).
    pub fn in_field(self, field: &'static str) -> Self {
        match self {
            ValidationError::OutOfRange {
                value, min, max, ..
            } => ValidationError::OutOfRange {
                field,
                value,
                min,
                max,
            },
            other => other,
        }
    }
}
