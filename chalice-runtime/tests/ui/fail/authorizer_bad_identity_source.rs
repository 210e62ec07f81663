use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer(identity_sources = ["header.X-Token", "cookie.x"])]
fn auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token)
}

fn main() {}
