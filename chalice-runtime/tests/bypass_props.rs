//! Authorization-bypass properties of the gateway model: whatever the path (`//`, `/./`, `/../`,
//! `%2F`, `%2e`, case, trailing slashes, long, unicode), the method's case, and the identity
//! headers (missing, empty, repeated, unreadable), a protected view runs only when an
//! independent model of API Gateway says the authorizer's policy allows that request's exact
//! method ARN: resolve the resource (`oracle/apigw.rs`), build the ARN, evaluate the policy
//! with the reference IAM evaluator (`oracle/iam.rs`). The gateway's own routing, ARN and
//! policy code are never consulted. Requests go to the gateway model in process and, written
//! byte for byte over TCP, to `chalice-rs local`.
//!
//! The authorizers return policies proptest generates: a token is the policy itself, encoded,
//! so each identity has one policy, and a cached answer served to another identity shows up as
//! a wrong principal or a wrong decision. Views record that they ran, under a per-request id.

#[path = "oracle/apigw.rs"]
mod apigw;
#[path = "oracle/iam.rs"]
mod iam;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::net::SocketAddr;

use chalice_runtime::gateway::{Gateway, GatewayConfig, GatewayRequest};
use chalice_runtime::local::{LocalConfig, LocalServer};
use chalice_runtime::{App, AuthError, AuthRequest, AuthorizerKind, Registry, Request, app};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- The app: every route protected by an authorizer whose policy the test chooses. ----------

const TOKEN_PREFIX: &str = "policy.";

/// The policy document a token carries, or `None` for a token that is not one.
fn policy_of(token: &str) -> Option<Value> {
    let encoded = token.strip_prefix(TOKEN_PREFIX)?;
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn token_for(document: &Value) -> String {
    format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(document.to_string())
    )
}

#[app::authorizer]
fn token_policy(auth: AuthRequest) -> Result<Value, AuthError> {
    let document = policy_of(&auth.token).ok_or(AuthError::Unauthorized)?;
    Ok(json!({"principalId": auth.token, "policyDocument": document}))
}

#[app::authorizer(identity_sources = ["header.X-Policy", "querystring.tenant"])]
fn request_policy(auth: AuthRequest) -> Result<Value, AuthError> {
    let document = policy_of(&auth.token).ok_or(AuthError::Unauthorized)?;
    let tenant = auth.query_params.get("tenant").unwrap_or_default();
    let principal = json!([tenant, auth.token]).to_string();
    Ok(json!({"principalId": principal, "policyDocument": document}))
}

/// What the views saw, by request id (`x-case`): route, method and principal.
static RAN: Mutex<Option<HashMap<u64, Ran>>> = Mutex::new(None);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Ran {
    resource: String,
    method: String,
    principal: Option<String>,
}

fn record(req: &Request) -> Value {
    let case = req
        .headers
        .get("x-case")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .expect("every request carries x-case");
    let principal = req
        .context
        .authorizer
        .fields
        .get("principalId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let ran = Ran {
        resource: req.path.clone(),
        method: req.method.clone(),
        principal,
    };
    RAN.lock()
        .unwrap()
        .get_or_insert_with(HashMap::new)
        .insert(case, ran);
    json!({"ran": true})
}

#[app::route("/", authorizer = token_policy)]
fn root(req: &Request) -> Value {
    record(req)
}

#[app::route("/items", methods = ["GET", "POST"], authorizer = token_policy)]
fn items(req: &Request) -> Value {
    record(req)
}

#[app::route("/items/{id}", methods = ["GET", "DELETE"], authorizer = token_policy)]
fn item(id: String, req: &Request) -> Value {
    let _ = id;
    record(req)
}

#[app::route("/items/admin", authorizer = token_policy)]
fn items_admin(req: &Request) -> Value {
    record(req)
}

#[app::route("/items/{id}/notes", authorizer = token_policy)]
fn item_notes(id: String, req: &Request) -> Value {
    let _ = id;
    record(req)
}

#[app::route("/Admin", authorizer = token_policy)]
fn admin(req: &Request) -> Value {
    record(req)
}

#[app::route("/files/{name}", authorizer = token_policy)]
fn file(name: String, req: &Request) -> Value {
    let _ = name;
    record(req)
}

