use std::time::Duration;

use base64::Engine as _;
use chalice_runtime::gateway::{AuthDecision, GatewayConfig, Unemulated};
use chalice_runtime::manifest::ManifestAuthorizer;
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthFailure};
use serde_json::{Value, json};

fn client() -> Client {
    Client::new(App::new("authz-variants"))
}

fn jwt(claims: Value) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        engine.encode(r#"{"alg":"RS256"}"#),
        engine.encode(claims.to_string())
    )
}

#[tokio::test]
async fn public_route_needs_no_token() {
    let response = client().get("/").send().await;
    assert_eq!(
        (response.status, response.json()),
        (200, json!({"hello": "world"}))
    );
    assert_eq!(response.decision, AuthDecision::Public);
}

#[tokio::test]
async fn context_values_reach_the_view_as_strings() {
    let response = client()
        .get("/admin")
        .header("Authorization", "admin")
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["authorizer"],
        json!({"role": "admin", "level": "3", "principalId": "admin"})
    );
}

#[tokio::test]
async fn auth_routes_allow_only_their_methods() {
    let client = client();
    let read = client
        .get("/items/7")
        .header("Authorization", "reader")
        .send()
        .await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json(), json!({"id": 7, "method": "GET"}));
    let write = client
        .put("/items/7")
        .header("Authorization", "reader")
        .send()
        .await;
    assert_eq!(write.status, 403);
    let list = client
        .get("/items")
        .header("Authorization", "reader")
        .send()
        .await;
    assert_eq!(list.status, 200);
    let admin_page = client
        .get("/admin")
        .header("Authorization", "reader")
        .send()
        .await;
    assert_eq!(admin_page.status, 403);
}

#[tokio::test]
async fn wildcard_routes_allow_every_path_and_method() {
    let client = client();
    for (method, path) in [
        ("GET", "/admin"),
        ("DELETE", "/items/3"),
        ("POST", "/items"),
        ("GET", "/cors"),
    ] {
        let response = client
            .request(method, path)
            .header("Authorization", "admin")
            .send()
            .await;
        assert_eq!(response.status, 200, "{method} {path}: {}", response.text());
    }
}

#[tokio::test]
async fn unauthorized_error_from_the_authorizer_is_a_401() {
    let response = client()
        .get("/admin")
        .header("Authorization", "stranger")
        .send()
        .await;
    assert_eq!(response.status, 401);
    assert_eq!(response.text(), r#"{"message":"Unauthorized"}"#);
}

#[tokio::test]
async fn a_failing_authorizer_is_a_500_not_a_dropped_request() {
    let response = client()
        .get("/broken")
        .header("Authorization", "anything")
        .send()
        .await;
    assert_eq!(response.status, 500);
    assert_eq!(response.text(), r#"{"message":null}"#);
    assert_eq!(
        response.header("x-amzn-ErrorType"),
        Some("AuthorizerConfigurationException")
    );
    assert!(
        matches!(response.decision, AuthDecision::Failed(ref reason) if reason.contains("unreachable"))
    );
}

#[tokio::test]
async fn raw_policies_are_evaluated_with_explicit_deny() {
    let client = client();
    let allowed = client
        .get("/header")
        .header("X-Api-Token", "let-me-in")
        .send()
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.json()["authorizer"],
        json!({"via": "header", "principalId": "header-user"})
    );
    let denied = client
        .get("/header")
        .header("X-Api-Token", "wrong")
        .send()
        .await;
    assert_eq!(denied.status, 403);
    // The configured header is the one read: Authorization is not the identity source here.
    let wrong_header = client
        .get("/header")
        .header("Authorization", "let-me-in")
        .send()
        .await;
    assert_eq!(wrong_header.status, 401);
}

#[tokio::test]
async fn request_authorizers_see_headers_and_query() {
    let client = client();
    let allowed = client
        .get("/tenants/acme?key=secret")
        .header("X-Tenant", "acme")
        .send()
        .await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.json()["authorizer"],
        json!({"tenant": "acme", "principalId": "acme"})
    );
    let other_tenant = client
        .get("/tenants/globex?key=secret")
        .header("X-Tenant", "acme")
        .send()
        .await;
    assert_eq!(other_tenant.status, 403);
    let missing_source = client
        .get("/tenants/acme")
        .header("X-Tenant", "acme")
        .send()
        .await;
    assert_eq!(missing_source.status, 401);
}

