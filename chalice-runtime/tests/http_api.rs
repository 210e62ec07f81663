//! An HTTP API app beyond the example: an IAM-policy Lambda authorizer evaluated against the
//! route ARN, a TOKEN-style authorizer (its header is the identity source), a greedy
//! `{proxy+}` route, and cookies both ways through the Lambda dispatch.

use chalice_runtime::gateway::AuthDecision;
use chalice_runtime::lambda::{LambdaFunction, Output};
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthRequest, AuthResponse, AuthRoute, Request, Response, app};
use serde_json::{Value, json};

fn app() -> App {
    App::new("http-cases").http_api()
}

/// Allows GET under `/items/` only, with a context.
#[app::authorizer(identity_sources = ["header.X-Key", "querystring.tenant"], ttl_seconds = 60)]
fn policy(auth: AuthRequest) -> AuthResponse {
    if auth.token == "good" {
        AuthResponse::new([AuthRoute::new("/items/*", ["GET"])], "p-1")
            .context(json!({"tenant": auth.query_params.get("tenant")}))
    } else {
        AuthResponse::deny("p-1")
    }
}

/// A TOKEN-style authorizer: on an HTTP API its header is its identity source.
#[app::authorizer(header = "X-Auth", simple_responses = true)]
fn token_style(auth: AuthRequest) -> chalice_runtime::SimpleAuthResponse {
    chalice_runtime::SimpleAuthResponse::new(auth.token == "yes")
}

#[app::route("/items/{id}", methods = ["GET", "DELETE"], authorizer = policy)]
fn item(id: String, req: &Request) -> Value {
    json!({"id": id, "authorizer": req.context.authorizer})
}

#[app::route("/token", authorizer = token_style)]
fn token() -> Value {
    json!({"ok": true})
}

#[app::route("/files/{proxy+}")]
fn files(proxy: String) -> Value {
    json!({"proxy": proxy})
}

#[app::route("/cookies")]
fn cookies(req: &Request) -> Response {
    let cookie = req
        .headers
        .get("cookie")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Response::json(json!({"cookie": cookie}))
        .with_header("Set-Cookie", "a=1; Path=/")
        .with_header("Set-Cookie", "b=2")
}

#[tokio::test]
async fn an_iam_policy_answer_is_evaluated_against_each_route_arn_and_cached() {
    let client = Client::new(app());
    let get = client
        .get("/items/7?tenant=acme")
        .header("X-Key", "good")
        .send()
        .await;
    assert_eq!(get.status, 200, "{}", get.text());
    assert_eq!(
        get.json()["authorizer"],
        json!({"lambda": {"tenant": "acme"}})
    );
    // The cached policy allows GET only.
    let delete = client
        .delete("/items/7?tenant=acme")
        .header("X-Key", "good")
        .send()
        .await;
    assert_eq!(delete.status, 403, "{}", delete.text());
    assert_eq!(delete.json(), json!({"message": "Forbidden"}));
    assert_eq!(delete.decision, AuthDecision::Denied);
    let again = client
        .get("/items/8?tenant=acme")
        .header("X-Key", "good")
        .send()
        .await;
    assert!(matches!(
        again.decision,
        AuthDecision::Allowed { cached: true, .. }
    ));
    // Each identity source is required: without the query parameter, 401 without a call.
    let missing = client.get("/items/7").header("X-Key", "good").send().await;
    assert_eq!(missing.status, 401);
    let denied = client
        .get("/items/7?tenant=acme")
        .header("X-Key", "bad")
        .send()
        .await;
    assert_eq!(denied.status, 403);
}

#[tokio::test]
async fn a_token_style_authorizer_reads_its_header_as_identity_source() {
    let client = Client::new(app());
    assert_eq!(client.get("/token").send().await.status, 401);
    let yes = client.get("/token").header("X-Auth", "yes").send().await;
    assert_eq!(yes.status, 200, "{}", yes.text());
    let no = client.get("/token").header("X-Auth", "no").send().await;
    assert_eq!(no.status, 403);
}

