//! Bucket operations: PutBucket, DeleteBucket, HeadBucket, ListBuckets and
//! ListObjects (v1 and v2 basics).

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::metadata::{invalid_storage_class, parse_acl, BUCKET_ACLS};
use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::{BucketConfig, ListEntry, ListQuery, StorageClass};
use super::xml::{self, parse_document, CommonPrefix, ListBucketResult, ObjectEntry};
use cbspec_protocol::auth::format_iso8601_extended;
use cbspec_protocol::routing::Resource;

/// OSS bucket names: 3 to 63 characters, lower-case letters, digits and
/// hyphens, not starting or ending with a hyphen.
pub fn is_valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

fn iso(secs: u64) -> String {
    format_iso8601_extended(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// `CreateBucketConfiguration`, PutBucket's optional body.
#[derive(Debug, serde::Deserialize)]
struct CreateBucketConfiguration {
    #[serde(rename = "StorageClass")]
    storage_class: Option<String>,
}

/// PutBucket: `x-oss-acl` and the body's StorageClass set the new bucket's
/// configuration. On a bucket the caller owns already it succeeds (OSS
/// answers the owner 200) and an `x-oss-acl` changes its ACL.
pub async fn put_bucket(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    if !is_valid_bucket_name(bucket) {
        return Err(OssError::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    let acl = match request.header("x-oss-acl") {
        None => None,
        Some(text) => Some(parse_acl(text, &BUCKET_ACLS, "x-oss-acl")?),
    };
    let storage_class = if request.body.is_empty() {
        StorageClass::Standard
    } else {
        let doc: CreateBucketConfiguration =
            parse_document(&request.body, "CreateBucketConfiguration")?;
        match doc.storage_class {
            None => StorageClass::Standard,
            Some(text) => StorageClass::parse(&text).ok_or_else(|| invalid_storage_class(&text))?,
        }
    };
    let config = BucketConfig {
        acl: acl.clone().unwrap_or_else(|| "private".to_owned()),
        storage_class,
        ..BucketConfig::default()
    };
    let name = bucket.to_owned();
    let created = service
        .with_store(move |store| store.create_bucket(&name, config))
        .await?;
    if !created {
        if let Some(acl) = acl {
            service
                .modify_bucket_config(bucket, move |config| {
                    config.acl = acl;
                    Ok(())
                })
                .await?;
        }
    }
    Ok(OssResponse::empty(200).with_header("Location", format!("/{bucket}")))
}

/// DeleteBucket.
pub async fn delete_bucket(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    let name = bucket.to_owned();
    service
        .with_store(move |store| store.delete_bucket(&name))
        .await?;
    Ok(OssResponse::empty(204))
}

/// HeadBucket-style existence check.
pub fn head_bucket(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    if service.store.bucket_exists(bucket) {
        Ok(OssResponse::empty(200))
    } else {
        Err(OssError::no_such_bucket())
    }
}

/// ListObjects v1 (`marker`) and v2 (`list-type=2`, `continuation-token`,
/// `start-after`), with `prefix`, `delimiter`, `max-keys` and
/// `encoding-type=url`.
pub fn list_objects(
    service: &Service,
    bucket: &str,
    resource: &Resource,
) -> Result<OssResponse, OssError> {
    let v2 = resource.param("list-type") == Some("2");
    let prefix = resource.param("prefix").unwrap_or("").to_owned();
    let delimiter = resource.param("delimiter").unwrap_or("").to_owned();
    let max_keys = match resource.param("max-keys") {
        None => 100,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(OssError::invalid_argument(
                    "max-keys must be an integer from 1 to 1000.",
                ))
            }
        },
    };
    let url_encode = resource.param("encoding-type") == Some("url");
    // V1 lists the owner of every object; V2 only when asked.
    let with_owner = !v2 || resource.param("fetch-owner") == Some("true");
    let after = if v2 {
        resource
            .param("continuation-token")
            .or(resource.param("start-after"))
            .unwrap_or("")
            .to_owned()
    } else {
        resource.param("marker").unwrap_or("").to_owned()
    };

    let mut contents = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut last_key = String::new();
    let page = service.store.list_page(
        bucket,
        &ListQuery {
            prefix: &prefix,
            after: &after,
            delimiter: &delimiter,
            max: max_keys,
        },
    )?;
    let truncated = page.truncated;
    for entry in page.entries {
        match entry {
            ListEntry::Prefix(common) => {
                last_key = common.clone();
                prefixes.push(common);
            }
            ListEntry::Object(key, meta, size) => {
                last_key = key.clone();
                contents.push(ObjectEntry {
                    key: encode_if(url_encode, &key),
                    last_modified: iso(meta.last_modified),
                    etag: format!("\"{}\"", meta.etag),
                    kind: meta.object_type.as_str().into(),
                    size,
                    storage_class: meta.storage_class.as_str().into(),
                    owner: with_owner.then(|| service.owner()),
                });
            }
        }
    }
    let next = truncated.then(|| encode_if(url_encode, &last_key));
    let key_count = contents.len() + prefixes.len();
    let result = ListBucketResult {
        name: bucket.to_owned(),
        prefix: encode_if(url_encode, &prefix),
        marker: (!v2).then(|| encode_if(url_encode, &after)),
        start_after: if v2 {
            resource
                .param("start-after")
                .map(|s| encode_if(url_encode, s))
        } else {
            None
        },
        continuation_token: if v2 {
            resource.param("continuation-token").map(str::to_owned)
        } else {
            None
        },
        max_keys,
        delimiter: encode_if(url_encode, &delimiter),
        encoding_type: url_encode.then(|| "url".to_owned()),
        is_truncated: truncated,
        next_marker: if v2 { None } else { next.clone() },
        next_continuation_token: if v2 { next } else { None },
        key_count: v2.then_some(key_count),
        contents,
        common_prefixes: prefixes
            .into_iter()
            .map(|p| CommonPrefix {
                prefix: encode_if(url_encode, &p),
            })
            .collect(),
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("ListBucketResult", &result),
    ))
}

fn encode_if(encode: bool, text: &str) -> String {
    if encode {
        utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
    } else {
        text.to_owned()
    }
}
