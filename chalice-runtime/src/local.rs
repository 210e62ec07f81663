//! The local server behind `chalice-rs local`: HTTP/1.1 with keep-alive, every request through
//! the same [`Gateway`] as the test client, each answer in one write with `TCP_NODELAY`.

use std::convert::Infallible;
use std::io::{self, Cursor};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::HeaderMap;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

mod forwarded;
mod head_deadline;
mod request_log;
mod workers;

pub use forwarded::ForwardedSourceIp;
use head_deadline::HeadDeadline;
use request_log::LogLine;
pub use request_log::flush_request_log;
use workers::Workers;

use crate::api_kind::ApiKind;
use crate::authorizer::AuthorizerKind;
use crate::gateway::{ApiKeys, AuthDecision, Gateway, GatewayConfig, GatewayRequest, Unemulated};
use crate::registry::Registry;
use crate::response::{Body, Response};

/// API Gateway's payload limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// API Gateway's limit on the request line and headers together.
pub const MAX_HEAD_BYTES: usize = 10 * 1024;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The gateway's configuration (stage, what to do with unemulated authorizers).
    pub gateway: GatewayConfig,
    /// What one client may take of the server.
    pub limits: Limits,
}

/// Bounds that keep one slow or hostile client from taking the server down for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a client may take to send a request's head, counted from when the server began
    /// waiting for it; then the connection is closed (an idle keep-alive connection too).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body; then it is answered 408.
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
        }
    }
}

/// A bound server, ready to serve.
#[derive(Debug)]
pub struct LocalServer {
    listener: TcpListener,
    gateway: Arc<Gateway>,
    limits: Limits,
    forwarded: Option<ForwardedSourceIp>,
}

impl LocalServer {
    /// Binds the address; port 0 picks a free one (see [`LocalServer::local_addr`]).
    pub async fn bind(registry: &'static Registry, config: LocalConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(LocalServer {
            listener,
            gateway: Arc::new(Gateway::new(registry, config.gateway)),
            limits: config.limits,
            forwarded: None,
        })
    }

    /// Serves behind a loopback proxy that names each client's address in `forwarded`'s header.
    pub fn behind_proxy(mut self, forwarded: ForwardedSourceIp) -> Self {
        self.forwarded = Some(forwarded);
        self
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drops the connections still open.
    ///
    /// This task only accepts connections; runtimes of their own, one per core, serve them
    /// (the private `workers` module).
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) -> io::Result<()> {
        tokio::pin!(shutdown);
        let connections = Arc::new(Semaphore::new(self.limits.max_connections));
        let limits = Arc::new(self.limits);
        let mut workers = Workers::start()?;
        loop {
            let (stream, peer, permit) = tokio::select! {
                accepted = accept(&self.listener, &connections) => match accepted {
                    Ok(accepted) => accepted,
                    // Out of file descriptors or a reset before accept: keep serving the others.
                    Err(error) => {
                        eprintln!("chalice-rs: accept failed: {error}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                },
                () = &mut shutdown => {
                    flush_request_log();
                    return Ok(());
                }
            };
            let _ = stream.set_nodelay(true);
            let (gateway, limits) = (Arc::clone(&self.gateway), Arc::clone(&limits));
            let forwarded = self.forwarded.clone();
            let handed = workers.hand_off(stream, |stream| {
                serve_connection(stream, peer, permit, gateway, limits, forwarded)
            });
            if let Err(error) = handed {
                eprintln!("chalice-rs: cannot serve a connection from {peer}: {error}");
            }
        }
    }
}

/// What every request on one connection shares. Each request holds it through one reference
/// count of the connection's own, which only the connection's thread touches, where holding
/// the gateway directly would write the gateway's count, shared by every thread, twice a request.
struct Connection {
    gateway: Arc<Gateway>,
    source_ip: String,
    peer: SocketAddr,
    forwarded: Option<ForwardedSourceIp>,
    body_read_timeout: Duration,
    deadline: HeadDeadline,
}

/// Serves one connection's requests, on the runtime it was handed to.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    permit: OwnedSemaphorePermit,
    gateway: Arc<Gateway>,
    limits: Arc<Limits>,
    forwarded: Option<ForwardedSourceIp>,
) {
    let _permit = permit;
    let connection = Arc::new(Connection {
        gateway,
        source_ip: peer.ip().to_string(),
        peer,
        forwarded,
        body_read_timeout: limits.body_read_timeout,
        deadline: HeadDeadline::new(limits.header_read_timeout),
    });
    let shared = Arc::clone(&connection);
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let started = Instant::now();
        shared.deadline.head_received();
        let (mut parts, body) = request.into_parts();
        let source_ip = match &shared.forwarded {
            None => shared.source_ip.clone(),
            Some(forwarded) => forwarded
                .source_ip(shared.peer, &mut parts.headers)
                .map_or_else(|| shared.source_ip.clone(), |ip| ip.to_string()),
        };
        let head = RequestHead::from_parts(parts, source_ip, started);
        handle(Arc::clone(&shared), head, body)
    });
    // Heads past hyper's buffer or header count are answered 431 by hyper itself; those
    // within it but over API Gateway's limit, by `handle`.
    //
    // Half-close: a client that ends its side after the request (`nc -N`, scripts) is still
    // answered. Without it, hyper also tries a read while each request is served, to see
    // whether the client left, and that read takes a fresh buffer because the head's header
    // values, slices of the old one, are still held: 0.3 k instructions and an 8 KB allocation
    // per request (callgrind).
    let served = http1::Builder::new()
        .keep_alive(true)
        .half_close(true)
        .max_buf_size(64 * 1024)
        .serve_connection(TokioIo::new(stream), service);
    // A client that goes away mid-request is not an error worth reporting; one too slow to send
    // a head is cut off by dropping its connection.
    tokio::select! {
        biased;
        _ = served => {}
        () = connection.deadline.passed() => {}
    }
}