#[app::route("/tenants/{tenant}", authorizer = request_policy)]
fn tenant(tenant: String, req: &Request) -> Value {
    let _ = tenant;
    record(req)
}

#[app::route("/reports", methods = ["GET", "POST"], authorizer = request_policy)]
fn reports(req: &Request) -> Value {
    record(req)
}

#[app::route("/open")]
fn open(req: &Request) -> Value {
    record(req)
}

/// How the oracle knows a route is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Guard {
    Public,
    Token,
    Request,
}

/// The app's routes as the oracle knows them, checked against the registry once.
const ROUTES: &[(&str, &str, Guard)] = &[
    ("/", "GET", Guard::Token),
    ("/items", "GET", Guard::Token),
    ("/items", "POST", Guard::Token),
    ("/items/{id}", "GET", Guard::Token),
    ("/items/{id}", "DELETE", Guard::Token),
    ("/items/admin", "GET", Guard::Token),
    ("/items/{id}/notes", "GET", Guard::Token),
    ("/Admin", "GET", Guard::Token),
    ("/files/{name}", "GET", Guard::Token),
    ("/tenants/{tenant}", "GET", Guard::Request),
    ("/reports", "GET", Guard::Request),
    ("/reports", "POST", Guard::Request),
    ("/open", "GET", Guard::Public),
];

const STAGE: apigw::Stage<'static> = apigw::Stage {
    region: "us-east-1",
    account_id: "123456789012",
    api_id: "localapi01",
    stage: "api",
};

fn gateway() -> Gateway {
    Gateway::new(gateway_registry(), GatewayConfig::default())
}

/// The app's registry, once checked against the oracle's route list and stage.
fn gateway_registry() -> &'static Registry {
    let registry = App::new("bypass").registry().unwrap();
    let mut declared: Vec<(&str, &str, Guard)> = registry
        .routes()
        .iter()
        .map(|route| {
            let guard = match route.authorizer() {
                None => Guard::Public,
                Some(AuthorizerKind::Builtin(b)) if b.name() == "token_policy" => Guard::Token,
                Some(AuthorizerKind::Builtin(b)) if b.name() == "request_policy" => Guard::Request,
                Some(other) => panic!("unexpected authorizer {}", other.name()),
            };
            (route.path(), route.method(), guard)
        })
        .collect();
    declared.sort();
    let mut known = ROUTES.to_vec();
    known.sort();
    assert_eq!(declared, known, "the oracle's route list is the app's");
    let config = GatewayConfig::default();
    assert_eq!(
        (
            config.region.as_str(),
            config.account_id.as_str(),
            config.api_id.as_str(),
            config.stage.as_str()
        ),
        (STAGE.region, STAGE.account_id, STAGE.api_id, STAGE.stage)
    );
    registry
}

// ---- Requests and what the oracle expects of them. ---------------------------------------------

/// One value of an identity header.
#[derive(Debug, Clone)]
enum Identity {
    /// The token of the n-th policy of the case.
    Token(usize),
    Empty,
    /// Readable, but not a token: the authorizer answers `Unauthorized`.
    Garbage,
    /// Not visible ASCII: the gateway cannot read it as text.
    Opaque,
}

#[derive(Debug, Clone)]
struct Call {
    method: String,
    target: String,
    /// Sent both as `Authorization` (TOKEN) and `X-Policy` (REQUEST).
    identity: Vec<Identity>,
    /// Moves the gateway clock before the call, expiring cached answers.
    wait_seconds: u64,
}

/// What can happen to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    NoRoute,
    Unauthorized,
    Denied,
    Failed,
    Ran(Ran),
}

fn header_value(identity: &Identity, tokens: &[String]) -> HeaderValue {
    match identity {
        Identity::Token(i) => HeaderValue::from_str(&tokens[i % tokens.len()]).unwrap(),
        Identity::Empty => HeaderValue::from_static(""),
        Identity::Garbage => HeaderValue::from_static("Bearer not-a-policy"),
        Identity::Opaque => HeaderValue::from_bytes(b"\xe9t\xe9").unwrap(),
    }
}

