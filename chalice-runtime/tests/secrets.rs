//! Secrets stay out of what the runtime writes: tokens, `Authorization` values, the header and
//! query values of REQUEST authorizers' identity sources, and query strings never appear in the
//! local server's request log, in the gateway's answers and decisions, or in the Lambda errors
//! (and their CloudWatch lines) made of malformed events.
//!
//! The one deliberate exception is API Gateway's own: a request to a path the API does not have
//! that carries an `Authorization` header is answered with that header echoed back to its
//! sender (`IncompleteSignatureException`, Chalice's test item 48).

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};

use chalice_runtime::gateway::{AuthDecision, GatewayConfig};
use chalice_runtime::lambda::LambdaFunction;
use chalice_runtime::local::{LocalConfig, LocalServer};
use chalice_runtime::test::Client;
use chalice_runtime::{App, AuthError, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};

/// Every secret the requests below carry; none may be written anywhere.
const SECRETS: [&str; 6] = [
    "tok-ALLOW-5ecret",
    "tok-DENY-5ecret",
    "tok-5ecret-unknown",
    "key-5ecret",
    "qs-5ecret",
    "ctx-5ecret",
];

#[app::authorizer]
fn token_auth(auth: AuthRequest) -> Result<Value, AuthError> {
    match auth.token.as_str() {
        "tok-ALLOW-5ecret" => Ok(
            json!({"principalId": "alice", "policyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}}),
        ),
        "tok-DENY-5ecret" => Ok(
            json!({"principalId": "alice", "policyDocument": {"Statement": [
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}]}}),
        ),
        // A policy API Gateway rejects: the runtime reports it, naming the field.
        "tok-5ecret-broken" => Ok(
            json!({"principalId": "alice", "policyDocument": {"Statement": [
            {"Effect": "allow", "Action": "execute-api:Invoke", "Resource": "*"}]}}),
        ),
        _ => Err(AuthError::Unauthorized),
    }
}

#[app::authorizer(identity_sources = ["header.X-Api-Key", "querystring.key"])]
fn key_auth(auth: AuthRequest) -> Result<AuthResponse, AuthError> {
    match (auth.token.as_str(), auth.query_params.get("key")) {
        ("key-5ecret", Some("qs-5ecret")) => Ok(AuthResponse::new(["/keyed"], "bob")),
        ("key-5ecret", Some(_)) => Ok(AuthResponse::deny("bob")),
        ("key-5ecret", None) => {
            Ok(AuthResponse::new(["/keyed"], "bob")
                .context(json!({"nested": {"leak": "ctx-5ecret"}})))
        }
        _ => Err(AuthError::Unauthorized),
    }
}

#[app::route("/private", methods = ["GET", "POST"], authorizer = token_auth)]
fn private(req: &Request) -> Value {
    json!({"principal": req.context.authorizer.fields["principalId"]})
}

#[app::route("/keyed", authorizer = key_auth)]
fn keyed() -> Value {
    json!({"keyed": true})
}

#[app::route("/public")]
fn public() -> Value {
    json!({"public": true})
}

/// A request: method, target and headers.
type Sent = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

/// Requests meeting every outcome with secrets on board.
fn requests() -> Vec<Sent> {
    let token = |value| vec![("Authorization", value)];
    vec![
        ("GET", "/private?token=qs-5ecret", token("tok-ALLOW-5ecret")),
        ("GET", "/private?token=qs-5ecret", token("tok-DENY-5ecret")),
        ("GET", "/private", token("tok-5ecret-unknown")),
        ("GET", "/private", token("tok-5ecret-broken")),
        (
            "POST",
            "/private?a=1&token=qs-5ecret",
            token("tok-ALLOW-5ecret"),
        ),
        (
            "GET",
            "/keyed?key=qs-5ecret",
            vec![("X-Api-Key", "key-5ecret")],
        ),
        (
            "GET",
            "/keyed?key=other-qs-5ecret",
            vec![("X-Api-Key", "key-5ecret")],
        ),
        (
            "GET",
            "/keyed?key=qs-5ecret",
            vec![("X-Api-Key", "other-key-5ecret")],
        ),
        ("GET", "/keyed?key=", vec![("X-Api-Key", "key-5ecret")]),
        (
            "GET",
            "/public?password=qs-5ecret",
            token("tok-ALLOW-5ecret"),
        ),
        ("DELETE", "/public?password=qs-5ecret", vec![]),
        ("GET", "/nowhere?token=qs-5ecret", vec![]),
        (
            "OPTIONS",
            "/private?token=qs-5ecret",
            vec![("X-Api-Key", "key-5ecret")],
        ),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS.iter().chain(&["5ecret"]) {
        assert!(
            !text.contains(secret),
            "{what} contains {secret:?}:\n{text}"
        );
    }
}

/// The test client's answers and decisions, for every outcome: allowed, denied, unauthorized,
/// authorizer failure, no route, method not mapped.
#[tokio::test]
async fn gateway_answers_and_decisions_carry_no_secrets() {
    let client = Client::new(App::new("secrets"));
    let mut decisions = Vec::new();
    for (method, target, headers) in requests() {
        let mut request = client.request(method, target);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let answer = request.send().await;
        let headers_text = format!("{:?}", answer.headers);
        assert_no_secret(&format!("{method} {target} headers"), &headers_text);
        assert_no_secret(&format!("{method} {target} body"), &answer.text());
        assert_no_secret(
            &format!("{method} {target} decision"),
            &answer.decision.to_string(),
        );
        decisions.push(answer.decision);
    }
    // Every outcome was met, so the checks above covered each kind of answer.
    for wanted in [
        |d: &AuthDecision| matches!(d, AuthDecision::Allowed { .. }),
        |d: &AuthDecision| *d == AuthDecision::Denied,
        |d: &AuthDecision| *d == AuthDecision::Unauthorized,
        |d: &AuthDecision| matches!(d, AuthDecision::Failed(_)),
        |d: &AuthDecision| *d == AuthDecision::NoRoute,
        |d: &AuthDecision| *d == AuthDecision::Public,
    ] {
        assert!(decisions.iter().any(wanted), "{decisions:?}");
    }
}

/// API Gateway echoes an `Authorization` header to its sender on a path it does not have; that
/// is the only answer with a secret in it.
#[tokio::test]
async fn only_the_unknown_path_answer_echoes_the_authorization_header() {
    let client = Client::new(App::new("secrets"));
    let echoed = client
        .get("/nowhere")
        .header("Authorization", "tok-ALLOW-5ecret")
        .send()
        .await;
    assert_eq!(echoed.status, 403);
    assert!(echoed.text().contains("Authorization=tok-ALLOW-5ecret"));
    assert_eq!(echoed.decision.to_string(), "no-route");
}

/// Set in the child process that serves for [`local_server_request_log_carries_no_secrets`].
const CHILD_ENV: &str = "CHALICE_RS_SECRETS_LOG_CHILD";

/// The local server whose stderr the log test reads: it prints its address, serves until its
/// stdin closes, then flushes its request log. Does nothing unless started by that test.
#[tokio::test]
async fn serve_for_the_log_test() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway: GatewayConfig::default(),
        limits: chalice_runtime::local::Limits::default(),
    };
    let server = LocalServer::bind(App::new("secrets").registry().unwrap(), config)
        .await
        .unwrap();
    println!("ADDR {}", server.local_addr().unwrap());
    std::io::stdout().flush().unwrap();
    server
        .serve(async {
            let _ = tokio::task::spawn_blocking(|| {
                std::io::stdin().lines().for_each(drop);
            })
            .await;
        })
        .await
        .unwrap();
}

