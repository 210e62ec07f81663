use chalice_runtime::{AuthRequest, SimpleAuthResponse, app};

#[app::authorizer(identity_sources = ["header.X-Token"])]
fn gate(_auth: AuthRequest) -> SimpleAuthResponse {
    SimpleAuthResponse::allow()
}

fn main() {}
