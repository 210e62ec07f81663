use chalice_runtime::{AuthRequest, AuthResponse, app};

#[app::authorizer]
fn auth(auth: AuthRequest) -> Result<AuthResponse, u16> {
    if auth.token.is_empty() {
        return Err(401);
    }
    Ok(AuthResponse::new(["/"], auth.token))
}

fn main() {}
