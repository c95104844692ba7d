//! CopyObject and UploadPartCopy: `x-oss-copy-source` names the source,
//! `x-oss-copy-source-if-*` condition it, `x-oss-metadata-directive`
//! chooses whose metadata a copy gets, `x-oss-copy-source-range` picks
//! a part's bytes.

use percent_encoding::percent_decode_str;
use serde::Serialize;

use super::conditions::{evaluate, precondition_failed, Precondition, COPY_SOURCE};
use super::metadata::UploadMeta;
use super::objects::{invalid_object_state, no_such_key, readable_now, resolve_symlink};
use super::response::{storage_failure, OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::spool::concatenate;
use super::store::{now_secs, ObjectType, StoredObject};
use super::xml;
use cbspec_protocol::auth::format_iso8601_extended;
use cbspec_protocol::routing::{check_object_key, Resource};

/// The bucket and key an `x-oss-copy-source` header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// Source bucket.
    pub bucket: String,
    /// Source key, decoded.
    pub key: String,
}

/// Parses `/<bucket>/<URL-encoded key>[?versionId=...]` (the leading `/`
/// optional, as some SDKs omit it).
pub fn parse_copy_source(header: &str) -> Result<CopySource, OssError> {
    let invalid = || {
        let mut error = OssError::invalid_argument(
            "x-oss-copy-source must be /<bucket>/<URL-encoded object key>.",
        );
        error.argument = Some(Box::new(("x-oss-copy-source".into(), header.to_owned())));
        error
    };
    let path = header.trim();
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let (bucket, key) = path.split_once('/').ok_or_else(invalid)?;
    let key = percent_decode_str(key)
        .decode_utf8()
        .map_err(|_| invalid())?
        .into_owned();
    if bucket.is_empty() {
        return Err(invalid());
    }
    check_object_key(&key).map_err(OssError::invalid_object_name)?;
    Ok(CopySource {
        bucket: bucket.to_owned(),
        key,
    })
}

/// The source object, read and checked: it exists, it is readable (an
/// archived object must be restored), and the copy conditions hold.
fn read_source(service: &Service, request: &OssRequest) -> Result<StoredObject, OssError> {
    let header = request.header("x-oss-copy-source").unwrap_or_default();
    let source = parse_copy_source(header)?;
    let object = service
        .store
        .get_object(&source.bucket, &source.key)?
        .ok_or_else(no_such_key)?;
    let object = resolve_symlink(service, &source.bucket, object)?;
    if !readable_now(&object.meta) {
        return Err(invalid_object_state());
    }
    match evaluate(
        COPY_SOURCE,
        &request.headers,
        &object.meta.etag,
        object.meta.last_modified,
    ) {
        Precondition::Proceed => Ok(object),
        Precondition::NotModified => Err(OssError::new(304, "NotModified", "Not Modified")),
        Precondition::Failed(header) => Err(precondition_failed(header)),
    }
}

#[derive(Debug, Serialize)]
struct CopyResult {
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "LastModified")]
    last_modified: String,
}

fn iso_now() -> String {
    format_iso8601_extended(std::time::SystemTime::now())
}

/// CopyObject: same or cross bucket; `COPY` (the default) keeps the
/// source's metadata, `REPLACE` takes the request's (how SDKs update an
/// object's metadata in place).
pub async fn copy_object(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    if !service.store.bucket_exists(bucket) {
        return Err(OssError::no_such_bucket());
    }
    let replace = match request
        .header("x-oss-metadata-directive")
        .map(|d| d.trim().to_ascii_uppercase())
    {
        None => false,
        Some(d) if d == "COPY" => false,
        Some(d) if d == "REPLACE" => true,
        Some(_) => {
            let mut error =
                OssError::invalid_argument("x-oss-metadata-directive must be COPY or REPLACE.");
            error.argument = Some(Box::new((
                "x-oss-metadata-directive".into(),
                request
                    .header("x-oss-metadata-directive")
                    .unwrap_or_default()
                    .to_owned(),
            )));
            return Err(error);
        }
    };
    // Checked before the source is read: a bad header changes nothing.
    let request_meta = UploadMeta::from_headers(&request.headers)?;
    let source = read_source(service, request)?;
    let mut meta = source.meta.clone();
    meta.last_modified = now_secs();
    meta.restore = None;
    if meta.object_type == ObjectType::Appendable {
        meta.object_type = ObjectType::Normal;
    }
    if replace {
        meta.content_type = super::metadata::content_type_of(&request.headers);
        request_meta.apply(&mut meta);
    } else {
        // Storage class, ACL and tags given on the request apply either way.
        if request.header("x-oss-storage-class").is_some() {
            meta.storage_class = request_meta.storage_class;
        }
        if request.header("x-oss-object-acl").is_some() {
            meta.acl = request_meta.acl;
        }
        if request.header("x-oss-tagging").is_some()
            && request
                .header("x-oss-tagging-directive")
                .is_some_and(|d| d.eq_ignore_ascii_case("replace"))
        {
            meta.tags = request_meta.tags;
        }
    }
    let etag = meta.etag.clone();
    let crc64 = meta.crc64;
    let object = StoredObject {
        data: source.data,
        meta,
    };
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    service
        .with_store(move |store| store.put_object(&bucket, &key, object))
        .await?;
    let result = CopyResult {
        etag: format!("\"{etag}\""),
        last_modified: iso_now(),
    };
    // The ETag is in the header too: oss2 and ali-oss read it from there.
    Ok(
        OssResponse::xml(200, xml::to_xml("CopyObjectResult", &result))
            .with_header("ETag", result.etag.clone())
            .with_header("x-oss-hash-crc64ecma", crc64.to_string()),
    )
}