#[tokio::test]
async fn cached_policies_are_evaluated_again_for_each_path() {
    let client = client();
    let first = client
        .get("/items/1")
        .header("Authorization", "reader")
        .send()
        .await;
    assert!(matches!(
        first.decision,
        AuthDecision::Allowed { cached: false, .. }
    ));
    let second = client
        .get("/items/2")
        .header("Authorization", "reader")
        .send()
        .await;
    assert!(matches!(
        second.decision,
        AuthDecision::Allowed { cached: true, .. }
    ));
    let denied_from_cache = client
        .get("/admin")
        .header("Authorization", "reader")
        .send()
        .await;
    assert_eq!(denied_from_cache.status, 403);
    client.advance_clock(Duration::from_secs(61));
    let expired = client
        .get("/items/3")
        .header("Authorization", "reader")
        .send()
        .await;
    assert!(matches!(
        expired.decision,
        AuthDecision::Allowed { cached: false, .. }
    ));
}

#[tokio::test]
async fn cognito_routes_check_scopes_and_pass_claims() {
    let client = client();
    let future = 4_102_444_800_u64; // 2100-01-01
    let token = jwt(
        json!({"sub": "abc", "cognito:username": "janedoe", "scope": "users/read", "exp": future}),
    );
    let response = client
        .get("/users/42")
        .header("Authorization", &token)
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["claims"]["cognito:username"], "janedoe");
    assert_eq!(response.json()["claims"]["exp"], future.to_string());
    let no_scope = jwt(json!({"sub": "abc", "exp": future}));
    assert_eq!(
        client
            .get("/users/42")
            .header("Authorization", &no_scope)
            .send()
            .await
            .status,
        401
    );
    let expired = jwt(json!({"sub": "abc", "scope": "users/read", "exp": 1}));
    let refused = client
        .get("/users/42")
        .header("Authorization", &expired)
        .send()
        .await;
    assert_eq!(refused.status, 401);
    // The log says why, where API Gateway's answer does not.
    assert_eq!(
        refused.decision.to_string(),
        "unauthorized: the token has expired"
    );
    assert_eq!(
        client
            .get("/users/42")
            .header("Authorization", "not-a-jwt")
            .send()
            .await
            .status,
        401
    );
    assert!(client.warnings().iter().any(|w| w.contains("not verified")));
}

#[tokio::test]
async fn iam_and_existing_lambda_authorizers_are_allowed_with_a_warning_or_refused() {
    let client = client();
    let iam = client.get("/iam-auth").send().await;
    assert_eq!(iam.status, 200);
    assert_eq!(iam.decision, AuthDecision::Unemulated { allowed: true });
    let external = client.get("/external").send().await;
    assert_eq!(external.status, 200);
    assert_eq!(client.warnings().len(), 2, "{:?}", client.warnings());

    let config = GatewayConfig {
        unemulated: Unemulated::Deny,
        ..GatewayConfig::default()
    };
    let strict = Client::with_config(App::new("authz-variants"), config);
    assert_eq!(strict.get("/iam-auth").send().await.status, 403);
    assert_eq!(strict.get("/external").send().await.status, 401);
}

#[tokio::test]
async fn path_params_are_parsed_and_bad_values_are_400() {
    let client = client();
    let bad = client
        .get("/items/abc")
        .header("Authorization", "admin")
        .send()
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["Code"], "BadRequestError");
    let missing = client
        .get("/items/0")
        .header("Authorization", "admin")
        .send()
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.json(),
        json!({"Code": "NotFoundError", "Message": "NotFoundError: no item 0"})
    );
}

#[tokio::test]
async fn json_bodies_reach_the_view() {
    let response = client()
        .post("/items")
        .header("Authorization", "admin")
        .json(&json!({"name": "widget"}))
        .send()
        .await;
    assert_eq!(response.json(), json!({"created": {"name": "widget"}}));
}

/// The app's full CORS configuration, as a browser reads it.
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

fn assert_cors(what: &str, response: &chalice_runtime::test::TestResponse) {
    for (name, value) in CORS_HEADERS {
        assert_eq!(response.header(name), Some(value), "{what}: {name}");
    }
}

