//! The events API Gateway sends: the REST v1 proxy event to the API handler, and TOKEN or
//! REQUEST events to Lambda authorizers.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequest, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequestContext,
    ApiGatewayCustomAuthorizerRequestTypeRequestIdentity, ApiGatewayProxyRequestContext,
};
use aws_lambda_events::query_map::QueryMap;
use http::{HeaderMap, HeaderValue, Method};
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::GatewayConfig;
use crate::registry::Route;
use crate::request::{MultiDict, Request};
use crate::request_context::RequestContext;

/// What the gateway knows of one request once its route is matched.
pub(crate) struct MatchedRequest<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) resource: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: &'a [(String, String)],
    pub(crate) path_parameters: &'a HashMap<String, String>,
    pub(crate) source_ip: &'a str,
    pub(crate) request_id: RequestId,
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

/// A request's id: two numbers, spelled out as API Gateway's UUID-shaped ids only when something
/// reads it (most requests never show theirs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestId(u64, u64);

impl RequestId {
    /// A fresh id for a request received at `received`.
    pub(crate) fn new(received: SystemTime) -> Self {
        // Each thread counts its own requests from a start no other thread shares: a counter
        // shared by the workers would bounce its cache line between them on every request.
        static THREADS: AtomicU64 = AtomicU64::new(0);
        thread_local! {
            static COUNTER: std::cell::Cell<u64> =
                std::cell::Cell::new(THREADS.fetch_add(1, Ordering::Relaxed) << 40);
        }
        let count = COUNTER.with(|counter| {
            let count = counter.get();
            counter.set(count.wrapping_add(1));
            count
        });
        let nanos = received
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let a = mix(nanos ^ count.rotate_left(24));
        RequestId(a, mix(a ^ 0x9e37_79b9_7f4a_7c15))
    }

    /// The id as API Gateway writes one: `xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx`.
    pub(crate) fn text(self) -> String {
        let RequestId(a, b) = self;
        let mut id = String::with_capacity(36);
        push_hex(&mut id, a >> 32, 8);
        id.push('-');
        push_hex(&mut id, (a >> 16) & 0xffff, 4);
        id.push_str("-4");
        push_hex(&mut id, a & 0xfff, 3);
        id.push('-');
        push_hex(&mut id, (b >> 48) & 0x3fff | 0x8000, 4);
        id.push('-');
        push_hex(&mut id, b & 0xffff_ffff_ffff, 12);
        id
    }
}

/// The low `digits` hex digits of `value`, zero-padded.
fn push_hex(out: &mut String, value: u64, digits: u32) {
    for shift in (0..digits).rev() {
        let nibble = (value >> (shift * 4)) & 0xf;
        out.push(char::from(b"0123456789abcdef"[nibble as usize]));
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
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

fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// API Gateway's `requestTime`: `25/Nov/2026:19:40:38 +0000`. It changes once a second, so
/// each thread keeps the last one it formatted.
fn request_time(epoch_millis: i64) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const {
            std::cell::RefCell::new((i64::MIN, String::new()))
        };
    }
    let seconds = epoch_millis.div_euclid(1000);
    LAST.with_borrow_mut(|(last_second, text)| {
        if *last_second != seconds {
            *text = format_request_time(seconds);
            *last_second = seconds;
        }
        text.clone()
    })
}

fn format_request_time(seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The path with its stage, as `requestContext.path` holds it.
fn staged_path(stage: &str, path: &str) -> String {
    ["/", stage, path].concat()
}

/// What every request's `requestContext` repeats from the stage, built once per gateway.
#[derive(Debug)]
pub(crate) struct StageContext {
    pub(crate) account_id: String,
    pub(crate) stage: String,
    pub(crate) api_id: String,
    pub(crate) domain_name: String,
}

impl StageContext {
    pub(crate) fn new(config: &GatewayConfig) -> Self {
        StageContext {
            account_id: config.account_id.clone(),
            stage: config.stage.clone(),
            api_id: config.api_id.clone(),
            domain_name: config.domain_name(),
        }
    }
}

/// What `requestContext` is made of. The view's [`RequestContext`] keeps these and builds the
/// context the first time the view reads it: most views never do, and building it costs a
/// dozen allocations per request.
#[derive(Debug, Clone)]
pub(crate) struct ContextParts {
    pub(crate) stage: Arc<StageContext>,
    pub(crate) resource: &'static str,
    /// The request's normalized path, without its stage.
    pub(crate) path: String,
    pub(crate) method: Method,
    pub(crate) source_ip: String,
    pub(crate) user_agent: Option<HeaderValue>,
    pub(crate) received: SystemTime,
    pub(crate) request_id: RequestId,
    /// The authorizer's output, as `requestContext.authorizer` holds it.
    pub(crate) authorizer: Option<Arc<HashMap<String, Value>>>,
}

impl ContextParts {
    /// `requestContext` as the API handler receives it, with the authorizer's output in it.
    pub(crate) fn build(&self) -> ApiGatewayProxyRequestContext {
        let stage = &*self.stage;
        let mut context = ApiGatewayProxyRequestContext::default();
        context.account_id = Some(stage.account_id.clone());
        context.resource_id = Some(resource_id(self.resource));
        context.stage = Some(stage.stage.clone());
        context.domain_name = Some(stage.domain_name.clone());
        context.domain_prefix = Some(stage.api_id.clone());
        context.request_id = Some(self.request_id.text());
        context.protocol = Some("HTTP/1.1".into());
        context.identity.source_ip = Some(self.source_ip.clone());
        context.identity.user_agent = self
            .user_agent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        context.resource_path = Some(self.resource.to_owned());
        context.path = Some(staged_path(&stage.stage, &self.path));
        context.http_method = self.method.clone();
        let now = epoch_millis(self.received);
        context.request_time_epoch = now;
        context.request_time = Some(request_time(now));
        context.apiid = Some(stage.api_id.clone());
        if let Some(fields) = &self.authorizer {
            context.authorizer.fields = HashMap::clone(fields);
        }
        context
    }
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

/// A stable id per resource, as API Gateway gives each resource one.
fn resource_id(resource: &str) -> String {
    let hash = resource.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut id = String::with_capacity(6);
    push_hex(&mut id, hash & 0xff_ffff, 6);
    id
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::registry::{Handler, Location, Registry, RouteDef};
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
        cors: false,
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
                stage: Arc::new(StageContext::new(&config)),
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

    #[test]
    fn query_strings_split_and_decode_as_api_gateway_does() {
        assert_eq!(
            parse_query("a=1&b=&c=3&a=%20x&flag"),
            [("a", "1"), ("b", ""), ("c", "3"), ("a", " x"), ("flag", "")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(parse_query("").is_empty());
    }

    #[test]
    fn request_time_is_formatted_as_api_gateway_does() {
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
        // Within the same second, the thread's last answer.
        assert_eq!(request_time(999), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(request_time(1_000), "01/Jan/1970:00:00:01 +0000");
        assert_eq!(
            request_time(1_795_635_638_000),
            "25/Nov/2026:19:40:38 +0000"
        );
        assert_eq!(request_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let now = SystemTime::now();
        let (a, b) = (RequestId::new(now).text(), RequestId::new(now).text());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
    }
}
