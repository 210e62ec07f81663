use chalice_runtime::app;

static X: &str = "not an authorizer";

#[app::route("/", authorizer = X)]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
