//! Multipart upload: initiate, upload part, complete (with callback), abort,
//! list parts.

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::metadata::UploadMeta;
use super::response::{storage_failure, OssError, OssResponse};
use super::service::{check_content_md5, OssRequest, Service, StoredUpload};
use super::spool::{concatenate, Spooled};
use super::store::{
    now_secs, ObjectMeta, ObjectType, Part, Upload, UploadListEntry, UploadListQuery,
};
use super::xml::{
    self, malformed_xml, CompleteMultipartUpload, CompleteMultipartUploadResult, CompletePart,
    InitiateMultipartUploadResult, ListPartsResult, PartEntry,
};
use cbspec_protocol::auth::format_iso8601_extended;
use cbspec_protocol::checksum;
use cbspec_protocol::routing::Resource;

/// The smallest part OSS accepts, except for the last one.
pub const MIN_PART_SIZE: u64 = 100 * 1024;

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
    let content_type = super::metadata::content_type_of(&request.headers);
    // The completed object takes the metadata given here, as in OSS.
    let mut meta = ObjectMeta::new(content_type, String::new(), 0);
    UploadMeta::from_headers(&request.headers)?.apply(&mut meta);
    meta.object_type = ObjectType::Multipart;
    service.store.create_upload(
        bucket,
        &upload_id,
        Upload {
            key: key.to_owned(),
            meta,
            initiated: now_secs(),
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

/// The upload id and part number of UploadPart and UploadPartCopy.
pub fn part_address(resource: &Resource) -> Result<(&str, u32), OssError> {
    let upload_id = upload_id_of(resource)?;
    let number = resource
        .param("partNumber")
        .and_then(|n| n.parse::<u32>().ok())
        .filter(|n| (1..=10_000).contains(n))
        .ok_or_else(|| {
            OssError::invalid_argument("partNumber must be an integer from 1 to 10000.")
        })?;
    Ok((upload_id, number))
}

/// Stores one part (UploadPart, UploadPartCopy); its MD5 (the part's ETag)
/// and CRC-64.
pub fn store_part(
    service: &Service,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    part: Spooled,
) -> Result<([u8; 16], u64), OssError> {
    let digests = part.digests();
    let (md5, crc64) = (digests.md5, digests.crc64);
    let data = part.blob;
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
    Ok((md5, crc64))
}

/// UploadPart: answers the part's ETag (its MD5), CRC-64 and Content-MD5.
pub fn upload_part(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let (upload_id, number) = part_address(resource)?;
    check_content_md5(request, &request.payload.digests().content_md5())?;
    let (md5, crc64) = store_part(
        service,
        bucket,
        key,
        upload_id,
        number,
        request.payload.clone(),
    )?;
    Ok(OssResponse::empty(200)
        .with_header("ETag", format!("\"{}\"", hex::encode_upper(md5)))
        .with_header("x-oss-hash-crc64ecma", crc64.to_string())
        .with_header("Content-MD5", base64_md5(&md5)))
}

fn base64_md5(md5: &[u8; 16]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(md5)
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
    let complete_all = request
        .header("x-oss-complete-all")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    let named: Vec<CompletePart> = if complete_all {
        if !request.body.is_empty() {
            let mut error = OssError::invalid_argument(
                "Should not speficy both complete all header and http body.",
            );
            error.ec = Some("0042-00000216");
            return Err(error);
        }
        // Every part uploaded, in order.
        upload
            .parts
            .iter()
            .map(|(number, part)| CompletePart {
                part_number: *number,
                etag: hex::encode_upper(part.md5),
            })
            .collect()
    } else {
        let doc: CompleteMultipartUpload =
            xml::parse_document(&request.body, "CompleteMultipartUpload")?;
        doc.parts
    };
    if named.is_empty() {
        return Err(malformed_xml());
    }
    let mut previous = 0;
    let mut blobs = Vec::new();
    let mut md5s = Vec::new();
    for (i, part_named) in named.iter().enumerate() {
        if part_named.part_number <= previous {
            return Err(OssError::new(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."));
        }
        previous = part_named.part_number;
        let part = upload.parts.get(&part_named.part_number).filter(|p| {
            part_named
                .etag
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case(&hex::encode_upper(p.md5))
        });
        let Some(part) = part else {
            return Err(OssError::new(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag."));
        };
        if i + 1 < named.len() && part.data.len() < MIN_PART_SIZE {
            return Err(OssError::new(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size (100 KB for every part but the last)."));
        }
        blobs.push(part.data.clone());
        md5s.push(part.md5);
    }
    // The parts are joined chunk by chunk (in memory only when small), off
    // the async workers: a 5 GiB object is a 5 GiB copy, not 5 GiB of RAM.
    let spool = service.store.spool_settings();
    let joined = tokio::task::spawn_blocking(move || concatenate(&spool, &blobs))
        .await
        .map_err(std::io::Error::other)
        .and_then(|joined| joined)
        .map_err(|e| storage_failure(&e))?;
    let digests = joined.digests();
    let data = joined.blob;
    let stored = StoredUpload {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        // spec: CB-CHK-ETAG-MPU, CB-MPU-SIZE, CB-MPU-CONTENTMD5-EMPTY
        etag: checksum::multipart_etag(&md5s),
        crc64: digests.crc64,
        size: digests.len,
        content_type: upload.meta.content_type.clone(),
        content_md5: None,
        operation: "CompleteMultipartUpload",
        data,
    };
    let meta = UploadMeta {
        user_meta: upload.meta.user_meta.clone(),
        headers: upload.meta.headers.clone(),
        storage_class: upload.meta.storage_class,
        acl: upload.meta.acl.clone(),
        tags: upload.meta.tags.clone(),
        forbid_overwrite: false,
    };
    service
        .store_object(&stored, meta, ObjectType::Multipart)
        .await?;
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
    let marker = resource
        .param("part-number-marker")
        .and_then(|m| m.parse::<u32>().ok())
        .unwrap_or(0);
    let max_parts = resource
        .param("max-parts")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| (1..=1000).contains(m))
        .unwrap_or(1000);
    // One more than the page says whether it is truncated; only the page
    // is copied out of the store.
    // spec: CB-EMU-LIST-INDEX
    let mut page = service
        .store
        .parts_page(bucket, key, upload_id, marker, max_parts + 1)?;
    let truncated = page.len() > max_parts;
    page.truncate(max_parts);
    let parts: Vec<PartEntry> = page
        .iter()
        .map(|(number, part)| PartEntry {
            part_number: *number,
            last_modified: format_iso8601_extended(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(part.last_modified),
            ),
            etag: format!("\"{}\"", hex::encode_upper(part.md5)),
            size: part.data.len(),
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

#[derive(Debug, serde::Serialize)]
struct ListMultipartUploadsResult {
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    encoding_type: Option<String>,
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "KeyMarker")]
    key_marker: String,
    #[serde(rename = "UploadIdMarker")]
    upload_id_marker: String,
    #[serde(rename = "NextKeyMarker")]
    next_key_marker: String,
    #[serde(rename = "NextUploadIdMarker")]
    next_upload_id_marker: String,
    #[serde(rename = "Delimiter")]
    delimiter: String,
    #[serde(rename = "Prefix")]
    prefix: String,
    #[serde(rename = "MaxUploads")]
    max_uploads: usize,
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "Upload")]
    uploads: Vec<UploadEntry>,
    #[serde(rename = "CommonPrefixes")]
    common_prefixes: Vec<xml::CommonPrefix>,
}

#[derive(Debug, serde::Serialize)]
struct UploadEntry {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "UploadId")]
    upload_id: String,
    #[serde(rename = "Initiated")]
    initiated: String,
}

/// ListMultipartUploads: ordered by key then upload id, after
/// `key-marker` (and, for that key, after `upload-id-marker`), with
/// `prefix`, `delimiter`, `max-uploads` (1 to 1000) and `encoding-type`.
pub fn list_uploads(
    service: &Service,
    resource: &Resource,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let prefix = resource.param("prefix").unwrap_or("");
    let delimiter = resource.param("delimiter").unwrap_or("");
    let key_marker = resource.param("key-marker").unwrap_or("");
    let id_marker = resource.param("upload-id-marker").unwrap_or("");
    let max_uploads = match resource.param("max-uploads") {
        None => 1000,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                let mut error =
                    OssError::invalid_argument("max-uploads must be an integer from 1 to 1000.");
                error.argument = Some(Box::new(("max-uploads".into(), text.to_owned())));
                return Err(error);
            }
        },
    };
    let url = resource.param("encoding-type") == Some("url");
    let encode = |text: &str| {
        if url {
            utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
        } else {
            text.to_owned()
        }
    };
    let mut uploads = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut next = (String::new(), String::new());
    let page = service.store.list_uploads_page(
        bucket,
        &UploadListQuery {
            prefix,
            key_marker,
            upload_id_marker: id_marker,
            delimiter,
            max: max_uploads,
        },
    )?;
    let truncated = page.truncated;
    for entry in page.entries {
        match entry {
            UploadListEntry::Prefix(common) => {
                next = (common.clone(), String::new());
                prefixes.push(common);
            }
            UploadListEntry::Upload {
                key,
                upload_id,
                initiated,
            } => {
                next = (key.clone(), upload_id.clone());
                uploads.push(UploadEntry {
                    key: encode(&key),
                    upload_id,
                    initiated: format_iso8601_extended(
                        std::time::UNIX_EPOCH + std::time::Duration::from_secs(initiated),
                    ),
                });
            }
        }
    }
    let result = ListMultipartUploadsResult {
        encoding_type: url.then(|| "url".to_owned()),
        bucket: bucket.to_owned(),
        key_marker: encode(key_marker),
        upload_id_marker: id_marker.to_owned(),
        next_key_marker: if truncated {
            encode(&next.0)
        } else {
            String::new()
        },
        next_upload_id_marker: if truncated { next.1 } else { String::new() },
        delimiter: encode(delimiter),
        prefix: encode(prefix),
        max_uploads,
        is_truncated: truncated,
        uploads,
        common_prefixes: prefixes
            .into_iter()
            .map(|p| xml::CommonPrefix { prefix: encode(&p) })
            .collect(),
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("ListMultipartUploadsResult", &result),
    ))
}
