//! A fault-injecting HTTP proxy in front of moto, on its own loopback port: the deployer (in
//! process or the real binary) talks to it as to AWS. It counts AWS calls, and can make one
//! fail (a 500, throttling, a dropped connection, or an answer lost after moto acted on the
//! request) or hold one until the test lets it go (to kill the CLI, or race a second one).
//!
//! A call is one SDK operation: the SDK's own retries of it carry the same
//! `amz-sdk-invocation-id`, and a fault lasts for every attempt of its call, so it outlasts
//! the SDK's retries. A retry the deployer makes itself is a new call.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// How an injected fault looks to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500 (moto is not asked).
    ServerError,
    /// The service's throttling error (moto is not asked).
    Throttled,
    /// The connection is dropped before moto is asked.
    Reset,
    /// moto acts on the first attempt, then the connection is dropped: the answer is lost.
    /// Later attempts of the call are dropped unanswered.
    AnswerLost,
    /// API Gateway's 409 `ConflictException` (a concurrent change; moto is not asked).
    Conflict,
    /// moto acts on the first attempt, then the connection is dropped; later attempts reach
    /// moto as usual. The SDK's automatic retry of a create would make it twice.
    AnswerLostOnce,
}

impl Fault {
    /// Every kind, for rotating through.
    pub const ALL: [Fault; 4] = [
        Fault::ServerError,
        Fault::Throttled,
        Fault::Reset,
        Fault::AnswerLost,
    ];
}

/// One AWS call as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// 1-based, in order of arrival.
    pub number: usize,
    /// `iam`, `lambda`, `apigateway`, `sts` (from the signature's credential scope).
    pub service: String,
    /// The HTTP method.
    pub method: String,
    /// The path, with the query (IAM and STS: the `Action` of the form body; JSON-protocol
    /// services: `Target=` and the `X-Amz-Target` operation).
    pub path: String,
}

impl Call {
    /// Whether the call changes something (IAM and STS actions are named; REST calls by method).
    pub fn is_mutating(&self) -> bool {
        // `Target=Logs_20140328.DescribeLogGroups`: reads are named so.
        if let Some(target) = self.path.strip_prefix("Target=") {
            let operation = target.rsplit('.').next().unwrap_or(target);
            return !["Get", "List", "Describe", "Filter"]
                .iter()
                .any(|read| operation.starts_with(read));
        }
        match self.service.as_str() {
            "iam" | "sts" => !["Get", "List"].iter().any(|p| {
                self.path
                    .strip_prefix("Action=")
                    .is_some_and(|a| a.starts_with(p))
            }),
            _ => self.method != "GET",
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {} {} {}",
            self.number, self.service, self.method, self.path
        )
    }
}

type Matcher = Box<dyn Fn(&Call) -> bool + Send>;

/// Calls matching `matcher` fail with `fault`, `times` calls in all.
struct Rule {
    matcher: Matcher,
    fault: Fault,
    times: usize,
}

/// A call held until the test releases it.
struct Hold {
    number: usize,
    arrived: mpsc::Sender<Call>,
    release: Option<tokio::sync::oneshot::Receiver<bool>>,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    /// The call number of each invocation id seen.
    invocations: HashMap<String, usize>,
    /// Calls failing, by number, and whether moto already saw an attempt.
    failing: HashMap<usize, (Fault, bool)>,
    rules: Vec<Rule>,
    hold: Option<Hold>,
    requests: usize,
}

/// The proxy; it stops when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// What the test does with a held call.
pub struct Held {
    arrived: mpsc::Receiver<Call>,
    release: Option<tokio::sync::oneshot::Sender<bool>>,
}

impl Held {
    /// Waits for the held call to arrive.
    pub fn arrived(&self, within: Duration) -> Call {
        self.arrived
            .recv_timeout(within)
            .expect("the held call never arrived")
    }

