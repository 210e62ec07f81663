use chalice_runtime::app;

#[app::route("/", methods = ["GET", "FETCH"])]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
