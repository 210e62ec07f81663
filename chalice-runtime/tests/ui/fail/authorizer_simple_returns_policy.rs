use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer(identity_sources = ["header.X-Token"], simple_responses = true)]
fn gate(_auth: AuthRequest) -> AuthResponse {
    AuthResponse::deny("user")
}

fn main() {}
