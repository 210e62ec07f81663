use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer]
fn auth(auth: AuthRequest, extra: String) -> AuthResponse {
    AuthResponse::new(["/"], auth.token + &extra)
}

#[app::route("/", authorizer = auth)]
fn index() -> &'static str {
    "ok"
}

fn main() {}
