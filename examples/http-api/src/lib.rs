//! The HTTP API example (`httpapi1`): an app served by an API Gateway HTTP API, with a JWT
//! authorizer, a built-in Lambda authorizer answering in the simple format, and an IAM route.
//!
//! - `jwt`: tokens of `https://issuer.example.com` for the audience `orders-api`, read from the
//!   `Authorization` header (`Bearer <token>` or the token alone);
//! - `gate` (payload 2.0, simple responses), identity source header `X-Token`: `allow` is
//!   authorized with the context `{"tier": "gold"}`, `error` makes the function fail (API
//!   Gateway: 500), anything else is not authorized (403);
//! - `GET /health` (public), `GET /orders/{id}` (`jwt`, scope `orders/read`), `POST /orders`
//!   (`jwt`, scope `orders/write`), `GET /profile` (`gate`), `GET /admin` (IAM).
//!
//! Each authorized view answers `{"authorizer": <requestContext.authorizer>, ..}`: the
//! `{"jwt": {"claims": .., "scopes": ..}}` or `{"lambda": {..}}` object API Gateway passes.

use std::fmt;

use chalice_runtime::{
    App, AuthRequest, IamAuthorizer, JwtAuthorizer, Request, SimpleAuthResponse, app,
};
use serde_json::{Value, json};

/// The app, served by an HTTP API.
pub fn app() -> App {
    App::new("httpapi1").http_api()
}

/// The JWT authorizer: API Gateway verifies the issuer's tokens itself.
pub static JWT: JwtAuthorizer =
    JwtAuthorizer::new("jwt", "https://issuer.example.com", &["orders-api"]);

/// IAM (SigV4) authorization, which `chalice-rs local` cannot check.
pub static IAM: IamAuthorizer = IamAuthorizer::new();

/// What `gate` fails with on the token `error`.
#[derive(Debug)]
pub struct GateError;

impl fmt::Display for GateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the gate is broken (token `error`)")
    }
}

impl std::error::Error for GateError {}

#[app::authorizer(identity_sources = ["header.X-Token"], simple_responses = true)]
fn gate(auth: AuthRequest) -> Result<SimpleAuthResponse, GateError> {
    match auth.token.as_str() {
        "allow" => Ok(SimpleAuthResponse::allow().context(json!({"tier": "gold"}))),
        "error" => Err(GateError),
        _ => Ok(SimpleAuthResponse::deny()),
    }
}

/// `requestContext.authorizer`, as API Gateway passed it (`{"jwt": ..}` or `{"lambda": ..}`).
fn authorizer(req: &Request) -> Value {
    serde_json::to_value(&req.context.authorizer).unwrap_or_default()
}

#[app::route("/health")]
fn health() -> Value {
    json!({"ok": true})
}

#[app::route("/orders/{id}", authorizer = JWT, scopes = ["orders/read"])]
fn get_order(id: String, req: &Request) -> Value {
    json!({"authorizer": authorizer(req), "id": id})
}

#[app::route("/orders", methods = ["POST"], authorizer = JWT, scopes = ["orders/write"])]
fn create_order(req: &Request) -> Result<Value, chalice_runtime::Error> {
    let order = req.json_body()?;
    Ok(json!({"authorizer": authorizer(req), "order": order}))
}

#[app::route("/profile", authorizer = gate)]
fn profile(req: &Request) -> Value {
    json!({"authorizer": authorizer(req)})
}

#[app::route("/admin", authorizer = IAM)]
fn admin(req: &Request) -> Value {
    json!({"authorizer": authorizer(req), "admin": true})
}
