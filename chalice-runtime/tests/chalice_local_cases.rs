//! Chalice's `tests/unit/test_local.py` and `test_test.py` authorizer cases (reference
//! inventory, sections B and C), ported to the API Gateway model. Where `chalice local`
//! differs from API Gateway, these follow API Gateway and say so.

use chalice_runtime::gateway::{AuthDecision, GatewayConfig};
use chalice_runtime::test::Client;
use chalice_runtime::{
    App, AuthRequest, AuthResponse, CognitoUserPoolAuthorizer, IamAuthorizer, Request, app,
};
use serde_json::{Value, json};

const ARN_PREFIX: &str = "arn:aws:execute-api:mars-west-1:123456789012:ymy8tbxw7b/api";

fn policy(effect: &str, actions: Value, resource: &str) -> Value {
    json!({
        "context": {},
        "principalId": "user",
        "policyDocument": {"Version": "2012-10-17",
                           "Statement": [{"Action": actions, "Effect": effect, "Resource": [resource]}]},
    })
}

#[app::authorizer]
fn auth_with_explicit_policy(auth: AuthRequest) -> Value {
    let effect = if auth.token == "allow" {
        "Allow"
    } else {
        "Deny"
    };
    policy(
        effect,
        json!("execute-api:Invoke"),
        &format!("{ARN_PREFIX}/GET/explicit"),
    )
}

#[app::authorizer]
fn demo_authorizer_returns_none(_auth: AuthRequest) -> Value {
    Value::Null
}

#[app::authorizer]
fn auth_with_multiple_actions(_auth: AuthRequest) -> Value {
    policy(
        "Allow",
        json!(["execute-api:Invoke", "execute-api:Other"]),
        &format!("{ARN_PREFIX}/GET/multi"),
    )
}

#[app::authorizer]
fn demo_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["/index"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::authorizer]
fn resource_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["/resource/foobar"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::authorizer]
fn all_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["*"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::authorizer]
fn landing_page_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["/"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

static IAM: IamAuthorizer = IamAuthorizer::new();
// Chalice's test names no user pool; API Gateway refuses such an authorizer, and so does the
// registry (an authorizer that names none would check no issuer).
static COGNITO: CognitoUserPoolAuthorizer = CognitoUserPoolAuthorizer::new(
    "app-name",
    &["arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_app"],
);

fn echo(req: &Request) -> Value {
    json!({"context": req.context})
}

#[app::route("/", authorizer = landing_page_auth)]
fn landing_view(req: &Request) -> Value {
    echo(req)
}

#[app::route("/index", authorizer = demo_auth)]
fn index_view(req: &Request) -> Value {
    echo(req)
}

#[app::route("/secret", authorizer = demo_auth)]
fn secret_view(req: &Request) -> Value {
    echo(req)
}

#[app::route("/resource/{name}", authorizer = resource_auth)]
fn single_value(name: String) -> Value {
    json!({"resource": name})
}

#[app::route("/secret/{value}", authorizer = all_auth)]
fn secret_value(value: String) -> Value {
    json!({"secret": value})
}

#[app::route("/explicit", authorizer = auth_with_explicit_policy)]
fn explicit(req: &Request) -> Value {
    echo(req)
}

#[app::route("/multi", authorizer = auth_with_multiple_actions)]
fn multi(req: &Request) -> Value {
    echo(req)
}

#[app::route("/iam", authorizer = IAM)]
fn iam_route(req: &Request) -> Value {
    echo(req)
}

#[app::route("/cognito", authorizer = COGNITO)]
fn cognito_route(req: &Request) -> Value {
    echo(req)
}

#[app::route("/none", authorizer = demo_authorizer_returns_none)]
fn none_route(req: &Request) -> Value {
    echo(req)
}

#[app::route("/open")]
fn open_route(req: &Request) -> Value {
    echo(req)
}

fn client() -> Client {
    let config = GatewayConfig {
        region: "mars-west-1".into(),
        api_id: "ymy8tbxw7b".into(),
        ..GatewayConfig::default()
    };
    Client::with_config(App::new("app-name"), config)
}

async fn get(path: &str, authorization: Option<&str>) -> chalice_runtime::test::TestResponse {
    let client = client();
    let mut request = client.get(path);
    if let Some(token) = authorization {
        request = request.header("Authorization", token);
    }
    request.send().await
}

fn principal(response: &chalice_runtime::test::TestResponse) -> Value {
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["context"]["authorizer"]["principalId"].clone()
}

/// 37, 46, 51: no token on a protected route is a 401 with API Gateway's body and headers.
#[tokio::test]
async fn unauthenticated_request_is_401() {
    let response = get("/index", None).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("UnauthorizedException")
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.text(), r#"{"message":"Unauthorized"}"#);
}

/// 41: `*` allows a route with variables.
#[tokio::test]
async fn wildcard_allows_route_with_variables() {
    let response = get("/secret/foobar", Some("allow")).await;
    assert_eq!(response.json(), json!({"secret": "foobar"}));
}

/// 42: an exact path allows exactly that path.
#[tokio::test]
async fn exact_path_allows_that_route() {
    let response = get("/resource/foobar", Some("allow")).await;
    assert_eq!(response.json(), json!({"resource": "foobar"}));
}

/// 43: an authorizer answering `null` is a 500 (AuthorizerConfigurationException).
#[tokio::test]
async fn authorizer_returning_null_is_500() {
    let response = get("/none", Some("allow")).await;
    assert_eq!(response.status, 500);
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("AuthorizerConfigurationException")
    );
    assert_eq!(response.text(), r#"{"message":null}"#);
}

/// 44: another value for the variable is denied.
#[tokio::test]
async fn exact_path_denies_other_values() {
    assert_eq!(get("/resource/foobarbaz", Some("allow")).await.status, 403);
}

/// 45, 54: an empty route list, or one without this path, is a 403 with API Gateway's body.
#[tokio::test]
async fn denied_request_is_403() {
    let response = get("/index", Some("deny")).await;
    assert_eq!(response.status, 403);
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("AccessDeniedException")
    );
    assert_eq!(
        response.text(),
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    assert_eq!(get("/secret", Some("allow")).await.status, 403);
}

/// 47: an unknown path is a 403 before any authorizer.
#[tokio::test]
async fn unknown_path_is_missing_authentication_token() {
    let response = get("/badindex", None).await;
    assert_eq!(response.status, 403);
    assert!(response.text().contains("Missing Authentication Token"));
    assert_eq!(response.decision, AuthDecision::NoRoute);
}

/// 48: with an Authorization header, API Gateway reads it as a broken SigV4 signature.
#[tokio::test]
async fn unknown_path_with_authorization_mentions_it() {
    let response = get("/badindex", Some("foobar")).await;
    assert_eq!(response.status, 403);
    assert!(
        response.text().contains("Authorization=foobar"),
        "{}",
        response.text()
    );
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("IncompleteSignatureException")
    );
}

