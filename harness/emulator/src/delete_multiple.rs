//! DeleteMultipleObjects (`POST /?delete`): up to 1,000 keys in one XML
//! document, quiet or verbose, keys URL-encoded with `encoding-type=url`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};

use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::xml::{self, malformed_xml, parse_document};
use cbspec_protocol::checksum;
use cbspec_protocol::routing::{check_object_key, Resource};

/// The most keys one request may delete.
pub const MAX_KEYS: usize = 1000;

#[derive(Debug, Deserialize)]
struct Delete {
    #[serde(rename = "Quiet", default)]
    quiet: Option<String>,
    #[serde(rename = "Object", default)]
    objects: Vec<DeleteObject>,
}

#[derive(Debug, Deserialize)]
struct DeleteObject {
    #[serde(rename = "Key")]
    key: Option<String>,
}

#[derive(Debug, Serialize)]
struct DeleteResult {
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    encoding_type: Option<String>,
    #[serde(rename = "Deleted")]
    deleted: Vec<Deleted>,
}

#[derive(Debug, Serialize)]
struct Deleted {
    #[serde(rename = "Key")]
    key: String,
}

/// DeleteMultipleObjects. Content-MD5 is required (OSS refuses the request
/// without it); every key is checked before any is deleted.
pub async fn delete_multiple(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let Some(sent) = request.header("content-md5") else {
        let mut error = OssError::new(400, "MissingArgument", "Missing Some Required Arguments.");
        error.ec = Some("0016-00000606");
        error.argument = Some(Box::new(("Content-MD5".into(), String::new())));
        return Err(error);
    };
    if sent.trim() != checksum::content_md5(&request.body) {
        return Err(OssError::invalid_digest());
    }
    if !service.store.bucket_exists(bucket) {
        return Err(OssError::no_such_bucket());
    }
    let doc: Delete = parse_document(&request.body, "Delete")?;
    let quiet = match doc.quiet.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(malformed_xml()),
    };
    if doc.objects.is_empty() || doc.objects.len() > MAX_KEYS {
        return Err(malformed_xml());
    }
    let url_encoded = resource.param("encoding-type") == Some("url");
    let mut keys = Vec::with_capacity(doc.objects.len());
    for object in doc.objects {
        let raw = object.key.ok_or_else(malformed_xml)?;
        let key = if url_encoded {
            percent_decode_str(&raw)
                .decode_utf8()
                .map_err(|_| malformed_xml())?
                .into_owned()
        } else {
            raw
        };
        check_object_key(&key).map_err(OssError::invalid_object_name)?;
        keys.push(key);
    }
    let bucket_name = bucket.to_owned();
    let to_delete = keys.clone();
    service
        .with_store(move |store| {
            to_delete
                .iter()
                .try_for_each(|key| store.delete_object(&bucket_name, key))
        })
        .await?;
    let result = DeleteResult {
        encoding_type: url_encoded.then(|| "url".to_owned()),
        deleted: if quiet {
            Vec::new()
        } else {
            keys.into_iter()
                .map(|key| Deleted {
                    key: if url_encoded {
                        utf8_percent_encode(&key, NON_ALPHANUMERIC).to_string()
                    } else {
                        key
                    },
                })
                .collect()
        },
    };
    Ok(OssResponse::xml(200, xml::to_xml("DeleteResult", &result)))
}
