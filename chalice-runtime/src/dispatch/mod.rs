//! From an event, as Lambda delivers it, to the user's function and back: the API handler
//! (REST v1 proxy events, or an HTTP API's payload format 2.0 events) and the built-in
//! authorizers (TOKEN and REQUEST events, or 2.0 authorizer events).
//!
//! The in-process gateway and the Lambda runtime both come through here, so a view sees the
//! same request whichever front end called it.

mod api;
mod authorizer;
mod http_api;

use std::fmt;

use serde::de::DeserializeOwned;

pub(crate) use api::respond;
#[cfg(test)]
pub(crate) use api::to_request;
pub use api::{api_event_from_json, handle_api_event};
pub use authorizer::{
    AuthorizerEvent, InvalidAuthorizerAnswer, handle_authorizer_event, handle_authorizer_event_of,
    run_authorizer,
};
pub use http_api::{handle_http_api_event, http_api_event_from_json};

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
    #[serde(borrow)]
    pub(crate) version: Option<&'a str>,
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
        let error = without_values(&error.to_string());
        if path == "." {
            InvalidEvent(format!("malformed {what}: {error}"))
        } else {
            InvalidEvent(format!("malformed {what}: {path}: {error}"))
        }
    })
}

/// serde's message with each value it quotes (`invalid type: string "Bearer abc"`) replaced by
/// its kind: an event's strings are header values, tokens and query strings, and this message
/// goes back to Lambda and into the function's log. The path already says which field.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find("string \"") {
        out.push_str(&rest[..start]);
        out.push_str("a string");
        // serde quotes with `{:?}`: inside, `"` and `\` are always escaped.
        let quoted = &rest[start + "string \"".len()..];
        let mut chars = quoted.char_indices();
        let mut end = quoted.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &quoted[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::ApiGatewayProxyRequest;
    use serde_json::json;

    #[test]
    fn messages_name_the_field_but_not_the_value() {
        let event = json!({"httpMethod": "GET", "requestContext": {"httpMethod": "GET"},
                           "headers": {"Authorization": "Bearer \"t0k\\en\"\n"}});
        let error =
            typed_event::<ApiGatewayProxyRequest>(&event.to_string(), "proxy event").unwrap_err();
        assert_eq!(
            error.to_string(),
            "malformed proxy event: headers: invalid value: a string, \
             expected lots of things can go wrong with HeaderMap at line 1 column 108"
        );
    }

    #[test]
    fn every_quoted_value_goes_and_the_rest_stays() {
        assert_eq!(
            without_values(r#"invalid type: string "a\"b", expected x; string "c" and "d""#),
            r#"invalid type: a string, expected x; a string and "d""#
        );
        assert_eq!(without_values(r#"string "unterminated"#), "a string");
        assert_eq!(
            without_values("missing field `httpMethod`"),
            "missing field `httpMethod`"
        );
    }
}
