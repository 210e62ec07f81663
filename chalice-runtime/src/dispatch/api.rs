//! The API handler: a REST v1 proxy event in, the view's proxy response out, as Chalice's
//! `Chalice.__call__` does it.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body as EventBody;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use serde_json::json;

use super::{EventKind, InvalidEvent, typed_event};
use crate::contract::headers::last_value;
use crate::contract::responses::{self, strip_framing_headers};
use crate::cors;
use crate::log_text::printable;
use crate::registry::{Handler, Registry, Route};
use crate::request::{MultiDict, Request};
use crate::response::{Body, IntoResponse, Response};
use crate::unwind::{self, CatchUnwind};

/// Reads a REST v1 proxy event as Lambda delivers it; anything else is an error that says what
/// is wrong, including an authorizer's event, which the proxy type would otherwise half-accept.
pub fn api_event_from_json(event: &str) -> Result<ApiGatewayProxyRequest, InvalidEvent> {
    // Only an event that mentions `methodArn` at all is read a second time, to tell.
    if event.contains("\"methodArn\"")
        && let Ok(EventKind {
            kind: Some(kind @ ("TOKEN" | "REQUEST")),
            method_arn: Some(_),
            ..
        }) = serde_json::from_str::<EventKind<'_>>(event)
    {
        return Err(InvalidEvent::new(format!(
            "the API handler received a {kind} authorizer event; it serves API Gateway proxy \
             events (is the function's handler string right?)"
        )));
    }
    typed_event(event, "API Gateway proxy event")
}

/// Runs the view the event is for and returns the proxy response API Gateway expects.
///
/// An event for a resource the app does not have is answered as API Gateway answers an unknown
/// path (403); a method the resource does not have is Chalice's 405 `MethodNotAllowedError`.
pub async fn handle_api_event(
    registry: &Registry,
    event: ApiGatewayProxyRequest,
) -> ApiGatewayProxyResponse {
    let resource = event
        .resource
        .clone()
        .or_else(|| event.request_context.resource_path.clone())
        .unwrap_or_default();
    let method = event.http_method.as_str().to_owned();
    let response = match registry.route(&resource, &method) {
        Some(route) => call_view(route, event).await,
        None if registry.routes_on(&resource).next().is_some() => {
            method_not_allowed(registry, &resource, &method)
        }
        None => responses::missing_authentication_token(),
    };
    to_proxy_response(response)
}

async fn call_view(route: &Route, event: ApiGatewayProxyRequest) -> Response {
    match to_request(route, event) {
        Ok(request) => respond(route, request).await,
        Err(error) => error.into_response(),
    }
}

/// Runs the route's view on a request already built, with what Chalice checks and adds around
/// it (the accepted content types, CORS headers) and what API Gateway does with its answer (a
/// panic is a failed integration, 502; framing headers are its own). The in-process gateway comes in here with the
/// request [`to_request`] would have built from its proxy event, without building the event.
pub(crate) async fn respond(route: &Route, request: Request) -> Response {
    if let Some(unsupported) = unsupported_content_type(route, &request) {
        return Response::json(json!({
            "Code": "UnsupportedMediaType",
            "Message": format!("Unsupported media type: {unsupported}"),
        }))
        .with_status(415);
    }
    let response = match route.handler() {
        Handler::Sync(view) => unwind::catch(|| view(request)),
        Handler::Async(view) => match unwind::catch(|| view(request)) {
            Ok(future) => CatchUnwind(future).await,
            Err(message) => Err(message),
        },
    };
    let mut response = match response {
        Ok(response) => response,
        Err(message) => {
            eprintln!(
                "chalice-rs: the view of {} {} panicked: {}",
                route.method(),
                route.path(),
                printable(&message)
            );
            return responses::bad_gateway();
        }
    };
    strip_framing_headers(response.headers_mut());
    if route.cors() {
        cors::add_cors_headers(response.headers_mut());
    }
    response
}

