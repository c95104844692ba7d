//! The HTTPS side: a self-signed certificate made at start, and a handshake
//! that reads the SNI from the ClientHello before choosing to go on.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
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
    let config = server_config(vec![certified.cert.der().clone()], key)?;
    Ok((config, certified.cert.pem()))
}

/// A server config for a given certificate chain and key (PEM), so an
/// endpoint started before the capture server can already trust it.
pub(crate) fn from_identity(
    identity: &TlsIdentity,
) -> Result<(Arc<rustls::ServerConfig>, String), CaptureError> {
    let bad =
        |what: &str, e: &dyn std::fmt::Display| CaptureError::Certificate(format!("{what}: {e}"));
    let chain = CertificateDer::pem_slice_iter(identity.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad("the certificate PEM", &e))?;
    if chain.is_empty() {
        return Err(CaptureError::Certificate(
            "the certificate PEM holds no CERTIFICATE block".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes())
        .map_err(|e| bad("the key PEM (PKCS#8, PKCS#1 or SEC1)", &e))?;
    let config = server_config(chain, key)?;
    Ok((config, identity.cert_pem.clone()))
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, CaptureError> {
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            CaptureError::Certificate(format!("the certificate and key do not fit together: {e}"))
        })?;
    // Only HTTP/1.1 is served; saying so keeps ALPN clients from trying h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A CA and a leaf certificate it signed for `names` (entries that parse as
/// IP addresses become IP SANs): what `cbspec tls-cert` writes, so a
/// separately started endpoint can trust the CA before the capture server
/// starts with the leaf.
pub fn generate_identity(names: &[String]) -> Result<GeneratedIdentity, CaptureError> {
    let fail = |e: rcgen::Error| CaptureError::Certificate(e.to_string());
    let ca_key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "cbspec capture CA");
    let ca = ca_params.self_signed(&ca_key).map_err(fail)?;
    let leaf_key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut leaf_params = rcgen::CertificateParams::new(names.to_vec()).map_err(fail)?;
    leaf_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        names.first().map_or("cbspec capture", String::as_str),
    );
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).map_err(fail)?;
    Ok(GeneratedIdentity {
        ca_pem: ca.pem(),
        identity: TlsIdentity {
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
        },
    })
}

/// A certificate chain and its private key, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    /// The leaf certificate first, then any intermediates.
    pub cert_pem: String,
    /// The leaf's private key.
    pub key_pem: String,
}

/// What [`generate_identity`] makes.
#[derive(Debug, Clone)]
pub struct GeneratedIdentity {
    /// The CA certificate clients trust.
    pub ca_pem: String,
    /// The leaf the capture server presents.
    pub identity: TlsIdentity,
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