/// Every outcome API Gateway could give: one, or one per value of a repeated identity header
/// (which of them API Gateway reads is not something the model assumes).
fn expected(call: &Call, policies: &[Value], tokens: &[String]) -> Vec<Outcome> {
    let (raw_path, query) = call.target.split_once('?').unwrap_or((&call.target, ""));
    let resources: Vec<&str> = ROUTES.iter().map(|(path, _, _)| *path).collect();
    let Some((resource, path)) = apigw::resolve(&resources, raw_path) else {
        return vec![Outcome::NoRoute];
    };
    let Some(&(_, method, guard)) = ROUTES
        .iter()
        .find(|(p, m, _)| *p == resource && *m == call.method)
    else {
        return vec![Outcome::NoRoute];
    };
    let ran = |principal: Option<String>| {
        Outcome::Ran(Ran {
            resource: resource.to_owned(),
            method: method.to_owned(),
            principal,
        })
    };
    if guard == Guard::Public {
        return vec![ran(None)];
    }
    if call.identity.is_empty() {
        return vec![Outcome::Unauthorized];
    }
    let tenant = apigw::last_query_value(query, "tenant");
    let arn = STAGE.method_arn(method, &path);
    call.identity
        .iter()
        .map(|identity| {
            let policy = match identity {
                Identity::Token(i) => &policies[i % policies.len()],
                Identity::Empty | Identity::Garbage | Identity::Opaque => {
                    return Outcome::Unauthorized;
                }
            };
            let token = &tokens[match identity {
                Identity::Token(i) => i % tokens.len(),
                _ => unreachable!(),
            }];
            let principal = match guard {
                Guard::Token => token.clone(),
                _ => match &tenant {
                    Some(tenant) if !tenant.is_empty() => json!([tenant, token]).to_string(),
                    _ => return Outcome::Unauthorized,
                },
            };
            match iam::evaluate(policy, &arn) {
                Ok(iam::Verdict::Allow) => ran(Some(principal)),
                Ok(iam::Verdict::ExplicitDeny | iam::Verdict::ImplicitDeny) => Outcome::Denied,
                Err(_) => Outcome::Failed,
            }
        })
        .collect()
}

static NEXT_CASE: AtomicU64 = AtomicU64::new(1);

/// Where the requests go: the gateway model in process, or `chalice-rs local` over a socket
/// (hyper's request parsing included).
enum Front {
    Model(Box<Gateway>),
    Http {
        runtime: tokio::runtime::Runtime,
        addr: SocketAddr,
    },
}

impl Front {
    fn model() -> Self {
        Front::Model(Box::new(gateway()))
    }

    fn http() -> Self {
        let registry = gateway_registry();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let addr = runtime.block_on(async {
            let config = LocalConfig {
                addr: "127.0.0.1:0".parse().unwrap(),
                gateway: GatewayConfig::default(),
                limits: chalice_runtime::local::Limits::default(),
            };
            let server = LocalServer::bind(registry, config).await.unwrap();
            let addr = server.local_addr().unwrap();
            tokio::spawn(server.serve(std::future::pending()));
            addr
        });
        Front::Http { runtime, addr }
    }

    /// Sends `call` and reports what happened: the answer, and whether a view ran. `None` when
    /// the call cannot be written as an HTTP/1.1 request.
    fn send(&self, call: &Call, tokens: &[String]) -> Option<Outcome> {
        let case = NEXT_CASE.fetch_add(1, Ordering::Relaxed);
        let mut headers = HeaderMap::new();
        headers.insert("x-case", HeaderValue::from_str(&case.to_string()).unwrap());
        for name in ["authorization", "x-policy"] {
            for identity in &call.identity {
                headers.append(
                    HeaderName::from_static(name),
                    header_value(identity, tokens),
                );
            }
        }
        let (status, error_type) = match self {
            Front::Model(gateway) => {
                let mut request = GatewayRequest::new(call.method.clone(), call.target.clone());
                request.headers = headers;
                gateway.advance_clock(Duration::from_secs(call.wait_seconds));
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                let answer = runtime.block_on(gateway.handle(request));
                let error_type = answer
                    .response
                    .headers()
                    .get("x-amzn-errortype")
                    .map(|v| v.to_str().unwrap().to_owned());
                (answer.response.status_code(), error_type)
            }
            Front::Http { runtime, addr } => {
                let is_token = |m: &str| {
                    !m.is_empty()
                        && m.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                };
                let is_target = call.target.starts_with('/')
                    && call
                        .target
                        .bytes()
                        .all(|b| b.is_ascii_graphic() && b != b'#');
                if !is_token(&call.method) || !is_target {
                    return None;
                }
                runtime.block_on(http_exchange(*addr, &call.method, &call.target, &headers))
            }
        };
        let ran = RAN
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .remove(&case);
        Some(match (ran, status, error_type.as_deref()) {
            (Some(ran), 200, _) => Outcome::Ran(ran),
            (Some(ran), status, _) => panic!("the view ran ({ran:?}) but the answer is {status}"),
            (None, 403, Some("MissingAuthenticationTokenException"))
            | (None, 403, Some("IncompleteSignatureException")) => Outcome::NoRoute,
            (None, 401, Some("UnauthorizedException")) => Outcome::Unauthorized,
            (None, 403, Some("AccessDeniedException")) => Outcome::Denied,
            (None, 500, Some("AuthorizerConfigurationException")) => Outcome::Failed,
            (None, status, error_type) => panic!("unexpected answer {status} {error_type:?}"),
        })
    }
}

