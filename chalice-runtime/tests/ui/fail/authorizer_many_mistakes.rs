use chalice_runtime::{AuthRequest, AuthResponse, app};

// Independent mistakes in one attribute are reported together, each at its own token.
#[app::authorizer(name = "has space", ttl_seconds = 7200, identity_sources = ["cookie.session"])]
fn gate(auth: AuthRequest, extra: u8) -> AuthResponse {
    AuthResponse::deny(auth.token)
}

fn main() {}
