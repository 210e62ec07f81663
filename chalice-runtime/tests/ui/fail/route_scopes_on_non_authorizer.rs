use chalice_runtime::app;

static X: &str = "not an authorizer";

#[app::route("/", authorizer = X, scopes = ["users/read"])]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
