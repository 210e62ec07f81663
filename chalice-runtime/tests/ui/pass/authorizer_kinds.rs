//! Routes naming each of the four kinds of authorizer, with scopes where they are allowed.

use chalice_runtime::{
    App, AuthRequest, AuthResponse, CognitoUserPoolAuthorizer, CustomAuthorizer, IamAuthorizer,
    app,
};
use serde_json::{Value, json};

static IAM: IamAuthorizer = IamAuthorizer::new();
static POOL: CognitoUserPoolAuthorizer = CognitoUserPoolAuthorizer::new(
    "MyPool",
    &["arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_x"],
);
static CUSTOM: CustomAuthorizer = CustomAuthorizer::new(
    "MyCustomAuth",
    "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:Ext/invocations",
)
.header("X-Custom-Auth")
.ttl_seconds(120)
.invoke_role_arn("arn:aws:iam::123456789012:role/invoke");

#[app::authorizer]
fn demo_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["/"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::route("/iam", methods = ["GET"], authorizer = IAM)]
fn iam_only() -> Value {
    json!({"success": true})
}

#[app::route("/pool", authorizer = POOL, scopes = ["users/read"])]
fn pool() -> Value {
    json!({})
}

#[app::route("/custom", authorizer = CUSTOM, scopes = ["a", "b"])]
fn custom() -> Value {
    json!({})
}

#[app::route("/builtin", authorizer = demo_auth, scopes = [])]
fn builtin() -> Value {
    json!({})
}

#[app::route("/builtin-again", methods = ["POST"], authorizer = demo_auth)]
fn builtin_again() -> Value {
    json!({})
}

fn main() {
    let _ = App::new("x");
}
