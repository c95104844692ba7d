//! The XML documents of OSS bucket and multipart operations, written and
//! read with quick-xml's serde support.

use serde::{Deserialize, Serialize};

const DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Serialises a document under `root` with the XML declaration OSS sends.
pub fn to_xml<T: Serialize>(root: &str, value: &T) -> String {
    let body =
        quick_xml::se::to_string_with_root(root, value).expect("response documents serialise");
    format!("{DECLARATION}{body}")
}

/// An owner (of a bucket, an object, an ACL).
#[derive(Debug, Serialize)]
pub struct Owner {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "DisplayName")]
    pub display_name: String,
}

/// `GET /bucket` result (ListObjects v1 and v2 share the element names).
#[derive(Debug, Serialize)]
pub struct ListBucketResult {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Prefix")]
    pub prefix: String,
    #[serde(rename = "Marker", skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    #[serde(rename = "StartAfter", skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    #[serde(rename = "ContinuationToken", skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    #[serde(rename = "MaxKeys")]
    pub max_keys: usize,
    #[serde(rename = "Delimiter")]
    pub delimiter: String,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    #[serde(
        rename = "NextContinuationToken",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_continuation_token: Option<String>,
    #[serde(rename = "KeyCount", skip_serializing_if = "Option::is_none")]
    pub key_count: Option<usize>,
    #[serde(rename = "Contents")]
    pub contents: Vec<ObjectEntry>,
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// One object in a listing.
#[derive(Debug, Serialize)]
pub struct ObjectEntry {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Size")]
    pub size: u64,
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

/// A rolled-up prefix in a delimited listing.
#[derive(Debug, Serialize)]
pub struct CommonPrefix {
    #[serde(rename = "Prefix")]
    pub prefix: String,
}

/// `POST /bucket/key?uploads` result.
#[derive(Debug, Serialize)]
pub struct InitiateMultipartUploadResult {
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
}

/// `POST /bucket/key?uploadId=` request body.
#[derive(Debug, Deserialize)]
pub struct CompleteMultipartUpload {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletePart>,
}

/// One part named in a complete request.
#[derive(Debug, Deserialize)]
pub struct CompletePart {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// `POST /bucket/key?uploadId=` result (without callback).
#[derive(Debug, Serialize)]
pub struct CompleteMultipartUploadResult {
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<String>,
    #[serde(rename = "Location")]
    pub location: String,
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// `GET /bucket/key?uploadId=` result.
#[derive(Debug, Serialize)]
pub struct ListPartsResult {
    #[serde(rename = "Bucket")]
    pub bucket: String,
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "UploadId")]
    pub upload_id: String,
    #[serde(rename = "PartNumberMarker")]
    pub part_number_marker: u32,
    #[serde(rename = "NextPartNumberMarker")]
    pub next_part_number_marker: u32,
    #[serde(rename = "MaxParts")]
    pub max_parts: usize,
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    #[serde(rename = "Part")]
    pub parts: Vec<PartEntry>,
}

/// One uploaded part.
#[derive(Debug, Serialize)]
pub struct PartEntry {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    #[serde(rename = "ETag")]
    pub etag: String,
    #[serde(rename = "Size")]
    pub size: u64,
}

/// 400 MalformedXML, with OSS's fixed message: what the parser found wrong
/// is not repeated to the client (it names internals, not the schema).
pub fn malformed_xml() -> crate::response::OssError {
    crate::response::OssError::new(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
    )
}

/// Reads a request document whose root must be `root`.
pub fn parse_document<T: serde::de::DeserializeOwned>(
    body: &[u8],
    root: &str,
) -> Result<T, crate::response::OssError> {
    let text = std::str::from_utf8(body).map_err(|_| malformed_xml())?;
    // The deserializer ignores the root element's name; OSS does not.
    if root_element(text).as_deref() != Some(root) {
        return Err(malformed_xml());
    }
    quick_xml::de::from_str(text).map_err(|_| malformed_xml())
}

/// The name of a document's root element, if it has one.
pub fn root_element(xml: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Some(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_complete_request_as_sdks_send_it() {
        // ali-oss style: newlines and quoted ETags.
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUpload>\n<Part>\n<PartNumber>1</PartNumber>\n<ETag>\"0CC175B9C0F1B6A831C399E269772661\"</ETag>\n</Part>\n<Part><PartNumber>2</PartNumber><ETag>&quot;92EB5FFEE6AE2FEC3AD71C777531578F&quot;</ETag></Part>\n</CompleteMultipartUpload>";
        let doc: CompleteMultipartUpload = quick_xml::de::from_str(xml).unwrap();
        assert_eq!(doc.parts.len(), 2);
        assert_eq!(doc.parts[0].part_number, 1);
        assert_eq!(doc.parts[0].etag, "\"0CC175B9C0F1B6A831C399E269772661\"");
        assert_eq!(doc.parts[1].etag, "\"92EB5FFEE6AE2FEC3AD71C777531578F\"");
    }

    #[test]
    fn writes_documents_with_a_declaration() {
        let xml = to_xml(
            "InitiateMultipartUploadResult",
            &InitiateMultipartUploadResult {
                bucket: "b".into(),
                key: "k".into(),
                upload_id: "U1".into(),
                encoding_type: None,
            },
        );
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>"
        );
    }
}
