//! Test-only helpers for running a chalice-rs app binary as AWS Lambda runs it.
//!
//! [`FakeRuntime`] serves the Lambda Runtime API on a loopback port: `/next` hands out queued
//! events with the headers Lambda sends, and the `/response`, `/error` and `/init/error` posts are
//! recorded per request id. [`LambdaProcess`] starts a binary against it with the environment
//! Lambda sets, and kills it when dropped, so no test leaves a process behind.
//!
//! [`moto::Moto`] is the local AWS emulator the deploy tests run against: the one
//! `CHALICE_RS_TEST_AWS_ENDPOINT` names, or one started for the test process and stopped with
//! it. [`venv`] installs the pinned Python tools the tests run when they are missing. [`elf`]
//! makes small ELF files, for the checks of a Lambda bootstrap.
//!
//! Everything here is synchronous (the server runs on its own thread), so plain `#[test]`s and
//! criterion benchmarks can use it alike. Helpers panic on timeouts: they are for tests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::ffi::OsStr;
use std::io::Read;
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

pub mod elf;
pub mod events;
pub mod moto;
pub mod venv;

/// How long [`FakeRuntime::invoke`] waits for an answer: generous, for loaded CI machines.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// The ARN `/next` announces as the invoked function.
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:chalice-test";

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";

/// A body the app posted, with the error type header Lambda reads from error posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The raw body, byte for byte.
    pub body: Vec<u8>,
    /// `Lambda-Runtime-Function-Error-Type`, if sent.
    pub function_error_type: Option<String>,
}

impl Posted {
    /// The body as JSON.
    ///
    /// # Panics
    /// If it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("posted body is not JSON ({e}): {}", self.text()))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `errorType` and `errorMessage` of an error post.
    pub fn error(&self) -> (String, String) {
        let body = self.json();
        let field = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
        (field("errorType"), field("errorMessage"))
    }
}

/// How one invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST /runtime/invocation/{id}/response`.
    Response(Posted),
    /// `POST /runtime/invocation/{id}/error`.
    Error(Posted),
}

impl Outcome {
    /// The response body.
    ///
    /// # Panics
    /// If the invocation failed.
    pub fn response(&self) -> &Posted {
        match self {
            Outcome::Response(posted) => posted,
            Outcome::Error(posted) => {
                panic!("expected a response, got an error: {}", posted.text())
            }
        }
    }

    /// The response body as JSON.
    pub fn json(&self) -> Value {
        self.response().json()
    }

    /// `errorType` and `errorMessage` of a failed invocation.
    ///
    /// # Panics
    /// If the invocation succeeded.
    pub fn error(&self) -> (String, String) {
        match self {
            Outcome::Error(posted) => posted.error(),
            Outcome::Response(posted) => {
                panic!("expected an error, got a response: {}", posted.text())
            }
        }
    }
}

#[derive(Default)]
struct Recorded {
    outcomes: HashMap<String, Outcome>,
    init_errors: Vec<Posted>,
}

struct Shared {
    recorded: Mutex<Recorded>,
    changed: Condvar,
    next_calls: AtomicUsize,
    queue: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
}

impl Shared {
    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        self.recorded.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, f: impl FnOnce(&mut Recorded)) {
        f(&mut self.recorded());
        self.changed.notify_all();
    }
}

struct Queued {
    request_id: String,
    body: Bytes,
}

