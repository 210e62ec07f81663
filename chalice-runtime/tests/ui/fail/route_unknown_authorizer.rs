use chalice_runtime::app;

#[app::route("/", authorizer = nope)]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
