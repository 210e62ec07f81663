//! The security review's findings in the gateway model, the local server and the Lambda
//! handler, each held by a test that failed before its fix: a repeated header read one way
//! everywhere, a panicking view or authorizer answered as API Gateway answers, a view's
//! framing headers never reaching the wire, and `api_key_required` enforced.

use std::net::SocketAddr;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use chalice_runtime::gateway::{ApiKeys, AuthDecision, GatewayConfig};
use chalice_runtime::lambda::{LambdaFunction, Output};
use chalice_runtime::local::{Limits, LocalConfig, LocalServer};
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthRequest, AuthResponse, Registry, Request, Response, app};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[app::authorizer]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["*"], auth.token)
    } else {
        AuthResponse::deny("nobody")
    }
}

#[app::authorizer(identity_sources = ["header.X-Key"], ttl_seconds = 0)]
fn key_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["*"], auth.token)
    } else {
        AuthResponse::deny("nobody")
    }
}

#[app::authorizer(ttl_seconds = 0)]
fn panicking_auth(_auth: AuthRequest) -> AuthResponse {
    panic!("the authorizer broke")
}

/// What the view reads of the headers the authorizer read.
#[app::route("/token", authorizer = token_auth)]
fn by_token(req: &Request) -> Value {
    json!({"view": req.header("Authorization"), "principal": req.context.authorizer.fields.get("principalId")})
}

#[app::route("/key", authorizer = key_auth)]
fn by_key(req: &Request) -> Value {
    json!({"view": req.header("X-Key"), "principal": req.context.authorizer.fields.get("principalId")})
}

#[app::route("/panics")]
fn panics() -> Value {
    panic!("the view broke")
}

#[app::route("/panics-later")]
async fn panics_later() -> Value {
    tokio::task::yield_now().await;
    panic!("the async view broke")
}

#[app::route("/panicking-auth", authorizer = panicking_auth)]
fn behind_panicking_auth() -> Value {
    json!({"reached": true})
}

/// Says its body is 2 bytes long; the body is longer.
#[app::route("/framing")]
fn framing() -> Response {
    Response::new("{\"a\": \"0123456789\"}")
        .with_header("Content-Length", "2")
        .with_header("Transfer-Encoding", "chunked")
}

#[app::route("/metered", api_key_required = true)]
fn metered() -> Value {
    json!({"metered": true})
}

#[app::route("/metered-private", api_key_required = true, authorizer = token_auth, cors = true)]
fn metered_private() -> Value {
    json!({"metered": true})
}

#[app::route("/public")]
fn public() -> Value {
    json!({"public": true})
}

fn registry() -> &'static Registry {
    App::new("review").registry().unwrap()
}

fn client() -> Client {
    Client::new(App::new("review"))
}

/// API Gateway's `headers` holds the last value of a repeated header: the TOKEN authorizer and
/// the view read that one, so the authorizer cannot approve one value while the view reads
/// another.
#[tokio::test]
async fn a_repeated_token_header_is_read_as_its_last_value_by_authorizer_and_view() {
    let client = client();
    let allowed = client
        .get("/token")
        .header("Authorization", "deny")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.json(),
        json!({"view": "allow", "principal": "allow"})
    );
    let denied = client
        .get("/token")
        .header("Authorization", "allow")
        .header("Authorization", "deny")
        .send()
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text());
}

#[tokio::test]
async fn a_repeated_identity_source_header_is_read_as_its_last_value() {
    let client = client();
    let allowed = client
        .get("/key")
        .header("X-Key", "deny")
        .header("X-Key", "allow")
        .send()
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.json(),
        json!({"view": "allow", "principal": "allow"})
    );
}

