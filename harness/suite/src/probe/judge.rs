//! Judging a receiver's answers, pure: whether an answer is an acceptance
//! (the `--accept-when` rule), whether OSS would relay it or turn the upload
//! into a 203 (the emulator's own rules, `callback_outcome`), which key
//! fetches were forgeries, and the latency figures of a burst.

use std::time::Duration;

use cbspec_protocol::callback_outcome::{judge_response, CallbackFailure};

use super::cases::{Expected, ProbeCase};
use crate::runner::observation::Mismatch;

/// How a 2xx answer tells acceptance from a polite rejection. Any non-2xx
/// answer is a rejection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptRule {
    /// Every 2xx answer is an acceptance (the default).
    Status,
    /// A 2xx answer is an acceptance when its body contains this text.
    BodyContains(String),
    /// A 2xx answer is an acceptance when the JSON value at this pointer
    /// (RFC 6901) is this string, e.g. `/Status` = `OK`.
    JsonEquals {
        /// The JSON pointer.
        pointer: String,
        /// The value, compared with a string or the text of a number or bool.
        value: String,
    },
}

impl std::str::FromStr for AcceptRule {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        if text == "status" {
            return Ok(Self::Status);
        }
        if let Some(needle) = text.strip_prefix("body-contains:") {
            if needle.is_empty() {
                return Err("body-contains: needs the text to look for".into());
            }
            return Ok(Self::BodyContains(needle.to_owned()));
        }
        if let Some(rule) = text.strip_prefix("json:") {
            let (pointer, value) = rule.split_once('=').ok_or_else(|| {
                format!("{text:?}: write json:POINTER=VALUE, e.g. json:/Status=OK")
            })?;
            if !pointer.starts_with('/') {
                return Err(format!(
                    "{pointer:?} is not a JSON pointer: it starts with /"
                ));
            }
            return Ok(Self::JsonEquals {
                pointer: pointer.to_owned(),
                value: value.to_owned(),
            });
        }
        Err(format!(
            "{text:?} is not an accept rule: use status, body-contains:TEXT or json:/POINTER=VALUE"
        ))
    }
}

impl AcceptRule {
    /// Whether an answer is an acceptance.
    pub fn accepts(&self, status: u16, body: &[u8]) -> bool {
        if !(200..300).contains(&status) {
            return false;
        }
        match self {
            AcceptRule::Status => true,
            AcceptRule::BodyContains(needle) => {
                String::from_utf8_lossy(body).contains(needle.as_str())
            }
            AcceptRule::JsonEquals { pointer, value } => {
                let text = String::from_utf8_lossy(body);
                let json = text.trim_start_matches('\u{feff}');
                serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.pointer(pointer).cloned())
                    .is_some_and(|found| match found {
                        serde_json::Value::String(s) => s == *value,
                        other => {
                            let text = other.to_string();
                            text == *value
                        }
                    })
            }
        }
    }
}

/// What the receiver did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A complete answer.
    Http {
        /// Status.
        status: u16,
        /// `Content-Length` as received.
        content_length: Option<u64>,
        /// The body, at most 1 MiB + 1 byte of it.
        body: Vec<u8>,
        /// `Location`, when the answer is a redirect.
        location: Option<String>,
    },
    /// No answer within OSS's callback timeout.
    TimedOut,
    /// The connection failed or broke (the reason).
    Broken(String),
}

/// A request the key server received that a correct receiver never makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForgedFetch {
    /// `Host` header and target, as received.
    pub url: String,
    /// Who made it.
    pub peer: String,
}

/// The OSS 203 failure the answer would cause, if any.
pub fn relay_failure(answer: &Answer) -> Option<CallbackFailure> {
    match answer {
        Answer::Http {
            status,
            content_length,
            body,
            ..
        } => judge_response(*status, *content_length, body).err(),
        Answer::TimedOut => Some(CallbackFailure::Timeout),
        Answer::Broken(_) => Some(CallbackFailure::Connect),
    }
}

