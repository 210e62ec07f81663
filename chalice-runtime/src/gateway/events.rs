//! The events API Gateway sends: the REST v1 proxy event to the API handler, and TOKEN or
//! REQUEST events to Lambda authorizers.

use std::borrow::Cow;
use std::collections::HashMap;

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequestContext,
    ApiGatewayCustomAuthorizerRequestTypeRequestIdentity,
};
use aws_lambda_events::query_map::QueryMap;
use http::{HeaderMap, Method};
use percent_encoding::percent_decode_str;

use super::GatewayConfig;
use crate::contract::headers::last_value;
use crate::contract::identity::{ContextVariable, IdentityValues};
use crate::registry::Route;
use crate::request::{MultiDict, Request};
use crate::request_context::{RequestContext, RequestId, resource_id, staged_path};

/// What the gateway knows of one request once its route is matched.
pub(crate) struct MatchedRequest<'a> {
    pub(crate) config: &'a GatewayConfig,
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: &'a [(String, String)],
    pub(crate) path_parameters: &'a HashMap<String, String>,
    pub(crate) source_ip: &'a str,
    pub(crate) request_id: RequestId,
}

/// The request as a REQUEST authorizer's identity sources read it: the values API Gateway
/// puts in the authorizer's event (see [`request_event`]).
impl<'a> IdentityValues<'a> for MatchedRequest<'a> {
    fn header(&self, name: &str) -> Option<&'a str> {
        last_value(self.headers, name)
    }

    fn query(&self, name: &str) -> Option<&'a str> {
        let query: &'a [(String, String)] = self.query;
        query
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn stage_variable(&self, name: &str) -> Option<&'a str> {
        let config: &'a GatewayConfig = self.config;
        config.stage_variables.get(name).map(String::as_str)
    }

    fn context(&self, variable: ContextVariable) -> Option<Cow<'a, str>> {
        let config: &'a GatewayConfig = self.config;
        Some(match variable {
            ContextVariable::AccountId => Cow::Borrowed(config.account_id.as_str()),
            ContextVariable::ApiId => Cow::Borrowed(config.api_id.as_str()),
            ContextVariable::HttpMethod => Cow::Borrowed(self.method.as_str()),
            ContextVariable::Path => Cow::Owned(staged_path(&config.stage, self.path)),
            ContextVariable::RequestId => Cow::Owned(self.request_id.text()),
            ContextVariable::ResourceId => Cow::Owned(resource_id(self.resource)),
            ContextVariable::ResourcePath => Cow::Borrowed(self.resource),
            ContextVariable::SourceIp => Cow::Borrowed(self.source_ip),
            ContextVariable::Stage => Cow::Borrowed(config.stage.as_str()),
        })
    }
}

/// Splits and decodes a query string as API Gateway does (`a=1&b=&c` gives `c` an empty value).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    if query.is_empty() {
        return Vec::new();
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

fn query_maps(query: &[(String, String)]) -> (QueryMap, QueryMap) {
    let mut multi: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in query {
        multi.entry(name.clone()).or_default().push(value.clone());
    }
    let single: HashMap<String, String> = multi
        .iter()
        .filter_map(|(name, values)| Some((name.clone(), values.last()?.clone())))
        .collect();
    (QueryMap::from(single), QueryMap::from(multi))
}

/// The last value of each header, as API Gateway's `headers` holds them.
fn single_headers(headers: &HeaderMap) -> HeaderMap {
    if headers.len() == headers.keys_len() {
        // No name repeats (the usual request): a copy is cheaper than a rebuild.
        return headers.clone();
    }
    let mut single = HeaderMap::new();
    for name in headers.keys() {
        if let Some(value) = headers.get_all(name).iter().next_back() {
            single.insert(name.clone(), value.clone());
        }
    }
    single
}

/// The parts of a request the view receives as they are, owned.
pub(crate) struct RequestParts {
    pub(crate) headers: HeaderMap,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) path_parameters: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

/// The [`Request`] the Lambda handler builds from the proxy event (the test below holds
/// the two to each other), built without the event: the in-process gateway has every part at
/// hand, and writing them into the event's maps only to read them back costs it more than the
/// rest of the request.
pub(crate) fn view_request(
    config: &GatewayConfig,
    route: &Route,
    context: RequestContext,
    parts: RequestParts,
) -> Request {
    let mut query = MultiDict::new();
    for (name, value) in parts.query {
        query.append(name, value);
    }
    Request {
        method: route.method().to_owned(),
        path: route.path().to_owned(),
        headers: parts.headers,
        query_params: (!query.is_empty()).then_some(query),
        uri_params: parts.path_parameters,
        stage_vars: config.stage_variables.clone(),
        context,
        raw_body: parts.body,
    }
}

/// A TOKEN authorizer's event.
pub(crate) fn token_event(token: &str, method_arn: &str) -> ApiGatewayCustomAuthorizerRequest {
    let mut event = ApiGatewayCustomAuthorizerRequest::default();
    event.type_ = Some("TOKEN".into());
    event.authorization_token = Some(token.to_owned());
    event.method_arn = Some(method_arn.to_owned());
    event
}