/// The next connection, once fewer than the limit are being served.
async fn accept(
    listener: &TcpListener,
    connections: &Arc<Semaphore>,
) -> io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let permit = Arc::clone(connections)
        .acquire_owned()
        .await
        .map_err(io::Error::other)?;
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, permit))
}

/// What the gateway needs of a request's head.
struct RequestHead {
    line: LogLine,
    method: String,
    target: String,
    headers: HeaderMap,
    source_ip: String,
    /// The request line and headers, in bytes as API Gateway counts them.
    size: usize,
}

impl RequestHead {
    fn from_parts(parts: http::request::Parts, source_ip: String, started: Instant) -> Self {
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |pq| pq.as_str())
            .to_owned();
        let size = parts.method.as_str().len()
            + target.len()
            + parts
                .headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len())
                .sum::<usize>();
        RequestHead {
            line: LogLine::start(&parts.method, &parts.uri, started),
            method: parts.method.as_str().to_owned(),
            target,
            // Kept as hyper parsed them, slices of its read buffer, where copying them out
            // cost an allocation per header value and 1.6 k more instructions per request
            // (callgrind, wrk's two headers).
            headers: parts.headers,
            source_ip,
            size,
        }
    }
}

/// Answers one request and logs it. This future is hyper's to keep while the request is
/// served and is moved whole into place, so the rare states (reading a body, running an
/// authorizer) are boxed rather than counted in its size.
async fn handle(
    connection: Arc<Connection>,
    head: RequestHead,
    body: Incoming,
) -> Result<hyper::Response<Full<ResponseBytes>>, Infallible> {
    let RequestHead {
        line,
        method,
        target,
        headers,
        source_ip,
        size,
    } = head;
    let (response, outcome) = if size > MAX_HEAD_BYTES {
        let response = limit_response(431, "Request Header Fields Too Large");
        (
            connection.gateway.own_answer(response),
            Outcome::Refused("head-too-large"),
        )
    } else {
        let body = if body.is_end_stream() {
            // Most requests (a GET, a HEAD) have no body: nothing to wait for.
            Ok(Vec::new())
        } else {
            Box::pin(read_body(body, connection.body_read_timeout)).await
        };
        match body {
            Ok(body) => {
                let request = GatewayRequest {
                    method,
                    target,
                    headers,
                    body,
                    source_ip,
                };
                let answer = connection.gateway.handle(request).await;
                (answer.response, Outcome::Decided(answer.decision))
            }
            Err((response, reason)) => (
                connection.gateway.own_answer(response),
                Outcome::Refused(reason),
            ),
        }
    };
    let answered = line.finish(response.status_code(), |text| match outcome {
        Outcome::Decided(decision) => decision.push_to(text),
        Outcome::Refused(reason) => text.push_str(reason),
    });
    connection.deadline.answered(answered);
    Ok(to_hyper(response))
}

