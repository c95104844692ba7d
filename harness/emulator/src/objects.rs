//! GetObject (with Range), HeadObject and DeleteObject.

use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};

/// A byte range a GET asks for, resolved against the object size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable Range header: the whole object (OSS ignores malformed ranges).
    Whole,
    /// `start..=end`, both within the object.
    Part { start: u64, end: u64 },
    /// The range starts past the end: 416.
    Unsatisfiable,
}

/// Resolves a `Range` header the way OSS does: one `bytes=` range; a
/// malformed or multi-range header is ignored and the whole object sent.
pub fn resolve_range(header: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((start, end)) = spec.split_once('-') else {
        return RangeRequest::Whole;
    };
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match (start.trim().is_empty(), end.trim().is_empty()) {
        // bytes=-N: the last N bytes.
        (true, false) => match parse(end) {
            Some(0) | None => RangeRequest::Whole,
            Some(_) if size == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Part {
                start: size.saturating_sub(n),
                end: size - 1,
            },
        },
        // bytes=N-: from N to the end.
        (false, true) => match parse(start) {
            Some(s) if s >= size => RangeRequest::Unsatisfiable,
            Some(s) => RangeRequest::Part {
                start: s,
                end: size - 1,
            },
            None => RangeRequest::Whole,
        },
        (false, false) => match (parse(start), parse(end)) {
            (Some(s), Some(e)) if s > e => RangeRequest::Whole,
            (Some(s), Some(_)) if s >= size => RangeRequest::Unsatisfiable,
            (Some(s), Some(e)) => RangeRequest::Part {
                start: s,
                end: e.min(size - 1),
            },
            _ => RangeRequest::Whole,
        },
        (true, true) => RangeRequest::Whole,
    }
}

/// GetObject (`with_body`) or HeadObject.
pub fn get_object(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
    key: &str,
    with_body: bool,
) -> Result<OssResponse, OssError> {
    let object = service
        .store
        .get_object(bucket, key)?
        .ok_or_else(|| OssError::new(404, "NoSuchKey", "The specified key does not exist."))?;
    let size = object.data.len() as u64;
    let last_modified =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(object.meta.last_modified);
    let mut response = OssResponse::empty(200)
        .with_header("Content-Type", object.meta.content_type.clone())
        .with_header("ETag", format!("\"{}\"", object.meta.etag))
        .with_header("Last-Modified", httpdate::fmt_http_date(last_modified))
        .with_header("x-oss-hash-crc64ecma", object.meta.crc64.to_string())
        .with_header("x-oss-object-type", "Normal")
        .with_header("Accept-Ranges", "bytes");
    for (name, value) in &object.meta.user_meta {
        response = response.with_header(name, value.clone());
    }
    let range = if with_body {
        resolve_range(request.header("range"), size)
    } else {
        RangeRequest::Whole
    };
    match range {
        RangeRequest::Whole => {
            if with_body {
                response.body = object.data;
            } else {
                response = response.with_header("Content-Length", size.to_string());
            }
        }
        RangeRequest::Part { start, end } => {
            response.status = 206;
            response = response.with_header("Content-Range", format!("bytes {start}-{end}/{size}"));
            response.body = object.data.slice(start as usize..=end as usize);
        }
        RangeRequest::Unsatisfiable => {
            let mut error = OssError::new(
                416,
                "InvalidRange",
                "The requested range cannot be satisfied.",
            );
            error
                .extra
                .push(("ActualObjectSize".into(), size.to_string()));
            return Err(error);
        }
    }
    Ok(response)
}

/// DeleteObject: 204 whether or not the key existed.
pub async fn delete_object(
    service: &Service,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    service
        .with_store(move |store| store.delete_object(&bucket, &key))
        .await?;
    Ok(OssResponse::empty(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_resolve_like_oss() {
        assert_eq!(
            resolve_range(Some("bytes=0-1"), 10),
            RangeRequest::Part { start: 0, end: 1 }
        );
        assert_eq!(
            resolve_range(Some("bytes=5-"), 10),
            RangeRequest::Part { start: 5, end: 9 }
        );
        assert_eq!(
            resolve_range(Some("bytes=-3"), 10),
            RangeRequest::Part { start: 7, end: 9 }
        );
        assert_eq!(
            resolve_range(Some("bytes=-30"), 10),
            RangeRequest::Part { start: 0, end: 9 }
        );
        assert_eq!(
            resolve_range(Some("bytes=8-100"), 10),
            RangeRequest::Part { start: 8, end: 9 }
        );
        assert_eq!(
            resolve_range(Some("bytes=10-12"), 10),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(resolve_range(Some("bytes=5-2"), 10), RangeRequest::Whole);
        assert_eq!(resolve_range(Some("bytes=a-b"), 10), RangeRequest::Whole);
        assert_eq!(
            resolve_range(Some("bytes=0-1,3-4"), 10),
            RangeRequest::Whole
        );
        assert_eq!(resolve_range(Some("items=0-1"), 10), RangeRequest::Whole);
        assert_eq!(resolve_range(None, 10), RangeRequest::Whole);
        assert_eq!(
            resolve_range(Some("bytes=0-0"), 0),
            RangeRequest::Unsatisfiable
        );
    }
}
