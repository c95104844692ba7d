//! Conditional requests: `If-Match`, `If-None-Match`, `If-Modified-Since`
//! and `If-Unmodified-Since` on GET and HEAD, and their
//! `x-oss-copy-source-if-*` forms on CopyObject and UploadPartCopy.
//!
//! Pure: the decision from the headers and the object's ETag and time.

use cbspec_protocol::headers::Headers;

use super::response::OssError;

/// What the conditions decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on.
    Proceed,
    /// 304 Not Modified.
    NotModified,
    /// 412 Precondition Failed, naming the header that failed.
    Failed(&'static str),
}

/// The header names of one family: plain (GET/HEAD) or copy source.
#[derive(Debug, Clone, Copy)]
pub struct ConditionHeaders {
    if_match: &'static str,
    if_none_match: &'static str,
    if_modified_since: &'static str,
    if_unmodified_since: &'static str,
}

/// `If-Match` and friends.
pub const PLAIN: ConditionHeaders = ConditionHeaders {
    if_match: "If-Match",
    if_none_match: "If-None-Match",
    if_modified_since: "If-Modified-Since",
    if_unmodified_since: "If-Unmodified-Since",
};

/// `x-oss-copy-source-if-match` and friends.
pub const COPY_SOURCE: ConditionHeaders = ConditionHeaders {
    if_match: "x-oss-copy-source-if-match",
    if_none_match: "x-oss-copy-source-if-none-match",
    if_modified_since: "x-oss-copy-source-if-modified-since",
    if_unmodified_since: "x-oss-copy-source-if-unmodified-since",
};

fn etag_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*"
            || candidate
                .trim_start_matches("W/")
                .trim_matches('"')
                .eq_ignore_ascii_case(etag)
    })
}

/// Evaluates the conditions in RFC 7232's order (§6): If-Match, else
/// If-Unmodified-Since; then If-None-Match, else If-Modified-Since. A date
/// that does not parse is ignored, as HTTP servers ignore it.
pub fn evaluate(
    family: ConditionHeaders,
    headers: &[(String, String)],
    etag: &str,
    last_modified_secs: u64,
) -> Precondition {
    let date = |name: &str| {
        headers
            .header(name)
            .and_then(|text| httpdate::parse_http_date(text.trim()).ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    if let Some(list) = headers.header(family.if_match) {
        if !etag_matches(list, etag) {
            return Precondition::Failed(family.if_match);
        }
    } else if let Some(since) = date(family.if_unmodified_since) {
        if last_modified_secs > since {
            return Precondition::Failed(family.if_unmodified_since);
        }
    }
    if let Some(list) = headers.header(family.if_none_match) {
        if etag_matches(list, etag) {
            return Precondition::NotModified;
        }
    } else if let Some(since) = date(family.if_modified_since) {
        if last_modified_secs <= since {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// 412 PreconditionFailed, naming the failing header as OSS does (message
/// as ali-oss's integration tests record it) and as `Condition`.
pub fn precondition_failed(header: &str) -> OssError {
    let mut error = OssError::new(
        412,
        "PreconditionFailed",
        format!(
            "At least one of the pre-conditions you specified did not hold. (condition: {header})"
        ),
    );
    error.extra.push(("Condition".into(), header.to_owned()));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETAG: &str = "5EB63BBBE01EEED093CB22BB8F5ACDC3";
    // Sun, 06 Nov 1994 08:49:37 GMT
    const MODIFIED: u64 = 784_111_777;

    fn check(pairs: &[(&str, &str)]) -> Precondition {
        let headers: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        evaluate(PLAIN, &headers, ETAG, MODIFIED)
    }

    #[test]
    fn etag_conditions() {
        assert_eq!(check(&[]), Precondition::Proceed);
        assert_eq!(
            check(&[("If-Match", "\"5EB63BBBE01EEED093CB22BB8F5ACDC3\"")]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[("if-match", "\"0000\"")]),
            Precondition::Failed("If-Match")
        );
        assert_eq!(check(&[("If-Match", "*")]), Precondition::Proceed);
        assert_eq!(
            check(&[(
                "If-None-Match",
                "\"a\", \"5eb63bbbe01eeed093cb22bb8f5acdc3\""
            )]),
            Precondition::NotModified
        );
        assert_eq!(check(&[("If-None-Match", "\"a\"")]), Precondition::Proceed);
    }

    #[test]
    fn date_conditions() {
        assert_eq!(
            check(&[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]),
            Precondition::NotModified
        );
        assert_eq!(
            check(&[("If-Modified-Since", "Sun, 06 Nov 1994 08:49:36 GMT")]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[("If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT")]),
            Precondition::Failed("If-Unmodified-Since")
        );
        assert_eq!(
            check(&[("If-Unmodified-Since", "not a date")]),
            Precondition::Proceed
        );
        // If-Match wins over If-Unmodified-Since; If-None-Match over If-Modified-Since.
        assert_eq!(
            check(&[
                ("If-Match", "\"5EB63BBBE01EEED093CB22BB8F5ACDC3\""),
                ("If-Unmodified-Since", "Sat, 05 Nov 1994 08:49:37 GMT"),
            ]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[
                ("If-None-Match", "\"other\""),
                ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"),
            ]),
            Precondition::Proceed
        );
    }

    #[test]
    fn the_copy_family_reads_its_own_headers() {
        let headers = vec![(
            "x-oss-copy-source-if-match".to_owned(),
            "\"0000\"".to_owned(),
        )];
        assert_eq!(
            evaluate(COPY_SOURCE, &headers, ETAG, MODIFIED),
            Precondition::Failed("x-oss-copy-source-if-match")
        );
        assert_eq!(
            evaluate(PLAIN, &headers, ETAG, MODIFIED),
            Precondition::Proceed
        );
    }
}
