use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer(ttl_seconds = 7200)]
fn auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token)
}

fn main() {}