fn method_not_allowed(registry: &Registry, resource: &str, method: &str) -> Response {
    let allowed: Vec<&str> = registry.routes_on(resource).map(Route::method).collect();
    Response::json(json!({
        "Code": "MethodNotAllowedError",
        "Message": format!("Unsupported method: {method}"),
    }))
    .with_status(405)
    .with_header(ALLOW.as_str(), &allowed.join(", "))
}

/// The request's media type when the view does not accept it (absent means JSON, as in Chalice).
fn unsupported_content_type(route: &Route, request: &Request) -> Option<String> {
    let content_type = last_value(&request.headers, CONTENT_TYPE);
    let media_type = match content_type {
        // Most requests (every GET) have none: nothing to take apart.
        None => "application/json",
        Some(content_type) => content_type.split(';').next().unwrap_or_default().trim(),
    };
    let accepted = route
        .content_types()
        .iter()
        .any(|accepted| *accepted == "*/*" || accepted.eq_ignore_ascii_case(media_type));
    (!accepted).then(|| media_type.to_ascii_lowercase())
}

pub(crate) fn to_request(
    route: &Route,
    event: ApiGatewayProxyRequest,
) -> Result<Request, crate::error::Error> {
    let mut headers = event.multi_value_headers;
    for (name, value) in &event.headers {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    let mut query = MultiDict::new();
    let multi = &event.multi_value_query_string_parameters;
    let single = &event.query_string_parameters;
    let source = if multi.is_empty() { single } else { multi };
    for (name, value) in source.iter() {
        query.append(name, value);
    }
    let raw_body = match event.body {
        None => Vec::new(),
        Some(body) if event.is_base64_encoded => BASE64.decode(body).map_err(|_| {
            crate::error::Error::bad_request("the request body is not valid base64")
        })?,
        Some(body) => body.into_bytes(),
    };
    Ok(Request {
        method: route.method().to_owned(),
        path: route.path().to_owned(),
        headers,
        query_params: (!query.is_empty()).then_some(query),
        uri_params: event.path_parameters,
        stage_vars: event.stage_variables,
        context: event.request_context.into(),
        raw_body,
    })
}

/// Single-valued headers go in `headers`, repeated ones in `multiValueHeaders`, as Chalice does.
pub(crate) fn to_proxy_response(response: Response) -> ApiGatewayProxyResponse {
    let (status_code, headers, body) = response.with_default_content_type().into_parts();
    let (single, multi) = split_repeated(headers);
    let (body, is_base64_encoded) = match body {
        Body::Empty => (EventBody::Text(String::new()), false),
        Body::Text(text) => (EventBody::Text(text), false),
        Body::Binary(bytes) => (EventBody::Binary(bytes), true),
    };
    let mut proxy = ApiGatewayProxyResponse::default();
    proxy.status_code = i64::from(status_code);
    proxy.headers = single;
    proxy.multi_value_headers = multi;
    proxy.body = Some(body);
    proxy.is_base64_encoded = is_base64_encoded;
    debug_assert!(
        proxy.headers.contains_key(CONTENT_TYPE)
            || proxy.multi_value_headers.contains_key(CONTENT_TYPE)
    );
    proxy
}

/// The single-valued headers and the repeated ones.
fn split_repeated(headers: HeaderMap) -> (HeaderMap, HeaderMap) {
    if headers.len() == headers.keys_len() {
        // The usual answer: no name repeats, so the map is the single-valued one as it is.
        return (headers, HeaderMap::new());
    }
    let mut single = HeaderMap::new();
    let mut multi = HeaderMap::new();
    for name in headers.keys() {
        let values: Vec<&HeaderValue> = headers.get_all(name).iter().collect();
        let target = if values.len() == 1 {
            &mut single
        } else {
            &mut multi
        };
        for value in values {
            target.append(name.clone(), value.clone());
        }
    }
    (single, multi)
}
