//! The 14 system variables and the facts of one upload that fill them.

use std::fmt;
use std::str::FromStr;

/// Whether a variable is rendered as a JSON string or a bare JSON number in
/// `application/json` bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Quoted and escaped as a JSON string literal.
    Text,
    /// Bare decimal digits.
    Number,
}

/// A system variable, written `${name}` in callbackBody. Names are
/// case-sensitive.
// spec: CB-SYS-NAMES
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemVariable {
    /// `bucket`
    Bucket,
    /// `object`
    Object,
    /// `etag`
    Etag,
    /// `size`
    Size,
    /// `mimeType`
    MimeType,
    /// `imageInfo.height`
    ImageHeight,
    /// `imageInfo.width`
    ImageWidth,
    /// `imageInfo.format`
    ImageFormat,
    /// `crc64`
    Crc64,
    /// `contentMd5`
    ContentMd5,
    /// `vpcId`
    VpcId,
    /// `clientIp`
    ClientIp,
    /// `reqId`
    ReqId,
    /// `operation`
    Operation,
}

impl SystemVariable {
    /// All 14, in the order the docs list them.
    pub const ALL: [SystemVariable; 14] = [
        Self::Bucket,
        Self::Object,
        Self::Etag,
        Self::Size,
        Self::MimeType,
        Self::ImageHeight,
        Self::ImageWidth,
        Self::ImageFormat,
        Self::Crc64,
        Self::ContentMd5,
        Self::VpcId,
        Self::ClientIp,
        Self::ReqId,
        Self::Operation,
    ];

    /// The name as written inside `${...}`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bucket => "bucket",
            Self::Object => "object",
            Self::Etag => "etag",
            Self::Size => "size",
            Self::MimeType => "mimeType",
            Self::ImageHeight => "imageInfo.height",
            Self::ImageWidth => "imageInfo.width",
            Self::ImageFormat => "imageInfo.format",
            Self::Crc64 => "crc64",
            Self::ContentMd5 => "contentMd5",
            Self::VpcId => "vpcId",
            Self::ClientIp => "clientIp",
            Self::ReqId => "reqId",
            Self::Operation => "operation",
        }
    }

    /// Looks a name up, case-sensitively (`Bucket` is not `bucket`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// How the value is rendered in JSON bodies.
    // spec: CB-JSON-NUMBER-BARE, CB-JSON-CRC64-BARE
    pub fn kind(self) -> ValueKind {
        match self {
            Self::Size | Self::ImageHeight | Self::ImageWidth | Self::Crc64 => ValueKind::Number,
            _ => ValueKind::Text,
        }
    }
}

impl fmt::Display for SystemVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SystemVariable {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
            format!(
                "{s:?} is not a system variable; known names (case-sensitive): {}",
                known.join(", ")
            )
        })
    }
}

/// Dimensions and format of an uploaded image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Height in pixels.
    pub height: u64,
    /// Width in pixels.
    pub width: u64,
    /// Lower-case short format name: `jpg`, `png`, `gif`, `bmp`, `webp`.
    // spec: CB-SYS-IMAGEINFO-FORMAT
    pub format: String,
}

/// The value of one variable for one upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactValue<'a> {
    /// No value (non-image `imageInfo.*`, multipart `contentMd5`, no VPC, ...).
    Empty,
    /// A text value.
    Text(&'a str),
    /// A numeric value.
    Number(u64),
}

/// What OSS knows about an upload when it expands the template.
///
/// Empty strings and `None` mean "no value", which form mode renders as
/// nothing and JSON mode as `null` (spec: CB-JSON-EMPTY).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadFacts {
    /// Bucket name. spec: CB-SYS-BUCKET
    pub bucket: String,
    /// Full object key. spec: CB-SYS-OBJECT
    pub object: String,
    /// ETag without quotes, upper-case hex (`<HEX>-<n>` for multipart). spec: CB-SYS-ETAG
    pub etag: String,
    /// Object size in bytes (the whole object for multipart). spec: CB-SYS-SIZE
    pub size: Option<u64>,
    /// Stored Content-Type. spec: CB-SYS-MIMETYPE
    pub mime_type: String,
    /// Image dimensions, `None` for non-images. spec: CB-SYS-IMAGEINFO
    pub image: Option<ImageInfo>,
    /// CRC-64/XZ of the object, as in `x-oss-hash-crc64ecma`. spec: CB-SYS-CRC64
    pub crc64: Option<u64>,
    /// Base64 MD5 of the body; empty for CompleteMultipartUpload. spec: CB-SYS-CONTENTMD5
    pub content_md5: String,
    /// VPC id of the requester; empty outside a VPC. spec: CB-SYS-VPCID
    pub vpc_id: String,
    /// Requester IP. spec: CB-SYS-CLIENTIP
    pub client_ip: String,
    /// Upload request id. spec: CB-SYS-REQID
    pub request_id: String,
    /// API name: PutObject, PostObject or CompleteMultipartUpload. spec: CB-SYS-OPERATION
    pub operation: String,
}

/// Why a fact given as text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FactError(String);

