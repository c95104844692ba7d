//! What an object carries besides its bytes, through its sub-resources:
//! `?acl` (Put/GetObjectACL), `?tagging` (Put/Get/DeleteObjectTagging),
//! `?symlink` (Put/GetSymlink) and `?restore` (RestoreObject). Bucket ACLs
//! share the ACL document and live here too.

use std::sync::Arc;

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::metadata::{check_tags, parse_acl, UploadMeta, BUCKET_ACLS, OBJECT_ACLS};
use super::objects::{existing, no_such_key, now_millis};
use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::{now_secs, ObjectMeta, ObjectType, RestoreState, StoredObject};
use super::xml::{self, parse_document, Owner};
use cbspec_protocol::routing::check_object_key;

/// `AccessControlPolicy`, the answer of GetObjectACL and GetBucketACL.
#[derive(Debug, Serialize)]
struct AccessControlPolicy {
    #[serde(rename = "Owner")]
    owner: Owner,
    #[serde(rename = "AccessControlList")]
    list: AccessControlList,
}

#[derive(Debug, Serialize)]
struct AccessControlList {
    #[serde(rename = "Grant")]
    grant: String,
}

fn acl_document(service: &Service, grant: String) -> OssResponse {
    let policy = AccessControlPolicy {
        owner: service.owner(),
        list: AccessControlList { grant },
    };
    OssResponse::xml(200, xml::to_xml("AccessControlPolicy", &policy))
}

/// Changes one object's metadata under the store lock; 404 when absent.
async fn modify_meta<T: Send + 'static>(
    service: &Service,
    bucket: &str,
    key: &str,
    change: impl FnOnce(&mut ObjectMeta) -> Result<T, OssError> + Send + 'static,
) -> Result<T, OssError> {
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    service
        .with_store_result(move |store| {
            store.modify_object(&bucket, &key, |current| {
                let mut object = current.cloned().ok_or_else(no_such_key)?;
                let result = change(&mut object.meta)?;
                Ok::<_, OssError>((Some(object), result))
            })
        })
        .await
}

/// PutObjectACL: `x-oss-object-acl` on `?acl`.
pub async fn put_object_acl(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let text = request.header("x-oss-object-acl").ok_or_else(|| {
        OssError::invalid_argument("PutObjectACL needs the x-oss-object-acl header.")
    })?;
    let acl = parse_acl(text, &OBJECT_ACLS, "x-oss-object-acl")?;
    modify_meta(service, bucket, key, move |meta| {
        meta.acl = acl;
        Ok(())
    })
    .await?;
    Ok(OssResponse::empty(200))
}

/// GetObjectACL.
pub fn get_object_acl(service: &Service, bucket: &str, key: &str) -> Result<OssResponse, OssError> {
    let object = existing(service, bucket, key)?;
    Ok(acl_document(service, object.meta.acl))
}

/// PutBucketACL: `x-oss-acl` on `?acl`.
pub async fn put_bucket_acl(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let text = request
        .header("x-oss-acl")
        .ok_or_else(|| OssError::invalid_argument("PutBucketACL needs the x-oss-acl header."))?;
    let acl = parse_acl(text, &BUCKET_ACLS, "x-oss-acl")?;
    service
        .modify_bucket_config(bucket, move |config| {
            config.acl = acl;
            Ok(())
        })
        .await?;
    Ok(OssResponse::empty(200))
}

/// GetBucketACL.
pub fn get_bucket_acl(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    let config = service.store.bucket_config(bucket)?;
    Ok(acl_document(service, config.acl))
}

