use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer(header = "X-Token", identity_sources = ["header.X-Token"])]
fn auth(auth: AuthRequest) -> AuthResponse {
    AuthResponse::new(["/"], auth.token)
}

fn main() {}
