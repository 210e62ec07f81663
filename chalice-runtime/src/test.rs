//! A test client in the spirit of `chalice.test.Client`: requests go through the same API
//! Gateway model as `chalice-rs local`, authorizers included, without a network.
//!
//! ```no_run
//! # async fn demo() {
//! use chalice_runtime::{App, test::Client};
//! let client = Client::new(App::new("demoauth1"));
//! let response = client.get("/").header("Authorization", "allow").send().await;
//! assert_eq!(response.status, 200);
//! # }
//! ```

use std::time::Duration;

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::application::App;
use crate::auth_answer::AuthAnswer;
use crate::authorizer::AuthFailure;
use crate::dispatch;
use crate::gateway::{AuthDecision, Gateway, GatewayConfig, GatewayRequest};
use crate::response::Body;

pub use crate::contract::jwt::signer::JwtSigner;

/// Sends requests to an app through the API Gateway model.
#[derive(Debug)]
pub struct Client {
    app: App,
    gateway: Gateway,
}

impl Client {
    /// A client for `app` on the default stage (`api`).
    ///
    /// # Panics
    /// If the app's routes conflict (for example one path and method declared twice in two
    /// modules), or if the test program holds no route and no authorizer (a test under
    /// `tests/` of an app whose routes live in its binary): a test cannot go on, and the
    /// message says why.
    pub fn new(app: App) -> Self {
        Client::with_config(app, GatewayConfig::default())
    }

    /// A client for `app` with the given gateway configuration (stage, stage variables, ...);
    /// the API kind is the app's (`config.api_kind` is set from it).
    ///
    /// # Panics
    /// As [`Client::new`].
    pub fn with_config(app: App, mut config: GatewayConfig) -> Self {
        config.api_kind = app.api_kind();
        let registry = app
            .registry()
            .unwrap_or_else(|error| panic!("app `{}` is not valid: {error}", app.name()));
        if registry.routes().is_empty() && registry.authorizers().is_empty() {
            panic!(
                "app `{}` has no routes and no authorizers here: this test program does not \
                 contain the app's `#[app::route]`s. A test under `tests/` links only the \
                 package's library, not its binary: put the routes and authorizers in \
                 `src/lib.rs`, with a `src/main.rs` that only runs the app, and use the library \
                 from the test",
                app.name()
            );
        }
        Client {
            gateway: Gateway::new(registry, config),
            app,
        }
    }

    /// A request with any method.
    pub fn request(&self, method: &str, target: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            request: GatewayRequest::new(method, target),
        }
    }

    /// A GET request.
    pub fn get(&self, target: &str) -> RequestBuilder<'_> {
        self.request("GET", target)
    }

    /// A POST request.
    pub fn post(&self, target: &str) -> RequestBuilder<'_> {
        self.request("POST", target)
    }

    /// A PUT request.
    pub fn put(&self, target: &str) -> RequestBuilder<'_> {
        self.request("PUT", target)
    }

    /// A PATCH request.
    pub fn patch(&self, target: &str) -> RequestBuilder<'_> {
        self.request("PATCH", target)
    }

    /// A DELETE request.
    pub fn delete(&self, target: &str) -> RequestBuilder<'_> {
        self.request("DELETE", target)
    }

    /// An OPTIONS request.
    pub fn options(&self, target: &str) -> RequestBuilder<'_> {
        self.request("OPTIONS", target)
    }

    /// Calls one built-in authorizer directly, as API Gateway's Lambda invocation would.
    ///
    /// # Panics
    /// If the app has no built-in authorizer named `name`.
    pub fn authorizer(&self, name: &str) -> AuthorizerCall<'_> {
        let registry = self.gateway_registry();
        let authorizer = registry.builtin_authorizer(name).unwrap_or_else(|| {
            let names: Vec<_> = registry.authorizers().iter().map(|a| a.name()).collect();
            panic!(
                "app `{}` has no built-in authorizer `{name}` (it has {names:?})",
                self.app.name()
            )
        });
        AuthorizerCall {
            authorizer,
            kind: self.app.api_kind(),
            token: String::new(),
            method_arn: self.gateway.method_arn("GET", "/"),
            event: None,
        }
    }

    /// The gateway behind the client.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// Moves the gateway clock forward (expires cached authorizer answers).
    pub fn advance_clock(&self, by: Duration) {
        self.gateway.advance_clock(by);
    }

    /// The warnings the gateway gave, each once.
    pub fn warnings(&self) -> Vec<String> {
        self.gateway.warnings()
    }

    fn gateway_registry(&self) -> &'static crate::registry::Registry {
        self.app
            .registry()
            .unwrap_or_else(|error| panic!("{error}"))
    }
}

