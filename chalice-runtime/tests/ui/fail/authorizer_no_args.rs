use chalice_runtime::{AuthResponse, app};

#[app::authorizer]
fn auth() -> AuthResponse {
    AuthResponse::deny("user")
}

fn main() {}
