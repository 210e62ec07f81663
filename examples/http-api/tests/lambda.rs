//! The built example run as AWS Lambda runs it, against a fake Lambda Runtime API: as the API
//! handler (payload format 2.0 proxy events) and as the `gate` authorizer (2.0 authorizer
//! events), as the deployer configures them.

use chalice_testkit::{FakeRuntime, LambdaProcess};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_http-api");

fn start(handler: &str) -> (FakeRuntime, LambdaProcess) {
    chalice_testkit::start_lambda(BIN, handler)
}

fn request_context(route_key: &str, path: &str, authorizer: Value) -> Value {
    let method = route_key.split(' ').next().unwrap();
    json!({
        "accountId": "123456789012", "apiId": "abc123", "stage": "$default",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
        "requestId": "JKJaXmPLvHcESHA=", "routeKey": route_key,
        "time": "05/Dec/2026:07:00:00 +0000", "timeEpoch": 1796454000000_i64,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "curl/8"},
        "authorizer": authorizer
    })
}

/// A payload format 2.0 proxy event, as an HTTP API sends it to the API handler.
fn proxy_event(route_key: &str, path: &str, authorizer: Value) -> Value {
    json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": "",
        "headers": {"accept": "application/json", "user-agent": "curl/8"},
        "requestContext": request_context(route_key, path, authorizer),
        "isBase64Encoded": false
    })
}

fn body(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap()).unwrap()
}

#[test]
fn the_api_handler_gives_the_view_the_jwt_authorizer_as_api_gateway_sent_it() {
    let (runtime, _process) = start("api_handler");
    let jwt = json!({"jwt": {"claims": {"sub": "user-1", "iss": "https://issuer.example.com"},
                             "scopes": ["orders/read"]}});
    let mut event = proxy_event("GET /orders/{id}", "/orders/42", jwt.clone());
    event["pathParameters"] = json!({"id": "42"});
    let response = runtime.invoke(&event).json();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(body(&response), json!({"authorizer": jwt, "id": "42"}));
}

#[test]
fn the_api_handler_gives_the_view_the_lambda_authorizers_context() {
    let (runtime, _process) = start("api_handler");
    let lambda = json!({"lambda": {"tier": "gold"}});
    let response = runtime
        .invoke(&proxy_event("GET /profile", "/profile", lambda.clone()))
        .json();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(body(&response), json!({"authorizer": lambda}));
}

#[test]
fn a_post_body_reaches_the_view_base64_or_not() {
    let (runtime, _process) = start("api_handler");
    let jwt = json!({"jwt": {"claims": {"sub": "u"}, "scopes": ["orders/write"]}});
    let mut event = proxy_event("POST /orders", "/orders", jwt);
    event["body"] = json!("eyJpdGVtIjoidGVhIn0=");
    event["isBase64Encoded"] = json!(true);
    let response = runtime.invoke(&event).json();
    assert_eq!(
        body(&response)["order"],
        json!({"item": "tea"}),
        "{response}"
    );
    event["body"] = json!("not json");
    event["isBase64Encoded"] = json!(false);
    let response = runtime.invoke(&event).json();
    assert_eq!(response["statusCode"], 400, "{response}");
}

#[test]
fn a_route_key_the_app_lacks_is_404_not_found() {
    let (runtime, _process) = start("api_handler");
    for route_key in ["GET /nope", "DELETE /health", "$default"] {
        let response = runtime
            .invoke(&proxy_event(route_key, "/nope", Value::Null))
            .json();
        assert_eq!(response["statusCode"], 404, "{route_key}: {response}");
        assert_eq!(body(&response), json!({"message": "Not Found"}));
    }
    let health = runtime
        .invoke(&proxy_event("GET /health", "/health", Value::Null))
        .json();
    assert_eq!(body(&health), json!({"ok": true}));
}

#[test]
fn the_api_handler_refuses_rest_and_authorizer_events_naming_them() {
    let (runtime, _process) = start("api_handler");
    let rest = json!({"httpMethod": "GET", "resource": "/health", "path": "/health",
                      "requestContext": {"httpMethod": "GET", "resourcePath": "/health"}});
    let (error_type, message) = runtime.invoke(&rest).error();
    assert_eq!(error_type, "InvalidEvent");
    assert!(message.contains("payload format 2.0"), "{message}");
    let (error_type, message) = runtime.invoke(&authorizer_event("allow")).error();
    assert_eq!(error_type, "InvalidEvent");
    assert!(message.contains("authorizer event"), "{message}");
}

/// A payload format 2.0 authorizer event for `GET /profile` with the `X-Token` value.
fn authorizer_event(token: &str) -> Value {
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/profile",
        "identitySource": [token], "routeKey": "GET /profile", "rawPath": "/profile",
        "rawQueryString": "", "headers": {"x-token": token},
        "requestContext": request_context("GET /profile", "/profile", Value::Null)
    })
}

#[test]
fn gate_answers_2_0_events_in_the_simple_format() {
    let (runtime, _process) = start("gate");
    let allow = runtime.invoke(&authorizer_event("allow")).json();
    assert_eq!(
        allow,
        json!({"isAuthorized": true, "context": {"tier": "gold"}})
    );
    let deny = runtime.invoke(&authorizer_event("other")).json();
    assert_eq!(deny, json!({"isAuthorized": false, "context": {}}));
}

#[test]
fn gate_fails_on_error_as_a_lambda_error() {
    let (runtime, _process) = start("gate");
    let (error_type, message) = runtime.invoke(&authorizer_event("error")).error();
    assert_eq!(error_type, "AuthorizerError");
    assert!(message.contains("gate is broken"), "{message}");
}

#[test]
fn gate_refuses_rest_authorizer_events_naming_them() {
    let (runtime, _process) = start("gate");
    let token = json!({"type": "TOKEN", "authorizationToken": "allow",
                       "methodArn": "arn:aws:execute-api:us-east-1:1:abc/api/GET/profile"});
    let (error_type, message) = runtime.invoke(&token).error();
    assert_eq!(error_type, "InvalidEvent");
    assert!(message.contains("REST API TOKEN event"), "{message}");
}
