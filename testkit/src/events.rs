//! Events shaped as API Gateway sends them to Lambda, for an API deployed as `abc123` on stage
//! `api` in us-west-2: the REST v1 proxy event (with the nulls API Gateway really sends) and the
//! TOKEN and REQUEST authorizer events.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

/// The REST API id.
pub const API_ID: &str = "abc123";
/// The stage.
pub const STAGE: &str = "api";
/// The region.
pub const REGION: &str = "us-west-2";
/// The account.
pub const ACCOUNT: &str = "123456789012";

/// The method ARN API Gateway gives an authorizer for `method` on `path` (`/` ends in `/GET/`).
pub fn method_arn(method: &str, path: &str) -> String {
    format!(
        "arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{STAGE}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// A TOKEN authorizer's event.
pub fn token_event(token: &str, method_arn: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn})
}

/// The demo app's `GET /` as API Gateway sends it to the API handler once `demo_auth` allowed
/// the token `allow`: the event the benchmarks time.
pub fn demo_api_event() -> Value {
    ProxyEvent::new("GET", "/", "/")
        .header("Authorization", "allow")
        .authorizer(json!({"principalId": "user", "integrationLatency": 12}))
        .build()
}

/// The TOKEN event API Gateway sends `demo_auth` for that request.
pub fn demo_token_event() -> Value {
    token_event("allow", &method_arn("GET", "/"))
}

/// The payload format 2.0 `requestContext` of `route_key` for `path`, with `authorizer`
/// (`{"lambda": ..}`, `{"jwt": ..}` or null).
pub fn http_api_request_context(route_key: &str, path: &str, authorizer: Value) -> Value {
    let method = route_key.split(' ').next().unwrap_or("GET");
    json!({
        "accountId": ACCOUNT, "apiId": API_ID, "stage": "$default",
        "domainName": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"), "domainPrefix": API_ID,
        "requestId": "JKJaXmPLvHcESHA=", "routeKey": route_key,
        "time": "05/Dec/2026:07:00:00 +0000", "timeEpoch": 1_796_454_000_000_i64,
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
        "authorizer": authorizer
    })
}

/// The HTTP API example's `GET /profile` as an HTTP API sends it to the API handler (payload
/// format 2.0) once `gate` allowed the token `allow`: the v2 event the benchmarks time.
pub fn http_api_profile_event() -> Value {
    json!({
        "version": "2.0", "routeKey": "GET /profile", "rawPath": "/profile",
        "rawQueryString": "",
        "headers": {"accept": "*/*", "host": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
                    "user-agent": "curl/8.5.0", "x-token": "allow",
                    "x-forwarded-for": "203.0.113.7", "x-forwarded-port": "443",
                    "x-forwarded-proto": "https"},
        "requestContext": http_api_request_context(
            "GET /profile", "/profile", json!({"lambda": {"tier": "gold"}})),
        "isBase64Encoded": false
    })
}

/// The payload format 2.0 event an HTTP API sends the example's `gate` for that request.
pub fn http_api_gate_event() -> Value {
    json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/$default/GET/profile"),
        "identitySource": ["allow"], "routeKey": "GET /profile", "rawPath": "/profile",
        "rawQueryString": "",
        "headers": {"accept": "*/*", "user-agent": "curl/8.5.0", "x-token": "allow"},
        "requestContext": http_api_request_context("GET /profile", "/profile", Value::Null)
    })
}

/// A REST v1 proxy event, built field by field.
#[derive(Debug, Clone)]
pub struct ProxyEvent {
    event: Value,
}

