//! The authorization guide's demo app: `demo_auth` allows the token `allow` on `/` and denies
//! anything else; `index` returns the request context, the authorizer's output included.

use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

#[app::authorizer]
fn demo_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["/"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::route("/", authorizer = demo_auth)]
fn index(req: &Request) -> Value {
    json!({ "context": req.context })
}

#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    App::new("demoauth1").run()
}

#[cfg(test)]
mod tests;
