use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer]
fn auth(auth: &AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token.clone())
}

fn main() {}
