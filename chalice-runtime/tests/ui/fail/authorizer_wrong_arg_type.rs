use chalice_runtime::{AuthResponse, app};

#[app::authorizer]
fn auth(token: String) -> AuthResponse {
    AuthResponse::new(["/"], token)
}

fn main() {}
