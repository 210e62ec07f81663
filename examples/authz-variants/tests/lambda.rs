//! The built binary run as AWS Lambda runs `bootstrap`, against a fake Lambda Runtime API: as
//! the API handler and as each of its built-in authorizers, as the deployer configures them.

use std::time::Duration;

use chalice_testkit::events::{ProxyEvent, body_json, method_arn, request_event, token_event};
use chalice_testkit::{FakeRuntime, LambdaProcess};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_authz-variants");

fn start(handler: &str) -> (FakeRuntime, LambdaProcess) {
    chalice_testkit::start_lambda(BIN, handler)
}

/// What API Gateway passes on after `rich_auth` allowed `admin`: the context as strings.
fn admin() -> Value {
    json!({"role": "admin", "level": "3", "principalId": "admin", "integrationLatency": 3})
}

#[test]
fn api_handler_serves_every_kind_of_route() {
    let (runtime, mut process) = start("api_handler");

    let admin_view = runtime
        .invoke(
            &ProxyEvent::new("GET", "/admin", "/admin")
                .authorizer(admin())
                .build(),
        )
        .json();
    assert_eq!(admin_view["statusCode"], 200);
    assert_eq!(body_json(&admin_view), json!({"authorizer": admin()}));

    let item = runtime
        .invoke(
            &ProxyEvent::new("GET", "/items/{id}", "/items/7")
                .path_param("id", "7")
                .authorizer(admin())
                .build(),
        )
        .json();
    assert_eq!(body_json(&item), json!({"id": 7, "method": "GET"}));

    let tenant = runtime
        .invoke(
            &ProxyEvent::new("GET", "/tenants/{tenant}", "/tenants/acme")
                .path_param("tenant", "acme")
                .header("X-Tenant", "acme")
                .query("key", "secret")
                .authorizer(json!({"tenant": "acme", "principalId": "acme"}))
                .build(),
        )
        .json();
    assert_eq!(
        body_json(&tenant),
        json!({"tenant": "acme", "authorizer": {"tenant": "acme", "principalId": "acme"}})
    );

    // A Cognito authorizer's claims arrive nested, as API Gateway sends them.
    let user = runtime
        .invoke(
            &ProxyEvent::new("GET", "/users/{id}", "/users/42")
                .path_param("id", "42")
                .authorizer(json!({"claims": {"sub": "42", "cognito:username": "ann"}}))
                .build(),
        )
        .json();
    assert_eq!(
        body_json(&user),
        json!({"id": "42", "claims": {"sub": "42", "cognito:username": "ann"}})
    );

    let cors = runtime
        .invoke(
            &ProxyEvent::new("GET", "/cors", "/cors")
                .authorizer(admin())
                .build(),
        )
        .json();
    assert_eq!(
        cors["headers"]["access-control-allow-origin"],
        "https://app.example"
    );
    assert_eq!(cors["headers"]["access-control-max-age"], "600");
    assert_eq!(cors["headers"]["access-control-allow-credentials"], "true");
    assert!(process.is_running());
}

