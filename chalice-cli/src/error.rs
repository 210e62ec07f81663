//! The CLI's error: one message that names what is at fault (a file and key, a stage, a
//! compiler error, an AWS resource), printed once by `main`.

use std::fmt;

/// A failure of a command, with the message the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The CLI's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
