//! `cors = CONFIG` names a full CORS configuration, a `static` or a `const`.

use chalice_runtime::cors::CorsConfig;
use chalice_runtime::{App, app};

static CORS: CorsConfig = CorsConfig::new("https://app.example")
    .allow_headers(&["X-Special"])
    .expose_headers(&["X-Request-Id"])
    .max_age(600)
    .allow_credentials(true);

mod settings {
    pub const SAME: chalice_runtime::CorsConfig =
        chalice_runtime::CorsConfig::new("https://app.example")
            .allow_headers(&["X-Special"])
            .expose_headers(&["X-Request-Id"])
            .max_age(600)
            .allow_credentials(true);
}

#[app::route("/items", methods = ["GET", "POST"], cors = CORS)]
fn items() -> &'static str {
    "items"
}

#[app::route("/other", cors = settings::SAME)]
fn other() -> &'static str {
    "other"
}

fn main() {
    let _ = App::new("x");
}
