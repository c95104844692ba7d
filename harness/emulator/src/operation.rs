//! Which OSS operation a request is: decided from its method, whether it
//! names a bucket and a key, and the sub-resources in its query. Pure.
//!
//! A query parameter that is not an OSS sub-resource is ignored, as OSS
//! ignores it. A real OSS sub-resource the emulator does not implement is
//! refused with 405 naming it, never answered as another operation (an
//! UploadPartCopy taken for an UploadPart of an empty body, say, loses data).

use cbspec_protocol::auth::v1::SUB_RESOURCES;

/// The operations the emulator implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Operation {
    ListBuckets,
    PutBucket,
    DeleteBucket,
    HeadBucket,
    ListObjects,
    PostObject,
    DeleteMultipleObjects,
    PutBucketAcl,
    GetBucketAcl,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    PutBucketCallbackPolicy,
    GetBucketCallbackPolicy,
    DeleteBucketCallbackPolicy,
    GetBucketInfo,
    GetBucketLocation,
    GetBucketStat,
    ListMultipartUploads,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    GetObjectMeta,
    DeleteObject,
    AppendObject,
    RestoreObject,
    PutObjectAcl,
    GetObjectAcl,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    PutSymlink,
    GetSymlink,
    InitiateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
}

/// What a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `/`.
    Service,
    /// `/bucket`.
    Bucket,
    /// `/bucket/key`.
    Object,
}

/// Why no operation was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// A real OSS sub-resource the emulator does not implement (for this method).
    SubResource(String),
    /// No operation of this method at this level.
    Method,
}

/// Query names in the V1 sub-resource list that parameterise an operation
/// rather than name one: they never make a request another operation.
const PARAMETERS: [&str; 22] = [
    "callback",
    "callback-var",
    "continuation-token",
    "partNumber",
    "position",
    "security-token",
    "versionId",
    "comp",
    "endTime",
    "startTime",
    "status",
    "group",
    "inventoryId",
    "wormId",
    "sequential",
    "styleName",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
];

/// Operation-naming parameters OSS has beyond the V1 list.
const EXTRA_SUB_RESOURCES: [&str; 2] = ["x-oss-process", "x-oss-async-process"];

/// The sub-resource a bucket callback policy request names: `policy`
/// together with `comp=callback`.
pub const CALLBACK_POLICY: &str = "policy&comp=callback";

/// `(method, level, sub-resource, operation)`: the first row whose
/// sub-resource is present wins; `None` rows match when no sub-resource is.
const TABLE: &[(&str, Level, Option<&str>, Operation)] = {
    use Level::*;
    use Operation::*;
    &[
        ("GET", Service, None, ListBuckets),
        ("PUT", Bucket, Some("acl"), PutBucketAcl),
        ("GET", Bucket, Some("acl"), GetBucketAcl),
        ("PUT", Bucket, Some("cors"), PutBucketCors),
        ("GET", Bucket, Some("cors"), GetBucketCors),
        ("DELETE", Bucket, Some("cors"), DeleteBucketCors),
        (
            "PUT",
            Bucket,
            Some(CALLBACK_POLICY),
            PutBucketCallbackPolicy,
        ),
        (
            "GET",
            Bucket,
            Some(CALLBACK_POLICY),
            GetBucketCallbackPolicy,
        ),
        (
            "DELETE",
            Bucket,
            Some(CALLBACK_POLICY),
            DeleteBucketCallbackPolicy,
        ),
        ("GET", Bucket, Some("bucketInfo"), GetBucketInfo),
        ("GET", Bucket, Some("location"), GetBucketLocation),
        ("GET", Bucket, Some("stat"), GetBucketStat),
        ("GET", Bucket, Some("uploads"), ListMultipartUploads),
        ("POST", Bucket, Some("delete"), DeleteMultipleObjects),
        ("PUT", Bucket, None, PutBucket),
        ("DELETE", Bucket, None, DeleteBucket),
        ("HEAD", Bucket, None, HeadBucket),
        ("GET", Bucket, None, ListObjects),
        ("POST", Bucket, None, PostObject),
        ("PUT", Object, Some("acl"), PutObjectAcl),
        ("GET", Object, Some("acl"), GetObjectAcl),
        ("PUT", Object, Some("tagging"), PutObjectTagging),
        ("GET", Object, Some("tagging"), GetObjectTagging),
        ("DELETE", Object, Some("tagging"), DeleteObjectTagging),
        ("PUT", Object, Some("symlink"), PutSymlink),
        ("GET", Object, Some("symlink"), GetSymlink),
        ("HEAD", Object, Some("objectMeta"), GetObjectMeta),
        ("POST", Object, Some("append"), AppendObject),
        ("POST", Object, Some("restore"), RestoreObject),
        ("POST", Object, Some("uploads"), InitiateMultipartUpload),
        ("PUT", Object, Some("uploadId"), UploadPart),
        ("POST", Object, Some("uploadId"), CompleteMultipartUpload),
        ("DELETE", Object, Some("uploadId"), AbortMultipartUpload),
        ("GET", Object, Some("uploadId"), ListParts),
        ("PUT", Object, None, PutObject),
        ("GET", Object, None, GetObject),
        ("HEAD", Object, None, HeadObject),
        ("DELETE", Object, None, DeleteObject),
    ]
};

