use chalice_runtime::app;

#[app::route("/users/")]
fn users() -> serde_json::Value {
    serde_json::json!([])
}

fn main() {}
