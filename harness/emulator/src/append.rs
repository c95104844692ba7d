//! AppendObject (`POST /key?append&position=N`): each append must start at
//! the object's current length; the first one creates an Appendable object
//! and sets its metadata.

use super::blob::Blob;
use super::metadata::UploadMeta;
use super::response::{storage_failure, OssError, OssResponse};
use super::service::{check_content_md5, OssRequest, Service};
use super::spool::concatenate;
use super::store::{ObjectMeta, ObjectType, StoredObject};
use cbspec_protocol::routing::Resource;

/// The largest appendable object (5 GiB, as OSS).
pub const MAX_APPENDABLE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Why an append was refused, with the length to resume from.
fn position_error(length: u64) -> OssError {
    let mut error = OssError::new(
        409,
        "PositionNotEqualToLength",
        "Position is not equal to file length",
    );
    error.ec = Some("0026-00000016");
    error
        .headers
        .push(("x-oss-next-append-position".into(), length.to_string()));
    error
}

/// AppendObject.
pub async fn append_object(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let position: u64 = match resource.param("position") {
        Some(text) => text.parse().map_err(|_| {
            let mut error = OssError::invalid_argument("position must be a non-negative integer.");
            error.argument = Some(Box::new(("position".into(), text.to_owned())));
            error
        })?,
        None => {
            let mut error =
                OssError::new(400, "MissingArgument", "Missing Some Required Arguments.");
            error.ec = Some("0016-00000501");
            error.argument = Some(Box::new(("position".into(), String::new())));
            return Err(error);
        }
    };
    check_content_md5(request, &request.payload.digests().content_md5())?;
    // Checked before the store is touched, so a bad header changes nothing.
    let first_meta = UploadMeta::from_headers(&request.headers)?;
    let content_type = super::metadata::content_type_of(&request.headers);
    let body = request.payload.blob.clone();
    let spool = service.store.spool_settings();
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    let (length, crc64, etag) = service
        .with_store_result(move |store| {
            store.modify_object(&bucket, &key, |current| {
                let (data, mut meta) = match current {
                    None if position != 0 => return Err(position_error(0)),
                    None => {
                        let mut meta = ObjectMeta::new(content_type, String::new(), 0);
                        first_meta.apply(&mut meta);
                        meta.object_type = ObjectType::Appendable;
                        (Blob::default(), meta)
                    }
                    Some(object) if object.meta.object_type != ObjectType::Appendable => {
                        let mut error = OssError::new(
                            409,
                            "ObjectNotAppendable",
                            "The object is not appendable",
                        );
                        error.ec = Some("0026-00000017");
                        return Err(error);
                    }
                    Some(object) if object.data.len() != position => {
                        return Err(position_error(object.data.len()))
                    }
                    Some(object) => (object.data.clone(), object.meta.clone()),
                };
                if data.len() + body.len() > MAX_APPENDABLE_BYTES {
                    return Err(OssError::new(
                        400,
                        "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size of an appendable object (5 GiB).",
                    ));
                }
                // The old bytes and the new are joined chunk by chunk (a
                // file when large), under the store lock so the position
                // check and the write are one step. OSS reports the CRC-64
                // of the whole object, not of the appended bytes.
                let joined = concatenate(&spool, &[data, body])
                    .map_err(|e| storage_failure(&e))?;
                meta.crc64 = joined.digests().crc64;
                meta.etag = joined.digests().etag();
                meta.last_modified = super::store::now_secs();
                let summary = (joined.digests().len, meta.crc64, meta.etag.clone());
                Ok::<_, OssError>((
                    Some(StoredObject {
                        data: joined.blob,
                        meta,
                    }),
                    summary,
                ))
            })
        })
        .await?;
    Ok(OssResponse::empty(200)
        .with_header("ETag", format!("\"{etag}\""))
        .with_header("x-oss-next-append-position", length.to_string())
        .with_header("x-oss-hash-crc64ecma", crc64.to_string()))
}
