//! The local server behind `chalice-rs local`: HTTP/1.1 with keep-alive, every request through
//! the same [`Gateway`] as the test client, each answer in one write with `TCP_NODELAY`.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::authorizer::AuthorizerKind;
use crate::gateway::{Gateway, GatewayConfig, GatewayRequest, Unemulated};
use crate::registry::Registry;
use crate::response::{Body, Response};

/// API Gateway's payload limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The gateway's configuration (stage, what to do with unemulated authorizers).
    pub gateway: GatewayConfig,
}

/// A bound server, ready to serve.
#[derive(Debug)]
pub struct LocalServer {
    listener: TcpListener,
    gateway: Arc<Gateway>,
}

impl LocalServer {
    /// Binds the address; port 0 picks a free one (see [`LocalServer::local_addr`]).
    pub async fn bind(registry: &'static Registry, config: LocalConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(config.addr).await?;
        Ok(LocalServer {
            listener,
            gateway: Arc::new(Gateway::new(registry, config.gateway)),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes; connections in flight finish their current request.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()>) -> io::Result<()> {
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
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
            let gateway = Arc::clone(&self.gateway);
            let source_ip = peer.ip().to_string();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<Incoming>| {
                    let started = Instant::now();
                    let (parts, body) = request.into_parts();
                    // Copied out before the first await: hyper reads ahead on the connection
                    // while the answer is pending, and a head that still borrows its read
                    // buffer makes it allocate a fresh buffer for every request.
                    let head = RequestHead::detach(parts, source_ip.clone());
                    let gateway = Arc::clone(&gateway);
                    async move { Ok::<_, Infallible>(handle(&gateway, head, body, started).await) }
                });
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .max_buf_size(64 * 1024)
                    .serve_connection(TokioIo::new(stream), service);
                // A client that goes away mid-request is not an error worth reporting.
                let _ = connection.await;
            });
        }
    }
}

/// What the gateway needs of a request's head, owning its bytes.
struct RequestHead {
    method: String,
    target: String,
    headers: HeaderMap,
    source_ip: String,
}

impl RequestHead {
    fn detach(parts: http::request::Parts, source_ip: String) -> Self {
        let target = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |pq| pq.as_str())
            .to_owned();
        let mut headers = HeaderMap::with_capacity(parts.headers.len());
        for name in parts.headers.keys() {
            // hyper has validated both, so the copies are valid too.
            let Ok(owned_name) = HeaderName::from_bytes(name.as_str().as_bytes()) else {
                continue;
            };
            for value in parts.headers.get_all(name) {
                if let Ok(value) = HeaderValue::from_bytes(value.as_bytes()) {
                    headers.append(owned_name.clone(), value);
                }
            }
        }
        RequestHead {
            method: parts.method.as_str().to_owned(),
            target,
            headers,
            source_ip,
        }
    }
}

async fn handle(
    gateway: &Gateway,
    head: RequestHead,
    body: Incoming,
    started: Instant,
) -> hyper::Response<Full<Bytes>> {
    let RequestHead {
        method,
        target,
        headers,
        source_ip,
    } = head;
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            let response = too_large();
            log(
                &method,
                &target,
                response.status_code(),
                "body-too-large",
                started,
            );
            return to_hyper(response);
        }
    };
    let answer = gateway
        .handle(GatewayRequest {
            method: method.clone(),
            target: target.clone(),
            headers,
            body,
            source_ip,
        })
        .await;
    log(
        &method,
        &target,
        answer.response.status_code(),
        &answer.decision.to_string(),
        started,
    );
    to_hyper(answer.response)
}

fn too_large() -> Response {
    Response::new(r#"{"message":"Request Too Long"}"#)
        .with_status(413)
        .with_header("Content-Type", "application/json")
}

/// One line per request: method, path (no query: it may hold secrets), status, decision, latency.
fn log(method: &str, target: &str, status: u16, decision: &str, started: Instant) {
    let path = target.split('?').next().unwrap_or(target);
    let micros = started.elapsed().as_micros();
    // The writer polls and stops only with the process; a send never blocks nor wakes it.
    let _ = request_log().send(format!(
        "{method} {path} {status} {decision} {}.{:02}ms\n",
        micros / 1000,
        micros % 1000 / 10
    ));
}

/// Request lines go to stderr from one thread that collects them every few milliseconds: a
/// write, a lock or a thread wake-up per request would cost the server more than the request.
struct RequestLog {
    lines: std::sync::mpsc::Sender<String>,
    pending: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
}

impl RequestLog {
    fn send(&self, line: String) -> Result<(), std::sync::mpsc::SendError<String>> {
        self.lines.send(line)
    }

    fn write_pending(&self) {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let batch: String = pending.try_iter().collect();
        if !batch.is_empty() {
            write_stderr(&batch);
        }
    }
}

fn request_log() -> &'static RequestLog {
    static LOG: std::sync::OnceLock<RequestLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(std::time::Duration::from_millis(20));
                request_log().write_pending();
            }
        });
        let (lines, pending) = std::sync::mpsc::channel::<String>();
        RequestLog {
            lines,
            pending: std::sync::Mutex::new(pending),
        }
    })
}

/// Writes the lines logged so far (at shutdown).
pub fn flush_request_log() {
    request_log().write_pending();
}

fn write_stderr(lines: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(lines.as_bytes());
}

fn to_hyper(response: Response) -> hyper::Response<Full<Bytes>> {
    let (status, headers, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
    };
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
    let mut lines = vec![format!(
        "Serving {app_name} on http://{addr} (API Gateway stage `{}`)",
        config.stage
    )];
    lines.push("Routes:".into());
    for route in registry.routes() {
        let authorizer = match route.authorizer() {
            None => "no authorizer".to_owned(),
            Some(kind) => describe(kind),
        };
        lines.push(format!(
            "  {:<7} {:<30} {authorizer}",
            route.method(),
            route.path()
        ));
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
                describe(*kind),
                match config.unemulated {
                    Unemulated::Allow => "allowed (use --deny-unemulated to refuse them)",
                    Unemulated::Deny => "refused",
                }
            )),
            AuthorizerKind::Builtin(_) => None,
        };
        if let Some(note) = note {
            lines.push(format!("Note: {note}"));
        }
    }
    lines.join("\n")
}

fn describe(kind: AuthorizerKind) -> String {
    match kind {
        AuthorizerKind::Builtin(builtin) => format!(
            "built-in {} authorizer `{}`",
            builtin.auth_type().as_str(),
            builtin.name()
        ),
        AuthorizerKind::Iam(_) => "IAM authorizer".to_owned(),
        AuthorizerKind::Cognito(pool) => format!("Cognito user pool authorizer `{}`", pool.name()),
        AuthorizerKind::Custom(custom) => format!("existing Lambda authorizer `{}`", custom.name()),
    }
}
