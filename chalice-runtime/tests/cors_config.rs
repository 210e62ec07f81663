//! A full CORS configuration (Chalice's `CORSConfig`: origin, headers, expose headers, max age,
//! credentials) on the view's answers and the preflight, and API Gateway's own answers carrying
//! the app's CORS headers whichever route was asked for, as a REST API's
//! `DEFAULT_4XX`/`DEFAULT_5XX` gateway responses carry them deployed: in the test client, the
//! local server and the Lambda handler alike.

use std::net::SocketAddr;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use chalice_runtime::cors::CorsConfig;
use chalice_runtime::gateway::GatewayConfig;
use chalice_runtime::lambda::{LambdaFunction, Output};
use chalice_runtime::local::{Limits, LocalConfig, LocalServer};
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthRequest, AuthResponse, Registry, app};
use serde_json::{Value, json};

static CORS: CorsConfig = CorsConfig::new("https://app.example")
    .allow_headers(&["X-Special"])
    .expose_headers(&["X-Request-Id"])
    .max_age(600)
    .allow_credentials(true);

/// Every header the configuration answers with, lower-cased as HTTP/1.1 clients see them.
const CORS_HEADERS: [(&str, &str); 5] = [
    ("access-control-allow-origin", "https://app.example"),
    (
        "access-control-allow-headers",
        "Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key,X-Special",
    ),
    ("access-control-expose-headers", "X-Request-Id"),
    ("access-control-max-age", "600"),
    ("access-control-allow-credentials", "true"),
];

#[app::authorizer]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "allow" {
        AuthResponse::new(["*"], "user")
    } else {
        AuthResponse::deny("user")
    }
}

#[app::route("/items", methods = ["GET", "PUT"], authorizer = token_auth, cors = CORS)]
fn items() -> Value {
    json!({"items": []})
}

#[app::route("/items", methods = ["DELETE"], authorizer = token_auth)]
fn delete_items() -> Value {
    json!({"deleted": true})
}

#[app::route("/upload", methods = ["POST"], content_types = ["text/plain"], cors = CORS)]
fn upload() -> Value {
    json!({"uploaded": true})
}

/// No CORS of its own: its view's answers carry none, API Gateway's own answers carry the app's.
#[app::route("/private", authorizer = token_auth)]
fn private() -> Value {
    json!({"private": true})
}

#[app::route("/panics")]
fn panics() -> Value {
    panic!("the view broke")
}

fn registry() -> &'static Registry {
    App::new("cors-config").registry().unwrap()
}

fn client() -> Client {
    Client::new(App::new("cors-config"))
}

fn assert_cors(what: &str, header: impl Fn(&str) -> Option<String>) {
    for (name, value) in CORS_HEADERS {
        assert_eq!(header(name).as_deref(), Some(value), "{what}: {name}");
    }
}

fn assert_no_cors(what: &str, header: impl Fn(&str) -> Option<String>) {
    for (name, _) in CORS_HEADERS {
        assert_eq!(header(name), None, "{what}: {name}");
    }
}

#[tokio::test]
async fn the_views_answers_and_the_preflight_carry_every_header_of_the_config() {
    let client = client();
    let allowed = client
        .get("/items")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_cors("GET /items", |name| allowed.header(name).map(str::to_owned));

    let preflight = client.options("/items").send().await;
    assert_eq!(preflight.status, 200, "{}", preflight.text());
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,PUT,OPTIONS")
    );
    assert_cors("preflight", |name| {
        preflight.header(name).map(str::to_owned)
    });

    // Chalice's 415 for a content type the view does not take carries its CORS headers too.
    let unsupported = client
        .post("/upload")
        .header("Content-Type", "application/xml")
        .body("<a/>")
        .send()
        .await;
    assert_eq!(unsupported.status, 415, "{}", unsupported.text());
    assert_cors("415", |name| unsupported.header(name).map(str::to_owned));

    // A view without CORS answers without it.
    let private = client
        .get("/private")
        .header("Authorization", "allow")
        .send()
        .await;
    assert_eq!(private.status, 200, "{}", private.text());
    assert_no_cors("GET /private", |name| {
        private.header(name).map(str::to_owned)
    });
}

