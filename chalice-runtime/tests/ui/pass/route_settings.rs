//! `name`, `cors`, `content_types` and `api_key_required`.

use chalice_runtime::{App, Request, app};
use serde_json::{Value, json};

#[app::route(
    "/upload",
    methods = ["POST", "put"],
    name = "upload_file",
    cors = true,
    content_types = ["application/octet-stream", "text/plain"],
    api_key_required = true,
)]
fn upload(req: &Request) -> Value {
    json!({ "bytes": req.raw_body.len() })
}

#[app::route("/public", cors = false, api_key_required = false)]
fn public() -> &'static str {
    "public"
}

fn main() {
    let _ = App::new("x");
}