/// One request on its own connection, written byte for byte (an HTTP client would tidy the
/// path); returns the status and `x-amzn-ErrorType`.
async fn http_exchange(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &HeaderMap,
) -> (u16, Option<String>) {
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: local\r\nConnection: close\r\n").into_bytes();
    for (name, value) in headers {
        request.extend_from_slice(name.as_str().as_bytes());
        request.extend_from_slice(b": ");
        request.extend_from_slice(value.as_bytes());
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(&request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let error_type = lines
        .filter_map(|line| line.split_once(": "))
        .find(|(name, _)| name.eq_ignore_ascii_case("x-amzn-errortype"))
        .map(|(_, value)| value.to_owned());
    (status, error_type)
}

fn check(front: &Front, policies: &[Value], calls: &[Call]) -> Result<(), TestCaseError> {
    let tokens: Vec<String> = policies.iter().map(token_for).collect();
    for call in calls {
        let allowed = expected(call, policies, &tokens);
        let Some(actual) = front.send(call, &tokens) else {
            continue;
        };
        prop_assert!(
            allowed.contains(&actual),
            "{} {:?} with {:?}: got {:?}, the model allows {:?}",
            call.method,
            call.target,
            call.identity,
            actual,
            allowed
        );
    }
    Ok(())
}

// ---- Strategies. --------------------------------------------------------------------------------

/// Path segments that name the app's resources, near-misses of them, and the tricks.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::sample::select(vec![
            "items", "admin", "notes", "files", "tenants", "reports", "open", "Admin", "1", "42",
        ])
        .prop_map(str::to_owned),
        4 => proptest::sample::select(vec![
            "Items", "ITEMS", "ADMIN", "admin ", "a%2Fb", "%2F", "%2e", "%2E", "%2e%2e", ".%2E",
            ".", "..", "...", "%252e", "é", "日本", "%C3%A9", "*", "%", "%zz", "{id}", "a b",
            "items%2Fadmin", "items;admin", "%00",
        ])
        .prop_map(str::to_owned),
        1 => (1usize..2000).prop_map(|n| "x".repeat(n)),
        1 => "[a-z%./é]{1,6}",
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        12 => Just("/"),
        1 => Just("//"),
        1 => Just("/./"),
        1 => Just("/../"),
        1 => Just("/%2e/"),
        1 => Just("%2F"),
        1 => Just("/%2E%2E/"),
    ]
}

