//! The CLI's error: one message that names what is at fault (a file and key, a stage, a
//! compiler error, an AWS resource), printed once by `main`.

use std::fmt;

/// A failure of a command, with the message the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
    detail: Option<String>,
}

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            detail: None,
        }
    }

    /// The same error with the whole story behind its one line (an AWS SDK error's chain),
    /// which `--debug` prints.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The whole story, if the message is a summary of it.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
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
