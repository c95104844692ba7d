//! Which bucket, object and operation a request addresses: path style, and
//! virtual-hosted style from the `Host` header (even when the TCP peer is an
//! IP address, as ali-oss sends it).

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// A request's resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The bucket, if any.
    pub bucket: Option<String>,
    /// The decoded object key, if any.
    pub key: Option<String>,
    /// Decoded query parameters, in order (`None` for a bare name like `?uploads`).
    pub query: Vec<(String, Option<String>)>,
}

impl Resource {
    /// Whether a query parameter is present.
    pub fn has(&self, name: &str) -> bool {
        self.query.iter().any(|(n, _)| n == name)
    }

    /// A query parameter's value (`Some("")` for a bare name).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

/// Why a target could not be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingError(pub String);

/// Finds the bucket in `host` when it is `<bucket>.<base>` for the
/// configured base domain or any `oss-<region>[-internal].aliyuncs.com`.
pub fn bucket_from_host(host: &str, base_domain: &str) -> Option<String> {
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host = host.to_ascii_lowercase();
    let (bucket, rest) = host.split_once('.')?;
    let is_oss_domain = rest.starts_with("oss-") && rest.ends_with(".aliyuncs.com");
    let is_base = !base_domain.is_empty() && rest == base_domain.to_ascii_lowercase();
    (!bucket.is_empty() && (is_oss_domain || is_base)).then(|| bucket.to_owned())
}

/// Routes a request target (`/path?query`) with its Host header.
pub fn route(
    host: Option<&str>,
    target: &str,
    base_domain: &str,
) -> Result<Resource, RoutingError> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = parse_query(query)?;
    let decode = |s: &str| {
        percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| {
                RoutingError(format!(
                    "the path {path:?} is not UTF-8 after percent-decoding"
                ))
            })
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let (bucket, key) = match host.and_then(|h| bucket_from_host(h, base_domain)) {
        Some(bucket) => (
            Some(bucket),
            (!path.is_empty()).then(|| decode(path)).transpose()?,
        ),
        None => match path.split_once('/') {
            None if path.is_empty() => (None, None),
            None => (Some(decode(path)?), None),
            Some((bucket, key)) => (
                Some(decode(bucket)?),
                (!key.is_empty()).then(|| decode(key)).transpose()?,
            ),
        },
    };
    Ok(Resource { bucket, key, query })
}

fn parse_query(query: &str) -> Result<Vec<(String, Option<String>)>, RoutingError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let decode = |s: &str| {
                // `+` means space in query strings SDKs build with form encoding.
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .map(|c| c.into_owned())
                    .map_err(|_| RoutingError(format!("query parameter {pair:?} is not UTF-8")))
            };
            match pair.split_once('=') {
                Some((name, value)) => Ok((decode(name)?, Some(decode(value)?))),
                None => Ok((decode(pair)?, None)),
            }
        })
        .collect()
}

/// Why an object key is not one OSS accepts (the object naming rules: 1 to
/// 1023 bytes of UTF-8, not starting with `/` or `\\`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key is empty.
    #[error("the object name is empty")]
    Empty,
    /// Longer than 1023 bytes.
    #[error("the object name is {0} bytes; at most 1023 are allowed")]
    TooLong(usize),
    /// Starts with `/` or `\\`.
    #[error("the object name starts with '/' or '\\'")]
    LeadingSlash,
}

impl KeyError {
    /// The EC OSS documents for this failure.
    pub fn ec(self) -> &'static str {
        match self {
            KeyError::Empty => "0016-00000001",
            KeyError::TooLong(_) => "0016-00000003",
            KeyError::LeadingSlash => "0016-00000005",
        }
    }
}

/// The longest object key, in bytes.
pub const MAX_KEY_BYTES: usize = 1023;

/// Checks an object key against the OSS naming rules.
// spec: CB-EMU-OBJECT-NAME
pub fn check_object_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        Err(KeyError::Empty)
    } else if key.len() > MAX_KEY_BYTES {
        Err(KeyError::TooLong(key.len()))
    } else if key.starts_with('/') || key.starts_with('\\') {
        Err(KeyError::LeadingSlash)
    } else {
        Ok(())
    }
}