/// A path built from one of the app's resources, its parameters filled in, then perhaps
/// bent by one trick; the oracle decides what it reaches.
fn templated_path() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        4 => proptest::sample::select(vec!["1", "42", "abc", "admin", "notes"]).prop_map(str::to_owned),
        2 => segment(),
    ];
    (
        proptest::sample::select(ROUTES.iter().map(|(path, _, _)| *path).collect::<Vec<_>>()),
        proptest::collection::vec(value, 3),
        0u8..24,
        any::<prop::sample::Index>(),
    )
        .prop_map(|(resource, values, trick, at)| {
            let mut values = values.into_iter();
            let segments: Vec<String> = resource
                .split('/')
                .skip(1)
                .filter(|s| !s.is_empty())
                .map(|s| match s.starts_with('{') {
                    true => values.next().unwrap_or_default(),
                    false => s.to_owned(),
                })
                .collect();
            let mut path = format!("/{}", segments.join("/"));
            let slashes: Vec<usize> = path.match_indices('/').map(|(i, _)| i).collect();
            let slash = slashes[at.index(slashes.len())];
            match trick {
                0 => path.insert(slash, '/'),
                1 => path.insert_str(slash, "/."),
                2 => path.insert_str(slash, "/.."),
                3 => path.insert_str(slash, "/%2e%2E"),
                4 => path.push('/'),
                5 => path.push_str("//"),
                6 => path = path.to_uppercase(),
                7 => path = path.replacen('a', "%61", 1),
                8 => path.replace_range(slash..=slash, "%2F"),
                _ => {}
            }
            path
        })
}

/// A path put together from segments and separators, tricks included.
fn composed_path() -> impl Strategy<Value = String> {
    (
        prop_oneof![10 => Just(""), 1 => Just("/"), 1 => Just("./"), 1 => Just("x")],
        proptest::collection::vec((separator(), segment()), 0..5),
        prop_oneof![6 => Just(""), 2 => Just("/"), 1 => Just("//"), 1 => Just("/.")],
        prop_oneof![20 => Just(0usize), 1 => 50usize..400],
    )
        .prop_map(|(lead, parts, trail, repeat)| {
            let mut path = String::from(lead);
            for (sep, seg) in parts {
                path.push_str(sep);
                path.push_str(&seg);
            }
            for _ in 0..repeat {
                path.push_str("/a");
            }
            if lead.is_empty() && !path.starts_with('/') {
                path.insert(0, '/');
            }
            path.push_str(trail);
            path
        })
}

fn target() -> impl Strategy<Value = String> {
    let path = prop_oneof![3 => templated_path(), 1 => composed_path()];
    let query = prop_oneof![
        3 => Just(String::new()),
        3 => proptest::sample::select(vec!["a", "b", "%61", "a%20b", "A"])
            .prop_map(|t| format!("?tenant={t}")),
        1 => (
            proptest::sample::select(vec!["a", "b", ""]),
            proptest::sample::select(vec!["a", "b", ""])
        )
            .prop_map(|(x, y)| format!("?tenant={x}&tenant={y}")),
        1 => proptest::sample::select(vec!["?tenant=", "?tenant", "?x=1", "?", "?tenant=a?b"])
            .prop_map(str::to_owned),
    ];
    (path, query).prop_map(|(path, query)| path + &query)
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => Just("GET"),
        3 => proptest::sample::select(vec!["POST", "DELETE"]),
        2 => proptest::sample::select(vec![
            "get", "Get", "post", "PUT", "PATCH", "HEAD", "OPTIONS", "GET ", "G ET", "", "*",
        ]),
    ]
    .prop_map(str::to_owned)
}

