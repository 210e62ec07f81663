//! The built-in authorizers: a TOKEN or REQUEST event in, the policy out.

use std::borrow::Cow;
use std::fmt;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use serde_json::Value;

use super::{EventKind, InvalidEvent, typed_event};
use crate::api_kind::ApiKind;
use crate::auth::AuthRequest;
use crate::auth_answer::AuthAnswer;
use crate::authorizer::{AuthFailure, BuiltinAuthorizer};
use crate::contract::headers::last_value;
use crate::contract::identity::{ContextVariable, IdentityValues, identity_value};
use crate::request::MultiDict;

/// An event API Gateway sends to a Lambda authorizer.
#[derive(Debug, Clone)]
pub enum AuthorizerEvent {
    /// A TOKEN authorizer's event: the token and the method ARN.
    Token(ApiGatewayCustomAuthorizerRequest),
    /// A REQUEST authorizer's event: the whole request.
    Request(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
    /// An HTTP API Lambda authorizer's event, payload format 2.0.
    V2(Box<ApiGatewayV2CustomAuthorizerV2Request>),
}

impl AuthorizerEvent {
    /// Reads an event by its `type` field; anything malformed is an error naming what is wrong.
    pub fn from_json(event: &str) -> Result<Self, String> {
        // A JSON text that is not an object has no `type` either.
        let kind = serde_json::from_str::<EventKind<'_>>(event).unwrap_or_default();
        match kind.kind {
            Some("TOKEN") => typed_event(event, "TOKEN authorizer event")
                .map(AuthorizerEvent::Token)
                .map_err(|error| error.to_string()),
            Some("REQUEST") => typed_event(event, "REQUEST authorizer event")
                .map(|event| AuthorizerEvent::Request(Box::new(event)))
                .map_err(|error| error.to_string()),
            Some(other) => Err(format!(
                "authorizer event has type {other:?}; expected \"TOKEN\" or \"REQUEST\""
            )),
            None if kind.http_method.is_some() && kind.request_context.is_some() => Err(
                "an authorizer received an API Gateway proxy event; it serves TOKEN and \
                     REQUEST authorizer events (is the function's handler string right?)"
                    .into(),
            ),
            None => Err("authorizer event has no \"type\" field (\"TOKEN\" or \"REQUEST\")".into()),
        }
    }

    /// Reads an HTTP API authorizer's event (payload format 2.0); anything else is an error
    /// naming what is wrong.
    pub fn from_json_v2(event: &str) -> Result<Self, String> {
        let kind = serde_json::from_str::<EventKind<'_>>(event).unwrap_or_default();
        match (kind.version, kind.kind) {
            (Some("2.0"), Some("REQUEST")) => typed_event(event, "HTTP API authorizer event")
                .map(|event| AuthorizerEvent::V2(Box::new(event)))
                .map_err(|error| error.to_string()),
            (Some("2.0"), _) if kind.request_context.is_some() => Err(
                "an authorizer received an HTTP API proxy event; it serves authorizer events \
                 (is the function's handler string right?)"
                    .into(),
            ),
            (_, Some(kind @ ("TOKEN" | "REQUEST"))) => Err(format!(
                "the HTTP API authorizer received a REST API {kind} event; it serves payload \
                 format 2.0 events (\"version\": \"2.0\")"
            )),
            _ => Err(
                "not an HTTP API authorizer event (\"version\": \"2.0\", \"type\": \"REQUEST\")"
                    .into(),
            ),
        }
    }