#[test]
fn api_handler_decodes_binary_bodies_and_maps_view_errors_to_chalice_responses() {
    let (runtime, _process) = start("api_handler");
    let created = runtime
        .invoke(
            &ProxyEvent::new("POST", "/items", "/items")
                .header("Content-Type", "application/json")
                .binary_body(br#"{"name": "widget"}"#)
                .authorizer(admin())
                .build(),
        )
        .json();
    assert_eq!(created["statusCode"], 200, "{created}");
    assert_eq!(body_json(&created), json!({"created": {"name": "widget"}}));

    let cases = [
        (
            ProxyEvent::new("GET", "/items/{id}", "/items/0").path_param("id", "0"),
            404,
            json!({"Code": "NotFoundError", "Message": "NotFoundError: no item 0"}),
        ),
        (
            ProxyEvent::new("GET", "/items/{id}", "/items/abc").path_param("id", "abc"),
            400,
            json!({"Code": "BadRequestError",
                   "Message": "BadRequestError: invalid value for path parameter 'id': invalid digit found in string"}),
        ),
        (
            ProxyEvent::new("POST", "/items", "/items").body("{not json"),
            400,
            json!({"Code": "BadRequestError", "Message": "BadRequestError: Error Parsing JSON"}),
        ),
        (
            ProxyEvent::new("POST", "/items", "/items")
                .header("Content-Type", "text/plain")
                .body("hi"),
            415,
            json!({"Code": "UnsupportedMediaType", "Message": "Unsupported media type: text/plain"}),
        ),
        (
            ProxyEvent::new("GET", "/missing", "/missing"),
            403,
            json!({"message": "Missing Authentication Token"}),
        ),
    ];
    for (event, status, body) in cases {
        let response = runtime.invoke(&event.authorizer(admin()).build()).json();
        assert_eq!(response["statusCode"], status, "{response}");
        assert_eq!(body_json(&response), body, "{response}");
    }
}

#[test]
fn rich_auth_answers_with_its_context_and_unauthorized_is_exactly_unauthorized() {
    let (runtime, mut process) = start("rich_auth");
    let admin = runtime.invoke(&token_event("admin", &method_arn("GET", "/admin")));
    assert_eq!(
        admin.response().text(),
        r#"{"context":{"role":"admin","level":3},"principalId":"admin","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:123456789012:abc123/api/*/*"]}]}}"#
    );
    let reader = runtime
        .invoke(&token_event("reader", &method_arn("GET", "/items")))
        .json();
    assert_eq!(
        reader["policyDocument"]["Statement"][0]["Resource"],
        json!([
            "arn:aws:execute-api:us-west-2:123456789012:abc123/api/GET/items",
            "arn:aws:execute-api:us-west-2:123456789012:abc123/api/GET/items/*"
        ])
    );
    let nobody = runtime.invoke(&token_event("nobody", &method_arn("GET", "/items")));
    let chalice_testkit::Outcome::Error(posted) = &nobody else {
        panic!("expected an error: {nobody:?}");
    };
    assert_eq!(
        posted.json(),
        json!({"errorType": "Unauthorized", "errorMessage": "Unauthorized"})
    );
    assert_eq!(posted.function_error_type.as_deref(), Some("unhandled"));
    // Refusing is routine: nothing is logged for it.
    assert!(
        !process.stderr().contains("Unauthorized"),
        "{}",
        process.stderr()
    );
    assert_eq!(
        runtime
            .invoke(&token_event("admin", &method_arn("GET", "/")))
            .json()["principalId"],
        "admin"
    );
    assert!(process.is_running());
}

#[test]
fn header_auth_raw_policy_passes_through_byte_for_byte() {
    let (runtime, _process) = start("header_auth");
    let arn = method_arn("GET", "/header");
    let allowed = runtime.invoke(&token_event("let-me-in", &arn));
    assert_eq!(
        allowed.response().text(),
        format!(
            r#"{{"principalId":"header-user","policyDocument":{{"Version":"2012-10-17","Statement":[{{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"{arn}"}}]}},"context":{{"via":"header"}}}}"#
        )
    );
    let denied = runtime.invoke(&token_event("wrong", &arn)).json();
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
}

#[test]
fn broken_auth_error_becomes_a_lambda_error_with_its_message() {
    let (runtime, mut process) = start("broken_auth");
    let (error_type, message) = runtime
        .invoke(&token_event("x", &method_arn("GET", "/broken")))
        .error();
    assert_eq!(error_type, "AuthorizerError");
    assert_eq!(message, "the user database is unreachable");
    process.wait_for_stderr("broken_auth: AuthorizerError: the user database is unreachable");
    assert!(process.is_running());
}

#[test]
fn tenant_auth_reads_request_events_and_rejects_malformed_ones() {
    let (runtime, mut process) = start("tenant_auth");
    let event = |key: &str| {
        request_event(
            "GET",
            "/tenants/{tenant}",
            "/tenants/acme",
            &[("X-Tenant", "acme")],
            &[("key", key)],
        )
    };
    let allowed = runtime.invoke(&event("secret"));
    assert_eq!(
        allowed.response().text(),
        r#"{"context":{"tenant":"acme"},"principalId":"acme","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:123456789012:abc123/api/GET/tenants/acme"]}]}}"#
    );
    let denied = runtime.invoke(&event("guess")).json();
    assert_eq!(
        denied["policyDocument"]["Statement"][0]["Resource"],
        json!([])
    );

    let mut bad_headers = event("secret");
    bad_headers["headers"] = json!(5);
    let (error_type, message) = runtime.invoke(&bad_headers).error();
    assert_eq!(error_type, "InvalidEvent");
    assert!(
        message.starts_with("malformed REQUEST authorizer event: headers: "),
        "{message}"
    );
    let mut no_arn = event("secret");
    no_arn.as_object_mut().unwrap().remove("methodArn");
    let (error_type, message) = runtime.invoke(&no_arn).error();
    assert_eq!(
        (error_type.as_str(), message.as_str()),
        ("InvalidEvent", "REQUEST authorizer event has no methodArn")
    );

    assert_eq!(
        runtime.invoke(&event("secret")).json()["principalId"],
        "acme"
    );
    assert!(process.is_running());
}

#[test]
fn only_built_in_authorizers_and_the_api_handler_are_handler_strings() {
    let runtime = FakeRuntime::start();
    let mut process = LambdaProcess::spawn(BIN, &runtime, "MyPool");
    assert_eq!(
        process
            .wait_exit(Duration::from_secs(20))
            .and_then(|s| s.code()),
        Some(1)
    );
    let (error_type, message) = runtime
        .wait_init_error(Duration::from_secs(5))
        .expect("an /init/error post")
        .error();
    assert_eq!(error_type, "Runtime.HandlerNotFound");
    assert!(
        message.contains(
            "`api_handler` or a built-in authorizer: `broken_auth`, `header_auth`, `rich_auth`, `tenant_auth`"
        ),
        "{message}"
    );
}
