//! Sync and async built-in authorizers returning every kind of authorizer result.

use chalice_runtime::{App, AuthError, AuthRequest, AuthResponse, AuthRoute, app};
use serde_json::{Value, json};

#[app::authorizer]
fn plain(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new([AuthRoute::new("/", ["GET"])], auth.token)
        .context(json!({ "user": "alice" }))
}

#[app::authorizer]
async fn asynchronous(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token)
}

#[app::authorizer]
fn raw_policy(auth: AuthRequest) -> Value {
    json!({
        "principalId": auth.token,
        "policyDocument": {"Version": "2012-10-17", "Statement": []},
    })
}

#[app::authorizer]
fn fallible(auth: AuthRequest) -> Result<AuthResponse, AuthError> {
    if auth.token.is_empty() {
        return Err(AuthError::Unauthorized);
    }
    Ok(AuthResponse::new(["/"], auth.token))
}

#[app::authorizer]
async fn boxed(auth: AuthRequest) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let id: u32 = auth.token.parse()?;
    Ok(json!({ "principalId": id.to_string() }))
}

fn main() {
    let _ = App::new("x");
}
