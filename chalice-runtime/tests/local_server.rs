//! The local server over real HTTP: the same gateway answers, keep-alive, limits.

use std::net::SocketAddr;

use chalice_runtime::gateway::GatewayConfig;
use chalice_runtime::local::{LocalConfig, LocalServer, MAX_BODY_BYTES};
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

async fn start() -> (SocketAddr, oneshot::Sender<()>) {
    let registry = App::new("local-test").registry().unwrap();
    let config = LocalConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        gateway: GatewayConfig::default().with_stage("dev"),
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