/// The request log of `chalice-rs local` (the server's stderr, with the gateway's own failure
/// lines): one line per request, none with a token, key or query string in it.
#[test]
fn local_server_request_log_carries_no_secrets() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "serve_for_the_log_test", "--nocapture"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the child exited");
        if let Some(addr) = line.trim().strip_prefix("ADDR ") {
            break addr.to_owned();
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses: Vec<u16> = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for (method, target, headers) in requests() {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = http.request(method, format!("http://{addr}{target}"));
            for (name, value) in headers {
                request = request.header(name, value);
            }
            statuses.push(request.send().await.unwrap().status().as_u16());
        }
        statuses
    });
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    let request_lines: Vec<&str> = log.lines().filter(|l| l.ends_with("ms")).collect();
    assert_eq!(request_lines.len(), requests().len(), "{log}");
    assert!(
        statuses.contains(&200) && statuses.contains(&500),
        "{statuses:?}"
    );
    assert!(
        log.contains("GET /private 200 allowed principal=alice"),
        "{log}"
    );
    assert!(log.contains("authorizer `token_auth` failed"), "{log}");
    assert_no_secret("the request log", &log);
}

/// Malformed events as Lambda would deliver them, with a secret in a field of the wrong shape:
/// the error names the field, never its value (it is returned to Lambda and logged).
#[tokio::test]
async fn lambda_errors_name_the_field_not_its_value() {
    let registry = App::new("secrets").registry().unwrap();
    let context = json!({"httpMethod": "GET", "resourcePath": "/private"});
    let arn = "arn:aws:execute-api:us-east-1:1:api/dev/GET/keyed";
    let request_event = |fields: Value| {
        let mut event = json!({"type": "REQUEST", "methodArn": arn, "requestContext": {}});
        event
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        event
    };
    let events = [
        (
            "api_handler",
            json!({"httpMethod": "GET", "requestContext": context,
                               "headers": "Authorization: tok-ALLOW-5ecret"}),
            "headers",
        ),
        (
            "api_handler",
            json!({"httpMethod": "GET", "requestContext": context,
                               "headers": {"Authorization": "tok-ALLOW-5ecret\n"}}),
            "headers",
        ),
        (
            "api_handler",
            json!({"httpMethod": "GET", "requestContext": context,
                               "queryStringParameters": "token=qs-5ecret"}),
            "queryStringParameters",
        ),
        (
            "api_handler",
            json!({"httpMethod": "GET",
                               "requestContext": {"httpMethod": "GET", "identity": "key-5ecret"}}),
            "requestContext.identity",
        ),
        (
            "api_handler",
            json!({"httpMethod": "GET",
                               "requestContext": {"httpMethod": "GET", "authorizer": "ctx-5ecret"}}),
            "requestContext.authorizer",
        ),
        (
            "api_handler",
            json!({"httpMethod": "tok 5ecret", "requestContext": context}),
            "httpMethod",
        ),
        (
            "token_auth",
            json!({"type": "TOKEN", "authorizationToken": "tok-5ecret-unknown",
                              "methodArn": 5}),
            "methodArn",
        ),
        (
            "key_auth",
            request_event(json!({"headers": "X-Api-Key: key-5ecret"})),
            "headers",
        ),
        (
            "key_auth",
            request_event(json!({"headers": {"X-Api-Key": "key-5ecret\u{1}"}})),
            "headers",
        ),
        (
            "key_auth",
            request_event(json!({"queryStringParameters": "key=qs-5ecret"})),
            "queryStringParameters",
        ),
    ];
    for (handler, event, field) in events {
        let function = LambdaFunction::new(registry, handler).unwrap();
        let error = function.invoke(&event.to_string()).await.unwrap_err();
        assert_eq!(error.error_type, "InvalidEvent");
        assert!(
            error.error_message.contains(field),
            "{event}: {}",
            error.error_message
        );
        assert_no_secret(&format!("the error for {event}"), &error.error_message);
    }
    // A context API Gateway rejects is named by its key, not shown.
    let function = LambdaFunction::new(registry, "key_auth").unwrap();
    let event = request_event(json!({"headers": {"X-Api-Key": "key-5ecret"}}));
    let error = function.invoke(&event.to_string()).await.unwrap_err();
    assert_eq!(error.error_type, "InvalidAuthorizerAnswer");
    assert!(
        error.error_message.contains("context.nested"),
        "{}",
        error.error_message
    );
    assert_no_secret("the invalid-answer error", &error.error_message);
}