    /// The request the user's function sees; a REQUEST event's token is its first identity
    /// source's value.
    pub fn into_auth_request(self, identity_sources: &[&str]) -> Result<AuthRequest, String> {
        match self {
            AuthorizerEvent::Token(event) => {
                let method_arn = event
                    .method_arn
                    .ok_or("TOKEN authorizer event has no methodArn")?;
                let token = event.authorization_token.unwrap_or_default();
                Ok(AuthRequest::new("TOKEN", token, method_arn))
            }
            AuthorizerEvent::Request(event) => {
                let context = serde_json::to_value(&event.request_context).ok();
                let event = *event;
                let method_arn = event
                    .method_arn
                    .ok_or("REQUEST authorizer event has no methodArn")?;
                let mut query = MultiDict::new();
                let multi = &event.multi_value_query_string_parameters;
                let source = if multi.is_empty() {
                    &event.query_string_parameters
                } else {
                    multi
                };
                for (name, value) in source.iter() {
                    query.append(name, value);
                }
                let mut headers = event.multi_value_headers;
                for (name, value) in &event.headers {
                    if !headers.contains_key(name) {
                        headers.insert(name.clone(), value.clone());
                    }
                }
                let mut request = AuthRequest::new("REQUEST", "", method_arn);
                request.method = event.http_method.map(|m| m.as_str().to_owned());
                request.path = event.path;
                request.resource = event.resource;
                request.headers = headers;
                request.query_params = query;
                request.uri_params = event.path_parameters;
                request.stage_vars = event.stage_variables;
                request.context = context;
                request.token = identity_sources
                    .first()
                    .and_then(|source| identity_value(&&request, source))
                    .map(Cow::into_owned)
                    .unwrap_or_default();
                Ok(request)
            }
            AuthorizerEvent::V2(event) => v2_auth_request(*event),
        }
    }
}

/// The request an HTTP API authorizer's function sees: the token is the first identity
/// source's value, the method ARN the route ARN, the context the 2.0 `requestContext`.
fn v2_auth_request(event: ApiGatewayV2CustomAuthorizerV2Request) -> Result<AuthRequest, String> {
    let route_arn = event
        .route_arn
        .ok_or("HTTP API authorizer event has no routeArn")?;
    let context = serde_json::to_value(&event.request_context).ok();
    let mut query = MultiDict::new();
    for (name, value) in &event.query_string_parameters {
        query.append(name, value);
    }
    let mut headers = event.headers;
    if !event.cookies.is_empty()
        && let Ok(cookie) = http::HeaderValue::from_str(&event.cookies.join("; "))
    {
        headers.insert(http::header::COOKIE, cookie);
    }
    let token = event
        .identity_source
        .as_ref()
        .and_then(|sources| sources.first().cloned())
        .unwrap_or_default();
    let mut request = AuthRequest::new("REQUEST", token, route_arn);
    request.method = Some(event.request_context.http.method.as_str().to_owned());
    request.path = event.raw_path;
    request.resource = event
        .route_key
        .as_deref()
        .and_then(|key| key.split_once(' '))
        .map(|(_, path)| path.to_owned());
    request.headers = headers;
    request.query_params = query;
    request.uri_params = event.path_parameters;
    request.stage_vars = event.stage_variables;
    request.context = context;
    Ok(request)
}

/// The event's request as a REQUEST authorizer's identity sources read it, by the same rule
/// as the in-process gateway: a context variable is read from `requestContext` by its path.
impl<'a> IdentityValues<'a> for &'a AuthRequest {
    fn header(&self, name: &str) -> Option<&'a str> {
        last_value(&self.headers, name)
    }

    fn query(&self, name: &str) -> Option<&'a str> {
        self.query_params.get(name)
    }

    fn stage_variable(&self, name: &str) -> Option<&'a str> {
        self.stage_vars.get(name).map(String::as_str)
    }

    fn context(&self, variable: ContextVariable) -> Option<Cow<'a, str>> {
        let mut value = self.context.as_ref()?;
        for key in variable.name().split('.') {
            value = value.get(key)?;
        }
        match value {
            Value::String(text) => Some(Cow::Borrowed(text)),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
            other => Some(Cow::Owned(other.to_string())),
        }
    }
}

/// An authorizer's answer that API Gateway would reject (a 500 there): its message names the
/// authorizer and the field at fault, so the Lambda error says what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidAuthorizerAnswer {
    authorizer: &'static str,
    reason: String,
}

impl fmt::Display for InvalidAuthorizerAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "authorizer `{}` returned an answer API Gateway rejects: {}",
            self.authorizer, self.reason
        )
    }
}

impl std::error::Error for InvalidAuthorizerAnswer {}

/// Runs `authorizer` on a raw event, as Lambda delivers it, and returns its policy as it will be
/// sent, after checking it as API Gateway will ([`AuthAnswer::check`]), so a nested context
/// value fails here, naming the key, instead of as an anonymous 500 in API Gateway.
///
/// A malformed event is an [`InvalidEvent`] failure and a rejected answer an
/// [`InvalidAuthorizerAnswer`] failure, both inside [`AuthFailure::Error`].
pub async fn handle_authorizer_event(
    authorizer: &BuiltinAuthorizer,
    event: &str,
) -> Result<AuthAnswer, AuthFailure> {
    handle_authorizer_event_of(ApiKind::Rest, authorizer, event).await
}

