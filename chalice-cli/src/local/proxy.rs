//! The public side of `chalice-rs local` with autoreload: it owns the port the user connects to
//! and passes each request on to whichever app process is current, so a rebuilt app can take
//! over without the port ever closing.
//!
//! Each request holds its app process (an [`Arc<Backend>`]) until its answer has been sent, so
//! the reloader can tell when an old process has no request left in flight.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{HeaderName, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Idle connections to an app are closed before the app's own idle timeout (30 s) would close
/// them, so a request is never sent on a connection the app is closing.
const IDLE_TO_APP: Duration = Duration::from_secs(10);

/// One app process as the proxy reaches it.
#[derive(Debug)]
pub struct Backend {
    addr: SocketAddr,
    client: Client<HttpConnector, Incoming>,
}

impl Backend {
    /// The app listening on `addr`.
    pub fn new(addr: SocketAddr) -> Backend {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE_TO_APP)
            .build(connector);
        Backend { addr, client }
    }
}

/// The app process new requests go to; the reloader switches it.
#[derive(Debug, Clone)]
pub struct Current(Arc<RwLock<Arc<Backend>>>);

impl Current {
    /// Starts with `backend`.
    pub fn new(backend: Backend) -> Current {
        Current(Arc::new(RwLock::new(Arc::new(backend))))
    }

    /// The backend new requests go to.
    pub fn get(&self) -> Arc<Backend> {
        Arc::clone(
            &self
                .0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Sends new requests to `backend`; returns the one they went to.
    pub fn switch(&self, backend: Backend) -> Arc<Backend> {
        let mut current = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        std::mem::replace(&mut *current, Arc::new(backend))
    }
}

/// Waits until no request holds `backend` any more (or `timeout` passes).
pub async fn drained(backend: &Arc<Backend>, timeout: Duration) {
    let started = tokio::time::Instant::now();
    while Arc::strong_count(backend) > 1 && started.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Serves `listener` until the future is dropped, passing each request to `current`'s app and
/// naming the client's address in `source_ip_header`.
pub async fn serve(listener: TcpListener, current: Current, source_ip_header: HeaderName) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                eprintln!("chalice-rs: accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (current, header) = (current.clone(), source_ip_header.clone());
        tokio::spawn(async move {
            let service =
                service_fn(move |request| forward(request, peer, current.get(), header.clone()));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .half_close(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type ProxyBody = BoxBody<Bytes, hyper::Error>;

/// Passes one request to `backend` and its answer back, holding `backend` until the answer's
/// body has been sent.
async fn forward(
    request: Request<Incoming>,
    peer: SocketAddr,
    backend: Arc<Backend>,
    source_ip_header: HeaderName,
) -> Result<Response<ProxyBody>, Infallible> {
    let (mut parts, body) = request.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let uri = format!("http://{}{target}", backend.addr);
    parts.uri = match uri.parse::<Uri>() {
        Ok(uri) => uri,
        Err(_) => return Ok(bad_gateway("the request target is not a URI")),
    };
    // Replaces whatever a client sent under the same name.
    parts.headers.insert(
        source_ip_header,
        HeaderValue::from_str(&peer.ip().to_string()).expect("an IP address is a header value"),
    );
    match backend
        .client
        .request(Request::from_parts(parts, body))
        .await
    {
        Ok(response) => Ok(response.map(|body| {
            Held {
                body,
                _backend: backend,
            }
            .boxed()
        })),
        Err(error) => {
            eprintln!(
                "chalice-rs: the app at {} did not answer: {error}",
                backend.addr
            );
            Ok(bad_gateway(
                "the app did not answer; see chalice-rs local's output",
            ))
        }
    }
}

/// API Gateway's answer when the integration fails, with why.
fn bad_gateway(why: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({ "message": "Bad Gateway", "reason": why }).to_string();
    let mut response = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An answer's body that keeps its app process counted as busy until it has been sent.
struct Held {
    body: Incoming,
    _backend: Arc<Backend>,
}

impl Body for Held {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.body).poll_frame(context)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in app on a loopback port: answers `NAME PATH?QUERY SOURCE-IP-HEADER`, after
    /// `delay` for paths starting with `/slow`.
    async fn app(name: &'static str, delay: Duration) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| async move {
                        if request.uri().path().starts_with("/slow") {
                            tokio::time::sleep(delay).await;
                        }
                        let forwarded = request
                            .headers()
                            .get(HEADER)
                            .map_or("none", |value| value.to_str().unwrap())
                            .to_owned();
                        let text = format!("{name} {} {forwarded}", request.uri());
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(text))))
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    const HEADER: &str = "x-chalice-rs-source-ip-test";

    async fn proxy_to(addr: SocketAddr) -> (String, Current) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let current = Current::new(Backend::new(addr));
        tokio::spawn(serve(
            listener,
            current.clone(),
            HeaderName::from_static(HEADER),
        ));
        (base, current)
    }

    #[tokio::test]
    async fn requests_reach_the_app_with_the_client_address_that_no_client_can_set() {
        let (base, _current) = proxy_to(app("old", Duration::ZERO).await).await;
        let answer = reqwest::Client::new()
            .get(format!("{base}/orders/7?x=1"))
            .header(HEADER, "203.0.113.9")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(answer, "old /orders/7?x=1 127.0.0.1");
    }

    #[tokio::test]
    async fn after_a_switch_new_requests_go_to_the_new_app_while_the_old_finishes_its_own() {
        let (base, current) = proxy_to(app("old", Duration::from_millis(300)).await).await;
        let http = reqwest::Client::new();
        let slow = tokio::spawn(http.get(format!("{base}/slow")).send());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let old = current.switch(Backend::new(app("new", Duration::ZERO).await));
        let fresh = http.get(format!("{base}/")).send().await.unwrap();
        assert!(fresh.text().await.unwrap().starts_with("new / "));
        assert!(
            Arc::strong_count(&old) > 1,
            "the slow request no longer holds the old app"
        );
        let slow = slow.await.unwrap().unwrap().text().await.unwrap();
        assert!(slow.starts_with("old /slow "), "{slow}");
        tokio::time::timeout(
            Duration::from_secs(5),
            drained(&old, Duration::from_secs(10)),
        )
        .await
        .unwrap();
        assert_eq!(Arc::strong_count(&old), 1);
    }

    #[tokio::test]
    async fn an_app_that_does_not_answer_is_a_bad_gateway() {
        let gone = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = gone.local_addr().unwrap();
        drop(gone);
        let (base, _current) = proxy_to(addr).await;
        let answer = reqwest::get(format!("{base}/")).await.unwrap();
        assert_eq!(answer.status(), 502);
        assert_eq!(
            answer.json::<serde_json::Value>().await.unwrap()["message"],
            "Bad Gateway"
        );
    }
}
