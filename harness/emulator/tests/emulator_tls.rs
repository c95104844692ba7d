//! HTTPS callbacks: SNI is sent only when callbackSNI is true, the server
//! certificate is checked against the configured CA, and a server that
//! needs SNI fails without it (digest §6.1, pitfall 3).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::*;
use cbspec_client::OssCall;
use cbspec_emulator::{CallbackSettings, EmulatorConfig};
use cbspec_protocol::signature::{decode_key_url, CallbackPublicKey};
use tokio::io::AsyncWriteExt;

const NAME: &str = "cb.example.test";

/// What the TLS receiver saw of each connection: the SNI, and the request if
/// the handshake went through.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<Captured>)>>>;

/// An HTTPS receiver with a self-signed certificate for `cb.example.test`;
/// with `require_sni`, it drops handshakes that carry no SNI, as
/// SNI-dependent hosts do.
async fn tls_receiver(require_sni: bool) -> (SocketAddr, String, Seen) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified = rcgen::generate_simple_self_signed(vec![NAME.to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (config, sink) = (config.clone(), sink.clone());
            tokio::spawn(async move {
                let work = async {
                    let acceptor = tokio_rustls::LazyConfigAcceptor::new(
                        rustls::server::Acceptor::default(),
                        tcp,
                    );
                    let Ok(start) = acceptor.await else { return };
                    let sni = start.client_hello().server_name().map(str::to_owned);
                    if require_sni && sni.is_none() {
                        sink.lock().unwrap().push((None, None));
                        return;
                    }
                    let Ok(mut tls) = start.into_stream(config).await else {
                        sink.lock().unwrap().push((sni, None));
                        return;
                    };
                    let request = read_request(&mut tls).await;
                    sink.lock().unwrap().push((sni, request));
                    let _ = tls
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"Status\":\"OK\"}")
                        .await;
                    let _ = tls.shutdown().await;
                };
                let _ = tokio::time::timeout(Duration::from_secs(10), work).await;
            });
        }
    });
    (addr, cert_pem, seen)
}

async fn tls_emulator(addr: SocketAddr, ca_pem: &str) -> cbspec_emulator::EmulatorHandle {
    emulator_with(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        callbacks: CallbackSettings {
            timeout: Duration::from_secs(5),
            extra_ca_pem: vec![ca_pem.as_bytes().to_vec()],
            resolve: vec![(NAME.to_owned(), addr)],
            ..CallbackSettings::default()
        },
        ..EmulatorConfig::default()
    })
    .await
}

async fn put_with_callback(
    handle: &cbspec_emulator::EmulatorHandle,
    url: &str,
    sni: Option<bool>,
) -> cbspec_client::OssAnswer {
    let mut cb = serde_json::json!({"callbackUrl": url, "callbackBody": "bucket=${bucket}&object=${object}"});
    if let Some(sni) = sni {
        cb["callbackSNI"] = sni.into();
    }
    client(handle)
        .send(
            OssCall::new("PUT", BUCKET, Some("tls.txt"))
                .header("x-oss-callback", b64(&cb.to_string()))
                .body("secure"),
        )
        .await
        .unwrap()
}

// spec: CB-TLS-HTTPS, CB-TLS-SNI-TRUE, CB-TLS-SNI-FALSE, CB-CFG-SNI-DEFAULT, CB-TLS-CERT
#[tokio::test]
async fn sni_is_sent_only_when_callback_sni_is_true() {
    let (addr, ca, seen) = tls_receiver(false).await;
    let handle = tls_emulator(addr, &ca).await;
    let url = format!("https://{NAME}:{}/tls?x=1", addr.port());
    for (sni, expected) in [(Some(true), Some(NAME)), (Some(false), None), (None, None)] {
        let answer = put_with_callback(&handle, &url, sni).await;
        assert_eq!(answer.status, 200, "callbackSNI={sni:?}: {}", answer.text());
        let (got_sni, request) = seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!(got_sni.as_deref(), expected, "callbackSNI={sni:?}");
        let request = request.expect("the handshake completed");
        assert_eq!(request.body, b"bucket=examplebucket&object=tls.txt");
        assert_eq!(
            request.header("host"),
            Some(format!("{NAME}:{}", addr.port()).as_str())
        );
        let key_url = decode_key_url(request.header("x-oss-pub-key-url").unwrap()).unwrap();
        assert_eq!(key_url, handle.public_key_url());
        let key = CallbackPublicKey::from_pem(handle.public_key_pem()).unwrap();
        assert_eq!(
            key.verify(
                &request.target,
                &request.body,
                request.header("authorization").unwrap()
            ),
            Ok(())
        );
    }
    handle.shutdown().await;
}

// spec: CB-TLS-SNI-FALSE, CB-OUT-MSG-CONNECT
#[tokio::test]
async fn a_host_that_needs_sni_fails_without_it() {
    let (addr, ca, seen) = tls_receiver(true).await;
    let handle = tls_emulator(addr, &ca).await;
    let url = format!("https://{NAME}:{}/tls", addr.port());
    let answer = put_with_callback(&handle, &url, Some(false)).await;
    assert_eq!(answer.status, 203, "{}", answer.text());
    assert!(
        answer.text().contains(
            "Error status : -1.OSS can not connect to your callbackUrl, please check it."
        ),
        "{}",
        answer.text()
    );
    assert!(matches!(seen.lock().unwrap().last(), Some((None, None))));
    let answer = put_with_callback(&handle, &url, Some(true)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    handle.shutdown().await;
}

// spec: CB-TLS-CERT
#[tokio::test]
async fn an_untrusted_certificate_fails_the_callback() {
    let (addr, _ca, _seen) = tls_receiver(false).await;
    let (_, other_ca, _) = tls_receiver(false).await;
    let handle = tls_emulator(addr, &other_ca).await;
    let answer = put_with_callback(
        &handle,
        &format!("https://{NAME}:{}/tls", addr.port()),
        Some(true),
    )
    .await;
    assert_eq!(answer.status, 203, "{}", answer.text());
    assert!(
        answer.text().contains("Error status : -1."),
        "{}",
        answer.text()
    );
    handle.shutdown().await;
}
