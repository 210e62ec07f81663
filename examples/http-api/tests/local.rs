//! The example served by the local server, over real HTTP: its start-up banner and the
//! answers of each authorizer kind.

mod support;

use std::net::SocketAddr;

use chalice_runtime::gateway::GatewayConfig;
use chalice_runtime::local::{Limits, LocalConfig, LocalServer, banner};
use serde_json::{Value, json};
use tokio::sync::oneshot;

async fn start() -> (SocketAddr, oneshot::Sender<()>) {
    let app = http_api::app();
    let registry = app.registry().unwrap();
    let mut gateway = support::config();
    gateway.api_kind = app.api_kind();
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway,
        limits: Limits::default(),
    };
    let server = LocalServer::bind(registry, config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test]
async fn each_authorizer_answers_over_http_as_an_http_api_does() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");
    let read = http
        .get(url("/orders/7"))
        .bearer_auth(support::token("orders/read"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["authorizer"]["jwt"]["claims"]["sub"], "user-1");
    let wrong_scope = http
        .get(url("/orders/7"))
        .bearer_auth(support::token("orders/write"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_scope.status(), 403);
    let missing = http.get(url("/orders/7")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("www-authenticate"));
    let profile = http
        .get(url("/profile"))
        .header("X-Token", "allow")
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 200);
    let body: Value = profile.json().await.unwrap();
    assert_eq!(body["authorizer"], json!({"lambda": {"tier": "gold"}}));
    let unknown = http.get(url("/nope")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"message": "Not Found"})
    );
}

#[test]
fn the_banner_lists_the_http_api_authorizers_and_says_when_signatures_are_not_verified() {
    let app = http_api::app();
    let registry = app.registry().unwrap();
    let addr: SocketAddr = "127.0.0.1:8000".parse().unwrap();
    let mut without_keys = GatewayConfig::default().with_stage("api");
    without_keys.api_kind = app.api_kind();
    let text = banner("httpapi1", registry, addr, &without_keys);
    assert!(text.contains("(HTTP API, stage `api`)"), "{text}");
    assert!(text.contains("/orders/{id}"), "{text}");
    assert!(text.contains("JWT authorizer `jwt`"), "{text}");
    assert!(
        text.contains("signatures are NOT verified locally"),
        "{text}"
    );
    assert!(
        text.contains("built-in Lambda authorizer `gate` (payload 2.0, simple responses)"),
        "{text}"
    );
    assert!(text.contains("IAM authorizer cannot run locally"), "{text}");
    let mut with_keys = support::config();
    with_keys.api_kind = app.api_kind();
    let text = banner("httpapi1", registry, addr, &with_keys);
    assert!(!text.contains("NOT verified"), "{text}");
    assert!(
        text.contains("verified against the configured JWKS"),
        "{text}"
    );
}
