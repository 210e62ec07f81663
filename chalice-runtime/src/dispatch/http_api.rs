//! The API handler of an HTTP API: a payload format 2.0 proxy event in, the view's 2.0 answer
//! out (`Set-Cookie` headers as its `cookies`).

use aws_lambda_events::apigw::{
    ApiGatewayProxyRequestContext, ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpResponse,
};
use aws_lambda_events::encodings::Body as EventBody;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use super::{EventKind, InvalidEvent, respond, typed_event};
use crate::contract::responses::http_api;
use crate::registry::{Registry, Route};
use crate::request::{MultiDict, Request};
use crate::request_context::RequestContext;
use crate::response::{Body, IntoResponse, Response};

/// Reads an HTTP API proxy event (payload format 2.0); a REST API's event or an authorizer's is
/// an error saying so.
pub fn http_api_event_from_json(event: &str) -> Result<ApiGatewayV2httpRequest, InvalidEvent> {
    let kind = serde_json::from_str::<EventKind<'_>>(event).unwrap_or_default();
    if kind.kind.is_some() {
        return Err(InvalidEvent::new(
            "the API handler received an authorizer event; it serves HTTP API proxy events \
             (is the function's handler string right?)",
        ));
    }
    if kind.version != Some("2.0") {
        return Err(InvalidEvent::new(
            "the API handler of an HTTP API received an event that is not payload format 2.0 \
             (\"version\": \"2.0\"); is the integration's payload format version 2.0?",
        ));
    }
    typed_event(event, "HTTP API proxy event")
}

/// Runs the view the event's route key names and returns the 2.0 answer API Gateway expects;
/// a route key the app does not have is API Gateway's 404.
pub async fn handle_http_api_event(
    registry: &Registry,
    event: ApiGatewayV2httpRequest,
) -> ApiGatewayV2httpResponse {
    let route_key = event.request_context.route_key.clone().unwrap_or_default();
    let route = route_key
        .split_once(' ')
        .and_then(|(method, path)| registry.route(path, method));
    let response = match route {
        Some(route) => match to_request(route, event) {
            Ok(request) => respond(route, request).await,
            Err(error) => error.into_response(),
        },
        None => http_api::not_found(),
    };
    to_http_api_response(response)
}

/// The view's request, as the in-process gateway builds it for an HTTP API: cookies back in
/// the `Cookie` header, the 2.0 context's values in `requestContext`'s fields, and its
/// authorizer (`jwt`, `lambda`, `iam`) as `requestContext.authorizer`, which serializes as
/// API Gateway sent it.
pub(crate) fn to_request(
    route: &Route,
    event: ApiGatewayV2httpRequest,
) -> Result<Request, crate::error::Error> {
    let mut headers = event.headers;
    if let Some(cookies) = event.cookies.filter(|cookies| !cookies.is_empty())
        && let Ok(cookie) = HeaderValue::from_str(&cookies.join("; "))
    {
        headers.insert(http::header::COOKIE, cookie);
    }
    let mut query = MultiDict::new();
    for (name, value) in event.query_string_parameters.iter() {
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
        context: RequestContext::from_http_api(
            rest_shaped_context(route, event.request_context.clone()),
            event.request_context,
        ),
        raw_body,
    })
}

/// The 2.0 `requestContext` in the fields views read (`req.context.stage`, `.authorizer`, ..).
fn rest_shaped_context(
    route: &Route,
    context: ApiGatewayV2httpRequestContext,
) -> ApiGatewayProxyRequestContext {
    let mut rest = ApiGatewayProxyRequestContext::default();
    rest.account_id = context.account_id;
    rest.stage = context.stage;
    rest.domain_name = context.domain_name;
    rest.domain_prefix = context.domain_prefix;
    rest.request_id = context.request_id;
    rest.protocol = context.http.protocol;
    rest.identity.source_ip = context.http.source_ip;
    rest.identity.user_agent = context.http.user_agent;
    rest.resource_path = Some(route.path().to_owned());
    rest.path = context.http.path;
    rest.http_method = context.http.method;
    rest.request_time_epoch = context.time_epoch;
    rest.request_time = context.time;
    rest.apiid = context.apiid;
    if let Some(authorizer) = context.authorizer {
        rest.authorizer = authorizer;
    }
    rest
}

/// The 2.0 answer: `Set-Cookie` headers become `cookies`, other repeated headers are joined
/// with commas, as API Gateway joins them.
pub(crate) fn to_http_api_response(response: Response) -> ApiGatewayV2httpResponse {
    let (status_code, headers, body) = response.with_default_content_type().into_parts();
    let mut cookies = Vec::new();
    let mut single = HeaderMap::new();
    for name in headers.keys() {
        let values = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok());
        if name == SET_COOKIE {
            cookies.extend(values.map(str::to_owned));
            continue;
        }
        let joined: Vec<&str> = values.collect();
        if let Ok(value) = HeaderValue::from_str(&joined.join(",")) {
            single.insert(name.clone(), value);
        }
    }
    let (body, is_base64_encoded) = match body {
        Body::Empty => (EventBody::Text(String::new()), false),
        Body::Text(text) => (EventBody::Text(text), false),
        Body::Binary(bytes) => (EventBody::Binary(bytes), true),
    };
    let mut answer = ApiGatewayV2httpResponse::default();
    answer.status_code = i64::from(status_code);
    answer.headers = single;
    answer.body = Some(body);
    answer.is_base64_encoded = is_base64_encoded;
    answer.cookies = cookies;
    debug_assert!(answer.headers.contains_key(CONTENT_TYPE));
    answer
}