    /// Lets the call go on to moto (`true`) or drops it unanswered (`false`).
    pub fn release(mut self, forward: bool) {
        if let Some(release) = self.release.take() {
            let _ = release.send(forward);
        }
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` (moto) on a free loopback port.
    pub fn start(upstream: &str) -> Proxy {
        let state = Arc::new(Mutex::new(State::default()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound, port) = mpsc::channel();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let shared = state.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(upstream, shared, bound, stopped));
        });
        let port: u16 = port.recv().unwrap();
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            state,
            _stop: stop,
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// How many HTTP requests arrived (retries included).
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    /// Forgets the calls so far; the next is number 1 again.
    pub fn reset(&self) {
        let mut state = self.state.lock().unwrap();
        state.calls.clear();
        state.invocations.clear();
        state.failing.clear();
        state.rules.clear();
        state.hold = None;
        state.requests = 0;
    }

    /// Makes call number `number` (every attempt of it) fail with `fault`.
    pub fn fail_call(&self, number: usize, fault: Fault) {
        self.fail_where(move |call| call.number == number, fault, 1);
    }

    /// Makes the next `times` calls that match fail with `fault`.
    pub fn fail_where(
        &self,
        matcher: impl Fn(&Call) -> bool + Send + 'static,
        fault: Fault,
        times: usize,
    ) {
        self.state.lock().unwrap().rules.push(Rule {
            matcher: Box::new(matcher),
            fault,
            times,
        });
    }

    /// Holds call number `number` when it arrives, until the test releases it.
    pub fn hold_call(&self, number: usize) -> Held {
        let (arrived, arrivals) = mpsc::channel();
        let (release, released) = tokio::sync::oneshot::channel();
        self.state.lock().unwrap().hold = Some(Hold {
            number,
            arrived,
            release: Some(released),
        });
        Held {
            arrived: arrivals,
            release: Some(release),
        }
    }
}

async fn serve(
    upstream: String,
    state: Arc<Mutex<State>>,
    bound: mpsc::Sender<u16>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    bound.send(listener.local_addr().unwrap().port()).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        let upstream = upstream.clone();
        let state = state.clone();
        let client = client.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                handle(request, upstream.clone(), state.clone(), client.clone())
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Why a connection is dropped without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

/// What to do with one attempt.
enum Action {
    Forward,
    Fail(Fault, bool),
    Hold(tokio::sync::oneshot::Receiver<bool>),
}

async fn handle(
    request: Request<Incoming>,
    upstream: String,
    state: Arc<Mutex<State>>,
    client: reqwest::Client,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let service = header("authorization")
        .split("Credential=")
        .nth(1)
        .and_then(|credential| credential.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned();
    // JSON-protocol services (CloudWatch Logs) name the operation in a header, not the path.
    let target = header("x-amz-target");
    let path = if !target.is_empty() {
        format!("Target={target}")
    } else if matches!(service.as_str(), "iam" | "sts") {
        String::from_utf8_lossy(&body)
            .split('&')
            .find(|pair| pair.starts_with("Action="))
            .unwrap_or_default()
            .to_owned()
    } else {
        parts
            .uri
            .path_and_query()
            .map(ToString::to_string)
            .unwrap_or_default()
    };
    let invocation = header("amz-sdk-invocation-id");
    let action = {
        let mut state = state.lock().unwrap();
        state.requests += 1;
        let known = state.invocations.get(&invocation).copied();
        let number = match known {
            Some(number) if !invocation.is_empty() => number,
            _ => {
                let number = state.calls.len() + 1;
                let call = Call {
                    number,
                    service: service.clone(),
                    method: parts.method.to_string(),
                    path: path.clone(),
                };
                state.invocations.insert(invocation.clone(), number);
                if let Some(index) = state.rules.iter().position(|r| (r.matcher)(&call)) {
                    let fault = state.rules[index].fault;
                    state.rules[index].times -= 1;
                    if state.rules[index].times == 0 {
                        state.rules.remove(index);
                    }
                    state.failing.insert(number, (fault, false));
                }
                let held = state.hold.as_mut().filter(|hold| hold.number == number);
                if let Some(hold) = held {
                    let _ = hold.arrived.send(call.clone());
                }
                state.calls.push(call);
                number
            }
        };
        let hold = state
            .hold
            .as_mut()
            .filter(|hold| hold.number == number)
            .and_then(|hold| hold.release.take());
        match (hold, state.failing.get_mut(&number)) {
            (Some(release), _) => Action::Hold(release),
            (None, Some((fault, seen))) => {
                let first = !*seen;
                *seen = true;
                Action::Fail(*fault, first)
            }
            (None, None) => Action::Forward,
        }
    };
    match action {
        Action::Forward => {}
        Action::Hold(release) => {
            if !release.await.unwrap_or(false) {
                return Err(Dropped);
            }
        }
        Action::Fail(Fault::ServerError, _) => return Ok(server_error(&service)),
        Action::Fail(Fault::Throttled, _) => return Ok(throttled(&service)),
        Action::Fail(Fault::Conflict, _) => {
            return Ok(error_response(
                &service,
                StatusCode::CONFLICT,
                "ConflictException",
                "Unable to complete operation due to concurrent modification. Please try again later.",
            ));
        }
        Action::Fail(Fault::Reset, _) | Action::Fail(Fault::AnswerLost, false) => {
            return Err(Dropped);
        }
        Action::Fail(Fault::AnswerLostOnce, false) => {}
        Action::Fail(Fault::AnswerLost | Fault::AnswerLostOnce, true) => {
            let _ = forward(&client, &upstream, &parts, body).await;
            return Err(Dropped);
        }
    }
    forward(&client, &upstream, &parts, body)
        .await
        .map_err(|_| Dropped)
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, reqwest::Error> {
    let url = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).unwrap();
    let mut request = client.request(method, url).body(body);
    for (name, value) in &parts.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = request.send().await?;
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    let body = answer.bytes().await?;
    Ok(response.body(Full::new(body)).unwrap())
}

/// IAM and STS speak the query protocol (XML errors); the others REST-JSON.
fn is_query_protocol(service: &str) -> bool {
    matches!(service, "iam" | "sts")
}

fn error_response(
    service: &str,
    status: StatusCode,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    let (content_type, body) = if is_query_protocol(service) {
        (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
            ),
        )
    } else {
        ("application/json", format!("{{\"message\":\"{message}\"}}"))
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-errortype", code)
        .header("x-amzn-requestid", "fault-proxy")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn server_error(service: &str) -> Response<Full<Bytes>> {
    error_response(
        service,
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalFailure",
        "injected server error",
    )
}

fn throttled(service: &str) -> Response<Full<Bytes>> {
    if is_query_protocol(service) {
        error_response(
            service,
            StatusCode::BAD_REQUEST,
            "Throttling",
            "Rate exceeded",
        )
    } else {
        error_response(
            service,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequestsException",
            "Rate exceeded",
        )
    }
}

/// A proxy whose every call fails with `fault`, for errors without AWS.
pub fn failing_everything(upstream: &str, fault: Fault) -> Proxy {
    let proxy = Proxy::start(upstream);
    proxy.fail_where(|_| true, fault, usize::MAX);
    proxy
}
