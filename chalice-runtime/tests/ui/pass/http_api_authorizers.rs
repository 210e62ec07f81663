//! An HTTP API app: a JWT authorizer with scopes, and built-in Lambda authorizers answering in
//! the simple format (plain, `Result`, `async`) or with an IAM policy.

use chalice_runtime::{
    App, AuthRequest, AuthResponse, JwtAuthorizer, SimpleAuthResponse, app,
};
use serde_json::{Value, json};

static JWT: JwtAuthorizer = JwtAuthorizer::new("jwt", "https://issuer.example.com", &["api"])
    .identity_source("$request.header.X-Jwt")
    .scopes(&["default/scope"]);

#[app::authorizer(identity_sources = ["header.X-Token"], simple_responses = true)]
fn gate(auth: AuthRequest) -> SimpleAuthResponse {
    SimpleAuthResponse::new(auth.token == "allow").context(json!({"tier": "gold"}))
}

#[app::authorizer(header = "X-Key", simple_responses = true, ttl_seconds = 0)]
async fn fallible(auth: AuthRequest) -> Result<SimpleAuthResponse, std::io::Error> {
    if auth.token.is_empty() {
        return Err(std::io::Error::other("no token"));
    }
    Ok(SimpleAuthResponse::allow())
}

#[app::authorizer(identity_sources = ["header.X-Policy"])]
fn policy(_auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/jwt"], "user")
}

#[app::route("/jwt", authorizer = JWT, scopes = ["orders/read"])]
fn with_jwt() -> Value {
    json!({})
}

#[app::route("/jwt-default", authorizer = JWT)]
fn with_default_scopes() -> Value {
    json!({})
}

#[app::route("/gate", authorizer = gate)]
fn with_gate() -> Value {
    json!({})
}

#[app::route("/fallible", authorizer = fallible)]
fn with_fallible() -> Value {
    json!({})
}

#[app::route("/policy", authorizer = policy)]
fn with_policy() -> Value {
    json!({})
}

fn main() {
    let _ = App::new("x").http_api();
}
