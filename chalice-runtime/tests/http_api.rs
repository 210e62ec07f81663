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

/// A JWT authorizer reading its token from the query string.
static QUERY_JWT: chalice_runtime::JwtAuthorizer =
    chalice_runtime::JwtAuthorizer::new("query_jwt", "https://issuer.example.com", &["api"])
        .identity_source("$request.querystring.token");

#[app::route("/by-query", authorizer = QUERY_JWT)]
fn by_query(req: &Request) -> Value {
    json!({"authorizer": req.context.authorizer})
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
    let repeated: Vec<&str> = req
        .headers
        .get_all("x-multi")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    Response::json(json!({"cookie": cookie, "x-multi": repeated}))
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

/// An unsigned-looking JWT: without the issuer's keys the gateway checks the claims only.
fn jwt_with(claims: Value) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.c2ln")
}

#[tokio::test]
async fn a_jwt_authorizer_reads_the_identity_source_it_names() {
    let client = Client::new(app());
    let token = jwt_with(json!({"iss": "https://issuer.example.com", "aud": "api",
                                "exp": 4_102_444_800_u64, "sub": "q"}));
    let response = client.get(&format!("/by-query?token={token}")).send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["authorizer"]["jwt"]["claims"]["sub"], "q");
    // The Authorization header is not where this authorizer looks.
    let in_header = client
        .get("/by-query")
        .header("Authorization", &token)
        .send()
        .await;
    assert_eq!(in_header.status, 401);
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
    assert_eq!(body, json!({"cookie": "x=1; y=2", "x-multi": []}));
    // The test client passes both through as HTTP headers.
    let client = Client::new(app());
    let response = client.get("/cookies").header("Cookie", "x=1").send().await;
    assert_eq!(
        response.headers.get_all("set-cookie").iter().count(),
        2,
        "{:?}",
        response.headers
    );
    assert_eq!(response.json(), json!({"cookie": "x=1", "x-multi": []}));
    // Repeated headers and cookies reach the view as the 2.0 event carries them.
    let repeated = client
        .get("/cookies")
        .header("X-Multi", "1")
        .header("X-Multi", "2")
        .header("Cookie", "a=1")
        .header("Cookie", "b=2")
        .send()
        .await;
    assert_eq!(
        repeated.json(),
        json!({"cookie": "a=1; b=2", "x-multi": ["1,2"]})
    );
    let event = json!({
        "version": "2.0", "routeKey": "GET /cookies", "rawPath": "/cookies",
        "rawQueryString": "", "cookies": ["a=1", "b=2"], "headers": {"x-multi": "1,2"},
        "requestContext": {"routeKey": "GET /cookies", "http": {"method": "GET"}}
    });
    let Ok(Output::HttpApi(answer)) = function.invoke(&event.to_string()).await else {
        panic!("not an HTTP API answer");
    };
    let Some(aws_lambda_events::encodings::Body::Text(text)) = answer.body else {
        panic!("no text body");
    };
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        repeated.json(),
        "the Lambda dispatch and the test client differ"
    );
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

/// Echoes the request context the view reads.
#[app::route("/context/{id}", authorizer = QUERY_JWT)]
fn context(id: String, req: &Request) -> Value {
    json!({"id": id, "context": req.context})
}

/// The context of `GET /context/7` as the local server hands it to the view, over real HTTP.
async fn context_through_the_local_server(path_and_query: &str) -> Value {
    use chalice_runtime::local::{LocalConfig, LocalServer};
    let mut gateway = chalice_runtime::gateway::GatewayConfig::default().with_stage("dev");
    gateway.api_kind = chalice_runtime::ApiKind::Http;
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway,
        limits: Default::default(),
    };
    let server = LocalServer::bind(app().registry().unwrap(), config)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path_and_query}"))
        .header("User-Agent", "context-test/1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let _ = stop.send(());
    body["context"].clone()
}

/// What differs from one request to the next: its id, time and the client's address.
fn per_request_values_removed(mut context: Value) -> Value {
    let object = context.as_object_mut().unwrap();
    for key in ["requestId", "time", "timeEpoch"] {
        assert!(object.remove(key).is_some(), "no `{key}` in {object:?}");
    }
    let http = object["http"].as_object_mut().unwrap();
    assert!(http.remove("sourceIp").unwrap().is_string());
    context
}

