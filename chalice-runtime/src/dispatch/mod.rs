//! From an event, as Lambda delivers it, to the user's function and back: the API handler
//! (REST v1 proxy events) and the built-in authorizers (TOKEN and REQUEST events).
//!
//! The in-process gateway and the Lambda runtime both come through here, so a view sees the
//! same request whichever front end called it.

mod api;
mod authorizer;

use std::fmt;

use serde::de::DeserializeOwned;

pub use api::{api_event_from_json, handle_api_event};
pub use authorizer::{
    AuthorizerEvent, InvalidAuthorizerAnswer, handle_authorizer_event, run_authorizer,
};

/// What kind of event a JSON text is, read without building the rest: authorizer events say
/// `type` and `methodArn`, proxy events `httpMethod` and `requestContext`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub(crate) struct EventKind<'a> {
    #[serde(rename = "type", borrow)]
    pub(crate) kind: Option<&'a str>,
    #[serde(rename = "methodArn")]
    pub(crate) method_arn: Option<serde::de::IgnoredAny>,
    #[serde(rename = "httpMethod")]
    pub(crate) http_method: Option<serde::de::IgnoredAny>,
    #[serde(rename = "requestContext")]
    pub(crate) request_context: Option<serde::de::IgnoredAny>,
}

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

/// Types an event straight from its JSON text, naming the field at fault
/// (`requestContext.httpMethod: invalid type ..`) rather than only serde's bare message.
///
/// One pass from text to the typed event is the fast path (it is per invocation: going through
/// a `Value` first costs more than all the rest); only a failure is read again, tracking the
/// path, for the message.
pub(crate) fn typed_event<T: DeserializeOwned>(event: &str, what: &str) -> Result<T, InvalidEvent> {
    serde_json::from_str(event).map_err(|error| {
        let mut tracked = serde_json::Deserializer::from_str(event);
        let (path, error) = match serde_path_to_error::deserialize::<_, T>(&mut tracked) {
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
