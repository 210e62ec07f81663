use chalice_runtime::app;

#[app::route("/", colour = "red")]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
