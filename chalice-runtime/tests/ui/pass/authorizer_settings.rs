//! Authorizer settings, including a REQUEST authorizer with identity sources.

use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

/// A TOKEN authorizer with every setting.
#[app::authorizer(
    name = "TokenAuth",
    ttl_seconds = 3600,
    header = "X-Token",
    execution_role = "arn:aws:iam::123456789012:role/auth"
)]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/*"], auth.token)
}

#[app::authorizer(identity_sources = ["header.X-Token", "querystring.key", "stageVariables.s", "context.c"])]
async fn request_auth(auth: AuthRequest) -> AuthResponse {
    let key = auth.query_params.get("key").unwrap_or_default().to_owned();
    AuthResponse::new(["/users/*"], key)
}

#[app::authorizer(identity_sources = [], ttl_seconds = 0)]
fn uncached(_auth: AuthRequest) -> AuthResponse {
    AuthResponse::deny("nobody")
}

#[app::route("/users/{id}", methods = ["GET"], authorizer = request_auth)]
fn user(id: String, req: &Request) -> Value {
    json!({ "id": id, "context": req.context })
}

#[app::route("/token", authorizer = token_auth)]
fn token() -> &'static str {
    "ok"
}

#[app::route("/uncached", authorizer = uncached)]
fn open() -> &'static str {
    "ok"
}

fn main() {
    let _ = App::new("x");
}
