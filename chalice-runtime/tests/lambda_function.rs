//! One Lambda invocation in process, as the Runtime API loop makes it: an event's JSON in,
//! [`LambdaFunction::invoke`], the JSON Lambda posts back out.

use std::error::Error as StdError;

use chalice_runtime::dispatch::handle_authorizer_event;
use chalice_runtime::lambda::{Diagnostic, LambdaFunction, Output, Role};
use chalice_runtime::{
    App, AuthError, AuthRequest, AuthResponse, Registry, Request, Response, app,
};
use serde_json::{Value, json};

#[app::authorizer]
fn token_auth(auth: AuthRequest) -> Result<AuthResponse, Box<dyn StdError + Send + Sync>> {
    match auth.token.as_str() {
        "ok" => Ok(AuthResponse::new(["/echo"], "ann").context(json!({"n": 1, "flag": true}))),
        "nested" => Ok(AuthResponse::new(["/echo"], "ann").context(json!({"user": {"id": 1}}))),
        _ => Err(Box::new(AuthError::Unauthorized)),
    }
}

#[app::authorizer]
fn raw_auth(auth: AuthRequest) -> Value {
    let context = if auth.token == "nested" {
        json!({"ok": "yes", "list": [1, 2]})
    } else {
        json!({"ok": "yes"})
    };
    json!({"principalId": "raw", "policyDocument": {"Statement": []}, "context": context,
           "usageIdentifierKey": "key-1"})
}

#[app::route("/echo", methods = ["GET", "POST"], authorizer = token_auth)]
fn echo(req: &Request) -> Value {
    json!({"request": req, "body": req.text()})
}

#[app::route("/binary", content_types = ["*/*"])]
fn binary() -> Response {
    Response::new(vec![0u8, 159, 146, 150])
        .with_header("Content-Type", "application/octet-stream")
        .with_header("Set-Cookie", "a=1")
        .with_header("Set-Cookie", "b=2")
}

fn registry() -> &'static Registry {
    App::new("lambda-cases").registry().unwrap()
}

fn function(handler: &str) -> LambdaFunction {
    LambdaFunction::new(registry(), handler).unwrap()
}

async fn invoke(handler: &str, event: Value) -> Result<Value, Diagnostic> {
    let output = function(handler).invoke(&event.to_string()).await?;
    Ok(serde_json::to_value(&output).unwrap())
}

fn proxy_event(method: &str, resource: &str) -> Value {
    json!({
        "resource": resource, "path": resource, "httpMethod": method,
        "headers": {"Accept": "text/plain", "X-Id": "2"},
        "multiValueHeaders": {"Accept": ["text/plain"], "X-Id": ["1", "2"]},
        "queryStringParameters": {"tag": "b", "q": "x y"},
        "multiValueQueryStringParameters": {"tag": ["a", "b"], "q": ["x y"]},
        "pathParameters": null, "stageVariables": {"env": "dev"},
        "requestContext": {
            "resourcePath": resource, "httpMethod": method, "stage": "api",
            "authorizer": {"principalId": "ann", "n": "1", "flag": "true", "integrationLatency": 4}
        },
        "body": null, "isBase64Encoded": false
    })
}

#[test]
fn handler_strings_name_the_api_handler_and_built_in_authorizers_only() {
    assert!(matches!(function("api_handler").role(), Role::Api));
    assert!(matches!(function("raw_auth").role(), Role::Authorizer(a) if a.name() == "raw_auth"));
    let error = LambdaFunction::new(registry(), "echo").unwrap_err();
    assert_eq!(error.error_type(), "Runtime.HandlerNotFound");
    assert!(
        error
            .to_string()
            .contains("`api_handler` or a built-in authorizer: `raw_auth`, `token_auth`"),
        "{error}"
    );
}

#[tokio::test]
async fn the_view_sees_multi_value_headers_and_query_strings_and_the_authorizer_context() {
    let mut event = proxy_event("POST", "/echo");
    event["headers"]["Content-Type"] = json!("application/json");
    event["body"] = json!("eyJhIjogMX0="); // {"a": 1}
    event["isBase64Encoded"] = json!(true);
    let response = invoke("api_handler", event).await.unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    let request = &body["request"];
    assert_eq!(
        request["query_params"],
        json!({"tag": ["a", "b"], "q": ["x y"]})
    );
    assert_eq!(request["headers"]["x-id"], "2");
    assert_eq!(request["stage_vars"], json!({"env": "dev"}));
    assert_eq!(
        request["context"]["authorizer"],
        json!({"principalId": "ann", "n": "1", "flag": "true", "integrationLatency": 4})
    );
    assert_eq!(body["body"], r#"{"a": 1}"#);
}

#[tokio::test]
async fn binary_responses_are_base64_with_repeated_headers_in_multi_value_headers() {
    let response = invoke("api_handler", proxy_event("GET", "/binary"))
        .await
        .unwrap();
    assert_eq!(
        response,
        json!({
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]},
            "body": "AJ+Slg==",
            "isBase64Encoded": true
        })
    );
}

#[tokio::test]
async fn authorizer_answers_are_exactly_what_dispatch_produces() {
    let event = json!({"type": "TOKEN", "authorizationToken": "ok",
                       "methodArn": "arn:aws:execute-api:us-west-2:1:api/dev/GET/echo"});
    for name in ["token_auth", "raw_auth"] {
        let authorizer = registry().builtin_authorizer(name).unwrap();
        let dispatched = handle_authorizer_event(authorizer, &event.to_string())
            .await
            .unwrap();
        let output = function(name).invoke(&event.to_string()).await.unwrap();
        assert!(matches!(output, Output::Authorizer(_)));
        assert_eq!(
            serde_json::to_string(&output).unwrap(),
            serde_json::to_string(&dispatched).unwrap()
        );
    }
    let raw = invoke("raw_auth", event).await.unwrap();
    assert_eq!(
        raw.to_string(),
        r#"{"principalId":"raw","policyDocument":{"Statement":[]},"context":{"ok":"yes"},"usageIdentifierKey":"key-1"}"#
    );
}

#[tokio::test]
async fn nested_context_values_are_errors_naming_the_key() {
    let event = |token: &str| {
        json!({"type": "TOKEN", "authorizationToken": token,
               "methodArn": "arn:aws:execute-api:us-west-2:1:api/dev/GET/echo"})
    };
    let error = invoke("token_auth", event("nested")).await.unwrap_err();
    assert_eq!(error.error_type, "InvalidAuthorizerAnswer");
    assert!(
        error
            .error_message
            .starts_with("authorizer `token_auth` returned an answer API Gateway rejects: context.user is an object"),
        "{}",
        error.error_message
    );
    let error = invoke("raw_auth", event("nested")).await.unwrap_err();
    assert!(
        error.error_message.contains("context.list is an array"),
        "{}",
        error.error_message
    );
}

#[tokio::test]
async fn a_boxed_unauthorized_is_exactly_the_message_api_gateway_wants() {
    let error = invoke(
        "token_auth",
        json!({"type": "TOKEN", "authorizationToken": "who?", "methodArn": "arn:aws:execute-api:r:1:api/dev/GET/echo"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.error_type, "Unauthorized");
    assert_eq!(error.error_message, "Unauthorized");
}
