//! AppendObject (`POST /key?append&position=N`): each append must start at
//! the object's current length; the first one creates an Appendable object
//! and sets its metadata.

use super::metadata::UploadMeta;
use super::response::{OssError, OssResponse};
use super::service::{check_content_md5, OssRequest, Service};
use super::store::{ObjectMeta, ObjectType, StoredObject};
use cbspec_protocol::checksum;
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
    check_content_md5(request, &checksum::content_md5(&request.body))?;
    // Checked before the store is touched, so a bad header changes nothing.
    let first_meta = UploadMeta::from_headers(&request.headers)?;
    let content_type = super::metadata::content_type_of(&request.headers);
    let body = request.body.clone();
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    let (length, crc64, etag) = service
        .with_store_result(move |store| {
            store.modify_object(&bucket, &key, |current| {
                let (mut data, mut meta) = match current {
                    None if position != 0 => return Err(position_error(0)),
                    None => {
                        let mut meta = ObjectMeta::new(content_type, String::new(), 0);
                        first_meta.apply(&mut meta);
                        meta.object_type = ObjectType::Appendable;
                        (Vec::new(), meta)
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
                    Some(object) if object.data.len() as u64 != position => {
                        return Err(position_error(object.data.len() as u64))
                    }
                    Some(object) => (object.data.to_vec(), object.meta.clone()),
                };
                if data.len() as u64 + body.len() as u64 > MAX_APPENDABLE_BYTES {
                    return Err(OssError::new(
                        400,
                        "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size of an appendable object (5 GiB).",
                    ));
                }
                data.extend_from_slice(&body);
                // OSS reports the CRC-64 of the whole object, not of the
                // appended bytes.
                meta.crc64 = checksum::crc64(&data);
                meta.etag = checksum::etag(&data);
                meta.last_modified = super::store::now_secs();
                let summary = (data.len() as u64, meta.crc64, meta.etag.clone());
                Ok::<_, OssError>((
                    Some(StoredObject {
                        data: data.into(),
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