/// One request being built.
#[derive(Debug)]
pub struct RequestBuilder<'a> {
    client: &'a Client,
    request: GatewayRequest,
}

impl RequestBuilder<'_> {
    /// Adds a header.
    ///
    /// # Panics
    /// If the name or value is not valid HTTP.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes())
            .unwrap_or_else(|_| panic!("invalid header name {name:?}"));
        let value = HeaderValue::from_str(value)
            .unwrap_or_else(|_| panic!("invalid header value {value:?}"));
        self.request.headers.append(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.request.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json(self, value: &Value) -> Self {
        self.header("Content-Type", "application/json")
            .body(value.to_string())
    }

    /// Sets the caller's address.
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.request.source_ip = ip.to_owned();
        self
    }

    /// Sends the request through the gateway.
    pub async fn send(self) -> TestResponse {
        let answer = self.client.gateway.handle(self.request).await;
        let (status, headers, body) = answer.response.into_parts();
        TestResponse {
            status,
            headers,
            body: match body {
                Body::Empty => Vec::new(),
                Body::Text(text) => text.into_bytes(),
                Body::Binary(bytes) => bytes,
            },
            decision: answer.decision,
        }
    }
}

/// What the client got back.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// How the gateway decided on authorization.
    pub decision: AuthDecision,
}

impl TestResponse {
    /// The body as JSON.
    ///
    /// # Panics
    /// If the body is not JSON; the message shows it.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is not JSON ({error}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// One header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A direct call of one built-in authorizer.
#[derive(Debug)]
pub struct AuthorizerCall<'a> {
    authorizer: &'a crate::authorizer::BuiltinAuthorizer,
    kind: crate::ApiKind,
    token: String,
    method_arn: String,
    event: Option<Value>,
}

impl AuthorizerCall<'_> {
    /// The token of a TOKEN event; on an HTTP API, the value of the first identity source.
    pub fn token(mut self, token: &str) -> Self {
        self.token = token.to_owned();
        self
    }

    /// The method ARN of a TOKEN event (default: `GET /` on the client's stage).
    pub fn method_arn(mut self, method_arn: &str) -> Self {
        self.method_arn = method_arn.to_owned();
        self
    }

    /// A whole event instead (TOKEN or REQUEST; on an HTTP API a payload format 2.0 event), as
    /// Lambda would deliver it.
    pub fn event(mut self, event: Value) -> Self {
        self.event = Some(event);
        self
    }

    /// Runs the authorizer and returns the answer API Gateway would get.
    pub async fn invoke(self) -> Result<Value, AuthFailure> {
        let kind = self.kind;
        let event = self.event.unwrap_or_else(|| match kind {
            crate::ApiKind::Rest => serde_json::json!({
                "type": "TOKEN", "authorizationToken": self.token, "methodArn": self.method_arn
            }),
            crate::ApiKind::Http => serde_json::json!({
                "version": "2.0", "type": "REQUEST", "routeArn": self.method_arn,
                "identitySource": [self.token], "routeKey": "GET /", "rawPath": "/",
                "requestContext": {"http": {"method": "GET", "path": "/"}, "routeKey": "GET /"}
            }),
        });
        dispatch::handle_authorizer_event_of(kind, self.authorizer, &event.to_string())
            .await
            .map(AuthAnswer::into_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime's own unit tests declare no route: they are a test program that sees none,
    /// as a test under `tests/` of an app whose routes live in its binary does.
    #[test]
    #[should_panic(expected = "has no routes and no authorizers here")]
    fn a_client_for_an_app_it_cannot_see_says_why() {
        let _ = Client::new(App::new("unseen"));
    }
}
