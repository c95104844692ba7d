//! What arrived: every request, byte for byte, in arrival order, with a way
//! to wait for requests without polling.

use cbspec_protocol::headers::Headers;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use super::signature_check::SignatureVerdict;

/// One request as the capture server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedRequest {
    /// The method from the request line.
    pub method: String,
    /// The request target exactly as sent: raw path plus `?query`, nothing decoded.
    pub target: String,
    /// Header lines in arrival order, names in their original case,
    /// duplicates kept (values are lossy UTF-8 of the raw bytes).
    pub headers: Vec<(String, String)>,
    /// The body as received (chunked framing removed; at most
    /// `max_body_bytes` of an oversized body).
    pub body: Bytes,
    /// Whether it came over the HTTPS listener.
    pub tls: bool,
    /// The SNI host name of the TLS ClientHello, if one was sent.
    pub sni: Option<String>,
    /// The client's address.
    pub peer: SocketAddr,
    /// When the request head had arrived.
    pub arrived_at: SystemTime,
    /// The signature check of this request.
    pub signature: SignatureVerdict,
    /// Set when the request was refused by a limit (body too large, too
    /// slow, head too large): what happened, and the status answered.
    pub note: Option<String>,
}

impl CapturedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.header(name)
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The body as text, if it is UTF-8.
    pub fn body_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }
}

/// The store of captured requests. Requests are numbered on arrival and
/// kept in that order even when their signature checks finish out of order.
#[derive(Debug)]
pub(crate) struct Recorder {
    requests: Mutex<Vec<(u64, CapturedRequest)>>,
    next_seq: Mutex<u64>,
    /// Bumped on every new record, so waiters wake without polling.
    recorded: watch::Sender<u64>,
    events: broadcast::Sender<CapturedRequest>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            requests: Mutex::default(),
            next_seq: Mutex::default(),
            recorded: watch::channel(0).0,
            // A live viewer (the CLI) that falls this far behind misses lines,
            // not memory.
            events: broadcast::channel(1024).0,
        }
    }
}

impl Recorder {
    /// Reserves the arrival number of a request whose record comes later.
    pub(crate) fn arrival(&self) -> u64 {
        let mut next = lock(&self.next_seq);
        *next += 1;
        *next
    }

    /// Stores a request under its arrival number.
    pub(crate) fn record(&self, seq: u64, request: CapturedRequest) {
        {
            let mut requests = lock(&self.requests);
            let at = requests.partition_point(|(s, _)| *s < seq);
            requests.insert(at, (seq, request.clone()));
        }
        let _ = self.events.send(request);
        self.recorded.send_modify(|n| *n += 1);
    }

    /// Every request, in arrival order.
    pub(crate) fn all(&self) -> Vec<CapturedRequest> {
        self.under("")
    }

    /// The requests whose target starts with `prefix`, in arrival order.
    pub(crate) fn under(&self, prefix: &str) -> Vec<CapturedRequest> {
        lock(&self.requests)
            .iter()
            .filter(|(_, r)| r.target.starts_with(prefix))
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// Forgets every request recorded so far.
    pub(crate) fn clear(&self) {
        lock(&self.requests).clear();
    }

    /// A live feed of requests as they are recorded.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<CapturedRequest> {
        self.events.subscribe()
    }

    /// Waits until `count` requests under `prefix` are recorded or `timeout`
    /// passes, and returns what is there then.
    pub(crate) async fn wait_for(
        &self,
        prefix: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<CapturedRequest> {
        let deadline = tokio::time::Instant::now() + timeout;
        // Subscribing before looking means no record can slip in unnoticed
        // between the look and the wait.
        let mut changes = self.recorded.subscribe();
        loop {
            let found = self.under(prefix);
            if found.len() >= count {
                return found;
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return self.under(prefix),
            }
        }
    }
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves the
/// data consistent, so a panic elsewhere must not take recording down.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