#[tokio::test]
async fn the_view_reads_the_payload_2_0_context_alike_in_the_test_client_local_server_and_lambda() {
    let token = jwt_with(json!({"iss": "https://issuer.example.com", "aud": "api",
                                "exp": 4_102_444_800_u64, "sub": "ctx", "scope": "a b"}));
    let path = format!("/context/7?token={token}");
    let client = Client::with_config(
        app(),
        chalice_runtime::gateway::GatewayConfig::default().with_stage("dev"),
    );
    let response = client
        .get(&path)
        .header("User-Agent", "context-test/1")
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let from_client = response.json()["context"].clone();
    let from_local = context_through_the_local_server(&path).await;
    // The event API Gateway sends the API handler for that request.
    let event = json!({
        "version": "2.0", "routeKey": "GET /context/{id}", "rawPath": "/context/7",
        "rawQueryString": format!("token={token}"), "queryStringParameters": {"token": token},
        "pathParameters": {"id": "7"}, "headers": {"user-agent": "context-test/1"},
        "requestContext": from_client,
    });
    let function = LambdaFunction::for_app(&app(), "api_handler").unwrap();
    let Ok(Output::HttpApi(answer)) = function.invoke(&event.to_string()).await else {
        panic!("not an HTTP API answer");
    };
    let Some(aws_lambda_events::encodings::Body::Text(text)) = answer.body else {
        panic!("no text body");
    };
    let from_lambda = serde_json::from_str::<Value>(&text).unwrap()["context"].clone();

    for context in [&from_client, &from_local, &from_lambda] {
        assert_eq!(context["routeKey"], "GET /context/{id}", "{context}");
        assert_eq!(context["http"]["method"], "GET");
        assert_eq!(context["http"]["path"], "/context/7");
        assert_eq!(context["http"]["protocol"], "HTTP/1.1");
        assert_eq!(context["http"]["userAgent"], "context-test/1");
        assert_eq!(context["authorizer"]["jwt"]["claims"]["sub"], "ctx");
        assert_eq!(context["authorizer"]["jwt"]["scopes"], json!(["a", "b"]));
        assert_eq!(context["stage"], "dev");
        for key in ["requestId", "time", "domainName", "apiId", "accountId"] {
            assert!(context[key].is_string(), "`{key}` in {context}");
        }
        assert!(context["timeEpoch"].as_i64().unwrap() > 0);
        // Not the REST API's shape.
        assert!(context.get("resourcePath").is_none(), "{context}");
        assert!(context.get("identity").is_none(), "{context}");
    }
    assert_eq!(
        from_lambda, from_client,
        "the Lambda dispatch changed the context"
    );
    assert_eq!(
        per_request_values_removed(from_local),
        per_request_values_removed(from_client),
        "the local server and the test client differ"
    );
}

/// A CORS route: the HTTP API then answers every preflight from its API-wide configuration.
#[app::route("/shared", methods = ["PUT"], cors = true)]
fn shared() -> Value {
    json!({"shared": true})
}

#[tokio::test]
async fn every_preflight_is_answered_from_the_api_wide_cors_configuration() {
    let client = Client::new(app());
    for path in ["/shared", "/items/7", "/token", "/nowhere/at/all"] {
        let response = client
            .request("OPTIONS", path)
            .header("Origin", "https://a.example")
            .header("Access-Control-Request-Method", "PUT")
            .send()
            .await;
        assert_eq!(response.status, 204, "{path}: {}", response.text());
        let header = |name: &str| response.headers[name].to_str().unwrap().to_owned();
        assert_eq!(
            header("access-control-allow-methods"),
            "PUT,OPTIONS",
            "{path}"
        );
        assert_eq!(header("access-control-allow-origin"), "*");
        assert_eq!(
            header("access-control-allow-headers"),
            chalice_runtime::cors::ALLOW_HEADERS
        );
        assert!(response.text().is_empty());
    }
    // Not an authorizer's business: the preflight is answered before any authorizer runs.
    let refused = client.get("/token").send().await;
    assert_eq!(refused.status, 401);
    // The HTTP API's own answers carry its CORS configuration, on every route.
    let missing = client.get("/nowhere/at/all").send().await;
    assert_eq!(missing.status, 404);
    for response in [&refused, &missing] {
        assert_eq!(response.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            response.header("access-control-allow-headers"),
            Some(chalice_runtime::cors::ALLOW_HEADERS)
        );
    }
}