/// [`handle_authorizer_event`] for an app of `kind`: an HTTP API's authorizer reads payload
/// format 2.0 events.
pub async fn handle_authorizer_event_of(
    kind: ApiKind,
    authorizer: &BuiltinAuthorizer,
    event: &str,
) -> Result<AuthAnswer, AuthFailure> {
    let event = match kind {
        ApiKind::Rest => AuthorizerEvent::from_json(event),
        ApiKind::Http => AuthorizerEvent::from_json_v2(event),
    }
    .map_err(|message| AuthFailure::Error(Box::new(InvalidEvent::new(message))))?;
    let answer = run_authorizer(authorizer, event).await?;
    if let Err(reason) = answer.check() {
        return Err(AuthFailure::Error(Box::new(InvalidAuthorizerAnswer {
            authorizer: authorizer.name(),
            reason,
        })));
    }
    Ok(answer)
}

/// Runs `authorizer` on a typed event and returns its policy.
pub async fn run_authorizer(
    authorizer: &BuiltinAuthorizer,
    event: AuthorizerEvent,
) -> Result<AuthAnswer, AuthFailure> {
    let request = event
        .into_auth_request(authorizer.identity_sources())
        .map_err(|message| AuthFailure::Error(Box::new(InvalidEvent::new(message))))?;
    authorizer.call(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_events_become_auth_requests() {
        let event = json!({"type": "TOKEN", "authorizationToken": "authtoken",
                           "methodArn": "arn:aws:execute-api:us-west-2:1:id/dev/GET/foo"});
        let request = AuthorizerEvent::from_json(&event.to_string())
            .unwrap()
            .into_auth_request(&[])
            .unwrap();
        assert_eq!(request.auth_type, "TOKEN");
        assert_eq!(request.token, "authtoken");
        assert_eq!(
            request.method_arn,
            "arn:aws:execute-api:us-west-2:1:id/dev/GET/foo"
        );
    }

    #[test]
    fn request_events_carry_the_request_and_the_first_identity_source() {
        let event = json!({
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-west-2:1:id/dev/GET/items/7",
            "resource": "/items/{id}", "path": "/items/7", "httpMethod": "GET",
            "headers": {"X-Token": "t0k"},
            "queryStringParameters": {"key": "k"},
            "pathParameters": {"id": "7"},
            "stageVariables": {"env": "dev"},
            "requestContext": {"stage": "dev", "resourcePath": "/items/{id}"}
        });
        let request = AuthorizerEvent::from_json(&event.to_string())
            .unwrap()
            .into_auth_request(&["header.X-Token", "querystring.key"])
            .unwrap();
        assert_eq!(request.auth_type, "REQUEST");
        assert_eq!(request.token, "t0k");
        assert_eq!(request.query_params.get("key"), Some("k"));
        assert_eq!(request.uri_params["id"], "7");
        assert_eq!(request.stage_vars["env"], "dev");
        assert_eq!(request.resource.as_deref(), Some("/items/{id}"));
        assert_eq!(request.context.unwrap()["stage"], "dev");
        assert_eq!(identity_value_of("querystring.key"), Some("k".into()));
    }

    fn identity_value_of(source: &str) -> Option<String> {
        let mut request = AuthRequest::new("REQUEST", "", "arn");
        request.query_params.append("key", "k");
        identity_value(&&request, source).map(Cow::into_owned)
    }

    #[test]
    fn malformed_events_are_clear_errors() {
        let cases = [
            (json!({"authorizationToken": "x"}), "no \"type\""),
            (json!({"type": "WEIRD"}), "\"WEIRD\""),
            (
                json!({"type": "TOKEN", "authorizationToken": 5}),
                "malformed TOKEN",
            ),
            (json!([1, 2]), "no \"type\""),
        ];
        for (event, expected) in cases {
            let error = AuthorizerEvent::from_json(&event.to_string()).unwrap_err();
            assert!(error.contains(expected), "{event}: {error}");
        }
        let no_arn = AuthorizerEvent::from_json(r#"{"type": "TOKEN", "authorizationToken": "x"}"#)
            .unwrap()
            .into_auth_request(&[])
            .unwrap_err();
        assert!(no_arn.contains("methodArn"), "{no_arn}");
    }
}
