//! GetObject (with Range), HeadObject and DeleteObject.

use std::time::{Duration, UNIX_EPOCH};

use super::blob::Blob;
use super::conditions::{evaluate, precondition_failed, Precondition, PLAIN};
use super::metadata::{apply_response_overrides, object_headers};
use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::{ObjectMeta, ObjectType, StoredObject};
use cbspec_protocol::routing::Resource;

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

/// 404 NoSuchKey.
pub fn no_such_key() -> OssError {
    let mut error = OssError::new(404, "NoSuchKey", "The specified key does not exist.");
    error.ec = Some("0026-00000001");
    error
}

/// The object at a key, or 404 NoSuchKey.
pub fn existing(service: &Service, bucket: &str, key: &str) -> Result<StoredObject, OssError> {
    service
        .store
        .get_object(bucket, key)?
        .ok_or_else(no_such_key)
}

/// What a read of `key` serves: the object itself, or for a symlink its
/// target (a missing target, or one that is itself a symlink, is an error).
pub fn resolve_symlink(
    service: &Service,
    bucket: &str,
    object: StoredObject,
) -> Result<StoredObject, OssError> {
    let Some(target) = &object.meta.symlink_target else {
        return Ok(object);
    };
    let Some(target) = service.store.get_object(bucket, target)? else {
        let mut error = OssError::new(
            404,
            "SymlinkTargetNotExist",
            "The symlink target object does not exist.",
        );
        error.ec = Some("0026-00000012");
        return Err(error);
    };
    if target.meta.symlink_target.is_some() {
        let mut error = OssError::new(
            400,
            "InvalidTargetType",
            "The symbolic's target file type is invalid",
        );
        error.ec = Some("0026-00000011");
        return Err(error);
    }
    Ok(target)
}

/// Whether an archived object can be read now (a restore has completed and
/// not expired); always true for the other classes.
pub fn readable_now(meta: &ObjectMeta) -> bool {
    if !meta.storage_class.needs_restore() {
        return true;
    }
    let now_ms = now_millis();
    meta.restore
        .is_some_and(|r| r.ready_at_ms <= now_ms && now_ms / 1000 < r.expires_at)
}

/// 403 InvalidObjectState: an archived object read before its restore.
pub fn invalid_object_state() -> OssError {
    let mut error = OssError::new(
        403,
        "InvalidObjectState",
        "The operation is not valid for the object's state",
    );
    error.ec = Some("0016-00000330");
    error
}

/// The `x-oss-restore` value while a restore stands.
pub fn restore_header(meta: &ObjectMeta) -> Option<String> {
    let restore = meta.restore?;
    let now_ms = now_millis();
    if now_ms / 1000 >= restore.expires_at {
        return None;
    }
    Some(if now_ms < restore.ready_at_ms {
        "ongoing-request=\"true\"".to_owned()
    } else {
        let expiry = UNIX_EPOCH + Duration::from_secs(restore.expires_at);
        format!(
            "ongoing-request=\"false\", expiry-date=\"{}\"",
            httpdate::fmt_http_date(expiry)
        )
    })
}

/// Milliseconds since the epoch, now.
pub fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// GetObject (`with_body`) or HeadObject: through a symlink to its target,
/// after the conditions, with a range and the `response-*` overrides.
pub fn get_object(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
    with_body: bool,
) -> Result<OssResponse, OssError> {
    let object = existing(service, bucket, key)?;
    let link_type = object
        .meta
        .symlink_target
        .as_ref()
        .map(|_| object.meta.object_type);
    let link_modified = object.meta.last_modified;
    let mut content = resolve_symlink(service, bucket, object)?;
    if with_body && !readable_now(&content.meta) {
        return Err(invalid_object_state());
    }
    // OSS answers Content-MD5 for a Normal object (a symlink's target
    // included), not for Multipart or Appendable ones, whose ETag is not
    // their MD5.
    // A Normal object's ETag is its MD5, so the body is not read again.
    let content_md5 = (content.meta.object_type == ObjectType::Normal)
        .then(|| hex::decode(&content.meta.etag).ok())
        .flatten()
        .map(|md5| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(md5)
        });
    if let Some(object_type) = link_type {
        content.meta.object_type = object_type;
        content.meta.last_modified = content.meta.last_modified.max(link_modified);
    }
    let meta = &content.meta;
    match evaluate(PLAIN, &request.headers, &meta.etag, meta.last_modified) {
        Precondition::Proceed => {}
        Precondition::NotModified => {
            let last_modified = UNIX_EPOCH + Duration::from_secs(meta.last_modified);
            return Ok(OssResponse::empty(304)
                .with_header("ETag", format!("\"{}\"", meta.etag))
                .with_header("Last-Modified", httpdate::fmt_http_date(last_modified)));
        }
        Precondition::Failed(header) => return Err(precondition_failed(header)),
    }
    let size = content.data.len();
    let mut response = object_headers(meta, OssResponse::empty(200));
    if let Some(md5) = content_md5 {
        response = response.with_header("Content-MD5", md5);
    }
    if let Some(restore) = restore_header(meta) {
        response = response.with_header("x-oss-restore", restore);
    }
    if meta.object_type == ObjectType::Appendable {
        response = response.with_header("x-oss-next-append-position", size.to_string());
    }
    let range = if with_body {
        resolve_range(request.header("range"), size)
    } else {
        RangeRequest::Whole
    };
    match range {
        RangeRequest::Whole => {
            if with_body {
                response = with_content(response, content.data);
            } else {
                response = response.with_header("Content-Length", size.to_string());
            }
        }
        RangeRequest::Part { start, end } => {
            response.status = 206;
            response = response.with_header("Content-Range", format!("bytes {start}-{end}/{size}"));
            response = with_content(response, content.data.slice(start, end - start + 1));
        }
        RangeRequest::Unsatisfiable => return Err(OssError::invalid_range(size)),
    }
    if with_body {
        apply_response_overrides(&mut response, &resource.query);
    }
    Ok(response)
}

/// An answer carrying stored bytes: in the body when they are in memory,
/// streamed from their file otherwise.
// spec: CB-EMU-STREAMING
fn with_content(mut response: OssResponse, data: Blob) -> OssResponse {
    match data {
        Blob::Memory(bytes) => response.body = bytes,
        file => response.stream = Some(file),
    }
    response
}

/// GetObjectMeta (`HEAD ?objectMeta`): only the headers the API reference
/// lists (no Content-Type, no user metadata).
pub fn get_object_meta(
    service: &Service,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let object = existing(service, bucket, key)?;
    let last_modified = UNIX_EPOCH + Duration::from_secs(object.meta.last_modified);
    Ok(OssResponse::empty(200)
        .with_header("Content-Length", object.data.len().to_string())
        .with_header("ETag", format!("\"{}\"", object.meta.etag))
        .with_header("Last-Modified", httpdate::fmt_http_date(last_modified))
        .with_header("x-oss-hash-crc64ecma", object.meta.crc64.to_string()))
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
