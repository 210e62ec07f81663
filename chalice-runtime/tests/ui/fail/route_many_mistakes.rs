use chalice_runtime::app;

// Independent mistakes in one attribute are reported together, each at its own token.
#[app::route("/users/{id}", methods = ["GET", "FETCH"], content_types = ["json"])]
fn user(user_id: String) -> serde_json::Value {
    serde_json::json!({ "id": user_id })
}

fn main() {}
