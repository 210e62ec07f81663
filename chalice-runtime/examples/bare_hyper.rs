//! A bare hyper HTTP/1.1 server answering every request with a small JSON body, written as a
//! hyper hello world usually is (tokio's multi-threaded runtime, hyper's default settings): what
//! the local server is measured against (`bench/local-server`).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

// The allocator the chalice-rs servers it is compared with use.
#[global_allocator]
static ALLOCATOR: chalice_runtime::MiMalloc = chalice_runtime::MiMalloc;

fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8001".into())
        .parse()
        .map_err(std::io::Error::other)?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = TcpListener::bind(addr).await?;
            eprintln!("bare hyper on http://{}", listener.local_addr()?);
            loop {
                let (stream, _) = listener.accept().await?;
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = service_fn(|_request| async {
                        let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                            br#"{"hello":"world"}"#,
                        )));
                        response.headers_mut().insert(
                            "content-type",
                            "application/json".parse().expect("static header"),
                        );
                        Ok::<_, Infallible>(response)
                    });
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
}