/// A fake Lambda Runtime API on `127.0.0.1`, serving one app process at a time, as Lambda does.
pub struct FakeRuntime {
    addr: SocketAddr,
    shared: Arc<Shared>,
    events: mpsc::UnboundedSender<Queued>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeRuntime {
    /// Binds a free port and starts serving on a thread of its own.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub fn start() -> FakeRuntime {
        let (events, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            recorded: Mutex::new(Recorded::default()),
            changed: Condvar::new(),
            next_calls: AtomicUsize::new(0),
            queue: tokio::sync::Mutex::new(queue),
        });
        let (shutdown, on_shutdown) = oneshot::channel();
        let (bound, on_bound) = std::sync::mpsc::channel();
        let server_shared = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime for the fake Lambda Runtime API");
            runtime.block_on(serve(server_shared, bound, on_shutdown));
        });
        let addr = on_bound
            .recv()
            .expect("the fake Lambda Runtime API did not start");
        FakeRuntime {
            addr,
            shared,
            events,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// The value of `AWS_LAMBDA_RUNTIME_API`: `127.0.0.1:<port>`, as Lambda sets it.
    pub fn runtime_api(&self) -> String {
        self.addr.to_string()
    }

    /// Queues an event and returns the request id it will carry.
    pub fn push(&self, event: &Value) -> String {
        self.push_raw(event.to_string())
    }

    /// Queues a raw body (which need not be JSON) and returns its request id.
    pub fn push_raw(&self, body: impl Into<Vec<u8>>) -> String {
        let request_id = request_id();
        let queued = Queued {
            request_id: request_id.clone(),
            body: Bytes::from(body.into()),
        };
        self.events
            .send(queued)
            .expect("the fake Lambda Runtime API has stopped");
        request_id
    }

    /// Waits for the outcome of `request_id`.
    ///
    /// # Panics
    /// If none arrives within `timeout`.
    pub fn wait(&self, request_id: &str, timeout: Duration) -> Outcome {
        let deadline = Instant::now() + timeout;
        let mut recorded = self.shared.recorded();
        loop {
            if let Some(outcome) = recorded.outcomes.get(request_id) {
                return outcome.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no response or error for request {request_id} within {timeout:?} \
                 ({} calls to /next so far)",
                self.next_calls()
            );
            recorded = self
                .shared
                .changed
                .wait_timeout(recorded, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Queues an event and waits for its outcome.
    pub fn invoke(&self, event: &Value) -> Outcome {
        let request_id = self.push(event);
        self.wait(&request_id, DEFAULT_TIMEOUT)
    }

    /// Queues a raw body and waits for its outcome.
    pub fn invoke_raw(&self, body: impl Into<Vec<u8>>) -> Outcome {
        let request_id = self.push_raw(body);
        self.wait(&request_id, DEFAULT_TIMEOUT)
    }

    /// Waits for an `/init/error` post; `None` if none came within `timeout`.
    pub fn wait_init_error(&self, timeout: Duration) -> Option<Posted> {
        let deadline = Instant::now() + timeout;
        let mut recorded = self.shared.recorded();
        loop {
            if let Some(posted) = recorded.init_errors.first() {
                return Some(posted.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            recorded = self
                .shared
                .changed
                .wait_timeout(recorded, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// How many times `/next` was called: the app asking for its next event.
    pub fn next_calls(&self) -> usize {
        self.shared.next_calls.load(Ordering::SeqCst)
    }
}

impl Drop for FakeRuntime {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    shared: Arc<Shared>,
    bound: std::sync::mpsc::Sender<SocketAddr>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port for the fake Lambda Runtime API");
    let addr = listener.local_addr().expect("the bound address");
    let _ = bound.send(addr);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut shutdown => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(handle(&shared, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if method == Method::GET && path == NEXT {
        return next(shared).await;
    }
    if method != Method::POST {
        return reply(StatusCode::NOT_FOUND, "{\"errorMessage\":\"not found\"}");
    }
    let function_error_type = request
        .headers()
        .get("lambda-runtime-function-error-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return reply(StatusCode::BAD_REQUEST, "{\"errorMessage\":\"bad body\"}"),
    };
    let posted = Posted {
        body,
        function_error_type,
    };
    if path == INIT_ERROR {
        shared.record(|r| r.init_errors.push(posted));
        return reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}");
    }
    let Some(rest) = path.strip_prefix(INVOCATION) else {
        return reply(StatusCode::NOT_FOUND, "{\"errorMessage\":\"not found\"}");
    };
    let outcome = match rest.rsplit_once('/') {
        Some((id, "response")) => Some((id.to_owned(), Outcome::Response(posted))),
        Some((id, "error")) => Some((id.to_owned(), Outcome::Error(posted))),
        _ => None,
    };
    match outcome {
        Some((id, outcome)) => {
            shared.record(|r| {
                r.outcomes.insert(id, outcome);
            });
            reply(StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
        }
        None => reply(StatusCode::NOT_FOUND, "{\"errorMessage\":\"not found\"}"),
    }
}

/// Long-polls like Lambda: the answer comes when an event is queued.
async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    shared.next_calls.fetch_add(1, Ordering::SeqCst);
    let queued = shared.queue.lock().await.recv().await;
    let Some(Queued { request_id, body }) = queued else {
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "{\"errorMessage\":\"stopped\"}",
        );
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let trace = format!(
        "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
        now_ms / 1000,
        now_ms,
        now_ms as u64 ^ 0x5eed
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "application/json")
        .header("Lambda-Runtime-Aws-Request-Id", request_id)
        .header("Lambda-Runtime-Deadline-Ms", (now_ms + 30_000).to_string())
        .header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
        .header("Lambda-Runtime-Trace-Id", trace)
        .body(Full::new(body))
        .unwrap_or_else(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, "{}"))
}

fn reply(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}

/// A fresh request id, UUID-shaped as Lambda's.
fn request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{nanos:08x}-{:04x}-4000-8000-{n:012x}",
        std::process::id() & 0xffff
    )
}

/// An app process started as Lambda starts `bootstrap`; killed and reaped when dropped.
pub struct LambdaProcess {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl LambdaProcess {
    /// The command Lambda would run for the function whose handler string is `handler`: the
    /// Runtime API address, `_HANDLER`, and the `AWS_LAMBDA_*` variables `lambda_runtime` needs.
    pub fn command(program: impl AsRef<OsStr>, runtime: &FakeRuntime, handler: &str) -> Command {
        let function_name = format!("chalice-test-{handler}");
        let mut command = Command::new(program);
        command
            .env("AWS_LAMBDA_RUNTIME_API", runtime.runtime_api())
            .env("_HANDLER", handler)
            .env("AWS_LAMBDA_FUNCTION_NAME", &function_name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env(
                "AWS_LAMBDA_LOG_GROUP_NAME",
                format!("/aws/lambda/{function_name}"),
            )
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/25/[$LATEST]0123456789abcdef",
            )
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        command
    }

    /// Starts `program` as the function `handler`, against `runtime`.
    pub fn spawn(program: impl AsRef<OsStr>, runtime: &FakeRuntime, handler: &str) -> Self {
        Self::start(Self::command(program, runtime, handler))
    }

    /// Starts a prepared command, collecting its stderr.
    ///
    /// # Panics
    /// If it cannot be started.
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let reader = child.stderr.take().map(|mut pipe| {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .extend_from_slice(&buffer[..n]);
                }
            })
        });
        LambdaProcess {
            child,
            stderr,
            reader,
        }
    }

    /// The process id, to read the process's figures from `/proc`.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// Waits until stderr contains `needle` (it is read on another thread, so it may lag
    /// behind what the Runtime API already received) and returns all of it.
    ///
    /// # Panics
    /// If it does not within [`DEFAULT_TIMEOUT`].
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + DEFAULT_TIMEOUT;
        loop {
            let stderr = self.stderr();
            if stderr.contains(needle) {
                return stderr;
            }
            assert!(
                Instant::now() < deadline,
                "stderr never contained {needle:?}: {stderr}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the process to exit on its own; `None` if it still runs after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for LambdaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// A fake Runtime API and the app binary `bin` running against it as the function `handler`.
pub fn start_lambda(bin: &str, handler: &str) -> (FakeRuntime, LambdaProcess) {
    let runtime = FakeRuntime::start();
    let process = LambdaProcess::spawn(bin, &runtime, handler);
    (runtime, process)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpStream;

    fn http(addr: &str, request: &str) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn next_serves_queued_events_with_lambda_headers_and_posts_are_recorded() {
        let runtime = FakeRuntime::start();
        let id = runtime.push(&serde_json::json!({"hello": "world"}));
        let answer = http(
            &runtime.runtime_api(),
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let lower = answer.to_ascii_lowercase();
        assert!(
            lower.contains(&format!("lambda-runtime-aws-request-id: {id}")),
            "{answer}"
        );
        for header in [
            "lambda-runtime-deadline-ms: ",
            "lambda-runtime-invoked-function-arn: arn:aws:lambda:",
            "lambda-runtime-trace-id: root=1-",
        ] {
            assert!(lower.contains(header), "{header}: {answer}");
        }
        assert!(answer.ends_with(r#"{"hello":"world"}"#), "{answer}");

        let body = r#"{"errorType":"T","errorMessage":"M"}"#;
        let post = format!(
            "POST /2018-06-01/runtime/invocation/{id}/error HTTP/1.1\r\nHost: x\r\n\
             Lambda-Runtime-Function-Error-Type: unhandled\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        assert!(http(&runtime.runtime_api(), &post).starts_with("HTTP/1.1 202"));
        let outcome = runtime.wait(&id, Duration::from_secs(5));
        assert_eq!(outcome.error(), ("T".to_owned(), "M".to_owned()));
        let Outcome::Error(posted) = outcome else {
            unreachable!()
        };
        assert_eq!(posted.function_error_type.as_deref(), Some("unhandled"));
        assert_eq!(runtime.next_calls(), 1);
    }
}
