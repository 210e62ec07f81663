//! The local server over real HTTP: the same gateway answers, keep-alive, limits.

use std::net::SocketAddr;

use chalice_runtime::gateway::GatewayConfig;
use std::time::Duration;

use chalice_runtime::local::{Limits, LocalConfig, LocalServer, MAX_BODY_BYTES, MAX_HEAD_BYTES};
use chalice_runtime::{App, AuthRequest, AuthResponse, Request, app};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

#[app::authorizer(header = "X-Token")]
fn token_auth(auth: AuthRequest) -> AuthResponse {
    if auth.token == "ok" {
        AuthResponse::new(["/private"], "tester")
    } else {
        AuthResponse::deny("tester")
    }
}

#[app::route("/private", methods = ["GET", "POST"], authorizer = token_auth)]
fn private(req: &Request) -> Value {
    json!({"principal": req.context.authorizer.fields["principalId"], "bytes": req.raw_body.len()})
}

#[app::route("/public")]
fn public() -> Value {
    json!({"public": true})
}

/// A view slower than the head timeout the limits test sets.
#[app::route("/slow")]
async fn slow() -> Value {
    tokio::time::sleep(Duration::from_millis(700)).await;
    json!({"slow": true})
}

async fn start() -> (SocketAddr, oneshot::Sender<()>) {
    start_with(Limits::default()).await
}

async fn start_with(limits: Limits) -> (SocketAddr, oneshot::Sender<()>) {
    let registry = App::new("local-test").registry().unwrap();
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway: GatewayConfig::default().with_stage("dev"),
        limits,
    };
    let server = LocalServer::bind(registry, config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

#[tokio::test]
async fn answers_as_the_gateway_does_over_http() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");
    let allowed = http
        .get(url("/private"))
        .header("X-Token", "ok")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(
        allowed.json::<Value>().await.unwrap(),
        json!({"principal": "tester", "bytes": 0})
    );
    let unauthorized = http.get(url("/private")).send().await.unwrap();
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(
        unauthorized.headers()["x-amzn-errortype"],
        "UnauthorizedException"
    );
    let denied = http
        .get(url("/private"))
        .header("X-Token", "no")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    let missing = http.get(url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 403);
    assert_eq!(
        missing.text().await.unwrap(),
        r#"{"message":"Missing Authentication Token"}"#
    );
    let public = http.get(url("/public?x=1")).send().await.unwrap();
    assert_eq!(
        public.json::<Value>().await.unwrap(),
        json!({"public": true})
    );
}

