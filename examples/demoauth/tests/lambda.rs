//! The built binary run as AWS Lambda runs `bootstrap`, against a fake Lambda Runtime API: once
//! as the API handler and once as the `demo_auth` authorizer, as the deployer configures them.

use std::time::Duration;

use chalice_testkit::events::{ProxyEvent, body_json, method_arn, token_event};
use chalice_testkit::{FakeRuntime, LambdaProcess};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_demoauth");

fn start(handler: &str) -> (FakeRuntime, LambdaProcess) {
    chalice_testkit::start_lambda(BIN, handler)
}

#[test]
fn api_handler_shows_the_view_the_request_context_with_the_authorizer_output() {
    let (runtime, _process) = start("api_handler");
    let event = ProxyEvent::new("GET", "/", "/")
        .header("Authorization", "allow")
        .authorizer(json!({"principalId": "user", "integrationLatency": 12}))
        .build();
    let response = runtime.invoke(&event).json();
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"]["content-type"], "application/json");
    assert_eq!(response["isBase64Encoded"], false);
    let context = &body_json(&response)["context"];
    assert_eq!(
        context["authorizer"],
        json!({"principalId": "user", "integrationLatency": 12})
    );
    assert_eq!(context["resourcePath"], "/");
    assert_eq!(context["httpMethod"], "GET");
    assert_eq!(context["stage"], "api");
    assert_eq!(context["path"], "/api/");
    assert_eq!(context["requestId"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
    assert_eq!(context["identity"]["sourceIp"], "203.0.113.7");
    assert_eq!(context["apiId"], "abc123");
}

#[test]
fn api_handler_answers_routes_the_app_lacks_as_api_gateway_and_chalice_do() {
    let (runtime, _process) = start("api_handler");
    let unknown = runtime
        .invoke(&ProxyEvent::new("GET", "/nope", "/nope").build())
        .json();
    assert_eq!(unknown["statusCode"], 403);
    assert_eq!(
        unknown["body"],
        r#"{"message":"Missing Authentication Token"}"#
    );
    let wrong_method = runtime
        .invoke(&ProxyEvent::new("DELETE", "/", "/").build())
        .json();
    assert_eq!(wrong_method["statusCode"], 405);
    assert_eq!(wrong_method["headers"]["allow"], "GET");
    assert_eq!(body_json(&wrong_method)["Code"], "MethodNotAllowedError");
}

#[test]
fn api_handler_turns_malformed_events_into_clear_errors_and_keeps_serving() {
    let (runtime, mut process) = start("api_handler");
    let not_json = runtime.invoke_raw("this is not JSON").error();
    assert!(not_json.1.contains("failed to deserialize"), "{not_json:?}");
    let cases = [
        (json!([1, 2]), "malformed API Gateway proxy event"),
        (
            json!({"httpMethod": 5, "requestContext": {}}),
            "malformed API Gateway proxy event: httpMethod",
        ),
        (
            token_event("allow", &method_arn("GET", "/")),
            "received a TOKEN authorizer event",
        ),
    ];
    for (event, expected) in cases {
        let (error_type, message) = runtime.invoke(&event).error();
        assert_eq!(error_type, "InvalidEvent", "{event}");
        assert!(message.contains(expected), "{event}: {message}");
    }
    let event = ProxyEvent::new("GET", "/", "/")
        .authorizer(json!({"principalId": "user"}))
        .build();
    assert_eq!(runtime.invoke(&event).json()["statusCode"], 200);
    assert!(process.is_running());
    process.wait_for_stderr("api_handler: InvalidEvent: malformed API Gateway proxy event");
}

#[test]
fn demo_auth_answers_allow_with_chalices_policy_byte_for_byte() {
    let (runtime, _process) = start("demo_auth");
    let outcome = runtime.invoke(&token_event("allow", &method_arn("GET", "/")));
    assert_eq!(
        outcome.response().text(),
        r#"{"context":{},"principalId":"user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":["arn:aws:execute-api:us-west-2:123456789012:abc123/api/*/"]}]}}"#
    );
    let denied = runtime.invoke(&token_event("deny", &method_arn("GET", "/")));
    assert_eq!(
        denied.response().text(),
        r#"{"context":{},"principalId":"user","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":[]}]}}"#
    );
}

#[test]
fn demo_auth_turns_malformed_events_into_clear_errors_and_keeps_serving() {
    let (runtime, mut process) = start("demo_auth");
    let cases = [
        (json!({"authorizationToken": "allow"}), "no \"type\" field"),
        (json!({"type": "WEIRD"}), "\"WEIRD\""),
        (
            json!({"type": "TOKEN", "authorizationToken": "allow"}),
            "no methodArn",
        ),
        (
            json!({"type": "TOKEN", "authorizationToken": 7, "methodArn": "arn"}),
            "malformed TOKEN authorizer event: authorizationToken",
        ),
        (
            ProxyEvent::new("GET", "/", "/").build(),
            "received an API Gateway proxy event",
        ),
        (token_event("allow", "not-an-arn"), "malformed method ARN"),
    ];
    for (event, expected) in cases {
        let (error_type, message) = runtime.invoke(&event).error();
        assert!(
            ["InvalidEvent", "AuthorizerError"].contains(&error_type.as_str()),
            "{event}: {error_type}"
        );
        assert!(message.contains(expected), "{event}: {message}");
    }
    let allowed = runtime
        .invoke(&token_event("allow", &method_arn("GET", "/")))
        .json();
    assert_eq!(allowed["principalId"], "user");
    assert!(process.is_running());
}

#[test]
fn an_unknown_handler_is_an_init_error_not_a_panic() {
    let runtime = FakeRuntime::start();
    let mut process = LambdaProcess::spawn(BIN, &runtime, "index");
    let status = process
        .wait_exit(Duration::from_secs(20))
        .expect("the process exits");
    assert_eq!(status.code(), Some(1));
    let posted = runtime
        .wait_init_error(Duration::from_secs(5))
        .expect("an /init/error post");
    let (error_type, message) = posted.error();
    assert_eq!(error_type, "Runtime.HandlerNotFound");
    assert_eq!(
        posted.function_error_type.as_deref(),
        Some("Runtime.HandlerNotFound")
    );
    assert!(message.contains("`index`"), "{message}");
    assert!(
        message.contains("`api_handler` or a built-in authorizer: `demo_auth`"),
        "{message}"
    );
    assert_eq!(runtime.next_calls(), 0);
    assert!(
        !process.stderr().contains("panicked"),
        "{}",
        process.stderr()
    );
}

#[test]
fn missing_lambda_settings_are_init_errors_not_panics() {
    for (remove, expected) in [
        ("_HANDLER", "_HANDLER is not set"),
        (
            "AWS_LAMBDA_FUNCTION_NAME",
            "AWS_LAMBDA_FUNCTION_NAME is not set",
        ),
    ] {
        let runtime = FakeRuntime::start();
        let mut command = LambdaProcess::command(BIN, &runtime, "api_handler");
        command.env_remove(remove);
        let mut process = LambdaProcess::start(command);
        assert_eq!(
            process
                .wait_exit(Duration::from_secs(20))
                .and_then(|s| s.code()),
            Some(1)
        );
        let (_, message) = runtime
            .wait_init_error(Duration::from_secs(5))
            .expect("an /init/error post")
            .error();
        assert!(message.contains(expected), "{message}");
        assert!(
            !process.stderr().contains("panicked"),
            "{}",
            process.stderr()
        );
    }
}

#[test]
fn an_unusable_runtime_api_address_is_a_clear_error() {
    let runtime = FakeRuntime::start();
    let mut command = LambdaProcess::command(BIN, &runtime, "api_handler");
    // A path with no host: lambda_runtime would panic on it at the first request.
    command.env("AWS_LAMBDA_RUNTIME_API", "/.rt");
    let mut process = LambdaProcess::start(command);
    assert_eq!(
        process
            .wait_exit(Duration::from_secs(20))
            .and_then(|s| s.code()),
        Some(1)
    );
    let stderr = process.stderr();
    assert!(
        stderr.contains("AWS_LAMBDA_RUNTIME_API is `/.rt`"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
