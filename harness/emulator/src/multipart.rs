//! Multipart upload: initiate, upload part, complete (with callback), abort,
//! list parts.

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::response::{OssError, OssResponse};
use super::service::{user_meta, OssRequest, Service, StoredUpload, DEFAULT_CONTENT_TYPE};
use super::store::{now_secs, Part, Upload};
use super::xml::{
    self, CompleteMultipartUpload, CompleteMultipartUploadResult, InitiateMultipartUploadResult,
    ListPartsResult, PartEntry,
};
use cbspec_protocol::auth::format_iso8601_extended;
use cbspec_protocol::checksum;
use cbspec_protocol::routing::Resource;

/// The smallest part OSS accepts, except for the last one.
pub const MIN_PART_SIZE: usize = 100 * 1024;

fn encoded_key(resource: &Resource, key: &str) -> (String, Option<String>) {
    if resource.param("encoding-type") == Some("url") {
        (
            utf8_percent_encode(key, NON_ALPHANUMERIC).to_string(),
            Some("url".into()),
        )
    } else {
        (key.to_owned(), None)
    }
}

fn upload_id_of(resource: &Resource) -> Result<&str, OssError> {
    resource
        .param("uploadId")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| OssError::invalid_argument("uploadId is required."))
}

/// InitiateMultipartUpload.
pub fn initiate(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    if !service.store.bucket_exists(bucket) {
        return Err(OssError::no_such_bucket());
    }
    let upload_id = hex::encode_upper(rand::random::<[u8; 16]>());
    let content_type = request
        .header("content-type")
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_CONTENT_TYPE)
        .to_owned();
    service.store.create_upload(
        bucket,
        &upload_id,
        Upload {
            key: key.to_owned(),
            content_type,
            parts: Default::default(),
        },
    )?;
    let (key, encoding_type) = encoded_key(resource, key);
    let result = InitiateMultipartUploadResult {
        bucket: bucket.to_owned(),
        key,
        upload_id,
        encoding_type,
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("InitiateMultipartUploadResult", &result),
    ))
}

/// UploadPart.
pub fn upload_part(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let upload_id = upload_id_of(resource)?;
    let number = resource
        .param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            OssError::invalid_argument("partNumber must be an integer from 1 to 10000.")
        })?;
    let data = request.body.clone();
    let md5 = checksum::md5(&data);
    if let Some(sent) = request.header("content-md5") {
        if sent.trim() != checksum::content_md5(&data) {
            return Err(OssError::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.",
            ));
        }
    }
    service.store.put_part(
        bucket,
        key,
        upload_id,
        number,
        Part {
            data,
            md5,
            last_modified: now_secs(),
        },
    )?;
    Ok(OssResponse::empty(200).with_header("ETag", format!("\"{}\"", hex::encode_upper(md5))))
}

/// CompleteMultipartUpload, with its callback (header or query carrier).
pub async fn complete(
    service: &Arc<Service>,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let upload_id = upload_id_of(resource)?.to_owned();
    // spec: CB-MPU-COMPLETE-ONLY, CB-OUT-VALIDATION-NO-STORE
    let callback = service.header_or_query_callback(request, resource)?;
    let upload = service.store.get_upload(bucket, key, &upload_id)?;
    let body =
        std::str::from_utf8(&request.body).map_err(|_| malformed("the body is not UTF-8"))?;
    // The deserializer ignores the root element's name; OSS does not.
    if xml::root_element(body).as_deref() != Some("CompleteMultipartUpload") {
        return Err(malformed(
            "the root element must be <CompleteMultipartUpload>",
        ));
    }
    let doc: CompleteMultipartUpload =
        quick_xml::de::from_str(body).map_err(|e| malformed(&e.to_string()))?;
    if doc.parts.is_empty() {
        return Err(malformed("no <Part> elements"));
    }
    let mut previous = 0;
    let mut data = Vec::new();
    let mut md5s = Vec::new();
    for (i, named) in doc.parts.iter().enumerate() {
        if named.part_number <= previous {
            return Err(OssError::new(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."));
        }
        previous = named.part_number;
        let part = upload.parts.get(&named.part_number).filter(|p| {
            named
                .etag
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case(&hex::encode_upper(p.md5))
        });
        let Some(part) = part else {
            return Err(OssError::new(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag."));
        };
        if i + 1 < doc.parts.len() && part.data.len() < MIN_PART_SIZE {
            return Err(OssError::new(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size (100 KB for every part but the last)."));
        }
        data.extend_from_slice(&part.data);
        md5s.push(part.md5);
    }
    let data = bytes::Bytes::from(data);
    let stored = StoredUpload {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        // spec: CB-CHK-ETAG-MPU, CB-MPU-SIZE, CB-MPU-CONTENTMD5-EMPTY
        etag: checksum::multipart_etag(&md5s),
        crc64: checksum::crc64(&data),
        size: data.len() as u64,
        content_type: upload.content_type.clone(),
        content_md5: None,
        operation: "CompleteMultipartUpload",
        data,
    };
    service.store_object(&stored, user_meta(request)).await?;
    service.store.remove_upload(bucket, key, &upload_id)?;
    let (encoded, encoding_type) = encoded_key(resource, key);
    let result = CompleteMultipartUploadResult {
        encoding_type,
        location: format!("/{bucket}/{key}"),
        bucket: bucket.to_owned(),
        key: encoded,
        etag: format!("\"{}\"", stored.etag),
    };
    let plain = OssResponse::xml(200, xml::to_xml("CompleteMultipartUploadResult", &result));
    Ok(service
        .finish_upload(request, &stored, callback, plain)
        .await)
}

fn malformed(detail: &str) -> OssError {
    OssError::new(400, "MalformedXML", format!("The XML you provided was not well-formed or did not validate against our published schema: {detail}."))
}

/// AbortMultipartUpload.
pub fn abort(
    service: &Service,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    service
        .store
        .remove_upload(bucket, key, upload_id_of(resource)?)?;
    Ok(OssResponse::empty(204))
}

/// ListParts.
pub fn list_parts(
    service: &Service,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let upload_id = upload_id_of(resource)?;
    let upload = service.store.get_upload(bucket, key, upload_id)?;
    let marker = resource
        .param("part-number-marker")
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let max_parts = resource
        .param("max-parts")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| (1..=1000).contains(m))
        .unwrap_or(1000);
    let remaining: Vec<_> = upload.parts.range(marker + 1..).collect();
    let truncated = remaining.len() > max_parts;
    let parts: Vec<PartEntry> = remaining
        .into_iter()
        .take(max_parts)
        .map(|(number, part)| PartEntry {
            part_number: *number,
            last_modified: format_iso8601_extended(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(part.last_modified),
            ),
            etag: format!("\"{}\"", hex::encode_upper(part.md5)),
            size: part.data.len() as u64,
        })
        .collect();
    let result = ListPartsResult {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        upload_id: upload_id.to_owned(),
        part_number_marker: marker,
        next_part_number_marker: parts.last().map_or(marker, |p| p.part_number),
        max_parts,
        is_truncated: truncated,
        parts,
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("ListPartsResult", &result),
    ))
}