#[tokio::test]
async fn a_greedy_route_takes_the_rest_of_the_path() {
    let client = Client::new(app());
    let response = client.get("/files/a/b/c.txt").send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json(), json!({"proxy": "a/b/c.txt"}));
    assert_eq!(client.get("/files").send().await.status, 404);
}

#[test]
fn the_manifest_gives_every_lambda_authorizer_identity_sources() {
    let manifest = serde_json::to_value(app().manifest().unwrap()).unwrap();
    let authorizers = manifest["authorizers"].as_array().unwrap();
    let by_name = |name: &str| {
        authorizers
            .iter()
            .find(|authorizer| authorizer["name"] == name)
            .unwrap()
            .clone()
    };
    let token = by_name("token_style");
    assert_eq!(token["auth_type"], "REQUEST");
    assert_eq!(token["identity_sources"], json!(["header.X-Auth"]));
    assert_eq!(token["simple_responses"], true);
    let by_policy = by_name("policy");
    assert_eq!(
        by_policy["identity_sources"],
        json!(["header.X-Key", "querystring.tenant"])
    );
    assert_eq!(by_policy["simple_responses"], false);
    assert_eq!(by_policy["ttl_seconds"], 60);
    // The same registry is refused as a REST API: simple responses are HTTP API only.
    let error = App::new("rest").registry().unwrap_err().to_string();
    assert!(error.contains("`token_style`"), "{error}");
}

#[tokio::test]
async fn cookies_travel_as_payload_2_0_lists_through_the_lambda_dispatch() {
    let function = LambdaFunction::for_app(&app(), "api_handler").unwrap();
    let event = json!({
        "version": "2.0", "routeKey": "GET /cookies", "rawPath": "/cookies",
        "rawQueryString": "", "cookies": ["x=1", "y=2"], "headers": {},
        "requestContext": {"routeKey": "GET /cookies", "stage": "$default",
                           "http": {"method": "GET", "path": "/cookies"}}
    });
    let Ok(Output::HttpApi(answer)) = function.invoke(&event.to_string()).await else {
        panic!("not an HTTP API answer");
    };
    assert_eq!(answer.status_code, 200);
    assert_eq!(answer.cookies, ["a=1; Path=/", "b=2"]);
    assert!(answer.headers.get("set-cookie").is_none());
    let body: Value = match answer.body.unwrap() {
        aws_lambda_events::encodings::Body::Text(text) => serde_json::from_str(&text).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(body, json!({"cookie": "x=1; y=2"}));
    // The test client passes both through as HTTP headers.
    let client = Client::new(app());
    let response = client.get("/cookies").header("Cookie", "x=1").send().await;
    assert_eq!(
        response.headers.get_all("set-cookie").iter().count(),
        2,
        "{:?}",
        response.headers
    );
    assert_eq!(response.json(), json!({"cookie": "x=1"}));
}

#[tokio::test]
async fn an_iam_policy_authorizer_answers_2_0_events_with_its_policy() {
    let function = LambdaFunction::for_app(&app(), "policy").unwrap();
    let event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/items/7",
        "identitySource": ["good", "acme"], "routeKey": "GET /items/{id}",
        "rawPath": "/items/7", "rawQueryString": "tenant=acme",
        "queryStringParameters": {"tenant": "acme"}, "headers": {"x-key": "good"},
        "requestContext": {"routeKey": "GET /items/{id}", "http": {"method": "GET"}}
    });
    let Ok(Output::Authorizer(answer)) = function.invoke(&event.to_string()).await else {
        panic!("not an authorizer answer");
    };
    let answer = answer.into_value();
    assert_eq!(answer["principalId"], "p-1");
    assert_eq!(
        answer["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:us-east-1:123456789012:abc/$default/GET/items/*"])
    );
    assert_eq!(answer["context"], json!({"tenant": "acme"}));
}
