use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::deny(auth.token)
}

#[app::route("/", authorizer = "token_auth")]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