fn describe(answer: &Answer) -> String {
    match answer {
        Answer::Http {
            status,
            body,
            location,
            ..
        } => {
            let text = String::from_utf8_lossy(body);
            let short: String = text.chars().take(120).collect();
            let more = if text.chars().count() > 120 {
                "…"
            } else {
                ""
            };
            match location {
                Some(to) => format!("{status} (redirect to {to}) {short:?}{more}"),
                None => format!("{status} {short:?}{more}"),
            }
        }
        Answer::TimedOut => "no answer within 5 s".into(),
        Answer::Broken(why) => format!("no answer: {why}"),
    }
}

fn mismatch(requirement: &str, what: &str, expected: String, observed: String) -> Mismatch {
    Mismatch {
        what: what.into(),
        expected,
        observed,
        requirement: Some(requirement.into()),
        level: None,
        unknowable: None,
    }
}

/// Judges one case: the answer against what a correct receiver does, the
/// answer's shape when it accepted, and any key fetch outside the allowlist.
pub fn judge_case(
    case: &ProbeCase,
    answer: &Answer,
    rule: &AcceptRule,
    forged_fetches: &[ForgedFetch],
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let accepted = match answer {
        Answer::Http { status, body, .. } => rule.accepts(*status, body),
        _ => false,
    };
    match (case.expected, accepted) {
        (Expected::Accept, false) => out.push(mismatch(
            case.requirement,
            "answer",
            "an acceptance".into(),
            describe(answer),
        )),
        (Expected::Reject, true) => out.push(mismatch(
            case.requirement,
            "answer",
            "a rejection".into(),
            format!("an acceptance: {}", describe(answer)),
        )),
        _ => {}
    }
    if case.expected == Expected::Accept {
        if let Some(failure) = relay_failure(answer) {
            if accepted || matches!(answer, Answer::TimedOut) {
                out.push(mismatch(
                    "CB-RCV-ANSWER-RELAYABLE",
                    "answer.shape",
                    "an answer OSS relays (200, Content-Length, JSON without BOM, at most 1 MiB)"
                        .into(),
                    format!(
                        "{}: OSS would answer the upload 203 CallbackFailed, EC {}, \"{}\"",
                        describe(answer),
                        failure.ec(),
                        failure.message()
                    ),
                ));
            }
        }
    }
    for fetch in forged_fetches {
        out.push(mismatch(
            "CB-RCV-NO-FETCH",
            "key-server",
            "no request for a key URL outside the allowlist".into(),
            format!(
                "server-side request forgery: {} requested {}",
                fetch.peer, fetch.url
            ),
        ));
    }
    out
}

/// Latency figures of a burst.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyReport {
    /// Requests sent.
    pub sent: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile (nearest rank).
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
    /// Answers that took longer than OSS's 5 s timeout, or never came.
    pub over_timeout: usize,
    /// Answers that were not acceptances (or that OSS would not relay).
    pub not_accepted: usize,
}