impl UploadFacts {
    /// The value of a system variable for this upload.
    pub fn value(&self, variable: SystemVariable) -> FactValue<'_> {
        fn text(s: &str) -> FactValue<'_> {
            if s.is_empty() {
                FactValue::Empty
            } else {
                FactValue::Text(s)
            }
        }
        fn number(n: Option<u64>) -> FactValue<'static> {
            n.map_or(FactValue::Empty, FactValue::Number)
        }
        match variable {
            SystemVariable::Bucket => text(&self.bucket),
            SystemVariable::Object => text(&self.object),
            SystemVariable::Etag => text(&self.etag),
            SystemVariable::Size => number(self.size),
            SystemVariable::MimeType => text(&self.mime_type),
            SystemVariable::ImageHeight => number(self.image.as_ref().map(|i| i.height)),
            SystemVariable::ImageWidth => number(self.image.as_ref().map(|i| i.width)),
            SystemVariable::ImageFormat => self
                .image
                .as_ref()
                .map_or(FactValue::Empty, |i| text(&i.format)),
            SystemVariable::Crc64 => number(self.crc64),
            SystemVariable::ContentMd5 => text(&self.content_md5),
            SystemVariable::VpcId => text(&self.vpc_id),
            SystemVariable::ClientIp => text(&self.client_ip),
            SystemVariable::ReqId => text(&self.request_id),
            SystemVariable::Operation => text(&self.operation),
        }
    }

    /// Sets one fact from text, as `cbspec render --fact NAME=VALUE` does.
    ///
    /// Numeric variables must be unsigned decimal integers (or empty, for no
    /// value); setting one `imageInfo.*` value makes the upload an image.
    pub fn set(&mut self, variable: SystemVariable, value: &str) -> Result<(), FactError> {
        let number = || -> Result<Option<u64>, FactError> {
            if value.is_empty() {
                return Ok(None);
            }
            if !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FactError(format!(
                    "{variable} is numeric: give an unsigned decimal integer, not {value:?}"
                )));
            }
            value.parse().map(Some).map_err(|_| {
                FactError(format!(
                    "{variable} value {value:?} does not fit in 64 bits"
                ))
            })
        };
        match variable {
            SystemVariable::Bucket => self.bucket = value.to_owned(),
            SystemVariable::Object => self.object = value.to_owned(),
            SystemVariable::Etag => self.etag = value.to_owned(),
            SystemVariable::Size => self.size = number()?,
            SystemVariable::MimeType => self.mime_type = value.to_owned(),
            SystemVariable::ImageHeight
            | SystemVariable::ImageWidth
            | SystemVariable::ImageFormat => {
                let parsed = match variable {
                    SystemVariable::ImageFormat => None,
                    _ => number()?,
                };
                let image = self.image.get_or_insert_with(|| ImageInfo {
                    height: 0,
                    width: 0,
                    format: String::new(),
                });
                match variable {
                    SystemVariable::ImageHeight => image.height = parsed.unwrap_or(0),
                    SystemVariable::ImageWidth => image.width = parsed.unwrap_or(0),
                    _ => image.format = value.to_owned(),
                }
            }
            SystemVariable::Crc64 => self.crc64 = number()?,
            SystemVariable::ContentMd5 => self.content_md5 = value.to_owned(),
            SystemVariable::VpcId => self.vpc_id = value.to_owned(),
            SystemVariable::ClientIp => self.client_ip = value.to_owned(),
            SystemVariable::ReqId => self.request_id = value.to_owned(),
            SystemVariable::Operation => self.operation = value.to_owned(),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec: CB-SYS-NAMES
    #[test]
    fn fourteen_case_sensitive_names() {
        let names: Vec<&str> = SystemVariable::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(
            names,
            [
                "bucket",
                "object",
                "etag",
                "size",
                "mimeType",
                "imageInfo.height",
                "imageInfo.width",
                "imageInfo.format",
                "crc64",
                "contentMd5",
                "vpcId",
                "clientIp",
                "reqId",
                "operation"
            ]
        );
        assert_eq!(
            SystemVariable::from_name("mimeType"),
            Some(SystemVariable::MimeType)
        );
        assert_eq!(SystemVariable::from_name("mimetype"), None);
        assert_eq!(SystemVariable::from_name("Bucket"), None);
        assert_eq!(SystemVariable::from_name("key"), None);
    }

    #[test]
    fn numeric_facts_reject_non_digits() {
        let mut facts = UploadFacts::default();
        assert!(facts.set(SystemVariable::Size, "12a").is_err());
        assert!(facts.set(SystemVariable::Size, "-1").is_err());
        assert!(facts
            .set(SystemVariable::Crc64, "18446744073709551616")
            .is_err());
        facts
            .set(SystemVariable::Crc64, "18446744073709551615")
            .unwrap();
        assert_eq!(
            facts.value(SystemVariable::Crc64),
            FactValue::Number(u64::MAX)
        );
        facts.set(SystemVariable::ImageWidth, "810").unwrap();
        assert_eq!(
            facts.value(SystemVariable::ImageWidth),
            FactValue::Number(810)
        );
        assert_eq!(facts.value(SystemVariable::ImageFormat), FactValue::Empty);
        assert_eq!(facts.value(SystemVariable::VpcId), FactValue::Empty);
    }
}
