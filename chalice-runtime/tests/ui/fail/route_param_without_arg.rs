use chalice_runtime::app;

#[app::route("/users/{id}")]
fn user() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