/// Whether a query name names an OSS operation (and so must be
/// implemented, or refused).
pub fn is_operation_sub_resource(name: &str) -> bool {
    (SUB_RESOURCES.contains(&name) && !PARAMETERS.contains(&name))
        || EXTRA_SUB_RESOURCES.contains(&name)
}

/// Identifies the operation. `query` is the decoded query in order;
/// `copy_source` says whether `x-oss-copy-source` was sent (it turns a
/// PutObject into CopyObject and an UploadPart into UploadPartCopy).
pub fn identify(
    method: &str,
    level: Level,
    query: &[(String, Option<String>)],
    copy_source: bool,
) -> Result<Operation, Unsupported> {
    let callback_comp = query
        .iter()
        .any(|(n, v)| n == "comp" && v.as_deref() == Some("callback"));
    let mut present: Vec<&str> = query
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| is_operation_sub_resource(n))
        .map(|n| {
            if n == "policy" && callback_comp {
                CALLBACK_POLICY
            } else {
                n
            }
        })
        .collect();
    present.dedup();
    let rows = || {
        TABLE
            .iter()
            .filter(|(m, l, ..)| *m == method && *l == level)
    };
    let chosen = rows()
        .find(|(_, _, sub, _)| sub.is_some_and(|s| present.contains(&s)))
        .or_else(|| {
            present
                .is_empty()
                .then(|| rows().find(|(_, _, sub, _)| sub.is_none()))
                .flatten()
        });
    let Some(&(_, _, chosen_sub, operation)) = chosen else {
        return Err(match present.first() {
            Some(sub) => Unsupported::SubResource((*sub).to_owned()),
            None => Unsupported::Method,
        });
    };
    // Every operation sub-resource present must be the chosen one (or,
    // for a multipart upload, `uploads` beside nothing else).
    if let Some(other) = present.iter().find(|s| Some(**s) != chosen_sub) {
        return Err(Unsupported::SubResource((*other).to_owned()));
    }
    Ok(match (operation, copy_source) {
        (Operation::PutObject, true) => Operation::CopyObject,
        (Operation::UploadPart, true) => Operation::UploadPartCopy,
        (operation, _) => operation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Level::*;
    use Operation::*;

    fn query(text: &str) -> Vec<(String, Option<String>)> {
        text.split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (p.to_owned(), None),
            })
            .collect()
    }

    fn op(method: &str, level: Level, q: &str) -> Result<Operation, Unsupported> {
        identify(method, level, &query(q), false)
    }

    #[test]
    fn operations_the_sdks_call() {
        assert_eq!(op("HEAD", Object, "objectMeta"), Ok(GetObjectMeta));
        assert_eq!(op("POST", Bucket, "delete"), Ok(DeleteMultipleObjects));
        assert_eq!(op("POST", Bucket, ""), Ok(PostObject));
        assert_eq!(op("POST", Object, "append&position=0"), Ok(AppendObject));
        assert_eq!(op("PUT", Object, "partNumber=1&uploadId=U"), Ok(UploadPart));
        assert_eq!(
            identify("PUT", Object, &query("partNumber=1&uploadId=U"), true),
            Ok(UploadPartCopy)
        );
        assert_eq!(identify("PUT", Object, &[], true), Ok(CopyObject));
        assert_eq!(
            op("GET", Bucket, "policy&comp=callback"),
            Ok(GetBucketCallbackPolicy)
        );
        assert_eq!(
            op("GET", Bucket, "uploads&prefix=a"),
            Ok(ListMultipartUploads)
        );
        assert_eq!(op("GET", Service, ""), Ok(ListBuckets));
        assert_eq!(
            op("GET", Object, "response-content-type=a%2Fb"),
            Ok(GetObject)
        );
    }

    #[test]
    fn parameters_that_are_not_sub_resources_are_ignored() {
        assert_eq!(op("GET", Object, "foo=bar&utm_source=x"), Ok(GetObject));
        assert_eq!(op("PUT", Object, "x-unknown"), Ok(PutObject));
        assert_eq!(op("GET", Bucket, "prefix=a&max-keys=2"), Ok(ListObjects));
    }

    #[test]
    fn real_sub_resources_not_implemented_are_named() {
        assert_eq!(
            op("GET", Bucket, "lifecycle"),
            Err(Unsupported::SubResource("lifecycle".into()))
        );
        assert_eq!(
            op("GET", Bucket, "policy"),
            Err(Unsupported::SubResource("policy".into()))
        );
        assert_eq!(
            op("GET", Object, "x-oss-process=image/resize,w_10"),
            Err(Unsupported::SubResource("x-oss-process".into()))
        );
        // A sub-resource of another method: DELETE ?acl does not exist.
        assert_eq!(
            op("DELETE", Object, "acl"),
            Err(Unsupported::SubResource("acl".into()))
        );
        // Two operations at once.
        assert_eq!(
            op("GET", Object, "acl&tagging"),
            Err(Unsupported::SubResource("tagging".into()))
        );
        assert_eq!(op("PATCH", Object, ""), Err(Unsupported::Method));
        assert_eq!(op("DELETE", Service, ""), Err(Unsupported::Method));
    }
}
