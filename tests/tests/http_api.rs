//! The HTTP API example end to end through the real CLI: `chalice-rs local` serves it and a
//! real HTTP client, with tokens signed by the example's test key, gets API Gateway's answer
//! on every route.

use std::time::{SystemTime, UNIX_EPOCH};

use chalice_rs_tests::cli::example;
use chalice_rs_tests::local::Served;
use chalice_runtime::test::JwtSigner;
use serde_json::{Value, json};

/// A request (method, path, headers) and the status and JSON body it must get.
type Case = (
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    u16,
    Value,
);

/// A one-hour token of the example's issuer with `scopes`, signed with `pem`'s key.
fn token(pem: &str, scopes: &[&str]) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    JwtSigner::load(
        example("http-api").join("tests/keys").join(pem),
        "httpapi1-test",
    )
    .unwrap()
    .access_token(
        "https://issuer.example.com",
        "orders-api",
        scopes,
        now,
        3600,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn local_answers_every_route_of_the_http_api_example_as_api_gateway_does() {
    let served = Served::start(&example("http-api"), &[]);
    let http = reqwest::Client::new();
    let read = token("test-signing-key.pem", &["orders/read"]);
    let write = token("test-signing-key.pem", &["orders/write"]);
    let forged = token("other-key.pem", &["orders/read"]);
    let cases: Vec<Case> = vec![
        ("GET", "/health", vec![], 200, json!({"ok": true})),
        (
            "GET",
            "/orders/7",
            vec![],
            401,
            json!({"message": "Unauthorized"}),
        ),
        (
            "GET",
            "/orders/7",
            vec![("Authorization", forged)],
            401,
            json!({"message": "Unauthorized"}),
        ),
        (
            "GET",
            "/orders/7",
            vec![("Authorization", write.clone())],
            403,
            json!({"message": "Forbidden"}),
        ),
        (
            "POST",
            "/orders",
            vec![("Authorization", format!("Bearer {read}"))],
            403,
            json!({"message": "Forbidden"}),
        ),
        (
            "GET",
            "/profile",
            vec![],
            401,
            json!({"message": "Unauthorized"}),
        ),
        (
            "GET",
            "/profile",
            vec![("X-Token", "allow".into())],
            200,
            json!({"authorizer": {"lambda": {"tier": "gold"}}}),
        ),
        (
            "GET",
            "/profile",
            vec![("X-Token", "deny".into())],
            403,
            json!({"message": "Forbidden"}),
        ),
        (
            "GET",
            "/profile",
            vec![("X-Token", "error".into())],
            500,
            json!({"message": "Internal Server Error"}),
        ),
        ("GET", "/nope", vec![], 404, json!({"message": "Not Found"})),
    ];
    for (method, path, headers, status, body) in cases {
        let mut request = http.request(method.parse().unwrap(), served.url(path));
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let got_status = response.status().as_u16();
        let got: Value = response.json().await.unwrap();
        assert_eq!(
            (got_status, &got),
            (status, &body),
            "{method} {path} {headers:?}"
        );
    }
    // Allowed JWT routes answer with the claims API Gateway passes.
    let order = http
        .get(served.url("/orders/7"))
        .header("Authorization", format!("Bearer {read}"))
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 200);
    let order: Value = order.json().await.unwrap();
    assert_eq!(order["id"], "7");
    assert_eq!(order["authorizer"]["jwt"]["claims"]["sub"], "test-user");
    assert_eq!(order["authorizer"]["jwt"]["scopes"], json!(["orders/read"]));
    let created = http
        .post(served.url("/orders"))
        .header("Authorization", &write)
        .json(&json!({"item": "tea"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["order"], json!({"item": "tea"}));
    assert_eq!(
        created["authorizer"]["jwt"]["scopes"],
        json!(["orders/write"])
    );
    let (code, log) = served.stop();
    assert_eq!(code, Some(0), "{log:#?}");
}
