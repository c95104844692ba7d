//! PostObject: a browser-style multipart/form-data upload, authenticated by
//! its signed policy, with the callback as a form field.

use cbspec_protocol::headers::Headers;
use cbspec_protocol::routing::check_object_key;
use std::sync::Arc;
use std::time::SystemTime;

use super::blob::chunk_stream;
use super::metadata::UploadMeta;
use super::response::{storage_failure, OssError, OssResponse};
use super::service::{OssRequest, Service, StoredUpload};
use super::spool::{Spooled, Spooler};
use super::store::ObjectType;
use cbspec_protocol::auth::post_policy::{verify_post, PostForm};
use cbspec_protocol::carrier::RawCallbackParams;
use cbspec_protocol::routing::Resource;

/// The largest non-file form field accepted.
const MAX_FIELD_BYTES: u64 = 64 * 1024;

/// A parsed form: fields before the file, then the file.
struct ParsedForm {
    fields: Vec<(String, String)>,
    file_name: String,
    file: Spooled,
}

fn bad_form(detail: impl std::fmt::Display) -> OssError {
    OssError::invalid_argument(format!(
        "The body of your POST request is not well-formed multipart/form-data: {detail}"
    ))
}

/// Parses the form as a stream: a file of any size is spooled (hashed on
/// the way) like a PutObject body, never held whole.
// spec: CB-EMU-STREAMING
async fn parse_form(service: &Service, request: &OssRequest) -> Result<ParsedForm, OssError> {
    let content_type = request
        .header("content-type")
        .ok_or_else(|| bad_form("Content-Type is missing"))?;
    let boundary = multer::parse_boundary(content_type).map_err(bad_form)?;
    let stream = chunk_stream(request.payload.blob.clone());
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .for_field("file", u64::MAX)
            .per_field(MAX_FIELD_BYTES),
    );
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let mut field = field;
            let mut spooler = Spooler::new(service.store.spool_settings());
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                spooler
                    .push(&chunk)
                    .await
                    .map_err(|e| storage_failure(&e))?;
            }
            let file = spooler.finish().await.map_err(|e| storage_failure(&e))?;
            // Fields after the file are ignored, as OSS documents.
            return Ok(ParsedForm {
                fields,
                file_name,
                file,
            });
        }
        // Refused rather than repaired: a replaced byte would change what
        // the policy signature and the callback see.
        let bytes = field.bytes().await.map_err(bad_form)?;
        let value = String::from_utf8(bytes.to_vec()).map_err(|_| {
            OssError::invalid_argument(format!("The form field {name} is not UTF-8 text."))
        })?;
        fields.push((name, value));
    }
    Err(OssError::invalid_argument(
        "The form has no file field; the file must be the last field.",
    ))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.header(name)
}

/// PostObject.
// spec: CB-POST-FIELD, CB-POST-OPERATION, CB-POST-SUCCESS-STATUS, CB-AUTH-POST-V1, CB-AUTH-POST-V4, CB-AUTH-POST-CONDITIONS
pub async fn post_object(
    service: &Arc<Service>,
    request: &OssRequest,
    resource: &Resource,
) -> Result<OssResponse, OssError> {
    let bucket = resource.bucket.clone().expect("routed with a bucket");
    let form = parse_form(service, request).await?;
    let post_form = PostForm {
        bucket: &bucket,
        fields: &form.fields,
        file_size: form.file.digests().len,
    };
    let Some(authenticated) =
        verify_post(&post_form, |ak| service.secret_for(ak), SystemTime::now())?
    else {
        return Err(OssError::new(
            403,
            "AccessDenied",
            "AccessDenied: the form carries no signature; sign its policy (V1 or V4).",
        ));
    };
    // spec: CB-EMU-STS
    service.check_security_token(
        &authenticated.access_key_id,
        field(&form.fields, "x-oss-security-token"),
    )?;
    if !service.store.bucket_exists(&bucket) {
        return Err(OssError::no_such_bucket());
    }
    let key = field(&form.fields, "key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| OssError::invalid_argument("The form field key is required."))?
        .replace("${filename}", &form.file_name);
    check_object_key(&key).map_err(OssError::invalid_object_name)?;
    let callback = service.decode_callback(
        RawCallbackParams::from_post_form(
            form.fields.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        ),
        &bucket,
    )?;
    let meta = UploadMeta::from_headers(&form.fields)?;
    let digests = form.file.digests();
    let upload = StoredUpload {
        bucket: bucket.clone(),
        key: key.clone(),
        etag: digests.etag(),
        crc64: digests.crc64,
        size: digests.len,
        content_type: super::metadata::content_type_of(&form.fields),
        content_md5: Some(digests.content_md5()),
        operation: "PostObject",
        data: form.file.blob,
    };
    service
        .store_object(&upload, meta, ObjectType::Normal)
        .await?;
    let plain = match field(&form.fields, "success_action_status") {
        Some("200") => OssResponse::empty(200),
        Some("201") => OssResponse::xml(
            201,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Bucket>{}</Bucket><Location>/{}/{}</Location><Key>{}</Key><ETag>\"{}\"</ETag></PostResponse>",
                escape(&bucket),
                escape(&bucket),
                escape(&key),
                escape(&key),
                upload.etag
            ),
        ),
        _ => OssResponse::empty(204),
    };
    Ok(service
        .finish_upload(request, &upload, callback, plain)
        .await)
}

fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}
