//! The OSS error document: the XML body OSS sends with every error answer,
//! including the 400 `InvalidArgument` answers to a bad callback and the 203
//! `CallbackFailed` answer.
//!
//! Building and parsing live together so that what the emulator writes and
//! what the harness reads back from any endpoint are the same model.

use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::{Reader, Writer};

/// The base of the `RecommendDoc` link OSS attaches to errors that carry an EC.
// spec: CB-ERR-XML
pub const RECOMMEND_DOC_BASE: &str = "https://api.aliyun.com/troubleshoot?q=";

/// One OSS error document.
///
/// Element order follows the captured answers in the digest (§2.3, §8.3):
/// Code, Message, RequestId, HostId, ArgumentName, ArgumentValue, EC,
/// RecommendDoc. Extra elements some errors carry (`StringToSign`,
/// `OSSAccessKeyId`, ...) are kept in `extra`, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDocument {
    /// `Code`, e.g. `InvalidArgument`, `CallbackFailed`.
    pub code: String,
    /// `Message`, the human-readable text; exact strings matter to SDKs.
    pub message: String,
    /// `RequestId`: 24 upper-case hex characters on the real service.
    pub request_id: String,
    /// `HostId`: the host the request addressed, e.g. `bucket.oss-cn-hangzhou.aliyuncs.com`.
    pub host_id: String,
    /// `ArgumentName`, present on `InvalidArgument` errors.
    pub argument_name: Option<String>,
    /// `ArgumentValue`, present on `InvalidArgument` errors.
    pub argument_value: Option<String>,
    /// `EC`, the detailed error code such as `0007-00000003`.
    pub ec: Option<String>,
    /// `RecommendDoc`, the troubleshooting link for the EC.
    pub recommend_doc: Option<String>,
    /// Any other elements, in document order.
    pub extra: Vec<(String, String)>,
}

/// Why an error document could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ErrorDocumentParseError {
    /// The text is not well-formed XML.
    #[error("the error body is not well-formed XML: {0}")]
    Malformed(String),
    /// The root element is not `<Error>`.
    #[error("the root element is <{0}>, expected <Error>")]
    WrongRoot(String),
    /// There is no root element at all.
    #[error("the error body has no <Error> element")]
    Empty,
    /// A required element is missing.
    #[error("the <Error> document has no <{0}> element")]
    Missing(&'static str),
}

impl ErrorDocument {
    /// The `RecommendDoc` link for an EC, as OSS builds it.
    pub fn recommend_doc_for(ec: &str) -> String {
        format!("{RECOMMEND_DOC_BASE}{ec}")
    }