#[tokio::test]
async fn api_gateways_own_answers_carry_the_apps_cors_headers_on_every_route() {
    let client = client();
    let answers = [
        (
            "401 on a CORS route",
            client.get("/items").send().await,
            401,
        ),
        (
            "403 on a CORS route",
            client
                .get("/items")
                .header("Authorization", "deny")
                .send()
                .await,
            403,
        ),
        (
            "401 on the path's non-CORS method",
            client.delete("/items").send().await,
            401,
        ),
        (
            "401 on a non-CORS route",
            client.get("/private").send().await,
            401,
        ),
        ("missing route", client.get("/nope").send().await, 403),
        ("missing method", client.patch("/private").send().await, 403),
        (
            "failed integration",
            client.get("/panics").send().await,
            502,
        ),
    ];
    for (what, response, status) in answers {
        assert_eq!(response.status, status, "{what}: {}", response.text());
        assert_cors(what, |name| response.header(name).map(str::to_owned));
    }
}

async fn start() -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway: GatewayConfig::default(),
        limits: Limits::default(),
    };
    let server = LocalServer::bind(registry(), config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test]
async fn the_local_server_answers_with_the_same_headers_over_http() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");
    let header_of = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let preflight = http
        .request(reqwest::Method::OPTIONS, url("/items"))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_cors("preflight", |name| header_of(&preflight, name));
    let unauthorized = http.get(url("/private")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_cors("401", |name| header_of(&unauthorized, name));
    let missing = http.get(url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 403);
    assert_cors("missing route", |name| header_of(&missing, name));
    // Over a limit of the server, which API Gateway answers itself with a 4xx.
    let too_long = http
        .post(url("/upload"))
        .body(vec![b'a'; chalice_runtime::local::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 413);
    assert_cors("413", |name| header_of(&too_long, name));
    let allowed = http
        .get(url("/items"))
        .header("Authorization", "allow")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_cors("GET /items", |name| header_of(&allowed, name));
}

async fn on_lambda(resource: &str, method: http::Method) -> (i64, http::HeaderMap) {
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some(resource.into());
    event.path = Some(resource.into());
    event.http_method = method;
    let function = LambdaFunction::new(registry(), "api_handler").unwrap();
    let Output::Api(response) = function
        .invoke(&serde_json::to_string(&event).unwrap())
        .await
        .unwrap()
    else {
        panic!("the API handler answers with a proxy response");
    };
    (response.status_code, response.headers)
}

#[tokio::test]
async fn on_lambda_the_view_carries_its_config_and_a_panic_the_apps() {
    let header_in = |headers: &http::HeaderMap, name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let (status, headers) = on_lambda("/items", http::Method::GET).await;
    assert_eq!(status, 200);
    assert_cors("GET /items", |name| header_in(&headers, name));
    let (status, headers) = on_lambda("/private", http::Method::GET).await;
    assert_eq!(status, 200);
    assert_no_cors("GET /private", |name| header_in(&headers, name));
    // The Lambda's own 502 reaches the browser as the integration's answer, not through a
    // gateway response: it carries the app's CORS headers itself.
    let (status, headers) = on_lambda("/panics", http::Method::GET).await;
    assert_eq!(status, 502);
    assert_cors("502", |name| header_in(&headers, name));
}

#[test]
fn the_manifest_carries_the_config() {
    let manifest = App::new("cors-config").manifest().unwrap();
    let items = manifest
        .routes
        .iter()
        .find(|route| route.view_name == "items")
        .unwrap();
    assert_eq!(items.cors, Some(CORS.settings()));
    let private = manifest
        .routes
        .iter()
        .find(|route| route.view_name == "private")
        .unwrap();
    assert_eq!(private.cors, None);
    let written = serde_json::to_value(items).unwrap();
    assert_eq!(written["cors"]["allow_origin"], "https://app.example");
    assert_eq!(written["cors"]["max_age"], 600);
}