/// A REQUEST authorizer's event.
pub(crate) fn request_event(
    config: &GatewayConfig,
    request: &MatchedRequest<'_>,
    method_arn: &str,
) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
    let mut identity = ApiGatewayCustomAuthorizerRequestTypeRequestIdentity::default();
    identity.source_ip = Some(request.source_ip.to_owned());
    let mut context = ApiGatewayCustomAuthorizerRequestTypeRequestContext::default();
    context.path = Some(staged_path(&config.stage, request.path));
    context.account_id = Some(config.account_id.clone());
    context.resource_id = Some(resource_id(request.resource));
    context.stage = Some(config.stage.clone());
    context.request_id = Some(request.request_id.text());
    context.identity = Some(identity);
    context.resource_path = Some(request.resource.to_owned());
    context.http_method = Some(request.method.clone());
    context.apiid = Some(config.api_id.clone());

    let (single_query, multi_query) = query_maps(request.query);
    let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
    event.type_ = Some("REQUEST".into());
    event.method_arn = Some(method_arn.to_owned());
    event.resource = Some(request.resource.to_owned());
    event.path = Some(request.path.to_owned());
    event.http_method = Some(request.method.clone());
    event.headers = single_headers(request.headers);
    event.multi_value_headers = request.headers.clone();
    event.query_string_parameters = single_query;
    event.multi_value_query_string_parameters = multi_query;
    event.path_parameters = request.path_parameters.clone();
    event.stage_variables = config.stage_variables.clone();
    event.request_context = context;
    event
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use aws_lambda_events::apigw::ApiGatewayProxyRequestContext;
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::registry::{Handler, Location, Registry, RouteDef};
    use crate::request_context::ContextParts;
    use crate::response::Response;

    fn view(_: Request) -> Response {
        Response::new("")
    }

    static ITEM: RouteDef = RouteDef {
        path: "/items/{id}",
        methods: &["POST"],
        view_name: "item",
        authorizer: None,
        scopes: None,
        cors: None,
        content_types: &["*/*"],
        api_key_required: false,
        handler: Handler::Sync(view),
        location: Location {
            module: "tests",
            file: "events.rs",
            line: 1,
        },
    };

    /// The proxy event the API handler receives, around `context` (see [`ContextParts::build`]).
    fn proxy_event(
        config: &GatewayConfig,
        request: &MatchedRequest<'_>,
        body: &[u8],
        context: ApiGatewayProxyRequestContext,
    ) -> aws_lambda_events::apigw::ApiGatewayProxyRequest {
        use base64::Engine as _;
        use base64::engine::general_purpose::STANDARD as BASE64;

        let (single_query, multi_query) = query_maps(request.query);
        let (body, is_base64_encoded) = match body {
            [] => (None, false),
            bytes => match std::str::from_utf8(bytes) {
                Ok(text) => (Some(text.to_owned()), false),
                Err(_) => (Some(BASE64.encode(bytes)), true),
            },
        };
        let mut event = aws_lambda_events::apigw::ApiGatewayProxyRequest::default();
        event.resource = Some(request.resource.to_owned());
        event.path = Some(request.path.to_owned());
        event.http_method = request.method.clone();
        event.headers = single_headers(request.headers);
        event.multi_value_headers = request.headers.clone();
        event.query_string_parameters = single_query;
        event.multi_value_query_string_parameters = multi_query;
        event.path_parameters = request.path_parameters.clone();
        event.stage_variables = config.stage_variables.clone();
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = is_base64_encoded;
        event
    }

    fn header_name() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "accept",
            "x-id",
            "cookie",
            "user-agent",
            "authorization",
        ])
    }

    proptest! {
        /// The request the gateway hands a view is the one the Lambda handler makes of the
        /// proxy event API Gateway would send: same headers (repeats included), query, path
        /// parameters, stage variables, context and body bytes.
        #[test]
        fn the_view_request_is_the_one_the_lambda_handler_builds_from_the_event(
            headers in prop::collection::vec((header_name(), "[ -~]{0,12}"), 0..6),
            query in prop::collection::vec(("[a-c]{1,2}", "[ -~]{0,6}"), 0..5),
            id in "[a-z0-9%]{1,8}",
            body in prop::collection::vec(any::<u8>(), 0..24),
            stage_variable in proptest::option::of("[a-z]{1,6}"),
        ) {
            let registry = Registry::build([&ITEM], []).unwrap();
            let route = registry.route("/items/{id}", "POST").unwrap();
            let mut config = GatewayConfig::default();
            if let Some(value) = stage_variable {
                config.stage_variables.insert("v".into(), value);
            }
            let mut header_map = HeaderMap::new();
            for (name, value) in &headers {
                header_map.append(*name, value.parse().unwrap());
            }
            let path = format!("/items/{id}");
            let path_parameters = HashMap::from([("id".to_owned(), id.clone())]);
            let matched = MatchedRequest {
                config: &config,
                method: &Method::POST,
                path: &path,
                resource: route.path(),
                headers: &header_map,
                query: &query,
                path_parameters: &path_parameters,
                source_ip: "10.1.2.3",
                request_id: RequestId::new(SystemTime::now()),
            };
            let fields = HashMap::from([("principalId".to_owned(), Value::from("user"))]);
            let context = RequestContext::deferred(ContextParts {
                stage: Arc::new(config.stage_context()),
                resource: route.path(),
                path: path.clone(),
                method: Method::POST,
                source_ip: "10.1.2.3".into(),
                user_agent: header_map.get(http::header::USER_AGENT).cloned(),
                received: SystemTime::now(),
                request_id: matched.request_id,
                authorizer: Some(Arc::new(fields)),
            });
            let event = proxy_event(&config, &matched, &body, context.clone().into_inner());
            let from_event = crate::dispatch::to_request(route, event).unwrap();
            let parts = RequestParts {
                headers: header_map.clone(),
                query: query.clone(),
                path_parameters: path_parameters.clone(),
                body: body.clone(),
            };
            let direct = view_request(&config, route, context, parts);

            prop_assert_eq!(&direct.method, &from_event.method);
            prop_assert_eq!(&direct.path, &from_event.path);
            prop_assert_eq!(&direct.headers, &from_event.headers);
            // The event's query maps are hash maps: only each name's values keep their order.
            let by_name = |request: &Request| -> Option<std::collections::BTreeMap<String, Vec<String>>> {
                request.query_params.as_ref().map(|query| {
                    query.iter().map(|(name, values)| (name.to_owned(), values.to_vec())).collect()
                })
            };
            prop_assert_eq!(by_name(&direct), by_name(&from_event));
            prop_assert_eq!(&direct.uri_params, &from_event.uri_params);
            prop_assert_eq!(&direct.stage_vars, &from_event.stage_vars);
            prop_assert_eq!(&direct.context, &from_event.context);
            prop_assert_eq!(&direct.raw_body, &from_event.raw_body);
        }
    }

    /// Every identity source reads the same value in the gateway, from the request it is
    /// matching, as in the Lambda authorizer, from the REQUEST event the gateway sends it.
    #[test]
    fn identity_sources_read_alike_in_the_gateway_and_from_the_event() {
        use crate::contract::identity::{ContextVariable, identity_value};
        use crate::dispatch::AuthorizerEvent;

        let mut config = GatewayConfig::default().with_stage("dev");
        config.stage_variables.insert("env".into(), "blue".into());
        let mut headers = HeaderMap::new();
        headers.insert("x-token", "t0k".parse().unwrap());
        headers.insert("x-empty", "".parse().unwrap());
        let query = vec![
            ("key".to_owned(), "first".to_owned()),
            ("key".to_owned(), "last".to_owned()),
        ];
        let path_parameters = HashMap::from([("id".to_owned(), "7".to_owned())]);
        let matched = MatchedRequest {
            config: &config,
            method: &Method::PUT,
            path: "/items/7",
            resource: "/items/{id}",
            headers: &headers,
            query: &query,
            path_parameters: &path_parameters,
            source_ip: "10.1.2.3",
            request_id: RequestId::new(SystemTime::now()),
        };
        let arn = "arn:aws:execute-api:us-east-1:123456789012:localapi01/dev/PUT/items/7";
        let event = request_event(&config, &matched, arn);
        let from_event = AuthorizerEvent::Request(Box::new(event))
            .into_auth_request(&[])
            .unwrap();

        let mut sources: Vec<String> = [
            "header.X-Token",
            "header.x-token",
            "header.X-Empty",
            "header.X-Missing",
            "querystring.key",
            "querystring.missing",
            "stageVariables.env",
            "stageVariables.missing",
            "context.nope",
            "cookie.x",
        ]
        .map(str::to_owned)
        .to_vec();
        sources.extend(
            ContextVariable::ALL
                .iter()
                .map(|(name, _)| format!("context.{name}")),
        );
        for source in &sources {
            let in_gateway = identity_value(&matched, source);
            let in_lambda = identity_value(&&from_event, source);
            assert_eq!(in_gateway, in_lambda, "{source}");
        }
        let value = |source: &str| identity_value(&matched, source).map(Cow::into_owned);
        assert_eq!(value("header.X-Token").as_deref(), Some("t0k"));
        assert_eq!(value("querystring.key").as_deref(), Some("last"));
        assert_eq!(
            value("context.identity.sourceIp").as_deref(),
            Some("10.1.2.3")
        );
        assert_eq!(value("context.path").as_deref(), Some("/dev/items/7"));
        assert_eq!(value("context.httpMethod").as_deref(), Some("PUT"));
        for source in ["header.X-Empty", "header.X-Missing", "context.nope"] {
            assert_eq!(value(source), None, "{source}");
        }
    }

    #[test]
    fn query_strings_split_and_decode_as_api_gateway_does() {
        assert_eq!(
            parse_query("a=1&b=&c=3&a=%20x&flag"),
            [("a", "1"), ("b", ""), ("c", "3"), ("a", " x"), ("flag", "")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(parse_query("").is_empty());
    }
}