#[tokio::test]
async fn keeps_connections_alive_and_serves_many_at_once() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let requests = (0..64).map(|_| {
        let http = http.clone();
        async move {
            http.get(format!("http://{addr}/private"))
                .header("X-Token", "ok")
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_join_all(requests).await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");

    // Two requests on one raw connection: the second is answered on the same socket.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /public HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(format!("{request}{request}").as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while received
        .windows(15)
        .filter(|w| w == b"HTTP/1.1 200 OK")
        .count()
        < 2
    {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(
            read > 0,
            "connection closed after {:?}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&buffer[..read]);
    }
}

#[tokio::test]
async fn bodies_over_api_gateways_limit_are_413() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/private");
    let fits = http
        .post(&url)
        .header("X-Token", "ok")
        .body(vec![b'a'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(fits.json::<Value>().await.unwrap()["bytes"], 1024);
    let too_big = http
        .post(&url)
        .header("X-Token", "ok")
        .body(vec![b'a'; MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
}

#[tokio::test]
async fn heads_over_api_gateways_limit_are_431() {
    let (addr, _stop) = start().await;
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/public");
    let get = |value: String| http.get(&url).header("X-Padding", value).send();
    assert_eq!(
        get("a".repeat(MAX_HEAD_BYTES / 2)).await.unwrap().status(),
        200
    );
    let over = get("a".repeat(MAX_HEAD_BYTES)).await.unwrap();
    assert_eq!(over.status(), 431);
    assert_eq!(
        over.json::<Value>().await.unwrap(),
        json!({"message": "Request Header Fields Too Large"})
    );
    // Past what the server reads at all, and past the header count: refused before parsing.
    assert_eq!(get("a".repeat(100 * 1024)).await.unwrap().status(), 431);
    let mut many = http.get(&url);
    for i in 0..200 {
        many = many.header(format!("x-h{i}"), "1");
    }
    assert_eq!(many.send().await.unwrap().status(), 431);
    // The server is still there.
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
}

/// Reads until the server closes the connection; what it sent before closing.
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut received));
    match read.await {
        Ok(_) => String::from_utf8_lossy(&received).into_owned(),
        Err(_) => panic!("the server kept a stalled connection open"),
    }
}

#[tokio::test]
async fn slow_clients_are_cut_off_and_others_are_served_meanwhile() {
    let limits = Limits {
        header_read_timeout: Duration::from_millis(300),
        body_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _stop) = start_with(limits).await;

    // A head that never ends: the connection is closed.
    let mut slow_head = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow_head
        .write_all(b"GET /public HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // A body that never comes: 408, then closed.
    let mut slow_body = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow_body
        .write_all(
            b"POST /private HTTP/1.1\r\nHost: x\r\nX-Token: ok\r\nContent-Length: 100\r\n\r\nonly-this",
        )
        .await
        .unwrap();

    let http = reqwest::Client::new();
    let served = http.get(format!("http://{addr}/public")).send().await;
    assert_eq!(served.unwrap().status(), 200);

    // The server taking longer than the client may take for a head is not the client's fault.
    let slow_view = http.get(format!("http://{addr}/slow")).send().await;
    assert_eq!(slow_view.unwrap().status(), 200);

    read_to_close(&mut slow_head).await;
    let answer = read_to_close(&mut slow_body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"message":"Request Timeout"}"#),
        "{answer}"
    );
}

/// What `printf 'GET …' | nc -N` does: the request, then the end of what the client sends. It
/// still gets its answer, even from a view that takes a while, and then the connection closes.
#[tokio::test]
async fn clients_that_stop_sending_after_the_request_are_answered() {
    let (addr, _stop) = start().await;
    for path in ["/public", "/slow"] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let answer = read_to_close(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
    }
}

#[tokio::test]
async fn thousands_of_connections_at_once_are_all_served() {
    let (addr, _stop) = start().await;
    let clients = (0..2000).map(|_| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /public HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        answer.starts_with(b"HTTP/1.1 200")
    });
    let handles: Vec<_> = clients.map(tokio::spawn).collect();
    let mut served = 0;
    for handle in handles {
        served += usize::from(handle.await.unwrap());
    }
    assert_eq!(served, 2000);
}

#[tokio::test]
async fn clients_past_the_connection_limit_wait_their_turn() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let (addr, _stop) = start_with(limits).await;
    let request = b"GET /public HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let mut buffer = [0u8; 512];
        assert!(stream.read(&mut buffer).await.unwrap() > 0);
        held.push(stream);
    }
    // Both slots are taken by idle keep-alive connections: the third client is not answered...
    let mut third = tokio::net::TcpStream::connect(addr).await.unwrap();
    third.write_all(request).await.unwrap();
    let mut buffer = [0u8; 512];
    let early = tokio::time::timeout(Duration::from_millis(300), third.read(&mut buffer)).await;
    assert!(early.is_err(), "answered past the connection limit");
    // ...until one of them leaves.
    drop(held.pop());
    let read = tokio::time::timeout(Duration::from_secs(20), third.read(&mut buffer)).await;
    let read = read.expect("served once a slot is free").unwrap();
    assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn stops_when_asked() {
    let (addr, stop) = start().await;
    stop.send(()).unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the server still accepts connections after shutdown");
}

async fn futures_join_all<F: std::future::Future<Output = reqwest::StatusCode> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<reqwest::StatusCode> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}