fn identity() -> impl Strategy<Value = Identity> {
    prop_oneof![
        8 => (0usize..4).prop_map(Identity::Token),
        1 => Just(Identity::Empty),
        1 => Just(Identity::Garbage),
        1 => Just(Identity::Opaque),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    (
        method(),
        target(),
        prop_oneof![
            1 => Just(vec![]),
            8 => identity().prop_map(|i| vec![i]),
            2 => proptest::collection::vec(identity(), 2..4),
        ],
        prop_oneof![9 => Just(0u64), 1 => 1u64..400],
    )
        .prop_map(|(method, target, identity, wait_seconds)| Call {
            method,
            target,
            identity,
            wait_seconds,
        })
}

/// Resource patterns that often hit the app's method ARNs, with every glob and case trick.
fn resource_pattern() -> impl Strategy<Value = String> {
    let prefix = proptest::sample::select(vec![
        "arn:aws:execute-api:us-east-1:123456789012:localapi01",
        "arn:aws:execute-api:us-east-1:123456789012:localapi01",
        "arn:aws:execute-api:us-east-1:123456789012:localapi01",
        "arn:aws:execute-api:*:*:localapi01",
        "arn:aws:execute-api:us-east-1:123456789012:*",
        "arn:aws:execute-api:us-west-2:123456789012:localapi01",
        "arn:aws:execute-api:us-east-1:123456789012:otherapi01",
        "arn:aws:execute-api:us-east-1:*",
        "*",
    ]);
    let stage = proptest::sample::select(vec!["api", "api", "api", "*", "API", "dev", "ap?", "a*"]);
    let method = proptest::sample::select(vec![
        "GET", "GET", "GET", "POST", "DELETE", "*", "*", "get", "G?T", "???", "????", "*T",
    ]);
    let path = proptest::sample::select(vec![
        "",
        "*",
        "*",
        "items",
        "items/*",
        "items/*",
        "items/1",
        "items/admin",
        "items/admin",
        "items/?",
        "items/*/notes",
        "items/1/notes",
        "Admin",
        "admin",
        "files/*",
        "files/a%2Fb",
        "tenants/*",
        "tenants/a",
        "reports",
        "open",
        "é",
        "*/notes",
        "items*",
        "items/",
        "*/admin",
        "x*",
    ]);
    prop_oneof![
        8 => (prefix, stage, method, path).prop_map(|(p, s, m, r)| format!("{p}/{s}/{m}/{r}")),
        1 => Just("*".to_owned()),
        1 => "[a-z:*/?]{0,12}",
    ]
}

fn string_or_list(item: BoxedStrategy<String>) -> BoxedStrategy<Value> {
    prop_oneof![
        6 => item.clone().prop_map(Value::from),
        4 => proptest::collection::vec(item, 0..4).prop_map(Value::from),
        1 => Just(json!(7)),
    ]
    .boxed()
}

fn statement() -> impl Strategy<Value = Value> {
    let effect = prop_oneof![
        20 => Just(json!("Allow")),
        12 => Just(json!("Deny")),
        1 => Just(json!("allow")),
        1 => Just(Value::Null),
    ];
    let action = proptest::sample::select(vec![
        "execute-api:Invoke",
        "execute-api:invoke",
        "EXECUTE-API:INVOKE",
        "execute-api:*",
        "*",
        "execute-api:Inv?ke",
        "execute-api:ManageConnections",
        "s3:GetObject",
        "execute-api",
        "*:Invoke",
    ])
    .prop_map(str::to_owned)
    .boxed();
    let actions = string_or_list(action);
    let resources = string_or_list(resource_pattern().boxed());
    (
        effect,
        actions,
        resources,
        0u8..40, // which keys: Action or NotAction, Resource or NotResource, both, none
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(effect, actions, resources, shape, condition)| {
            let mut statement = serde_json::Map::new();
            if !effect.is_null() {
                statement.insert("Effect".into(), effect);
            }
            let action_key = if shape % 7 == 1 {
                "NotAction"
            } else {
                "Action"
            };
            let resource_key = if shape % 6 == 1 {
                "NotResource"
            } else {
                "Resource"
            };
            if shape != 17 {
                statement.insert(action_key.into(), actions);
            }
            if shape != 18 {
                statement.insert(resource_key.into(), resources.clone());
            }
            if shape == 19 {
                statement.insert("NotResource".into(), resources);
            }
            if condition {
                statement.insert(
                    "Condition".into(),
                    json!({"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}),
                );
            }
            Value::Object(statement)
        })
}

fn policy() -> impl Strategy<Value = Value> {
    prop_oneof![
        20 => proptest::collection::vec(statement(), 0..4)
            .prop_map(|statements| json!({"Version": "2012-10-17", "Statement": statements})),
        3 => statement().prop_map(|statement| json!({"Statement": statement})),
        1 => proptest::sample::select(vec![
            json!({"Version": "2012-10-17"}),
            json!({"Statement": "Allow"}),
            json!({"Statement": [1]}),
            json!([]),
            json!("policy"),
            Value::Null,
        ]),
    ]
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        ..Config::default()
    })
}

// ---- The properties. ----------------------------------------------------------------------------

/// Sequences of requests with a few identities against one gateway: every answer is one the
/// model allows, so no view runs unless the identity's own policy allows the exact method ARN,
/// and a cached answer never serves another identity.
#[test]
fn no_request_reaches_a_view_its_policy_does_not_allow() {
    let front = Front::model();
    runner(1024)
        .run(
            &(
                proptest::collection::vec(policy(), 1..4),
                proptest::collection::vec(call(), 1..12),
            ),
            |(policies, calls)| check(&front, &policies, &calls),
        )
        .unwrap();
}

/// The same through `chalice-rs local` over TCP, for the requests HTTP/1.1 can carry.
#[test]
fn no_request_over_http_reaches_a_view_its_policy_does_not_allow() {
    let front = Front::http();
    runner(128)
        .run(
            &(
                proptest::collection::vec(policy(), 1..4),
                proptest::collection::vec(call(), 1..12),
            ),
            |(policies, calls)| check(&front, &policies, &calls),
        )
        .unwrap();
}

/// Every trick path against every method, with a policy allowing only `GET /items/*` and one
/// allowing only `GET /items/admin`, then one denying it: the cross product, exhaustively.
#[test]
fn path_and_method_tricks_never_widen_a_policy() {
    let allow = |resource: &str| {
        json!({"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                              "Resource": format!("arn:aws:execute-api:us-east-1:123456789012:localapi01/api/{resource}")}]})
    };
    let mut deny_admin = allow("*");
    deny_admin["Statement"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Effect": "Deny", "Action": "*", "Resource": "*/GET/items/admin"}));
    let policies = [allow("GET/items/*"), allow("GET/items/admin"), deny_admin];
    let paths = [
        "/items/admin",
        "/items/admin/",
        "/items/admin//",
        "//items/admin",
        "/items//admin",
        "/items/./admin",
        "/items/../items/admin",
        "/items/1/../admin",
        "/items/%2e%2e/items/admin",
        "/items/%2E/admin",
        "/items/%2e",
        "/items/..",
        "/items/.",
        "/items/%2E%2e/",
        "/items%2Fadmin",
        "/items/admin%2F",
        "/items/%61dmin",
        "/Items/admin",
        "/items/ADMIN",
        "/items/Admin",
        "/ITEMS/admin",
        "/items/admin?x=1",
        "/items/admin#x",
        "/items/admin;x",
        "/items/admin%00",
        "/items/admin ",
        "/items/é",
        "/items/%C3%A9",
        "items/admin",
        "",
        "?",
        "/",
        "/admin",
        "/Admin",
        "/Admin/",
        "/items",
        "/items/",
        "/items/1/notes",
        "/items/1/notes/",
        "/items//notes",
    ];
    let long = format!("/items/{}", "x".repeat(1500));
    let methods = [
        "GET", "get", "Get", "POST", "DELETE", "delete", "HEAD", "OPTIONS", "PUT", "GET ",
    ];
    let mut calls = Vec::new();
    for path in paths.iter().copied().chain([long.as_str()]) {
        for method in methods {
            for token in 0..policies.len() {
                calls.push(Call {
                    method: method.to_owned(),
                    target: path.to_owned(),
                    identity: vec![Identity::Token(token)],
                    wait_seconds: 0,
                });
            }
        }
    }
    for front in [Front::model(), Front::http()] {
        check(&front, &policies, &calls).unwrap();
    }
}

/// Each identity has its own answer in the authorizer cache: a policy cached for one token (or
/// one REQUEST identity: header and query value) is never used for another, whatever the order.
#[test]
fn a_cached_policy_only_serves_its_own_identity() {
    let policy_for = |path: &str| {
        json!({"Statement": {"Effect": "Allow", "Action": "execute-api:Invoke",
                             "Resource": format!("arn:aws:execute-api:*:*:*/api/GET/{path}")}})
    };
    let policies = [policy_for("items/*"), policy_for("items"), policy_for("*")];
    let targets = [
        "/items/1",
        "/items",
        "/reports?tenant=a",
        "/reports?tenant=b",
        "/reports?tenant=b&tenant=a",
        "/reports?tenant=a&tenant=b",
        "/tenants/x?tenant=%61",
        "/Admin",
    ];
    let mut calls = Vec::new();
    for round in 0..2 {
        for target in targets {
            for token in [0, 1, 2, 1, 0] {
                calls.push(Call {
                    method: "GET".into(),
                    target: target.to_owned(),
                    identity: vec![Identity::Token((token + round) % 3)],
                    wait_seconds: 0,
                });
            }
        }
    }
    for front in [Front::model(), Front::http()] {
        check(&front, &policies, &calls).unwrap();
    }
}
