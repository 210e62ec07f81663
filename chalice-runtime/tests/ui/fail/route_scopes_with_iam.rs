use chalice_runtime::{IamAuthorizer, app};

static IAM: IamAuthorizer = IamAuthorizer::new();

#[app::route("/", authorizer = IAM, scopes = ["users/read"])]
fn index() -> serde_json::Value {
    serde_json::json!({})
}

fn main() {}