/// 49: `['/']` allows the root path (whose method ARN ends in `/GET/`).
#[tokio::test]
async fn root_path_can_be_authorized() {
    assert_eq!(principal(&get("/", Some("allow")).await), "user");
}

/// 50: a route with no authorizer is untouched.
#[tokio::test]
async fn route_without_authorizer_runs_without_one() {
    let response = get("/open", None).await;
    assert_eq!(response.status, 200);
    assert!(response.json()["context"].get("authorizer").is_none());
    assert_eq!(response.decision, AuthDecision::Public);
}

/// 52: a valid token reaches the view with the principal.
#[tokio::test]
async fn valid_request_is_authorized() {
    assert_eq!(principal(&get("/index", Some("allow")).await), "user");
}

/// 53: IAM cannot be checked locally: allowed, with one warning.
#[tokio::test]
async fn iam_is_allowed_with_one_warning() {
    let client = client();
    for _ in 0..2 {
        assert_eq!(client.get("/iam").send().await.status, 200);
    }
    let warnings = client.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("IAM authorization cannot run locally"),
        "{warnings:?}"
    );
}

/// 55: a raw Allow policy for the exact ARN allows it.
#[tokio::test]
async fn explicit_allow_policy_is_understood() {
    assert_eq!(principal(&get("/explicit", Some("allow")).await), "user");
}

/// 56: without a token the authorizer never runs (401); with a token its explicit Deny is a 403.
#[tokio::test]
async fn explicit_deny_policy_is_understood() {
    assert_eq!(get("/explicit", None).await.status, 401);
    assert_eq!(get("/explicit", Some("deny")).await.status, 403);
}

/// 57: an Action list containing execute-api:Invoke allows.
#[tokio::test]
async fn multiple_actions_are_understood() {
    assert_eq!(principal(&get("/multi", Some("allow")).await), "user");
}