/// What the log line says of how a request was answered.
enum Outcome {
    /// The gateway answered, after this authorization decision.
    Decided(AuthDecision),
    /// One of the server's limits refused the request, for this reason.
    Refused(&'static str),
}

/// A request's body, or the answer to a body too large or too slow, and why.
async fn read_body(body: Incoming, timeout: Duration) -> Result<Vec<u8>, (Response, &'static str)> {
    let collected =
        tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await;
    match collected {
        Ok(Ok(collected)) => Ok(collected.to_bytes().to_vec()),
        Ok(Err(_)) => Err((limit_response(413, "Request Too Long"), "body-too-large")),
        Err(_) => Err((limit_response(408, "Request Timeout"), "body-timeout")),
    }
}

/// The answer to a request over one of the server's limits.
fn limit_response(status: u16, message: &str) -> Response {
    Response::json(serde_json::json!({ "message": message })).with_status(status)
}

/// A response body as the view made it. Handed to hyper as it is: `Bytes` would take an
/// allocation of its own for a vector with room to spare, as serialized JSON has.
type ResponseBytes = Cursor<Vec<u8>>;

fn to_hyper(response: Response) -> hyper::Response<Full<ResponseBytes>> {
    let (status, headers, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Text(text) => text.into_bytes(),
        Body::Binary(bytes) => bytes,
    };
    let bytes = Cursor::new(bytes);
    let mut out = hyper::Response::new(Full::new(bytes));
    *out.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    *out.headers_mut() = headers;
    out
}

/// The start-up banner: where the app is served, its routes and authorizers, and what is not
/// checked locally.
pub fn banner(
    app_name: &str,
    registry: &Registry,
    addr: SocketAddr,
    config: &GatewayConfig,
) -> String {
    let product = match config.api_kind {
        ApiKind::Rest => "API Gateway",
        ApiKind::Http => "HTTP API,",
    };
    let mut lines = vec![format!(
        "Serving {app_name} on http://{addr} ({product} stage `{}`)",
        config.stage
    )];
    lines.push("Routes:".into());
    for route in registry.routes() {
        let authorizer = match route.authorizer() {
            None => "no authorizer".to_owned(),
            Some(authorizer) => describe(authorizer, config.api_kind),
        };
        lines.push(format!(
            "  {:<7} {:<30} {authorizer}",
            route.method(),
            route.path()
        ));
    }
    if registry
        .routes()
        .iter()
        .any(|route| route.api_key_required())
    {
        lines.push(match &config.api_keys {
            ApiKeys::Any => "Note: API keys: none configured for this stage (`api_keys` in the \
                             stage config); routes with api_key_required accept any x-api-key"
                .to_owned(),
            ApiKeys::Only(keys) => format!(
                "Note: API keys: routes with api_key_required accept the stage's {} configured \
                 key(s) in x-api-key",
                keys.len()
            ),
        });
    }
    for kind in registry.authorizers() {
        let note = match kind {
            AuthorizerKind::Cognito(pool) if config.cognito_jwks.is_some() => Some(format!(
                "Cognito authorizer `{}`: tokens are verified against the configured JWKS",
                pool.name()
            )),
            AuthorizerKind::Cognito(pool) => Some(format!(
                "Cognito authorizer `{}`: JWT signatures are NOT verified locally (set `cognito_jwks` in the stage config; expiry and scopes are checked)",
                pool.name()
            )),
            AuthorizerKind::Iam(_) | AuthorizerKind::Custom(_) => Some(format!(
                "{} cannot run locally: its routes are {}",
                describe(*kind, config.api_kind),
                match config.unemulated {
                    Unemulated::Allow => "allowed (use --deny-unemulated to refuse them)",
                    Unemulated::Deny => "refused",
                }
            )),
            AuthorizerKind::Jwt(jwt) if config.jwks_for(jwt.issuer()).is_some() => Some(format!(
                "JWT authorizer `{}`: tokens of {} are verified against the configured JWKS",
                jwt.name(),
                jwt.issuer()
            )),
            AuthorizerKind::Jwt(jwt) => Some(format!(
                "JWT authorizer `{}`: signatures are NOT verified locally (no JWKS for issuer {} \
                 in the stage config's `jwks`; issuer, audience, expiry and scopes are checked)",
                jwt.name(),
                jwt.issuer()
            )),
            AuthorizerKind::Builtin(_) => None,
        };
        if let Some(note) = note {
            lines.push(format!("Note: {note}"));
        }
    }
    lines.join("\n")
}

fn describe(authorizer: AuthorizerKind, kind: ApiKind) -> String {
    match authorizer {
        AuthorizerKind::Builtin(builtin) if kind == ApiKind::Http => format!(
            "built-in Lambda authorizer `{}` (payload 2.0, {})",
            builtin.name(),
            if builtin.simple_responses() {
                "simple responses"
            } else {
                "IAM policy"
            }
        ),
        AuthorizerKind::Builtin(builtin) => format!(
            "built-in {} authorizer `{}`",
            builtin.auth_type().as_str(),
            builtin.name()
        ),
        AuthorizerKind::Jwt(jwt) => format!("JWT authorizer `{}`", jwt.name()),
        AuthorizerKind::Iam(_) => "IAM authorizer".to_owned(),
        AuthorizerKind::Cognito(pool) => format!("Cognito user pool authorizer `{}`", pool.name()),
        AuthorizerKind::Custom(custom) => format!("existing Lambda authorizer `{}`", custom.name()),
    }
}