/// Characters left as they are in object keys in the URL path.
const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Characters left as they are in query names and values.
const QUERY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path-style request target (`/bucket/key?query`) for a resource: the
/// inverse of [`route`], shared by the native client and the fuzz targets so
/// both address the emulator exactly as a client on the wire does.
///
/// `query` keeps bare names (`?uploads`) as `None`; `extra_query` adds
/// name=value pairs after them (presigned-URL parameters).
pub fn path_style_target(
    bucket: Option<&str>,
    key: Option<&str>,
    query: &[(String, Option<String>)],
    extra_query: &[(String, String)],
) -> String {
    let mut target = String::from("/");
    if let Some(bucket) = bucket {
        target.push_str(bucket);
        target.push('/');
        if let Some(key) = key {
            target.extend(utf8_percent_encode(key, KEY_ENCODE));
        }
    }
    let encode = |text: &str| utf8_percent_encode(text, QUERY_ENCODE).to_string();
    let mut pairs: Vec<String> = query
        .iter()
        .map(|(name, value)| match value {
            Some(value) => format!("{}={}", encode(name), encode(value)),
            None => encode(name),
        })
        .collect();
    pairs.extend(
        extra_query
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value))),
    );
    if !pairs.is_empty() {
        target.push('?');
        target.push_str(&pairs.join("&"));
    }
    target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style() {
        let r = route(
            Some("127.0.0.1:9000"),
            "/examplebucket/dir%2Fobj%20v1.txt?uploads",
            "oss.localhost",
        )
        .unwrap();
        assert_eq!(r.bucket.as_deref(), Some("examplebucket"));
        assert_eq!(r.key.as_deref(), Some("dir/obj v1.txt"));
        assert!(r.has("uploads"));
        let r = route(None, "/examplebucket", "").unwrap();
        assert_eq!((r.bucket.as_deref(), r.key), (Some("examplebucket"), None));
        let r = route(None, "/", "").unwrap();
        assert_eq!((r.bucket, r.key), (None, None));
    }

    #[test]
    fn virtual_hosted_style_from_the_host_header() {
        // ali-oss connects to the IP but names the bucket in Host.
        let r = route(
            Some("examplebucket.oss-cn-hangzhou.aliyuncs.com"),
            "/dir/obj%20v1.txt",
            "",
        )
        .unwrap();
        assert_eq!(r.bucket.as_deref(), Some("examplebucket"));
        assert_eq!(r.key.as_deref(), Some("dir/obj v1.txt"));
        let r = route(
            Some("b1.oss.localhost:9000"),
            "/?list-type=2&prefix=a%2Fb",
            "oss.localhost",
        )
        .unwrap();
        assert_eq!(r.bucket.as_deref(), Some("b1"));
        assert_eq!(r.param("prefix"), Some("a/b"));
        assert_eq!(bucket_from_host("127.0.0.1:9000", "oss.localhost"), None);
    }

    #[test]
    fn bad_encodings_are_errors_not_panics() {
        assert!(route(None, "/b/%FF", "").is_err());
        assert!(route(None, "/b/k?x=%FF", "").is_err());
    }

    #[test]
    fn path_style_target_is_the_inverse_of_route() {
        let query = vec![
            ("uploadId".to_owned(), Some("a b+c".to_owned())),
            ("uploads".to_owned(), None),
        ];
        let extra = vec![("callback".to_owned(), "eyJ=/+".to_owned())];
        let target = path_style_target(Some("bkt"), Some("dir/中 %2F?#.txt"), &query, &extra);
        assert_eq!(
            target,
            "/bkt/dir/%E4%B8%AD%20%252F%3F%23.txt?uploadId=a%20b%2Bc&uploads&callback=eyJ%3D%2F%2B"
        );
        let resource = route(None, &target, "").unwrap();
        assert_eq!(resource.bucket.as_deref(), Some("bkt"));
        assert_eq!(resource.key.as_deref(), Some("dir/中 %2F?#.txt"));
        assert_eq!(resource.param("uploadId"), Some("a b+c"));
        assert!(resource.has("uploads"));
        assert_eq!(resource.param("callback"), Some("eyJ=/+"));
        assert_eq!(path_style_target(None, Some("ignored"), &[], &[]), "/");
    }

    // spec: CB-EMU-OBJECT-NAME
    #[test]
    fn object_keys_follow_the_naming_rules() {
        assert_eq!(check_object_key("a"), Ok(()));
        assert_eq!(check_object_key(&"k".repeat(1023)), Ok(()));
        assert_eq!(check_object_key(&"中".repeat(341)), Ok(()));
        assert_eq!(
            check_object_key(&"k".repeat(1024)),
            Err(KeyError::TooLong(1024))
        );
        assert_eq!(
            check_object_key(&"中".repeat(342)),
            Err(KeyError::TooLong(1026))
        );
        assert_eq!(check_object_key("/a"), Err(KeyError::LeadingSlash));
        assert_eq!(check_object_key("\\a"), Err(KeyError::LeadingSlash));
        assert_eq!(check_object_key(""), Err(KeyError::Empty));
        assert_eq!(KeyError::TooLong(2000).ec(), "0016-00000003");
        // What the router reads from `//test.txt` is a key with a leading slash.
        let resource = route(None, "/b//test.txt", "").unwrap();
        assert_eq!(resource.key.as_deref(), Some("/test.txt"));
        assert_eq!(check_object_key("/test.txt"), Err(KeyError::LeadingSlash));
    }
}