#[tokio::test]
async fn cors_preflight_is_never_authorized_and_denials_carry_cors_headers() {
    let client = client();
    let preflight = client.options("/cors").send().await;
    assert_eq!(preflight.status, 200);
    assert_eq!(preflight.decision, AuthDecision::Preflight);
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET,POST,OPTIONS")
    );
    assert_cors("preflight", &preflight);
    let unauthorized = client.get("/cors").send().await;
    assert_eq!(unauthorized.status, 401);
    assert_cors("401", &unauthorized);
    let allowed = client
        .get("/cors")
        .header("Authorization", "admin")
        .send()
        .await;
    assert_cors("200", &allowed);
    // No CORS on /admin: no preflight there, and its view answers without CORS headers; API
    // Gateway's own answers carry the app's, as the deployed gateway responses do.
    let no_preflight = client.options("/admin").send().await;
    assert_eq!(no_preflight.status, 403);
    assert_cors("missing preflight", &no_preflight);
    let admin_refused = client.get("/admin").send().await;
    assert_eq!(admin_refused.status, 401);
    assert_cors("401 on /admin", &admin_refused);
    let admin = client
        .get("/admin")
        .header("Authorization", "admin")
        .send()
        .await;
    assert_eq!(admin.status, 200, "{}", admin.text());
    assert_eq!(admin.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn authorizers_can_be_invoked_directly() {
    let client = client();
    let failure = client
        .authorizer("rich_auth")
        .token("nobody")
        .invoke()
        .await
        .unwrap_err();
    assert!(matches!(failure, AuthFailure::Unauthorized));
    let failure = client
        .authorizer("broken_auth")
        .token("x")
        .invoke()
        .await
        .unwrap_err();
    assert_eq!(failure.to_string(), "the user database is unreachable");
    let policy = client
        .authorizer("tenant_auth")
        .event(json!({
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-west-2:123456789012:abc/api/GET/tenants/acme",
            "headers": {"X-Tenant": "acme"},
            "queryStringParameters": {"key": "secret"},
            "requestContext": {},
        }))
        .invoke()
        .await
        .unwrap();
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Resource"],
        json!(["arn:aws:execute-api:us-west-2:123456789012:abc/api/GET/tenants/acme"])
    );
}

#[test]
fn manifest_describes_every_authorizer_kind() {
    let manifest = App::new("authz-variants").manifest().unwrap();
    let names: Vec<&str> = manifest
        .authorizers
        .iter()
        .map(ManifestAuthorizer::name)
        .collect();
    assert_eq!(
        names,
        [
            "ExternalAuth",
            "MyPool",
            "broken_auth",
            "header_auth",
            "rich_auth",
            "sigv4",
            "tenant_auth"
        ]
    );
    let header_auth = manifest
        .authorizers
        .iter()
        .find(|a| a.name() == "header_auth")
        .unwrap();
    assert_eq!(
        header_auth,
        &ManifestAuthorizer::Builtin {
            name: "header_auth".into(),
            function: "hdr_auth".into(),
            auth_type: "TOKEN".into(),
            header: "X-Api-Token".into(),
            ttl_seconds: Some(0),
            execution_role: None,
            identity_sources: vec![],
            simple_responses: false,
        }
    );
    let users = manifest
        .routes
        .iter()
        .find(|r| r.path == "/users/{id}")
        .unwrap();
    assert_eq!(users.methods, ["GET", "PUT"]);
    assert_eq!(users.scopes, ["users/read"]);
    assert_eq!(users.path_params, ["id"]);
    let external = manifest
        .authorizers
        .iter()
        .find(|a| a.name() == "ExternalAuth")
        .unwrap();
    assert!(
        matches!(external, ManifestAuthorizer::Custom { ttl_seconds: 120, header, invoke_role_arn: Some(_), .. } if header == "X-External-Auth")
    );
}

/// Cognito tokens signed by the pool's key pass when the gateway has its JWKS; anything else is
/// a 401 and nothing says "not verified".
#[tokio::test]
async fn cognito_tokens_are_verified_against_the_jwks() {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::signature::{SignatureEncoding as _, Signer as _};
    use rsa::traits::PublicKeyParts as _;

    let key = rsa::RsaPrivateKey::from_pkcs8_pem(include_str!(
        "../../../chalice-runtime/src/gateway/test-cognito-key.pem"
    ))
    .unwrap();
    let public = key.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())}]});
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let sign = |claims: Value| {
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        format!(
            "{message}.{}",
            URL_SAFE_NO_PAD.encode(signer.sign(message.as_bytes()).to_bytes())
        )
    };
    let config = GatewayConfig {
        cognito_jwks: Some(std::sync::Arc::new(
            chalice_runtime::gateway::Jwks::parse(&jwks.to_string()).unwrap(),
        )),
        ..GatewayConfig::default()
    };
    let client = Client::with_config(App::new("authz-variants"), config);
    let iss = "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_abc123";
    let good = sign(
        json!({"iss": iss, "token_use": "access", "scope": "users/read", "exp": 4_102_444_800_u64, "username": "jane"}),
    );
    let response = client
        .get("/users/1")
        .header("Authorization", &good)
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["claims"]["username"], "jane");
    let other_pool = sign(
        json!({"iss": "https://cognito-idp.us-west-2.amazonaws.com/other", "token_use": "access", "scope": "users/read"}),
    );
    assert_eq!(
        client
            .get("/users/1")
            .header("Authorization", &other_pool)
            .send()
            .await
            .status,
        401
    );
    let unsigned = jwt(json!({"iss": iss, "token_use": "access", "scope": "users/read"}));
    assert_eq!(
        client
            .get("/users/1")
            .header("Authorization", &unsigned)
            .send()
            .await
            .status,
        401
    );
    assert!(client.warnings().is_empty(), "{:?}", client.warnings());
}
