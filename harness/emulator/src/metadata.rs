//! What an upload's headers say about the object besides its bytes (user
//! metadata, the standard headers OSS stores, storage class, ACL, tags),
//! and the headers a GET or HEAD answers with.

use percent_encoding::percent_decode_str;

use super::response::{OssError, OssResponse};
use super::store::{ObjectMeta, StorageClass};
use cbspec_protocol::headers::Headers;

/// The standard headers OSS stores with an object and returns on GET and
/// HEAD, in the spelling it returns them.
pub const STORED_HEADERS: [&str; 7] = [
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Cache-Control",
    "Expires",
    "x-oss-server-side-encryption",
    "x-oss-server-side-encryption-key-id",
];

/// The GET query parameters that override a response header, and the
/// header each one sets.
pub const RESPONSE_OVERRIDES: [(&str, &str); 6] = [
    ("response-content-type", "Content-Type"),
    ("response-content-language", "Content-Language"),
    ("response-expires", "Expires"),
    ("response-cache-control", "Cache-Control"),
    ("response-content-disposition", "Content-Disposition"),
    ("response-content-encoding", "Content-Encoding"),
];

/// The values `x-oss-object-acl` may take.
pub const OBJECT_ACLS: [&str; 4] = ["default", "private", "public-read", "public-read-write"];

/// The values `x-oss-acl` may take on a bucket.
pub const BUCKET_ACLS: [&str; 3] = ["private", "public-read", "public-read-write"];

/// The most tags an object may carry, and the longest key and value (bytes).
pub const MAX_TAGS: usize = 10;
/// Longest tag key.
pub const MAX_TAG_KEY: usize = 128;
/// Longest tag value.
pub const MAX_TAG_VALUE: usize = 256;

/// The metadata an upload's headers give the new object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMeta {
    /// `x-oss-meta-*`, names lower-cased.
    pub user_meta: Vec<(String, String)>,
    /// The [`STORED_HEADERS`] present.
    pub headers: Vec<(String, String)>,
    /// `x-oss-storage-class`, or the default.
    pub storage_class: StorageClass,
    /// `x-oss-object-acl`, or `default`.
    pub acl: String,
    /// `x-oss-tagging`.
    pub tags: Vec<(String, String)>,
    /// `x-oss-forbid-overwrite: true`: refuse to replace an existing object.
    pub forbid_overwrite: bool,
}

impl UploadMeta {
    /// Reads and checks the metadata headers of an upload (PutObject,
    /// InitiateMultipartUpload, AppendObject, CopyObject with REPLACE,
    /// PutSymlink). A bad value is refused before anything is stored.
    pub fn from_headers(headers: &[(String, String)]) -> Result<Self, OssError> {
        let storage_class = match headers.header("x-oss-storage-class") {
            None => StorageClass::Standard,
            Some(text) => StorageClass::parse(text).ok_or_else(|| invalid_storage_class(text))?,
        };
        let acl = match headers.header("x-oss-object-acl") {
            None => "default".to_owned(),
            Some(text) => parse_acl(text, &OBJECT_ACLS, "x-oss-object-acl")?,
        };
        let tags = match headers.header("x-oss-tagging") {
            None => Vec::new(),
            Some(text) => parse_tagging_header(text)?,
        };
        Ok(Self {
            user_meta: user_meta(headers),
            headers: STORED_HEADERS
                .iter()
                .filter_map(|name| {
                    headers
                        .header(name)
                        .map(|v| ((*name).to_owned(), v.to_owned()))
                })
                .collect(),
            storage_class,
            acl,
            tags,
            forbid_overwrite: headers
                .header("x-oss-forbid-overwrite")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        })
    }

    /// Writes these fields into an object's metadata.
    pub fn apply(self, meta: &mut ObjectMeta) {
        meta.user_meta = self.user_meta;
        meta.headers = self.headers;
        meta.storage_class = self.storage_class;
        meta.acl = self.acl;
        meta.tags = self.tags;
    }
}

/// The Content-Type an upload stores: the one sent (header, or PostObject
/// field), else OSS's default.
// spec: CB-SYS-MIMETYPE-DEFAULT
pub fn content_type_of(headers: &[(String, String)]) -> String {
    headers
        .header("content-type")
        .filter(|t| !t.is_empty())
        .unwrap_or(super::service::DEFAULT_CONTENT_TYPE)
        .to_owned()
}

/// The `x-oss-meta-*` headers, names lower-cased.
pub fn user_meta(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(n, _)| n.to_ascii_lowercase().starts_with("x-oss-meta-"))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
        .collect()
}

/// 400 InvalidArgument for a storage class OSS does not have.
pub fn invalid_storage_class(text: &str) -> OssError {
    let mut error = OssError::invalid_argument(format!(
        "The storage class {text:?} is not one of Standard, IA, Archive, ColdArchive, DeepColdArchive."
    ));
    error.argument = Some(Box::new(("x-oss-storage-class".into(), text.to_owned())));
    error
}

/// Checks an ACL value against the allowed ones.
pub fn parse_acl(text: &str, allowed: &[&str], header: &str) -> Result<String, OssError> {
    let text = text.trim();
    if allowed.contains(&text) {
        return Ok(text.to_owned());
    }
    let mut error = OssError::invalid_argument("no such bucket access control exists");
    if header == "x-oss-object-acl" {
        error.message = "no such object access control exists".into();
    }
    error.argument = Some(Box::new((header.to_owned(), text.to_owned())));
    Err(error)
}

