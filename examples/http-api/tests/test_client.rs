//! The HTTP API example through the test client: every JWT and Lambda-authorizer rule of
//! issue 20, as API Gateway applies them.

mod support;

use std::time::Duration;

use chalice_runtime::gateway::{AuthDecision, GatewayConfig, Unemulated};
use chalice_runtime::test::{Client, TestResponse};
use serde_json::{Value, json};
use support::{Key, claims, client, header, signed_token, token};

async fn get_order(client: &Client, authorization: Option<&str>) -> TestResponse {
    let request = client.get("/orders/42");
    match authorization {
        Some(value) => request.header("Authorization", value),
        None => request,
    }
    .send()
    .await
}

fn assert_unauthorized(response: &TestResponse) {
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Unauthorized"}));
}

fn assert_jwt_unauthorized(response: &TestResponse) {
    assert_unauthorized(response);
    let challenge = response.header("www-authenticate").unwrap_or_default();
    assert!(challenge.starts_with("Bearer "), "{challenge:?}");
}

#[tokio::test]
async fn a_valid_token_with_the_scope_reaches_the_view_with_its_claims_and_scopes() {
    let client = client();
    let bearer = format!("Bearer {}", token("orders/read profile"));
    let response = get_order(&client, Some(&bearer)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["id"], "42");
    let jwt = &body["authorizer"]["jwt"];
    assert_eq!(jwt["claims"]["sub"], "user-1");
    assert_eq!(jwt["claims"]["iss"], support::ISSUER);
    // API Gateway hands every claim over as a string.
    assert!(jwt["claims"]["exp"].is_string(), "{jwt}");
    assert_eq!(jwt["scopes"], json!(["orders/read", "profile"]));
    assert_eq!(body["authorizer"].as_object().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn the_token_may_come_with_or_without_bearer() {
    let client = client();
    let response = get_order(&client, Some(&token("orders/read"))).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn a_missing_token_is_401_with_www_authenticate() {
    let client = client();
    assert_jwt_unauthorized(&get_order(&client, None).await);
    assert_jwt_unauthorized(&get_order(&client, Some("")).await);
    assert_jwt_unauthorized(&get_order(&client, Some("not-a-jwt")).await);
}

#[tokio::test]
async fn a_signature_by_another_key_or_an_unknown_kid_is_401() {
    let client = client();
    let other = signed_token(&header(), &claims("orders/read"), Key::Other);
    assert_jwt_unauthorized(&get_order(&client, Some(&other)).await);
    let unknown_kid = signed_token(
        &json!({"alg": "RS256", "kid": "nobody"}),
        &claims("orders/read"),
        Key::Test,
    );
    assert_jwt_unauthorized(&get_order(&client, Some(&unknown_kid)).await);
    // A valid token with its signature changed.
    let mut tampered = token("orders/read");
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_jwt_unauthorized(&get_order(&client, Some(&tampered)).await);
}

#[tokio::test]
async fn none_and_hmac_tokens_are_refused() {
    let client = client();
    let body = URL_SAFE_NO_PAD.encode(claims("orders/read").to_string());
    for alg in ["none", "HS256"] {
        let head = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": support::KID}).to_string());
        let unsigned = format!("{head}.{body}.c2ln");
        assert_jwt_unauthorized(&get_order(&client, Some(&unsigned)).await);
        // Not even when signatures cannot be checked.
        let without_keys = Client::new(http_api::app());
        assert_jwt_unauthorized(&get_order(&without_keys, Some(&unsigned)).await);
    }
}

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn with(changes: Value) -> String {
    let mut claims = claims("orders/read");
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    signed_token(&header(), &claims, Key::Test)
}

#[tokio::test]
async fn the_issuer_must_be_the_authorizers() {
    let client = client();
    let token = with(json!({"iss": "https://elsewhere.example.com"}));
    assert_jwt_unauthorized(&get_order(&client, Some(&token)).await);
    let token = with(json!({"iss": null}));
    assert_jwt_unauthorized(&get_order(&client, Some(&token)).await);
}

#[tokio::test]
async fn aud_must_match_an_audience_or_client_id_when_aud_is_absent() {
    let client = client();
    let cases = [
        (json!({"aud": "other-api"}), 401),
        (json!({"aud": ["other-api", "orders-api"]}), 200),
        (json!({"aud": null, "client_id": "orders-api"}), 200),
        (json!({"aud": null, "client_id": "other"}), 401),
        (json!({"aud": null}), 401),
        // When both are present, `aud` decides.
        (json!({"aud": "other-api", "client_id": "orders-api"}), 401),
    ];
    for (changes, status) in cases {
        let response = get_order(&client, Some(&with(changes.clone()))).await;
        assert_eq!(response.status, status, "{changes}: {}", response.text());
    }
}

#[tokio::test]
async fn exp_nbf_and_iat_are_checked() {
    let client = client();
    let now = support::now();
    let cases = [
        (json!({"exp": now - 1}), 401),
        (json!({"exp": null}), 401),
        (json!({"nbf": now + 600}), 401),
        (json!({"nbf": now - 600}), 200),
        (json!({"iat": now + 600}), 401),
    ];
    for (changes, status) in cases {
        let response = get_order(&client, Some(&with(changes.clone()))).await;
        assert_eq!(response.status, status, "{changes}: {}", response.text());
    }
    // A token expires as the clock moves on.
    let token = with(json!({"exp": now + 60}));
    assert_eq!(get_order(&client, Some(&token)).await.status, 200);
    client.advance_clock(Duration::from_secs(120));
    assert_jwt_unauthorized(&get_order(&client, Some(&token)).await);
}

#[tokio::test]
async fn a_valid_token_without_the_routes_scope_is_403() {
    let client = client();
    let response = get_order(&client, Some(&token("orders/write"))).await;
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Forbidden"}));
    assert!(response.header("www-authenticate").is_some());
    let no_scope = with(json!({"scope": null}));
    assert_eq!(get_order(&client, Some(&no_scope)).await.status, 403);
    // POST /orders needs orders/write instead.
    let created = client
        .post("/orders")
        .header(
            "Authorization",
            &format!("Bearer {}", token("orders/write")),
        )
        .json(&json!({"item": "tea"}))
        .send()
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.json()["order"], json!({"item": "tea"}));
    let refused = client
        .post("/orders")
        .header("Authorization", &token("orders/read"))
        .send()
        .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn without_the_issuers_keys_signatures_are_not_verified_but_claims_are() {
    let client = Client::with_config(http_api::app(), GatewayConfig::default());
    let other = signed_token(&header(), &claims("orders/read"), Key::Other);
    assert_eq!(get_order(&client, Some(&other)).await.status, 200);
    let expired = signed_token(
        &header(),
        &json!({"iss": support::ISSUER, "aud": "orders-api", "exp": 1}),
        Key::Other,
    );
    assert_jwt_unauthorized(&get_order(&client, Some(&expired)).await);
    let warnings = client.warnings().join("\n");
    assert!(warnings.contains("NOT verified"), "{warnings}");
}

async fn profile(client: &Client, token: Option<&str>) -> TestResponse {
    let request = client.get("/profile");
    match token {
        Some(token) => request.header("X-Token", token),
        None => request,
    }
    .send()
    .await
}

#[tokio::test]
async fn gate_allows_allow_and_the_view_sees_its_context_under_lambda() {
    let client = client();
    let response = profile(&client, Some("allow")).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["authorizer"],
        json!({"lambda": {"tier": "gold"}})
    );
}

#[tokio::test]
async fn a_missing_identity_source_is_401_without_running_the_authorizer() {
    let client = client();
    // Run, `gate` would answer an empty token with a simple `false`: 403, not 401.
    for response in [
        profile(&client, None).await,
        profile(&client, Some("")).await,
    ] {
        assert_unauthorized(&response);
        assert_eq!(response.decision, AuthDecision::Unauthorized);
        assert!(response.header("www-authenticate").is_none());
    }
}

#[tokio::test]
async fn a_simple_false_is_403_forbidden() {
    let client = client();
    let response = profile(&client, Some("deny")).await;
    assert_eq!(response.status, 403, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Forbidden"}));
}

#[tokio::test]
async fn an_authorizer_error_is_500() {
    let client = client();
    let response = profile(&client, Some("error")).await;
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(response.json(), json!({"message": "Internal Server Error"}));
    assert!(
        matches!(response.decision, AuthDecision::Failed(ref why) if why.contains("gate is broken"))
    );
}

#[tokio::test]
async fn answers_are_cached_by_identity_source_for_the_ttl() {
    let client = client();
    let first = profile(&client, Some("allow")).await;
    let again = profile(&client, Some("allow")).await;
    let other = profile(&client, Some("deny")).await;
    assert!(
        matches!(first.decision, AuthDecision::Allowed { cached: false, .. }),
        "{:?}",
        first.decision
    );
    assert!(
        matches!(again.decision, AuthDecision::Allowed { cached: true, .. }),
        "{:?}",
        again.decision
    );
    assert_eq!(other.status, 403);
    client.advance_clock(Duration::from_secs(301));
    let expired = profile(&client, Some("allow")).await;
    assert!(
        matches!(
            expired.decision,
            AuthDecision::Allowed { cached: false, .. }
        ),
        "{:?}",
        expired.decision
    );
}

#[tokio::test]
async fn gate_called_directly_answers_in_the_simple_format() {
    let client = client();
    let allow = client
        .authorizer("gate")
        .token("allow")
        .invoke()
        .await
        .unwrap();
    assert_eq!(
        allow,
        json!({"isAuthorized": true, "context": {"tier": "gold"}})
    );
    let deny = client
        .authorizer("gate")
        .token("nope")
        .invoke()
        .await
        .unwrap();
    assert_eq!(deny, json!({"isAuthorized": false, "context": {}}));
    assert!(
        client
            .authorizer("gate")
            .token("error")
            .invoke()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn routes_follow_http_api_routing() {
    let client = client();
    let health = client.get("/health").send().await;
    assert_eq!((health.status, health.json()), (200, json!({"ok": true})));
    for (method, path) in [
        ("GET", "/nope"),
        ("DELETE", "/health"),
        ("GET", "/orders/1/2"),
    ] {
        let response = client.request(method, path).send().await;
        assert_eq!(response.status, 404, "{method} {path}");
        assert_eq!(response.json(), json!({"message": "Not Found"}));
    }
}

#[tokio::test]
async fn iam_routes_are_not_emulated_allowed_with_a_warning_or_refused() {
    let client = client();
    let response = client.get("/admin").send().await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(client.warnings().iter().any(|w| w.contains("IAM")));
    let mut config = support::config();
    config.unemulated = Unemulated::Deny;
    let strict = Client::with_config(http_api::app(), config);
    let refused = strict.get("/admin").send().await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json(), json!({"message": "Forbidden"}));
}

#[test]
fn the_manifest_says_http_api_and_lists_each_authorizer_as_the_cli_reads_it() {
    let manifest = serde_json::to_value(http_api::app().manifest().unwrap()).unwrap();
    assert_eq!(manifest["api_kind"], "http");
    assert_eq!(manifest["app_name"], "httpapi1");
    let authorizers: Vec<Value> = manifest["authorizers"].as_array().unwrap().clone();
    assert_eq!(
        authorizers,
        vec![
            json!({"kind": "builtin", "name": "gate", "function": "gate", "auth_type": "REQUEST",
                   "header": "Authorization", "ttl_seconds": null, "execution_role": null,
                   "identity_sources": ["header.X-Token"], "simple_responses": true}),
            json!({"kind": "jwt", "name": "jwt", "issuer": "https://issuer.example.com",
                   "audiences": ["orders-api"],
                   "identity_source": "$request.header.Authorization", "scopes": []}),
            json!({"kind": "iam", "name": "sigv4"}),
        ]
    );
    let routes: Vec<(String, String, Value, Value)> = manifest["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|route| {
            (
                route["path"].as_str().unwrap().to_owned(),
                route["view_name"].as_str().unwrap().to_owned(),
                route["authorizer"].clone(),
                route["scopes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        vec![
            ("/admin".into(), "admin".into(), json!("sigv4"), json!([])),
            ("/health".into(), "health".into(), Value::Null, json!([])),
            (
                "/orders".into(),
                "create_order".into(),
                json!("jwt"),
                json!(["orders/write"])
            ),
            (
                "/orders/{id}".into(),
                "get_order".into(),
                json!("jwt"),
                json!(["orders/read"])
            ),
            (
                "/profile".into(),
                "profile".into(),
                json!("gate"),
                json!([])
            ),
        ]
    );
}
