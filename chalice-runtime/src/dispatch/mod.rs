//! From an event, as Lambda delivers it, to the user's function and back: the API handler
//! (REST v1 proxy events) and the built-in authorizers (TOKEN and REQUEST events).
//!
//! The in-process gateway and the Lambda runtime both come through here, so a view sees the
//! same request whichever front end called it.

mod api;
mod authorizer;

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

pub use api::{api_event_from_json, handle_api_event};
pub use authorizer::{
    AuthorizerEvent, InvalidAuthorizerAnswer, handle_authorizer_event, run_authorizer,
};

/// An event that is not what the function was deployed to receive (wrong shape, wrong kind,
/// a field of the wrong type); its message names what is wrong, so the Lambda error says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent(String);

impl InvalidEvent {
    /// An invalid event described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        InvalidEvent(message.into())
    }
}

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidEvent {}

/// Types an event, naming the field at fault (`requestContext.httpMethod: invalid type ..`)
/// rather than only serde's bare message.
///
/// Reading from the borrowed `Value` is the fast path (it is per invocation); only a failure is
/// read again, tracking the path, for the message.
pub(crate) fn typed_event<T: DeserializeOwned>(
    event: &Value,
    what: &str,
) -> Result<T, InvalidEvent> {
    T::deserialize(event).map_err(|error| {
        let (path, error) = match serde_path_to_error::deserialize::<_, T>(event) {
            Err(tracked) => (tracked.path().to_string(), tracked.into_inner()),
            Ok(_) => (".".to_owned(), error),
        };
        if path == "." {
            InvalidEvent(format!("malformed {what}: {error}"))
        } else {
            InvalidEvent(format!("malformed {what}: {path}: {error}"))
        }
    })
}
