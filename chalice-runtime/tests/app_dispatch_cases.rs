//! Chalice's `tests/unit/test_app.py` route cases (reference inventory, section A), driven
//! through the API handler's dispatch with REST v1 proxy events, as Lambda delivers them.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body as EventBody;
use chalice_runtime::dispatch::handle_api_event;
use chalice_runtime::{App, Error, Registry, Request, Response, app};
use serde_json::{Value, json};

#[app::route("/index")]
fn index_view() -> Value {
    json!({"hello": "world"})
}

#[app::route("/index", methods = ["PUT"], name = "index_put")]
fn index_put_view() -> Value {
    json!({"method": "PUT"})
}

#[app::route("/name/{name}")]
fn name_view(name: String) -> Value {
    json!({"provided-name": name})
}

#[app::route("/to-dict", methods = ["GET", "POST"])]
fn to_dict_view(req: &Request) -> Value {
    serde_json::to_value(req).unwrap()
}

#[app::route("/binary", methods = ["POST"], content_types = ["application/octet-stream"])]
fn binary_view(req: &Request) -> Response {
    let mut bytes = req.raw_body.clone();
    bytes.reverse();
    Response::new(bytes)
        .with_header("Content-Type", "application/octet-stream")
        .with_header("Set-Cookie", "a=1")
        .with_header("Set-Cookie", "b=2")
}

#[app::route("/teapot")]
fn teapot_view() -> Result<Value, Error> {
    Err(Error::new(
        chalice_runtime::ErrorKind::Conflict,
        "already brewing",
    ))
}

#[app::route("/crash")]
fn crash_view() -> Result<Value, Error> {
    let number: u8 = "not a number".parse()?;
    Ok(json!(number))
}

fn registry() -> &'static Registry {
    App::new("sample").registry().unwrap()
}

/// `create_event` of Chalice's tests: a minimal proxy event for a resource path.
fn event(resource: &str, method: &str, path_params: Value) -> ApiGatewayProxyRequest {
    serde_json::from_value(json!({
        "resource": resource,
        "path": resource,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "pathParameters": path_params,
        "multiValueQueryStringParameters": null,
        "stageVariables": {},
        "requestContext": {"httpMethod": method, "resourcePath": resource},
        "body": "",
    }))
    .unwrap()
}

fn body_json(response: &ApiGatewayProxyResponse) -> Value {
    match &response.body {
        Some(EventBody::Text(text)) => serde_json::from_str(text).unwrap(),
        other => panic!("not a text body: {other:?}"),
    }
}

/// 21, 22, 31, 34: one view per path and method, `name` overriding the view name.
#[test]
fn routes_are_registered_per_path_and_method() {
    let registry = registry();
    assert_eq!(
        registry.route("/index", "GET").unwrap().view_name(),
        "index_view"
    );
    assert_eq!(
        registry.route("/index", "PUT").unwrap().view_name(),
        "index_put"
    );
    assert_eq!(
        registry.route("/index", "GET").unwrap().content_types(),
        ["application/json"]
    );
}

/// 23: an event for a resource the app does not have is answered as API Gateway answers it.
#[tokio::test]
async fn unknown_resource_is_403() {
    let response = handle_api_event(registry(), event("/random", "GET", json!(null))).await;
    assert_eq!(response.status_code, 403);
    assert_eq!(
        body_json(&response),
        json!({"message": "Missing Authentication Token"})
    );
}

/// 24, 31: the event is routed to the view for its resource and method.
#[tokio::test]
async fn events_reach_their_view() {
    let response = handle_api_event(registry(), event("/index", "GET", json!(null))).await;
    assert_eq!(
        (response.status_code, body_json(&response)),
        (200, json!({"hello": "world"}))
    );
    let response = handle_api_event(registry(), event("/index", "PUT", json!(null))).await;
    assert_eq!(body_json(&response), json!({"method": "PUT"}));
}

/// 25: captured path parameters are passed to the view by name.
#[tokio::test]
async fn captured_params_are_passed_to_the_view() {
    let response = handle_api_event(
        registry(),
        event("/name/{name}", "GET", json!({"name": "james"})),
    )
    .await;
    assert_eq!(body_json(&response), json!({"provided-name": "james"}));
}

/// 26, 27, 100: a method the resource does not have is Chalice's 405 with `Allow`.
#[tokio::test]
async fn unsupported_method_is_405_with_allow() {
    let response = handle_api_event(
        registry(),
        event("/name/{name}", "POST", json!({"name": "x"})),
    )
    .await;
    assert_eq!(response.status_code, 405);
    assert_eq!(response.headers["allow"], "GET");
    assert_eq!(
        body_json(&response),
        json!({"Code": "MethodNotAllowedError", "Message": "Unsupported method: POST"})
    );
}

/// 28, 29: the request serializes as `to_dict()`: JSON, no private fields, no body.
#[tokio::test]
async fn request_serializes_like_to_dict() {
    let response = handle_api_event(registry(), event("/to-dict", "GET", json!(null))).await;
    let dict = body_json(&response);
    assert_eq!(dict["method"], "GET");
    assert_eq!(dict["path"], "/to-dict");
    assert_eq!(dict["headers"]["content-type"], "application/json");
    let keys: Vec<&str> = dict
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "query_params",
            "headers",
            "uri_params",
            "method",
            "path",
            "context",
            "stage_vars"
        ]
    );
}

/// A content type the view does not accept is Chalice's 415.
#[tokio::test]
async fn unsupported_content_type_is_415() {
    let mut request = event("/to-dict", "POST", json!(null));
    request
        .headers
        .insert("content-type", "text/plain".parse().unwrap());
    let response = handle_api_event(registry(), request).await;
    assert_eq!(response.status_code, 415);
    assert_eq!(
        body_json(&response),
        json!({"Code": "UnsupportedMediaType", "Message": "Unsupported media type: text/plain"})
    );
}

/// Binary bodies arrive and leave base64-encoded; repeated headers go in multiValueHeaders.
#[tokio::test]
async fn binary_bodies_and_multi_value_headers() {
    let mut request = event("/binary", "POST", json!(null));
    request
        .headers
        .insert("content-type", "application/octet-stream".parse().unwrap());
    request.body = Some("AAEC/w==".into()); // [0, 1, 2, 255]
    request.is_base64_encoded = true;
    let response = handle_api_event(registry(), request).await;
    assert_eq!(response.status_code, 200);
    assert!(response.is_base64_encoded);
    assert_eq!(response.body, Some(EventBody::Binary(vec![255, 2, 1, 0])));
    let cookies: Vec<_> = response
        .multi_value_headers
        .get_all("set-cookie")
        .iter()
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(response.headers["content-type"], "application/octet-stream");
}

/// Chalice's error classes keep their status; anything else is an opaque 500.
#[tokio::test]
async fn view_errors_map_to_chalice_responses() {
    let response = handle_api_event(registry(), event("/teapot", "GET", json!(null))).await;
    assert_eq!(response.status_code, 409);
    assert_eq!(
        body_json(&response),
        json!({"Code": "ConflictError", "Message": "ConflictError: already brewing"})
    );
    let response = handle_api_event(registry(), event("/crash", "GET", json!(null))).await;
    assert_eq!(response.status_code, 500);
    assert_eq!(
        body_json(&response),
        json!({"Code": "InternalServerError", "Message": "An internal server error occurred."})
    );
}
