use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer(ttl = 60)]
fn auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token)
}

fn main() {}
