//! The emulator's journal: every request received and every callback
//! attempt, so the harness can judge what a client put on the wire and what
//! the emulator sent to callback servers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

/// One request as the emulator received it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The `x-oss-request-id` the emulator answered with.
    pub request_id: String,
    /// When the request head arrived.
    pub received_at: SystemTime,
    /// The TCP peer.
    pub peer: std::net::SocketAddr,
    /// Request method.
    pub method: String,
    /// Request target as sent (path and query, still encoded).
    pub target: String,
    /// Headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
    /// The status the emulator answered.
    pub status: u16,
    /// The OSS error code answered, if any.
    pub error_code: Option<String>,
    /// The answer's own headers (the request id, date and server headers
    /// every answer gets are not repeated here).
    pub response_headers: Vec<(String, String)>,
    /// The answer's body, so a client's view of it can be compared with
    /// what was really sent.
    pub response_body: Bytes,
}

/// How one callback attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The server answered 200 with an acceptable JSON body.
    Accepted {
        /// The body relayed to the uploader.
        body: Bytes,
    },
    /// The attempt failed; the message is the 203 Message it would produce.
    Failed {
        /// The HTTP status, when the server answered at all.
        status: Option<u16>,
        /// The 203 Message for this failure.
        message: String,
    },
}

/// One POST to one callback URL.
#[derive(Debug, Clone)]
pub struct CallbackAttempt {
    /// Request id of the upload that triggered it.
    pub upload_request_id: String,
    /// The URL as configured.
    pub url: String,
    /// Headers sent, in order.
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: Bytes,
    /// When the attempt started.
    pub started_at: SystemTime,
    /// How long it took.
    pub duration: Duration,
    /// How it ended.
    pub outcome: AttemptOutcome,
}

#[derive(Debug, Default)]
struct Entries {
    requests: Vec<RequestRecord>,
    callbacks: Vec<CallbackAttempt>,
}

/// A shared, append-only journal. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Entries>>,
}

impl Journal {
    pub(crate) fn record_request(&self, record: RequestRecord) {
        self.lock().requests.push(record);
    }

    pub(crate) fn record_callback(&self, attempt: CallbackAttempt) {
        self.lock().callbacks.push(attempt);
    }

    /// Every request received so far, in order of completion.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.clone()
    }

    /// Every callback attempt so far, in order of completion.
    pub fn callback_attempts(&self) -> Vec<CallbackAttempt> {
        self.lock().callbacks.clone()
    }

    /// The callback attempts triggered by one upload, in order.
    pub fn callbacks_for(&self, upload_request_id: &str) -> Vec<CallbackAttempt> {
        self.lock()
            .callbacks
            .iter()
            .filter(|a| a.upload_request_id == upload_request_id)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave a half-pushed entry,
        // so a poisoned journal is still consistent.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