/// OSS's callback timeout (CB-REQ-TIMEOUT).
pub const OSS_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// Nearest-rank percentiles of the durations (`None` when empty).
pub fn latency_report(
    durations: &[Duration],
    not_accepted: usize,
    timed_out: usize,
) -> LatencyReport {
    let mut sorted = durations.to_vec();
    sorted.sort();
    let rank = |p: usize| -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len()) - 1;
        sorted[index]
    };
    LatencyReport {
        sent: durations.len() + timed_out,
        p50: rank(50),
        p99: rank(99),
        max: sorted.last().copied().unwrap_or_default(),
        over_timeout: timed_out + sorted.iter().filter(|d| **d > OSS_CALLBACK_TIMEOUT).count(),
        not_accepted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::cases::ProbeRequest;

    fn case(expected: Expected) -> ProbeCase {
        ProbeCase {
            id: "t".into(),
            title: "t".into(),
            requirement: "CB-RCV-X",
            expected,
            request: ProbeRequest {
                url: "http://r/".into(),
                headers: Vec::new(),
                body: Vec::new(),
            },
        }
    }

    fn http(status: u16, body: &[u8]) -> Answer {
        Answer::Http {
            status,
            content_length: Some(body.len() as u64),
            body: body.to_vec(),
            location: None,
        }
    }

    #[test]
    fn accept_rules_parse_and_match() {
        let status: AcceptRule = "status".parse().unwrap();
        assert!(status.accepts(204, b""));
        assert!(!status.accepts(302, b"{}") && !status.accepts(403, b"{}"));
        let json: AcceptRule = "json:/Status=OK".parse().unwrap();
        assert!(json.accepts(200, br#"{"Status":"OK"}"#));
        assert!(!json.accepts(200, br#"{"Status":"verify failed"}"#));
        assert!(!json.accepts(200, b"OK"));
        let nested: AcceptRule = "json:/result/ok=true".parse().unwrap();
        assert!(nested.accepts(200, br#"{"result":{"ok":true}}"#));
        let contains: AcceptRule = "body-contains:accepted".parse().unwrap();
        assert!(contains.accepts(200, b"callback accepted") && !contains.accepts(200, b"denied"));
        for bad in ["json:Status=OK", "json:/Status", "body-contains:", "2xx"] {
            assert!(bad.parse::<AcceptRule>().is_err(), "{bad}");
        }
    }

    #[test]
    fn verdicts_follow_what_a_correct_receiver_does() {
        let ok = http(200, br#"{"Status":"OK"}"#);
        let no = http(403, br#"{"Status":"verify failed"}"#);
        let rule = AcceptRule::Status;
        assert!(judge_case(&case(Expected::Accept), &ok, &rule, &[]).is_empty());
        assert!(judge_case(&case(Expected::Reject), &no, &rule, &[]).is_empty());
        let m = judge_case(&case(Expected::Reject), &ok, &rule, &[]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].requirement.as_deref(), Some("CB-RCV-X"));
        let m = judge_case(&case(Expected::Accept), &no, &rule, &[]);
        assert_eq!(m[0].requirement.as_deref(), Some("CB-RCV-X"));
        // Rejecting by closing the connection is still a rejection.
        assert!(judge_case(
            &case(Expected::Reject),
            &Answer::Broken("reset".into()),
            &rule,
            &[]
        )
        .is_empty());
    }

    #[test]
    fn an_acceptance_oss_would_not_relay_names_the_203() {
        let rule = AcceptRule::Status;
        for (answer, message) in [
            (
                http(200, b"\xEF\xBB\xBF{\"Status\":\"OK\"}"),
                "Response body is not valid json format.",
            ),
            (http(200, b"OK"), "Response body is not valid json format."),
            (
                Answer::Http {
                    status: 200,
                    content_length: None,
                    body: b"{}".to_vec(),
                    location: None,
                },
                "Error Status : 400.User server return too long content-length value",
            ),
            (http(204, b""), "Error status : 204."),
        ] {
            let m = judge_case(&case(Expected::Accept), &answer, &rule, &[]);
            assert_eq!(m.len(), 1, "{answer:?}");
            assert_eq!(m[0].requirement.as_deref(), Some("CB-RCV-ANSWER-RELAYABLE"));
            assert!(m[0].observed.contains(message), "{}", m[0].observed);
        }
        let m = judge_case(&case(Expected::Accept), &Answer::TimedOut, &rule, &[]);
        assert!(
            m.iter().any(|m| m.observed.contains("Cost too long time")),
            "{m:?}"
        );
    }

    #[test]
    fn every_forged_fetch_is_a_finding() {
        let fetch = ForgedFetch {
            url: "127.0.0.1:7000/attacker/callback_pub_key.pem".into(),
            peer: "127.0.0.1".into(),
        };
        let m = judge_case(
            &case(Expected::Reject),
            &http(403, b"{}"),
            &AcceptRule::Status,
            &[fetch],
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].requirement.as_deref(), Some("CB-RCV-NO-FETCH"));
        assert!(m[0]
            .observed
            .starts_with("server-side request forgery: 127.0.0.1 requested"));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = |n: u64| Duration::from_millis(n);
        let durations: Vec<Duration> = (1..=100).map(ms).collect();
        let r = latency_report(&durations, 0, 0);
        assert_eq!((r.p50, r.p99, r.max), (ms(50), ms(99), ms(100)));
        let r = latency_report(&[ms(10), ms(6000)], 1, 2);
        assert_eq!((r.sent, r.over_timeout, r.not_accepted), (4, 3, 1));
        assert_eq!(r.p50, ms(10));
        assert_eq!(latency_report(&[], 0, 0).max, Duration::ZERO);
    }
}
