//! Every kind of authorizer chalice-rs knows, on one app: built-in TOKEN and REQUEST
//! authorizers (sync and async, returning `AuthResponse`, a raw policy, or an error), IAM, a
//! Cognito user pool with scopes, and an existing Lambda authorizer; and a full CORS
//! configuration.

use std::error::Error as StdError;

use chalice_runtime::{
    App, AuthError, AuthRequest, AuthResponse, AuthRoute, CognitoUserPoolAuthorizer, CorsConfig,
    CustomAuthorizer, Error, IamAuthorizer, Request, app,
};
use serde_json::{Value, json};

static IAM: IamAuthorizer = IamAuthorizer::new();

static POOL: CognitoUserPoolAuthorizer = CognitoUserPoolAuthorizer::new(
    "MyPool",
    &["arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc123"],
);

static EXTERNAL: CustomAuthorizer = CustomAuthorizer::new(
    "ExternalAuth",
    "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:external-auth/invocations",
)
.header("X-External-Auth")
.ttl_seconds(120)
.invoke_role_arn("arn:aws:iam::123456789012:role/auth-invoke");

/// `admin` may do anything and carries a context; `reader` may only read items; anything else
/// is a 401.
#[app::authorizer(
    ttl_seconds = 60,
    execution_role = "arn:aws:iam::123456789012:role/auth-invoke"
)]
fn rich_auth(auth: AuthRequest) -> Result<AuthResponse, AuthError> {
    match auth.token.as_str() {
        "admin" => {
            Ok(AuthResponse::new(["*"], "admin").context(json!({"role": "admin", "level": 3})))
        }
        "reader" => Ok(AuthResponse::new(
            [
                AuthRoute::new("/items", ["GET"]),
                AuthRoute::new("/items/*", ["GET"]),
            ],
            "reader",
        )
        .context(json!({"role": "reader"}))),
        _ => Err(AuthError::Unauthorized),
    }
}

/// Reads `X-Api-Token` and answers with a raw IAM policy, explicit `Deny` included.
#[app::authorizer(name = "header_auth", header = "X-Api-Token", ttl_seconds = 0)]
fn hdr_auth(auth: AuthRequest) -> Value {
    let effect = if auth.token == "let-me-in" {
        "Allow"
    } else {
        "Deny"
    };
    json!({
        "principalId": "header-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": auth.method_arn}],
        },
        "context": {"via": "header"},
    })
}

/// Fails every time, as an authorizer whose backend is down: API Gateway answers 500.
#[app::authorizer]
async fn broken_auth(_auth: AuthRequest) -> Result<AuthResponse, Box<dyn StdError + Send + Sync>> {
    Err("the user database is unreachable".into())
}

/// A REQUEST authorizer: the tenant comes from a header, the key from the query string.
#[app::authorizer(identity_sources = ["header.X-Tenant", "querystring.key"])]
async fn tenant_auth(auth: AuthRequest) -> AuthResponse {
    let tenant = auth
        .headers
        .get("x-tenant")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth.query_params.get("key") == Some("secret") {
        AuthResponse::new(
            [AuthRoute::new(format!("/tenants/{tenant}"), ["GET"])],
            tenant,
        )
        .context(json!({"tenant": tenant}))
    } else {
        AuthResponse::deny(tenant)
    }
}

#[app::route("/")]
fn index() -> Value {
    json!({"hello": "world"})
}

#[app::route("/admin", authorizer = rich_auth)]
fn admin(req: &Request) -> Value {
    json!({"authorizer": req.context.authorizer.fields})
}

#[app::route("/items", methods = ["GET", "POST"], authorizer = rich_auth)]
fn items(req: &Request) -> Result<Value, Error> {
    match req.method.as_str() {
        "POST" => Ok(json!({"created": req.json_body()?})),
        _ => Ok(json!({"items": [1, 2, 3]})),
    }
}

#[app::route("/items/{id}", methods = ["GET", "PUT", "DELETE"], authorizer = rich_auth)]
async fn item(id: u32, req: &Request) -> Result<Value, Error> {
    if id == 0 {
        return Err(Error::not_found(format!("no item {id}")));
    }
    Ok(json!({"id": id, "method": req.method}))
}

#[app::route("/header", authorizer = hdr_auth)]
fn header(req: &Request) -> Value {
    json!({"authorizer": req.context.authorizer.fields})
}

#[app::route("/broken", authorizer = broken_auth)]
fn broken() -> Value {
    json!({"unreachable": true})
}

#[app::route("/tenants/{tenant}", authorizer = tenant_auth)]
fn tenant(tenant: String, req: &Request) -> Value {
    json!({"tenant": tenant, "authorizer": req.context.authorizer.fields})
}

#[app::route("/iam-auth", authorizer = IAM)]
fn iam_only() -> Value {
    json!({"success": true})
}

#[app::route("/users/{id}", methods = ["GET", "PUT"], authorizer = POOL, scopes = ["users/read"])]
fn user(id: String, req: &Request) -> Value {
    json!({"id": id, "claims": req.context.authorizer.fields.get("claims")})
}

#[app::route("/external", authorizer = EXTERNAL)]
fn external() -> Value {
    json!({"external": true})
}

/// The app's CORS configuration, in full (Chalice's `CORSConfig`): the `/cors` route's answers
/// and preflight carry it, and so does every answer API Gateway gives itself (401/403/5xx),
/// locally and deployed (the REST API's `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses).
static CORS: CorsConfig = CorsConfig::new("https://app.example")
    .allow_headers(&["X-Special"])
    .expose_headers(&["X-Request-Id"])
    .max_age(600)
    .allow_credentials(true);

#[app::route("/cors", methods = ["GET", "POST"], authorizer = rich_auth, cors = CORS)]
fn with_cors() -> Value {
    json!({"cors": true})
}

#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() {
    App::new("authz-variants").run()
}

#[cfg(test)]
mod tests;
