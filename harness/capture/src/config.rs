//! How a capture server is set up: listeners, the TLS certificate's names,
//! the key-URL allowlist and the limits that keep hostile clients bounded.

use std::net::SocketAddr;
use std::time::Duration;

use cbspec_protocol::signature::KeyUrlAllowlist;

use crate::tls::TlsIdentity;

/// Names the generated certificate covers unless told otherwise: the
/// loopback name, the name the HTTPS tests resolve to loopback, and the
/// loopback IP (an IP SAN), so clients can verify any of them.
pub const DEFAULT_TLS_NAMES: [&str; 3] = ["localhost", "cb.example.test", "127.0.0.1"];

/// How to run a capture server.
#[derive(Debug, Clone)]
pub struct CaptureConfig {
    /// Plain-HTTP listener; port 0 picks a free port.
    pub http_listen: SocketAddr,
    /// HTTPS listener, if any; port 0 picks a free port.
    pub https_listen: Option<SocketAddr>,
    /// Subject alternative names of the self-signed certificate; entries that
    /// parse as IP addresses become IP SANs.
    pub tls_names: Vec<String>,
    /// Serve this certificate and key instead of a self-signed one made at start.
    pub tls_identity: Option<TlsIdentity>,
    /// Refuse TLS handshakes whose ClientHello carries no SNI, as
    /// SNI-dependent hosts (CDNs, shared load balancers) do.
    // spec: CB-TLS-SNI-FALSE
    pub require_sni: bool,
    /// Key URL prefixes whose keys may be fetched (the official two are always in).
    // spec: CB-KEY-ALLOWLIST
    pub key_allowlist: KeyUrlAllowlist,
    /// Largest request body kept; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// Largest request head (request line plus headers); a larger one is answered 431.
    pub max_header_bytes: usize,
    /// Time allowed for a TLS handshake, for the request head and for the
    /// body to arrive; slower clients are cut off.
    pub read_timeout: Duration,
    /// Time allowed to fetch a public key from an allowed key URL.
    pub key_fetch_timeout: Duration,
    /// Upper bound on a connection's whole life, programmed answer delays
    /// included, so that nothing a client does can hold a task forever.
    pub connection_timeout: Duration,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            http_listen: loopback,
            https_listen: Some(loopback),
            tls_names: DEFAULT_TLS_NAMES.iter().map(|n| (*n).to_owned()).collect(),
            tls_identity: None,
            require_sni: false,
            key_allowlist: KeyUrlAllowlist::default(),
            max_body_bytes: 4 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            read_timeout: Duration::from_secs(10),
            key_fetch_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(120),
        }
    }
}
