//! The bare hyper server's answer (`{"hello":"world"}`) behind the demo app's authorizer: what
//! `bench/local-server` compares with `bare_hyper`, so the two differ only by what chalice-rs
//! adds (the authorizer, its cached policy, the proxy event, the view call), not by the demo
//! view's 29-key request context.
//!
//! `cargo run --release -p chalice-runtime --example authorized_hello -- --chalice-local 127.0.0.1:8002`

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
fn hello(_req: &Request) -> Value {
    json!({ "hello": "world" })
}

#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    App::new("authorizedhello").run()
}
