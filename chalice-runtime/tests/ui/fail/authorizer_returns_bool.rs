use chalice_runtime::{AuthRequest, app};

#[app::authorizer]
fn auth(auth: AuthRequest) -> bool {
    auth.token == "allow"
}

fn main() {}