/// On Lambda the view reads the last value too: `headers` has it, `multiValueHeaders` all.
#[tokio::test]
async fn on_lambda_the_view_reads_a_repeated_header_as_its_last_value() {
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some("/token".into());
    event.path = Some("/token".into());
    event.http_method = http::Method::GET;
    event
        .headers
        .insert("authorization", "allow".parse().unwrap());
    event
        .multi_value_headers
        .append("authorization", "deny".parse().unwrap());
    event
        .multi_value_headers
        .append("authorization", "allow".parse().unwrap());
    let function = LambdaFunction::new(registry(), "api_handler").unwrap();
    let Output::Api(response) = function
        .invoke(&serde_json::to_string(&event).unwrap())
        .await
        .unwrap()
    else {
        panic!("the API handler answers with a proxy response");
    };
    let body = match response.body {
        Some(aws_lambda_events::encodings::Body::Text(text)) => text,
        other => panic!("a text body, got {other:?}"),
    };
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["view"],
        "allow"
    );
}

/// A view that panics is a failed integration: API Gateway's 502, and the next request is
/// served.
#[tokio::test]
async fn a_panicking_view_is_a_502_and_the_gateway_goes_on() {
    let client = client();
    for path in ["/panics", "/panics-later"] {
        let response = client.get(path).send().await;
        assert_eq!(response.status, 502, "{path}");
        assert_eq!(response.json(), json!({"message": "Internal server error"}));
    }
    assert_eq!(client.get("/public").send().await.status, 200);
}

/// An authorizer that panics is a failed authorizer: 500, as for an authorizer error.
#[tokio::test]
async fn a_panicking_authorizer_is_a_500() {
    let client = client();
    let response = client
        .get("/panicking-auth")
        .header("Authorization", "x")
        .send()
        .await;
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(
        response.headers["x-amzn-errortype"],
        "AuthorizerConfigurationException"
    );
}

/// On Lambda the authorizer's panic is the Lambda error API Gateway turns into a 500.
#[tokio::test]
async fn on_lambda_a_panicking_authorizer_is_an_authorizer_error() {
    let function = LambdaFunction::new(registry(), "panicking_auth").unwrap();
    let event = json!({"type": "TOKEN", "authorizationToken": "x",
                       "methodArn": "arn:aws:execute-api:us-west-2:1:id/dev/GET/panicking-auth"});
    let error = function.invoke(&event.to_string()).await.unwrap_err();
    assert_eq!(error.error_type, "AuthorizerError");
    assert!(
        error.error_message.contains("the authorizer broke"),
        "{}",
        error.error_message
    );
}

async fn serve() -> SocketAddr {
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway: GatewayConfig::default().with_stage("dev"),
        limits: Limits::default(),
    };
    let server = LocalServer::bind(registry(), config).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.serve(std::future::pending()));
    addr
}