/// `Tagging`, in and out.
#[derive(Debug, Serialize, Deserialize)]
struct Tagging {
    #[serde(rename = "TagSet", default)]
    tag_set: TagSet,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TagSet {
    #[serde(rename = "Tag", default)]
    tags: Vec<Tag>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: String,
}

/// PutObjectTagging: replaces the tag set.
pub async fn put_object_tagging(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let doc: Tagging = parse_document(&request.body, "Tagging")?;
    let tags: Vec<(String, String)> = doc
        .tag_set
        .tags
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    check_tags(&tags)?;
    modify_meta(service, bucket, key, move |meta| {
        meta.tags = tags;
        Ok(())
    })
    .await?;
    Ok(OssResponse::empty(200))
}

/// GetObjectTagging: the tag set (empty when none).
pub fn get_object_tagging(
    service: &Service,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let object = existing(service, bucket, key)?;
    let doc = Tagging {
        tag_set: TagSet {
            tags: object
                .meta
                .tags
                .into_iter()
                .map(|(key, value)| Tag { key, value })
                .collect(),
        },
    };
    Ok(OssResponse::xml(200, xml::to_xml("Tagging", &doc)))
}

/// DeleteObjectTagging.
pub async fn delete_object_tagging(
    service: &Service,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    modify_meta(service, bucket, key, |meta| {
        meta.tags.clear();
        Ok(())
    })
    .await?;
    Ok(OssResponse::empty(204))
}

/// PutSymlink: `x-oss-symlink-target` (URL-encoded) names the target,
/// which need not exist; the link takes the metadata headers of the
/// request.
pub async fn put_symlink(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let encoded = request.header("x-oss-symlink-target").ok_or_else(|| {
        OssError::invalid_argument("PutSymlink needs the x-oss-symlink-target header.")
    })?;
    let target = percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| OssError::invalid_argument("x-oss-symlink-target is not URL-encoded UTF-8."))?
        .into_owned();
    check_object_key(&target).map_err(OssError::invalid_object_name)?;
    let upload_meta = UploadMeta::from_headers(&request.headers)?;
    let etag = hex::encode_upper(cbspec_protocol::checksum::md5(target.as_bytes()));
    let content_type = super::metadata::content_type_of(&request.headers);
    let mut meta = ObjectMeta::new(content_type, etag.clone(), 0);
    upload_meta.apply(&mut meta);
    meta.object_type = ObjectType::Symlink;
    meta.symlink_target = Some(target);
    let object = StoredObject {
        data: Default::default(),
        meta,
    };
    let (bucket, key) = (bucket.to_owned(), key.to_owned());
    service
        .with_store(move |store| store.put_object(&bucket, &key, object))
        .await?;
    Ok(OssResponse::empty(200).with_header("ETag", format!("\"{etag}\"")))
}

/// GetSymlink: the target in `x-oss-symlink-target` (URL-encoded).
pub fn get_symlink(service: &Service, bucket: &str, key: &str) -> Result<OssResponse, OssError> {
    let object = existing(service, bucket, key)?;
    let Some(target) = &object.meta.symlink_target else {
        return Err(OssError::new(
            400,
            "NotSymlink",
            "The specified object is not a symlink.",
        ));
    };
    let last_modified =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(object.meta.last_modified);
    Ok(OssResponse::empty(200)
        .with_header(
            "x-oss-symlink-target",
            utf8_percent_encode(target, NON_ALPHANUMERIC).to_string(),
        )
        .with_header("ETag", format!("\"{}\"", object.meta.etag))
        .with_header("Last-Modified", httpdate::fmt_http_date(last_modified)))
}

/// `RestoreRequest` (optional body).
#[derive(Debug, Deserialize)]
struct RestoreRequest {
    #[serde(rename = "Days")]
    days: Option<u64>,
}

/// RestoreObject: 202 when a restore starts, 409 while one runs, 200 when
/// the object is restored already (the expiry is extended). The restored
/// copy is readable after the emulator's restore delay.
pub async fn restore_object(
    service: &Arc<Service>,
    request: &OssRequest,
    bucket: &str,
    key: &str,
) -> Result<OssResponse, OssError> {
    let days = if request.body.is_empty() {
        1
    } else {
        let doc: RestoreRequest = parse_document(&request.body, "RestoreRequest")?;
        match doc.days {
            None => 1,
            Some(d) if (1..=365).contains(&d) => d,
            Some(d) => {
                return Err(OssError::invalid_argument(format!(
                    "Days must be from 1 to 365; {d} was given."
                )))
            }
        }
    };
    let delay_ms = service.restore_delay.as_millis() as u64;
    let status = modify_meta(service, bucket, key, move |meta| {
        if !meta.storage_class.needs_restore() {
            let mut error = OssError::new(
                400,
                "OperationNotSupported",
                "The operation is not supported for this resource",
            );
            error.ec = Some("0016-00000702");
            error.extra.push((
                "Detail".into(),
                "RestoreObject operation does not support this object storage class".into(),
            ));
            return Err(error);
        }
        let now_ms = now_millis();
        let expires_at = now_secs() + days * 86_400;
        match meta.restore {
            Some(r) if now_ms < r.ready_at_ms => Err(OssError::new(
                409,
                "RestoreAlreadyInProgress",
                "The restore operation is in progress.",
            )),
            Some(r) if now_ms / 1000 < r.expires_at => {
                meta.restore = Some(RestoreState {
                    ready_at_ms: r.ready_at_ms,
                    expires_at,
                });
                Ok(200)
            }
            _ => {
                meta.restore = Some(RestoreState {
                    ready_at_ms: now_ms + delay_ms,
                    expires_at: expires_at + delay_ms / 1000 + 1,
                });
                Ok(202)
            }
        }
    })
    .await?;
    Ok(OssResponse::empty(status))
}