impl ProxyEvent {
    /// A `method` request for `path`, matched to `resource` (`/items/{id}`), with the headers a
    /// curl through API Gateway carries and no query, body or authorizer.
    pub fn new(method: &str, resource: &str, path: &str) -> Self {
        let mut event = ProxyEvent {
            event: json!({
                "resource": resource,
                "path": path,
                "httpMethod": method,
                "headers": {},
                "multiValueHeaders": {},
                "queryStringParameters": null,
                "multiValueQueryStringParameters": null,
                "pathParameters": null,
                "stageVariables": null,
                "requestContext": {
                    "resourceId": "x1y2z3",
                    "resourcePath": resource,
                    "httpMethod": method,
                    "extendedRequestId": "Jd9FtFq2PHcF8Qw=",
                    "requestTime": "25/Nov/2026:19:40:38 +0000",
                    "path": format!("/{STAGE}{path}"),
                    "accountId": ACCOUNT,
                    "protocol": "HTTP/1.1",
                    "stage": STAGE,
                    "domainPrefix": API_ID,
                    "requestTimeEpoch": 1_795_635_638_000_i64,
                    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                    "identity": {
                        "cognitoIdentityPoolId": null, "accountId": null, "cognitoIdentityId": null,
                        "caller": null, "sourceIp": "203.0.113.7", "principalOrgId": null,
                        "accessKey": null, "cognitoAuthenticationType": null,
                        "cognitoAuthenticationProvider": null, "userArn": null,
                        "userAgent": "curl/8.5.0", "user": null
                    },
                    "domainName": format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
                    "apiId": API_ID
                },
                "body": null,
                "isBase64Encoded": false
            }),
        };
        event = event
            .header("Accept", "*/*")
            .header(
                "Host",
                &format!("{API_ID}.execute-api.{REGION}.amazonaws.com"),
            )
            .header("User-Agent", "curl/8.5.0")
            .header("X-Forwarded-For", "203.0.113.7")
            .header("X-Forwarded-Proto", "https");
        event
    }

    /// The object at `key`, made one if API Gateway's `null` is there.
    fn object(&mut self, key: &str) -> &mut Map<String, Value> {
        let slot = &mut self.event[key];
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        slot.as_object_mut().expect("just made an object")
    }

    /// Adds a header value: `headers` keeps the last, `multiValueHeaders` every one.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.object("headers").insert(name.into(), json!(value));
        let multi = self.object("multiValueHeaders");
        match multi.get_mut(name).and_then(Value::as_array_mut) {
            Some(values) => values.push(json!(value)),
            None => {
                multi.insert(name.into(), json!([value]));
            }
        }
        self
    }

    /// Adds a query string value, as `header` does.
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.object("queryStringParameters")
            .insert(name.into(), json!(value));
        let multi = self.object("multiValueQueryStringParameters");
        match multi.get_mut(name).and_then(Value::as_array_mut) {
            Some(values) => values.push(json!(value)),
            None => {
                multi.insert(name.into(), json!([value]));
            }
        }
        self
    }

    /// Sets a path parameter.
    pub fn path_param(mut self, name: &str, value: &str) -> Self {
        self.object("pathParameters")
            .insert(name.into(), json!(value));
        self
    }

    /// Sets `requestContext.authorizer`: what API Gateway passes on from a Lambda authorizer
    /// (`principalId`, the context's values as strings, `integrationLatency`).
    pub fn authorizer(mut self, fields: Value) -> Self {
        self.event["requestContext"]["authorizer"] = fields;
        self
    }

    /// A text body.
    pub fn body(mut self, body: &str) -> Self {
        self.event["body"] = json!(body);
        self.event["isBase64Encoded"] = json!(false);
        self
    }

    /// A binary body, base64-encoded as API Gateway sends it.
    pub fn binary_body(mut self, body: &[u8]) -> Self {
        self.event["body"] = json!(BASE64.encode(body));
        self.event["isBase64Encoded"] = json!(true);
        self
    }

    /// The event.
    pub fn build(self) -> Value {
        self.event
    }
}

/// A REQUEST authorizer's event for `method` on `path` (matched to `resource`), with the
/// given headers and query string.
pub fn request_event(
    method: &str,
    resource: &str,
    path: &str,
    headers: &[(&str, &str)],
    query: &[(&str, &str)],
) -> Value {
    let headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| ((*k).into(), json!(v)))
        .collect();
    let multi_headers: Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect();
    let query_map: Map<String, Value> =
        query.iter().map(|(k, v)| ((*k).into(), json!(v))).collect();
    let multi_query: Map<String, Value> = query_map
        .iter()
        .map(|(k, v)| (k.clone(), json!([v])))
        .collect();
    json!({
        "type": "REQUEST",
        "methodArn": method_arn(method, path),
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query_map,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": {},
        "stageVariables": {},
        "requestContext": {
            "path": format!("/{STAGE}{path}"),
            "accountId": ACCOUNT,
            "resourceId": "x1y2z3",
            "stage": STAGE,
            "requestId": "5e7a4b2c-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": API_ID
        }
    })
}

/// The JSON body of a proxy response the function posted.
pub fn body_json(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().expect("a text body")).expect("a JSON body")
}
