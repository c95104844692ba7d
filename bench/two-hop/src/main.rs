//! Baselines for `bench/run`, so the emulator's callback path is measured
//! against the least any server could do on the same two hops:
//!
//! - `two-hop receiver ADDR`: a callback receiver answering every request
//!   `200 {"Status":"OK"}` at once (the "fast receiver" both sides call);
//! - `two-hop relay ADDR RECEIVER`: for each request, reads the body, opens
//!   a fresh TCP connection to RECEIVER (as OSS does for every callback),
//!   POSTs a callback-sized form body, reads the answer and relays it.
//!
//! No parsing, no signing, no storage: what is left is the HTTP and TCP
//! cost of the two hops.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// A body the size of the emulator's expanded default template.
const CALLBACK_BODY: &str = "bucket=bench&object=obj&etag=D41D8CD98F00B204E9800998ECF8427E&size=1024&mimeType=application%2Foctet-stream";

fn usage() -> ! {
    eprintln!("usage: two-hop receiver LISTEN | two-hop relay LISTEN RECEIVER");
    std::process::exit(2)
}

fn address(text: Option<String>) -> SocketAddr {
    let Some(text) = text else { usage() };
    text.parse().unwrap_or_else(|_| {
        eprintln!("two-hop: {text:?} is not an address like 127.0.0.1:18080");
        std::process::exit(2)
    })
}

async fn receive(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = request.into_body().collect().await;
    Ok(Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"Status":"OK"}"#)))
        .expect("a fixed response builds"))
}

async fn relay(
    request: Request<Incoming>,
    receiver: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = request.into_body().collect().await;
    let failed = |why: String| {
        Ok(Response::builder()
            .status(502)
            .body(Full::new(Bytes::from(why)))
            .expect("a fixed response builds"))
    };
    let stream = match TcpStream::connect(receiver).await {
        Ok(stream) => stream,
        Err(e) => return failed(format!("connect: {e}")),
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) =
        match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await {
            Ok(pair) => pair,
            Err(e) => return failed(format!("handshake: {e}")),
        };
    tokio::spawn(connection);
    let callback = Request::post("/cb")
        .header("Host", receiver.to_string())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from_static(CALLBACK_BODY.as_bytes())))
        .expect("a fixed request builds");
    let answer = match sender.send_request(callback).await {
        Ok(answer) => answer,
        Err(e) => return failed(format!("callback: {e}")),
    };
    let body = match answer.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return failed(format!("callback body: {e}")),
    };
    Ok(Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(body))
        .expect("a fixed response builds"))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| usage());
    let listen = address(args.next());
    let receiver = match mode.as_str() {
        "receiver" => None,
        "relay" => Some(address(args.next())),
        _ => usage(),
    };
    let listener = TcpListener::bind(listen).await.unwrap_or_else(|e| {
        eprintln!("two-hop: cannot listen on {listen}: {e}");
        std::process::exit(1)
    });
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |request| async move {
                match receiver {
                    None => receive(request).await,
                    Some(receiver) => relay(request, receiver).await,
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