    /// Serialises the document as OSS does: an XML declaration, then
    /// `<Error>` with one element per line, indented by two spaces.
    pub fn to_xml(&self) -> String {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        let mut elements: Vec<(&str, &str)> = vec![
            ("Code", &self.code),
            ("Message", &self.message),
            ("RequestId", &self.request_id),
            ("HostId", &self.host_id),
        ];
        let optional = [
            ("ArgumentName", &self.argument_name),
            ("ArgumentValue", &self.argument_value),
            ("EC", &self.ec),
            ("RecommendDoc", &self.recommend_doc),
        ];
        elements.extend(
            optional
                .iter()
                .filter_map(|(name, value)| value.as_deref().map(|v| (*name, v))),
        );
        elements.extend(self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str())));

        // Writing into a Vec cannot fail; the expect documents that invariant.
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .expect("writing to a Vec never fails");
        writer
            .create_element("Error")
            .write_inner_content(|inner| {
                for (name, value) in &elements {
                    // Only `<`, `>` and `&` are escaped, as OSS does: quotes stay
                    // readable in ArgumentValue, which echoes the callback JSON.
                    inner
                        .create_element(*name)
                        .write_text_content(BytesText::from_escaped(partial_escape(*value)))?;
                }
                Ok(())
            })
            .expect("writing to a Vec never fails");
        let mut xml = String::from_utf8(writer.into_inner()).expect("quick-xml writes UTF-8");
        xml.push('\n');
        xml
    }

    /// Reads an OSS error document from any endpoint's answer.
    ///
    /// Unknown elements are kept in `extra`; `Code` and `Message` must be
    /// present, the rest may be missing (OSS-compatible services often omit
    /// `HostId` or `EC`).
    pub fn from_xml(xml: &str) -> Result<Self, ErrorDocumentParseError> {
        let mut reader = Reader::from_str(xml);
        let mut doc = ErrorDocument::default();
        let mut saw_root = false;
        let mut saw_code = false;
        let mut saw_message = false;
        let mut current: Option<String> = None;
        let mut text = String::new();
        let mut depth = 0usize;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| ErrorDocumentParseError::Malformed(e.to_string()))?;
            match event {
                Event::Start(start) => {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    depth += 1;
                    if depth == 1 {
                        if name != "Error" {
                            return Err(ErrorDocumentParseError::WrongRoot(name));
                        }
                        saw_root = true;
                    } else if depth == 2 {
                        current = Some(name);
                        text.clear();
                    }
                }
                Event::Empty(empty) if depth == 1 => {
                    let name = String::from_utf8_lossy(empty.name().as_ref()).into_owned();
                    doc.set(&name, String::new(), &mut saw_code, &mut saw_message);
                }
                Event::Empty(empty) if depth == 0 => {
                    let name = String::from_utf8_lossy(empty.name().as_ref()).into_owned();
                    if name != "Error" {
                        return Err(ErrorDocumentParseError::WrongRoot(name));
                    }
                    saw_root = true;
                }
                Event::Text(t) if depth == 2 => {
                    let decoded = t
                        .decode()
                        .map_err(|e| ErrorDocumentParseError::Malformed(e.to_string()))?;
                    text.push_str(&decoded);
                }
                Event::GeneralRef(r) if depth == 2 => {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_owned)
                        .or_else(|| {
                            r.resolve_char_ref()
                                .ok()
                                .flatten()
                                .map(|c: char| c.to_string())
                        })
                        .ok_or_else(|| {
                            ErrorDocumentParseError::Malformed(format!("unknown entity &{name};"))
                        })?;
                    text.push_str(&resolved);
                }
                Event::CData(c) if depth == 2 => {
                    text.push_str(&String::from_utf8_lossy(&c));
                }
                Event::End(_) => {
                    if depth == 2 {
                        if let Some(name) = current.take() {
                            doc.set(
                                &name,
                                std::mem::take(&mut text),
                                &mut saw_code,
                                &mut saw_message,
                            );
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !saw_root {
            return Err(ErrorDocumentParseError::Empty);
        }
        if !saw_code {
            return Err(ErrorDocumentParseError::Missing("Code"));
        }
        if !saw_message {
            return Err(ErrorDocumentParseError::Missing("Message"));
        }
        Ok(doc)
    }

    fn set(&mut self, name: &str, value: String, saw_code: &mut bool, saw_message: &mut bool) {
        match name {
            "Code" => {
                *saw_code = true;
                self.code = value;
            }
            "Message" => {
                *saw_message = true;
                self.message = value;
            }
            "RequestId" => self.request_id = value,
            "HostId" => self.host_id = value,
            "ArgumentName" => self.argument_name = Some(value),
            "ArgumentValue" => self.argument_value = Some(value),
            "EC" => self.ec = Some(value),
            "RecommendDoc" => self.recommend_doc = Some(value),
            _ => self.extra.push((name.to_owned(), value)),
        }
    }
}

/// Whether `id` has the shape of an OSS request id: 24 upper-case hex digits.
// spec: CB-ERR-REQUEST-ID
pub fn is_request_id(id: &str) -> bool {
    id.len() == 24
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    // spec: CB-ERR-XML
    #[test]
    fn parses_the_documented_203_body() {
        // The 203 body quoted in the digest §8.3 (live OSS via the Go SDK v2 tests).
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>CallbackFailed</Code>\n  <Message>Error status : 301.</Message>\n  <RequestId>5C3D9175B6FC201293AD4890</RequestId>\n  <HostId>bucket.oss-cn-hangzhou.aliyuncs.com</HostId>\n  <EC>0007-00000203</EC>\n  <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0007-00000203</RecommendDoc>\n</Error>\n";
        let doc = ErrorDocument::from_xml(xml).unwrap();
        assert_eq!(doc.code, "CallbackFailed");
        assert_eq!(doc.message, "Error status : 301.");
        assert_eq!(doc.request_id, "5C3D9175B6FC201293AD4890");
        assert_eq!(doc.host_id, "bucket.oss-cn-hangzhou.aliyuncs.com");
        assert_eq!(doc.ec.as_deref(), Some("0007-00000203"));
        assert_eq!(
            doc.recommend_doc.as_deref(),
            Some("https://api.aliyun.com/troubleshoot?q=0007-00000203")
        );
        assert_eq!(
            doc.to_xml(),
            xml,
            "serialising reproduces the captured layout"
        );
    }

    #[test]
    fn escapes_and_unescapes_markup_in_values() {
        let doc = ErrorDocument {
            code: "InvalidArgument".into(),
            message: "Left brace must be adjacent to dollar sign.".into(),
            request_id: "63F2302A7CF84230346C6D0D".into(),
            host_id: "b.example".into(),
            argument_name: Some("ReplaceKeyPrefix".into()),
            argument_value: Some("size=${size}&my_var=$x:my_var} <\"'>".into()),
            ec: Some("0007-00000105".into()),
            recommend_doc: None,
            extra: vec![("StringToSign".into(), "PUT\n\n".into())],
        };
        let xml = doc.to_xml();
        assert!(xml.contains("<ArgumentValue>size=${size}&amp;my_var=$x:my_var} &lt;"));
        assert_eq!(ErrorDocument::from_xml(&xml).unwrap(), doc);
    }

    #[test]
    fn rejects_documents_that_are_not_oss_errors() {
        assert_eq!(
            ErrorDocument::from_xml("<ListBucketResult/>"),
            Err(ErrorDocumentParseError::WrongRoot(
                "ListBucketResult".into()
            ))
        );
        assert_eq!(
            ErrorDocument::from_xml("<Error><Message>m</Message></Error>"),
            Err(ErrorDocumentParseError::Missing("Code"))
        );
        assert_eq!(
            ErrorDocument::from_xml(""),
            Err(ErrorDocumentParseError::Empty)
        );
        assert!(matches!(
            ErrorDocument::from_xml("<Error><Code>x</Message></Error>"),
            Err(ErrorDocumentParseError::Malformed(_))
        ));
    }

    // spec: CB-ERR-REQUEST-ID
    #[test]
    fn request_id_shape() {
        assert!(is_request_id("63F2302A7CF84230346C6D0D"));
        assert!(!is_request_id("63f2302a7cf84230346c6d0d"));
        assert!(!is_request_id("63F2302A7CF84230346C6D0"));
        assert!(!is_request_id("63F2302A7CF84230346C6D0G"));
    }
}