/// Parses `x-oss-tagging: k1=v1&k2=v2` (URL-encoded keys and values).
pub fn parse_tagging_header(text: &str) -> Result<Vec<(String, String)>, OssError> {
    let mut tags = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| invalid_tag(format!("The tag {s:?} is not URL-encoded UTF-8.")))
        };
        tags.push((decode(key)?, decode(value)?));
    }
    check_tags(&tags)?;
    Ok(tags)
}

/// OSS's limits on a tag set.
pub fn check_tags(tags: &[(String, String)]) -> Result<(), OssError> {
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag(format!(
            "Object tags cannot be greater than {MAX_TAGS}; {} were given.",
            tags.len()
        )));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() || key.len() > MAX_TAG_KEY {
            return Err(invalid_tag(format!(
                "The tag key {key:?} must be 1 to {MAX_TAG_KEY} bytes."
            )));
        }
        if value.len() > MAX_TAG_VALUE {
            return Err(invalid_tag(format!(
                "The value of tag {key:?} is longer than {MAX_TAG_VALUE} bytes."
            )));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid_tag(format!("The tag key {key:?} is given twice.")));
        }
    }
    Ok(())
}

fn invalid_tag(message: String) -> OssError {
    OssError::new(400, "InvalidTag", message)
}

/// The headers of a GET or HEAD of an object (content headers are the
/// caller's: a symlink answers with its target's bytes).
pub fn object_headers(meta: &ObjectMeta, mut response: OssResponse) -> OssResponse {
    let last_modified = std::time::UNIX_EPOCH + std::time::Duration::from_secs(meta.last_modified);
    response = response
        .with_header("Content-Type", meta.content_type.clone())
        .with_header("ETag", format!("\"{}\"", meta.etag))
        .with_header("Last-Modified", httpdate::fmt_http_date(last_modified))
        .with_header("x-oss-hash-crc64ecma", meta.crc64.to_string())
        .with_header("x-oss-object-type", meta.object_type.as_str())
        .with_header("x-oss-storage-class", meta.storage_class.as_str())
        .with_header("Accept-Ranges", "bytes");
    for (name, value) in meta.headers.iter().chain(&meta.user_meta) {
        response = response.with_header(name, value.clone());
    }
    if !meta.tags.is_empty() {
        response = response.with_header("x-oss-tagging-count", meta.tags.len().to_string());
    }
    response
}

/// Applies `response-content-type` and friends to a GET's headers.
pub fn apply_response_overrides(response: &mut OssResponse, query: &[(String, Option<String>)]) {
    for (param, header) in RESPONSE_OVERRIDES {
        let Some(Some(value)) = query.iter().find(|(n, _)| n == param).map(|(_, v)| v) else {
            continue;
        };
        response
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case(header));
        response.headers.push((header.to_owned(), value.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_upload_keeps_the_standard_headers_and_its_options() {
        let meta = UploadMeta::from_headers(&headers(&[
            ("content-disposition", "attachment; filename=\"a.txt\""),
            ("Cache-Control", "no-cache"),
            ("X-Oss-Meta-Owner", "ann"),
            ("x-oss-storage-class", "archive"),
            ("x-oss-object-acl", "public-read"),
            ("x-oss-tagging", "a=1&b%20c=d+e"),
            ("x-oss-traffic-limit", "819200"),
        ]))
        .unwrap();
        assert_eq!(
            meta.headers,
            headers(&[
                ("Content-Disposition", "attachment; filename=\"a.txt\""),
                ("Cache-Control", "no-cache"),
            ])
        );
        assert_eq!(meta.user_meta, headers(&[("x-oss-meta-owner", "ann")]));
        assert_eq!(meta.storage_class, StorageClass::Archive);
        assert_eq!(meta.acl, "public-read");
        assert_eq!(meta.tags, headers(&[("a", "1"), ("b c", "d e")]));
    }

    #[test]
    fn bad_options_are_refused_with_the_header_named() {
        let storage =
            UploadMeta::from_headers(&headers(&[("x-oss-storage-class", "Glacier")])).unwrap_err();
        assert_eq!((storage.status, storage.code), (400, "InvalidArgument"));
        assert_eq!(storage.argument.unwrap().0, "x-oss-storage-class");
        let acl =
            UploadMeta::from_headers(&headers(&[("x-oss-object-acl", "public")])).unwrap_err();
        assert_eq!(acl.message, "no such object access control exists");
        let eleven: String = (0..11).map(|i| format!("k{i}=v&")).collect();
        let tags = UploadMeta::from_headers(&headers(&[("x-oss-tagging", &eleven)])).unwrap_err();
        assert_eq!((tags.status, tags.code), (400, "InvalidTag"));
        let twice = parse_tagging_header("a=1&a=2").unwrap_err();
        assert_eq!(twice.code, "InvalidTag");
        let long_key = format!("{}=v", "k".repeat(129));
        assert!(parse_tagging_header(&long_key).is_err());
        assert!(parse_tagging_header(&format!("{}=v", "k".repeat(128))).is_ok());
    }

    #[test]
    fn response_overrides_replace_the_stored_header() {
        let mut response = OssResponse::empty(200)
            .with_header("Content-Type", "text/plain")
            .with_header("Cache-Control", "no-cache");
        apply_response_overrides(
            &mut response,
            &[
                ("response-content-type".into(), Some("image/png".into())),
                ("response-content-disposition".into(), Some("inline".into())),
                ("response-expires".into(), None),
            ],
        );
        assert_eq!(
            response.headers,
            headers(&[
                ("Cache-Control", "no-cache"),
                ("Content-Type", "image/png"),
                ("Content-Disposition", "inline"),
            ])
        );
    }
}
