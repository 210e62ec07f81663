//! What an HTTP API sends a Lambda authorizer: the payload format 2.0 event
//! (`ApiGatewayV2CustomAuthorizerV2Request`), built from the request being matched.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use http::{HeaderMap, HeaderValue};

use super::super::events::MatchedRequest;
use crate::contract::headers::last_value;

/// A matched request, with what payload format 2.0 adds.
pub(crate) struct HttpMatched<'a> {
    /// The request as the REST gateway matches it (identity sources read it alike).
    pub(crate) request: MatchedRequest<'a>,
    /// The query string as sent.
    pub(crate) raw_query: &'a str,
    /// When the request arrived.
    pub(crate) received: SystemTime,
}

impl<'a> HttpMatched<'a> {
    /// The value a JWT authorizer's identity source (`$request.header.Authorization`,
    /// `$request.querystring.token`) names.
    pub(crate) fn jwt_identity(&self, source: &str) -> Option<&'a str> {
        if let Some(name) = source.strip_prefix("$request.header.") {
            return last_value(self.request.headers, name);
        }
        let name = source.strip_prefix("$request.querystring.")?;
        let query: &'a [(String, String)] = self.request.query;
        query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// `GET /orders/{id}`.
    pub(crate) fn route_key(&self) -> String {
        format!("{} {}", self.request.method, self.request.resource)
    }

    /// The `requestContext` of payload format 2.0.
    pub(crate) fn request_context(&self) -> ApiGatewayV2httpRequestContext {
        let request = &self.request;
        let config = request.config;
        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.method = request.method.clone();
        http.path = Some(request.path.to_owned());
        http.protocol = Some("HTTP/1.1".to_owned());
        http.source_ip = Some(request.source_ip.to_owned());
        http.user_agent = last_value(request.headers, http::header::USER_AGENT).map(str::to_owned);
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.route_key = Some(self.route_key());
        context.account_id = Some(config.account_id.clone());
        context.stage = Some(config.stage.clone());
        context.request_id = Some(request.request_id.text());
        context.apiid = Some(config.api_id.clone());
        context.domain_name = Some(config.domain_name());
        context.domain_prefix = Some(config.api_id.clone());
        context.time_epoch = self.received.duration_since(UNIX_EPOCH).map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        });
        context.http = http;
        context
    }

    /// The event a Lambda authorizer receives, with the identity sources' values in order.
    pub(crate) fn authorizer_event(
        &self,
        route_arn: &str,
        identity: &[Cow<'_, str>],
    ) -> ApiGatewayV2CustomAuthorizerV2Request {
        let request = &self.request;
        let mut event = ApiGatewayV2CustomAuthorizerV2Request::default();
        event.version = Some("2.0".to_owned());
        event.type_ = Some("REQUEST".to_owned());
        event.route_arn = Some(route_arn.to_owned());
        event.identity_source = Some(identity.iter().map(|v| v.clone().into_owned()).collect());
        event.route_key = Some(self.route_key());
        event.raw_path = Some(request.path.to_owned());
        event.raw_query_string = Some(self.raw_query.to_owned());
        event.cookies = cookies(request.headers);
        event.headers = joined_headers(request.headers);
        event.query_string_parameters = joined_query(request.query);
        event.request_context = self.request_context();
        event.path_parameters = request.path_parameters.clone();
        event.stage_variables = request.config.stage_variables.clone();
        event
    }
}

/// The `Cookie` header's cookies, one per entry, as payload format 2.0 lists them.
pub(crate) fn cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|cookie| !cookie.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Each header once, repeated values joined with commas, as payload format 2.0 sends them.
fn joined_headers(headers: &HeaderMap) -> HeaderMap {
    let mut joined = HeaderMap::new();
    for name in headers.keys() {
        if name == http::header::COOKIE {
            continue;
        }
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        if let Ok(value) = HeaderValue::from_str(&values.join(",")) {
            joined.insert(name.clone(), value);
        }
    }
    joined
}

/// Each query parameter once, repeated values joined with commas, as payload format 2.0 does.
fn joined_query(query: &[(String, String)]) -> HashMap<String, String> {
    let mut joined: HashMap<String, String> = HashMap::new();
    for (name, value) in query {
        joined
            .entry(name.clone())
            .and_modify(|values| {
                values.push(',');
                values.push_str(value);
            })
            .or_insert_with(|| value.clone());
    }
    joined
}