/// Sends `requests` on one connection, all at once (pipelined), and reads until the server
/// has answered `answers` times or closed the connection.
async fn pipelined(addr: SocketAddr, requests: &str, answers: usize) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(requests.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while String::from_utf8_lossy(&received)
        .matches("HTTP/1.1 ")
        .count()
        < answers
        || !complete(&received)
    {
        let read = tokio::time::timeout_at(deadline, stream.read(&mut buffer))
            .await
            .expect("the server answers within 10 s")
            .unwrap();
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8(received).unwrap()
}

/// Whether the last answer's body has arrived (the bodies here end with `}`).
fn complete(received: &[u8]) -> bool {
    received.ends_with(b"}")
}

/// The local server answers a panicking view with a 502 and serves the request pipelined
/// behind it on the same connection.
#[tokio::test]
async fn the_local_server_answers_a_panic_and_serves_the_next_request() {
    let addr = serve().await;
    let text = pipelined(
        addr,
        "GET /panics HTTP/1.1\r\nHost: x\r\n\r\nGET /public HTTP/1.1\r\nHost: x\r\n\r\n",
        2,
    )
    .await;
    let statuses: Vec<&str> = text
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &text[at + 9..at + 12])
        .collect();
    assert_eq!(statuses, ["502", "200"], "{text}");
    assert!(text.ends_with(r#"{"public":true}"#), "{text}");
}

/// A view's `Content-Length` that disagrees with its body never reaches the wire: the answer
/// is framed by its real length, and the next answer on the connection starts where it should.
#[tokio::test]
async fn a_views_framing_headers_do_not_split_the_answer() {
    let addr = serve().await;
    let text = pipelined(
        addr,
        "GET /framing HTTP/1.1\r\nHost: x\r\n\r\nGET /public HTTP/1.1\r\nHost: x\r\n\r\n",
        2,
    )
    .await;
    let (first, second) = text.split_at(text.rfind("HTTP/1.1 ").unwrap());
    assert!(first.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        first
            .to_ascii_lowercase()
            .contains("content-length: 19\r\n"),
        "{text}"
    );
    assert!(
        !first.to_ascii_lowercase().contains("transfer-encoding"),
        "{text}"
    );
    assert!(first.ends_with("{\"a\": \"0123456789\"}"), "{text}");
    assert!(second.starts_with("HTTP/1.1 200"), "{text}");
    assert!(second.ends_with(r#"{"public":true}"#), "{text}");
}

/// On Lambda the proxy answer carries no framing header of the view's either.
#[tokio::test]
async fn on_lambda_the_proxy_answer_has_no_framing_headers() {
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some("/framing".into());
    event.path = Some("/framing".into());
    event.http_method = http::Method::GET;
    let function = LambdaFunction::new(registry(), "api_handler").unwrap();
    let Output::Api(response) = function
        .invoke(&serde_json::to_string(&event).unwrap())
        .await
        .unwrap()
    else {
        panic!("the API handler answers with a proxy response");
    };
    for name in ["content-length", "transfer-encoding"] {
        assert!(!response.headers.contains_key(name), "{name}");
        assert!(!response.multi_value_headers.contains_key(name), "{name}");
    }
}

fn client_with_keys(keys: ApiKeys) -> Client {
    let config = GatewayConfig {
        api_keys: keys,
        ..GatewayConfig::default()
    };
    Client::with_config(App::new("review"), config)
}

/// A route with `api_key_required` needs an accepted `x-api-key`: without one API Gateway
/// answers 403 `{"message":"Forbidden"}`.
#[tokio::test]
async fn api_key_required_is_enforced_with_the_stages_keys() {
    let client = client_with_keys(ApiKeys::Only(vec!["k1".into()]));
    let missing = client.get("/metered").send().await;
    assert_eq!(missing.status, 403);
    assert_eq!(missing.json(), json!({"message": "Forbidden"}));
    assert_eq!(missing.headers["x-amzn-errortype"], "ForbiddenException");
    assert_eq!(missing.decision, AuthDecision::ApiKeyRejected);
    let wrong = client
        .get("/metered")
        .header("x-api-key", "k2")
        .send()
        .await;
    assert_eq!(wrong.status, 403);
    let empty = client.get("/metered").header("x-api-key", "").send().await;
    assert_eq!(empty.status, 403);
    let right = client
        .get("/metered")
        .header("X-Api-Key", "k1")
        .send()
        .await;
    assert_eq!(right.status, 200, "{}", right.text());
    assert_eq!(client.get("/public").send().await.status, 200);
    assert!(client.warnings().is_empty(), "{:?}", client.warnings());
}

/// With no keys configured any key is accepted, and the gateway says so once.
#[tokio::test]
async fn without_configured_keys_any_key_is_accepted_with_a_warning() {
    let client = client_with_keys(ApiKeys::Any);
    assert_eq!(client.get("/metered").send().await.status, 403);
    for key in ["a", "b"] {
        let response = client.get("/metered").header("x-api-key", key).send().await;
        assert_eq!(response.status, 200);
    }
    let warnings = client.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("api_keys"), "{warnings:?}");
}

/// The authorizer answers first: no token is 401 whatever the key; an authorized request
/// without a key is 403, with the route's CORS headers.
#[tokio::test]
async fn the_api_key_is_checked_after_the_authorizer() {
    let client = client_with_keys(ApiKeys::Only(vec!["k1".into()]));
    let no_token = client.get("/metered-private").send().await;
    assert_eq!(no_token.status, 401);
    let no_key = client
        .get("/metered-private")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(no_key.status, 403);
    assert_eq!(no_key.json(), json!({"message": "Forbidden"}));
    assert_eq!(no_key.headers["access-control-allow-origin"], "*");
    let both = client
        .get("/metered-private")
        .header("Authorization", "allow")
        .header("x-api-key", "k1")
        .send()
        .await;
    assert_eq!(both.status, 200);
}
