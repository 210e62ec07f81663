use chalice_runtime::{AuthRequest, SimpleAuthResponse, app};

#[app::authorizer(simple_responses = "yes")]
fn gate(_auth: AuthRequest) -> SimpleAuthResponse {
    SimpleAuthResponse::allow()
}

fn main() {}
