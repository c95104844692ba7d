//! The HTTPS side: a self-signed certificate made at start, and a handshake
//! that reads the SNI from the ClientHello before choosing to go on.

use std::sync::Arc;

use rustls::pki_types::PrivateKeyDer;
use rustls::server::Acceptor;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::server::TlsStream;
use tokio_rustls::LazyConfigAcceptor;

use super::CaptureError;

/// A server config for the certificate, and the certificate's PEM for
/// clients to trust.
pub(crate) fn self_signed(
    names: &[String],
) -> Result<(Arc<rustls::ServerConfig>, String), CaptureError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec())
        .map_err(|e| CaptureError::Certificate(e.to_string()))?;
    let key = PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|e| CaptureError::Certificate(e.to_string()))?;
    // Only HTTP/1.1 is served; saying so keeps ALPN clients from trying h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(config), certified.cert.pem()))
}

/// Runs the server handshake and returns the stream with the SNI the client
/// sent; `None` when the handshake fails or, with `require_sni`, when the
/// ClientHello names no server (the connection is then just closed, as an
/// SNI-dependent host does).
// spec: CB-TLS-SNI-TRUE, CB-TLS-SNI-FALSE
pub(crate) async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    config: Arc<rustls::ServerConfig>,
    require_sni: bool,
) -> Option<(TlsStream<S>, Option<String>)> {
    let start = LazyConfigAcceptor::new(Acceptor::default(), stream)
        .await
        .ok()?;
    let sni = start.client_hello().server_name().map(str::to_owned);
    if require_sni && sni.is_none() {
        return None;
    }
    let stream = start.into_stream(config).await.ok()?;
    Some((stream, sni))
}
