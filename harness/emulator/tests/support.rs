//! Test scaffolding shared by the emulator tests: a programmable callback
//! receiver on loopback, and helpers to start an emulator and a client.
//!
//! The receiver speaks HTTP/1.1 over raw TCP on purpose: the tests need
//! answers no well-behaved server library produces (a BOM, no
//! Content-Length, a reset connection, a stalled reply).

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cbspec_client::OssClient;
use cbspec_emulator::{CallbackSettings, Emulator, EmulatorConfig, EmulatorHandle};
use cbspec_protocol::auth::Credentials;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the receiver answers on a path.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A well-formed answer with a Content-Length.
    Reply { status: u16, body: Vec<u8> },
    /// 200 with a chunked body and no Content-Length.
    Chunked(Vec<u8>),
    /// Waits before answering 200 `{"Status":"OK"}`.
    Delay(Duration),
    /// Closes the connection without answering.
    Reset,
}

impl Answer {
    /// 200 `{"Status":"OK"}`.
    pub fn ok() -> Self {
        Answer::Reply {
            status: 200,
            body: br#"{"Status":"OK"}"#.to_vec(),
        }
    }
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Captured {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A callback receiver on 127.0.0.1; answers by path, `Answer::ok()` otherwise.
pub struct Receiver {
    pub addr: SocketAddr,
    captured: Arc<Mutex<Vec<Captured>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(routes: Vec<(&str, Answer)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let routes: Arc<HashMap<String, Answer>> =
            Arc::new(routes.into_iter().map(|(p, a)| (p.to_owned(), a)).collect());
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = captured.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let routes = routes.clone();
                let sink = sink.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(20),
                        serve_one(stream, routes, sink),
                    )
                    .await;
                });
            }
        });
        Self {
            addr,
            captured,
            task,
        }
    }

    /// `http://127.0.0.1:port<path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }
}

/// Reads one HTTP/1.1 request (head and Content-Length body) from a stream.
pub async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<Captured> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some(Captured {
        method,
        target,
        headers,
        body,
    })
}

async fn serve_one(
    mut stream: tokio::net::TcpStream,
    routes: Arc<HashMap<String, Answer>>,
    sink: Arc<Mutex<Vec<Captured>>>,
) {
    let Some(captured) = read_request(&mut stream).await else {
        return;
    };
    let target = captured.target.clone();
    sink.lock().unwrap().push(captured);
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let answer = routes.get(&path).cloned().unwrap_or_else(Answer::ok);
    let reply = match answer {
        Answer::Reply { status, body } => {
            let mut out = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n", body.len()).into_bytes();
            if (300..400).contains(&status) {
                out.extend_from_slice(b"Location: http://127.0.0.1:1/elsewhere\r\n");
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&body);
            out
        }
        Answer::Chunked(body) => {
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
            out.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
            out.extend_from_slice(&body);
            out.extend_from_slice(b"\r\n0\r\n\r\n");
            out
        }
        Answer::Delay(delay) => {
            tokio::time::sleep(delay).await;
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"Status\":\"OK\"}".to_vec()
        }
        Answer::Reset => {
            // Linger 0 makes the close an RST rather than a FIN.
            let _ = stream.set_zero_linger();
            return;
        }
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

pub const BUCKET: &str = "examplebucket";

pub fn credentials() -> Credentials {
    Credentials::new("cbspec-test-key", "cbspec-test-secret")
}

/// An emulator with one bucket and a short callback timeout.
pub async fn emulator(callback_timeout: Duration) -> EmulatorHandle {
    emulator_with(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        callbacks: CallbackSettings {
            timeout: callback_timeout,
            ..CallbackSettings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn emulator_with(config: EmulatorConfig) -> EmulatorHandle {
    Emulator::start(config).await.expect("emulator starts")
}

pub fn client(handle: &EmulatorHandle) -> OssClient {
    OssClient::new(
        &handle.endpoint(),
        credentials(),
        "cn-hangzhou",
        Duration::from_secs(30),
    )
    .unwrap()
}

pub fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