/// Parses `bytes=first-last` against the source size.
pub fn parse_copy_range(header: &str, size: u64) -> Result<(u64, u64), OssError> {
    let invalid = || OssError::invalid_range(size);
    let spec = header.trim().strip_prefix("bytes=").ok_or_else(invalid)?;
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last: u64 = if last.trim().is_empty() {
        size.checked_sub(1).ok_or_else(invalid)?
    } else {
        last.trim().parse().map_err(|_| invalid())?
    };
    if first > last || last >= size {
        return Err(invalid());
    }
    Ok((first, last))
}

/// UploadPartCopy: a part made of the source's bytes (all of them, or the
/// `x-oss-copy-source-range`).
pub async fn upload_part_copy(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let (upload_id, number) = super::multipart::part_address(resource)?;
    // The upload must exist before the source is read.
    service.store.get_upload(bucket, key, upload_id)?;
    let source = read_source(service, request)?;
    let size = source.data.len();
    let data = match request.header("x-oss-copy-source-range") {
        None => source.data,
        Some(range) => {
            let (first, last) = parse_copy_range(range, size)?;
            source.data.slice(first, last - first + 1)
        }
    };
    // The part gets its own copy (hashed on the way, off the async
    // workers), so it never depends on the source staying as it is.
    let spool = service.store.spool_settings();
    let part = tokio::task::spawn_blocking(move || concatenate(&spool, &[data]))
        .await
        .map_err(std::io::Error::other)
        .and_then(|part| part)
        .map_err(|e| storage_failure(&e))?;
    let (md5, crc64) = super::multipart::store_part(service, bucket, key, upload_id, number, part)?;
    let result = CopyResult {
        etag: format!("\"{}\"", hex::encode_upper(md5)),
        last_modified: iso_now(),
    };
    Ok(
        OssResponse::xml(200, xml::to_xml("CopyPartResult", &result))
            .with_header("ETag", result.etag.clone())
            .with_header("x-oss-hash-crc64ecma", crc64.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sources_as_sdks_write_them() {
        assert_eq!(
            parse_copy_source("/src-bucket/dir/a%20b%E4%B8%AD.txt").unwrap(),
            CopySource {
                bucket: "src-bucket".into(),
                key: "dir/a b\u{4e2d}.txt".into()
            }
        );
        assert_eq!(
            parse_copy_source("b/k?versionId=CAEQ").unwrap(),
            CopySource {
                bucket: "b".into(),
                key: "k".into()
            }
        );
        for bad in ["", "/", "/bucket-only", "//k", "/b/%2Fleading"] {
            assert_eq!(parse_copy_source(bad).unwrap_err().status, 400, "{bad:?}");
        }
    }

    #[test]
    fn copy_ranges_must_lie_in_the_source() {
        assert_eq!(parse_copy_range("bytes=0-9", 10).unwrap(), (0, 9));
        assert_eq!(parse_copy_range("bytes=3-", 10).unwrap(), (3, 9));
        for bad in ["bytes=0-10", "bytes=5-4", "0-1", "bytes=a-b", "bytes=-3"] {
            let error = parse_copy_range(bad, 10).unwrap_err();
            assert_eq!((error.status, error.code), (416, "InvalidRange"), "{bad}");
        }
    }
}