/// 58, 59: a Cognito token's claims reach the view (unverified locally, with a warning). API
/// Gateway puts them under `claims`; tokens without `cognito:username` work too.
#[tokio::test]
async fn cognito_claims_reach_the_view() {
    use base64::Engine as _;
    let encode = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let token = format!(
        "{}.{}.sig",
        encode(r#"{"alg":"HS256"}"#),
        encode(r#"{"cognito:username":"janedoe","exp":4102444800}"#)
    );
    let client = client();
    let response = client
        .get("/cognito")
        .header("Authorization", &token)
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["context"]["authorizer"]["claims"]["cognito:username"],
        "janedoe"
    );
    assert!(
        matches!(response.decision, AuthDecision::Allowed { principal_id: Some(ref p), .. } if &**p == "janedoe")
    );
    let machine = format!(
        "{}.{}.sig",
        encode(r#"{"alg":"HS256"}"#),
        encode(r#"{"client_id":"m2m","exp":4102444800}"#)
    );
    assert_eq!(
        client
            .get("/cognito")
            .header("Authorization", &machine)
            .send()
            .await
            .status,
        200
    );
    assert_eq!(client.warnings().len(), 1);
    // A rejection is logged with its reason, not as a bare `401 unauthorized`.
    let expired = format!(
        "{}.{}.sig",
        encode(r#"{"alg":"HS256"}"#),
        encode(r#"{"cognito:username":"janedoe","exp":1000}"#)
    );
    let response = client
        .get("/cognito")
        .header("Authorization", &expired)
        .send()
        .await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.decision.to_string(),
        "unauthorized: the token has expired"
    );
}

/// 93, 95: the proxy event the view gets carries the request context of API Gateway.
#[tokio::test]
async fn proxy_event_carries_the_request_context() {
    let response = get("/secret/other?a=1&b=&c=3", Some("allow")).await;
    assert_eq!(response.status, 200);
    let client = client();
    let context = client.get("/open").send().await.json()["context"].clone();
    assert_eq!(context["resourcePath"], "/open");
    assert_eq!(context["httpMethod"], "GET");
    assert_eq!(context["path"], "/api/open");
    assert_eq!(context["stage"], "api");
    assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(context["accountId"], "123456789012");
    assert_eq!(context["apiId"], "ymy8tbxw7b");
}

/// 102, 103 (chalice.test.Client): 403 for a denied token, 401 without one, the view's body
/// when allowed.
#[tokio::test]
async fn test_client_returns_http_responses_for_authorizer_outcomes() {
    assert_eq!(get("/secret/x", Some("deny")).await.status, 403);
    assert_eq!(get("/secret/x", None).await.status, 401);
    assert_eq!(
        get("/secret/x", Some("allow")).await.json(),
        json!({"secret": "x"})
    );
}

/// §7.2: the method ARN carries the configured stage and the root ends in a single slash.
#[tokio::test]
async fn method_arn_uses_the_configured_stage() {
    let config = GatewayConfig::default().with_stage("dev");
    let client = Client::with_config(App::new("app-name"), config);
    assert_eq!(
        client.gateway().method_arn("GET", "/"),
        "arn:aws:execute-api:us-east-1:123456789012:localapi01/dev/GET/"
    );
    assert_eq!(
        client
            .get("/")
            .header("Authorization", "allow")
            .send()
            .await
            .status,
        200
    );
}

/// §7.3: a trailing slash is the same resource and the same method ARN as without it.
#[tokio::test]
async fn trailing_slash_is_authorized_as_the_path_without_it() {
    let with_slash = get("/index/", Some("allow")).await;
    assert_eq!(principal(&with_slash), "user");
    assert_eq!(get("/resource/foobar/", Some("allow")).await.status, 200);
}

/// §7.9: an empty identity header is a 401 without running the authorizer.
#[tokio::test]
async fn empty_token_is_401() {
    assert_eq!(get("/secret/x", Some("")).await.status, 401);
}

/// §7.10: an unmapped method on an existing path is a 403, not chalice local's 405.
#[tokio::test]
async fn unmapped_method_is_403() {
    let client = client();
    let response = client.delete("/index").send().await;
    assert_eq!(response.status, 403);
    assert!(response.text().contains("Missing Authentication Token"));
    let signed = client
        .delete("/index")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(
        signed.header("x-amzn-ErrorType"),
        Some("IncompleteSignatureException")
    );
}
