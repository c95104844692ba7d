//! The emulator's journal: every request received and every callback
//! attempt, so the harness can judge what a client put on the wire and what
//! the emulator sent to callback servers.

use std::collections::VecDeque;
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

/// How much traffic the journal keeps: a ring of the newest records, so a
/// long-running emulator's memory stays bounded whatever it is sent.
// spec: CB-EMU-JOURNAL-BOUNDED
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalLimits {
    /// Requests kept, and callback attempts kept (each); 0 turns the
    /// journal off.
    pub max_records: usize,
    /// Body bytes kept across all records (request, response and callback
    /// bodies); the oldest records go first.
    pub max_body_bytes: usize,
}

impl JournalLimits {
    /// Keep nothing.
    pub const OFF: Self = Self {
        max_records: 0,
        max_body_bytes: 0,
    };
}

impl Default for JournalLimits {
    /// The newest 10,000 requests and callback attempts, 64 MiB of bodies.
    fn default() -> Self {
        Self {
            max_records: 10_000,
            max_body_bytes: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Default)]
struct Entries {
    limits: JournalLimits,
    requests: VecDeque<RequestRecord>,
    callbacks: VecDeque<CallbackAttempt>,
    body_bytes: usize,
}

impl Entries {
    /// Drops the oldest records until both limits hold.
    fn trim(&mut self) {
        let limits = self.limits;
        while self.requests.len() > limits.max_records
            || self.callbacks.len() > limits.max_records
            || (self.body_bytes > limits.max_body_bytes
                && !(self.requests.is_empty() && self.callbacks.is_empty()))
        {
            // Drop from whichever list is over, else the one with the older head.
            let drop_request = if self.requests.len() > limits.max_records {
                true
            } else if self.callbacks.len() > limits.max_records {
                false
            } else {
                match (self.requests.front(), self.callbacks.front()) {
                    (Some(r), Some(c)) => r.received_at <= c.started_at,
                    (Some(_), None) => true,
                    _ => false,
                }
            };
            if drop_request {
                if let Some(r) = self.requests.pop_front() {
                    self.body_bytes -= r.body.len() + r.response_body.len();
                }
            } else if let Some(c) = self.callbacks.pop_front() {
                self.body_bytes -= attempt_bytes(&c);
            }
        }
    }
}

fn attempt_bytes(attempt: &CallbackAttempt) -> usize {
    attempt.body.len()
        + match &attempt.outcome {
            AttemptOutcome::Accepted { body } => body.len(),
            AttemptOutcome::Failed { .. } => 0,
        }
}

/// A shared, append-only journal. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: Arc<Mutex<Entries>>,
}

impl Journal {
    pub(crate) fn record_request(&self, mut record: RequestRecord) {
        // A request refused by authentication is anyone's: its body is never
        // kept, so anonymous uploads cannot fill the emulator's memory.
        if record.status == 403 {
            record.body = Bytes::new();
        }
        let mut entries = self.lock();
        if entries.limits.max_records == 0 {
            return;
        }
        entries.body_bytes += record.body.len() + record.response_body.len();
        entries.requests.push_back(record);
        entries.trim();
    }

    pub(crate) fn record_callback(&self, attempt: CallbackAttempt) {
        let mut entries = self.lock();
        if entries.limits.max_records == 0 {
            return;
        }
        entries.body_bytes += attempt_bytes(&attempt);
        entries.callbacks.push_back(attempt);
        entries.trim();
    }

    /// A journal that keeps at most what `limits` allow.
    pub fn with_limits(limits: JournalLimits) -> Self {
        Self {
            entries: Arc::new(Mutex::new(Entries {
                limits,
                ..Entries::default()
            })),
        }
    }

    /// The requests still kept (the newest, within the limits), in order of
    /// completion.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().requests.iter().cloned().collect()
    }

    /// The callback attempts still kept, in order of completion.
    pub fn callback_attempts(&self) -> Vec<CallbackAttempt> {
        self.lock().callbacks.iter().cloned().collect()
    }

    /// Body bytes the journal holds now: never above the limit (a record
    /// larger than the limit on its own is not kept at all).
    pub fn retained_body_bytes(&self) -> usize {
        self.lock().body_bytes
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

#[cfg(test)]
mod tests {
    use super::*;

    fn request(status: u16, body: usize) -> RequestRecord {
        RequestRecord {
            request_id: String::new(),
            received_at: SystemTime::now(),
            peer: "127.0.0.1:1".parse().unwrap(),
            method: "PUT".into(),
            target: "/b/k".into(),
            headers: Vec::new(),
            body: Bytes::from(vec![0u8; body]),
            status,
            error_code: None,
            response_headers: Vec::new(),
            response_body: Bytes::new(),
        }
    }

    // spec: CB-EMU-JOURNAL-BOUNDED
    #[test]
    fn the_ring_keeps_the_newest_records_within_both_limits() {
        let journal = Journal::with_limits(JournalLimits {
            max_records: 3,
            max_body_bytes: 1000,
        });
        for i in 0..10 {
            let mut r = request(200, 10);
            r.request_id = i.to_string();
            journal.record_request(r);
        }
        let ids: Vec<String> = journal
            .requests()
            .into_iter()
            .map(|r| r.request_id)
            .collect();
        assert_eq!(ids, ["7", "8", "9"]);
        assert_eq!(journal.retained_body_bytes(), 30);
        // Bytes: three 400-byte bodies do not fit in 1000.
        for _ in 0..3 {
            journal.record_request(request(200, 400));
        }
        assert_eq!(journal.requests().len(), 2);
        assert_eq!(journal.retained_body_bytes(), 800);
        // A record over the byte limit on its own is not kept at all.
        journal.record_request(request(200, 2000));
        assert!(journal.requests().is_empty());
        assert_eq!(journal.retained_body_bytes(), 0);
    }

    // spec: CB-EMU-JOURNAL-BOUNDED
    #[test]
    fn a_refused_requests_body_is_never_kept_and_off_keeps_nothing() {
        let journal = Journal::default();
        journal.record_request(request(403, 64 * 1024));
        assert_eq!(journal.requests().len(), 1);
        assert!(journal.requests()[0].body.is_empty());
        assert_eq!(journal.retained_body_bytes(), 0);
        let off = Journal::with_limits(JournalLimits::OFF);
        off.record_request(request(200, 10));
        assert!(off.requests().is_empty());
    }
}
