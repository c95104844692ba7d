//! The OSS operations beyond the callback path, through the native client
//! over loopback: what an SDK's ordinary calls reach. Expected values are
//! written out from the API reference (element names, codes, headers) and
//! digests of literal bodies, never read back from the emulator.

use std::time::Duration;

use crate::support::*;
use cbspec_client::{Auth, OssCall};
use cbspec_emulator::{EmulatorConfig, TemporaryCredential};
use cbspec_protocol::auth::Credentials;

// MD5("hello world") from md5sum; CRC-64/XZ (ECMA-182 reflected, as OSS's
// x-oss-hash-crc64ecma) from a bit-at-a-time Python reference whose
// check value for "123456789" is 0x995DC9BBDF1939FA.
const HELLO_MD5_HEX: &str = "5EB63BBBE01EEED093CB22BB8F5ACDC3";
const HELLO_MD5_B64: &str = "XrY7u+Ae7tCTyyK7j1rNww==";
// CRC-64/XZ of "hello world".
const HELLO_CRC64: &str = "5981764153023615706";

fn code(answer: &cbspec_client::OssAnswer) -> String {
    answer.xml_element("Code").unwrap_or_default()
}

async fn put(client: &cbspec_client::OssClient, bucket: &str, key: &str, body: &str) {
    let answer = client
        .send(OssCall::new("PUT", bucket, Some(key)).body(body.to_owned()))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "PUT {key}: {}", answer.text());
}

#[tokio::test]
async fn copy_append_and_metadata() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    let stored = client
        .send(
            OssCall::new("PUT", BUCKET, Some("src.txt"))
                .header("Content-Type", "text/plain")
                .header("Content-Disposition", "attachment; filename=\"a.txt\"")
                .header("Cache-Control", "no-cache")
                .header("x-oss-meta-owner", "ann")
                .header("x-oss-server-side-encryption", "AES256")
                .header("x-oss-traffic-limit", "819200")
                .body("hello world"),
        )
        .await
        .unwrap();
    assert_eq!(stored.status, 200);
    assert_eq!(
        stored.header("etag"),
        Some(&*format!("\"{HELLO_MD5_HEX}\""))
    );
    assert_eq!(stored.header("x-oss-hash-crc64ecma"), Some(HELLO_CRC64));

    // x-oss-forbid-overwrite refuses to replace it, and keeps it as it was.
    let refused = client
        .send(
            OssCall::new("PUT", BUCKET, Some("src.txt"))
                .header("x-oss-forbid-overwrite", "true")
                .body("other"),
        )
        .await
        .unwrap();
    assert_eq!(
        (refused.status, code(&refused)),
        (409, "FileAlreadyExists".into())
    );
    let fresh = client
        .send(
            OssCall::new("PUT", BUCKET, Some("new-key.txt"))
                .header("x-oss-forbid-overwrite", "true")
                .body("x"),
        )
        .await
        .unwrap();
    assert_eq!(fresh.status, 200);

    // GetObjectMeta: only the headers the reference lists.
    let meta = client
        .send(OssCall::new("HEAD", BUCKET, Some("src.txt")).query("objectMeta", None))
        .await
        .unwrap();
    assert_eq!(meta.status, 200);
    assert_eq!(meta.header("content-length"), Some("11"));
    assert_eq!(meta.header("etag"), Some(&*format!("\"{HELLO_MD5_HEX}\"")));
    assert_eq!(meta.header("x-oss-meta-owner"), None);
    let missing = client
        .send(OssCall::new("HEAD", BUCKET, Some("nope")).query("objectMeta", None))
        .await
        .unwrap();
    assert_eq!(missing.status, 404);

    // CopyObject with COPY keeps the source's metadata; cross bucket too.
    let created = client
        .send(OssCall::new("PUT", "other-bucket", None))
        .await
        .unwrap();
    assert_eq!(created.status, 200);
    let copy = client
        .send(
            OssCall::new("PUT", "other-bucket", Some("copy.txt"))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt")),
        )
        .await
        .unwrap();
    assert_eq!(copy.status, 200, "{}", copy.text());
    assert_eq!(
        copy.xml_element("ETag").as_deref(),
        Some(&*format!("\"{HELLO_MD5_HEX}\""))
    );
    assert!(copy.xml_element("LastModified").is_some());
    assert_eq!(copy.header("etag"), Some(&*format!("\"{HELLO_MD5_HEX}\"")));
    let got = client
        .send(OssCall::new("GET", "other-bucket", Some("copy.txt")))
        .await
        .unwrap();
    assert_eq!(got.text(), "hello world");
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename=\"a.txt\"")
    );
    assert_eq!(got.header("cache-control"), Some("no-cache"));
    assert_eq!(got.header("x-oss-meta-owner"), Some("ann"));
    assert_eq!(got.header("x-oss-server-side-encryption"), Some("AES256"));
    assert_eq!(got.header("content-md5"), Some(HELLO_MD5_B64));

    // REPLACE takes the request's metadata: how SDKs update it in place.
    let replaced = client
        .send(
            OssCall::new("PUT", BUCKET, Some("src.txt"))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header("x-oss-metadata-directive", "REPLACE")
                .header("Content-Type", "application/x-new")
                .header("x-oss-meta-owner", "bob"),
        )
        .await
        .unwrap();
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("src.txt")))
        .await
        .unwrap();
    assert_eq!(head.header("content-type"), Some("application/x-new"));
    assert_eq!(head.header("x-oss-meta-owner"), Some("bob"));
    assert_eq!(head.header("cache-control"), None);
    assert_eq!(head.header("content-length"), Some("11"));
    let bad_directive = client
        .send(
            OssCall::new("PUT", BUCKET, Some("x.txt"))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header("x-oss-metadata-directive", "MERGE"),
        )
        .await
        .unwrap();
    assert_eq!(
        (bad_directive.status, code(&bad_directive)),
        (400, "InvalidArgument".into())
    );
    // Copy conditions.
    let failed = client
        .send(
            OssCall::new("PUT", BUCKET, Some("x.txt"))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header(
                    "x-oss-copy-source-if-match",
                    "\"00000000000000000000000000000000\"",
                ),
        )
        .await
        .unwrap();
    assert_eq!(
        (failed.status, code(&failed)),
        (412, "PreconditionFailed".into())
    );

    // AppendObject: position 0 creates it, the next starts at its length.
    let first = client
        .send(
            OssCall::new("POST", BUCKET, Some("log.txt"))
                .query("append", None)
                .query("position", Some("0"))
                .body("hello world"),
        )
        .await
        .unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-oss-next-append-position"), Some("11"));
    assert_eq!(first.header("x-oss-hash-crc64ecma"), Some(HELLO_CRC64));
    let wrong = client
        .send(
            OssCall::new("POST", BUCKET, Some("log.txt"))
                .query("append", None)
                .query("position", Some("3"))
                .body("!!"),
        )
        .await
        .unwrap();
    assert_eq!(
        (wrong.status, code(&wrong)),
        (409, "PositionNotEqualToLength".into())
    );
    assert_eq!(wrong.header("x-oss-next-append-position"), Some("11"));
    let second = client
        .send(
            OssCall::new("POST", BUCKET, Some("log.txt"))
                .query("append", None)
                .query("position", Some("11"))
                .body("!!"),
        )
        .await
        .unwrap();
    assert_eq!(second.header("x-oss-next-append-position"), Some("13"));
    let appended = client
        .send(OssCall::new("GET", BUCKET, Some("log.txt")))
        .await
        .unwrap();
    assert_eq!(appended.text(), "hello world!!");
    assert_eq!(appended.header("x-oss-object-type"), Some("Appendable"));
    assert_eq!(appended.header("content-md5"), None);
    let not_appendable = client
        .send(
            OssCall::new("POST", BUCKET, Some("src.txt"))
                .query("append", None)
                .query("position", Some("11"))
                .body("!!"),
        )
        .await
        .unwrap();
    assert_eq!(
        (not_appendable.status, code(&not_appendable)),
        (409, "ObjectNotAppendable".into())
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn conditional_reads_overrides_and_head_errors() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    put(&client, BUCKET, "c.txt", "hello world").await;
    let etag = format!("\"{HELLO_MD5_HEX}\"");
    let cases: Vec<(&str, String, u16)> = vec![
        ("If-None-Match", etag.clone(), 304),
        ("If-None-Match", "\"other\"".into(), 200),
        ("If-Match", "\"other\"".into(), 412),
        ("If-Match", etag.clone(), 200),
        (
            "If-Modified-Since",
            "Fri, 01 Jan 2100 00:00:00 GMT".into(),
            304,
        ),
        (
            "If-Modified-Since",
            "Thu, 01 Jan 1970 00:00:00 GMT".into(),
            200,
        ),
        (
            "If-Unmodified-Since",
            "Thu, 01 Jan 1970 00:00:00 GMT".into(),
            412,
        ),
    ];
    for (header, value, status) in cases {
        for method in ["GET", "HEAD"] {
            let answer = client
                .send(OssCall::new(method, BUCKET, Some("c.txt")).header(header, value.clone()))
                .await
                .unwrap();
            assert_eq!(answer.status, status, "{method} {header}: {value}");
        }
    }
    let overridden = client
        .send(
            OssCall::new("GET", BUCKET, Some("c.txt"))
                .query("response-content-type", Some("image/png"))
                .query(
                    "response-content-disposition",
                    Some("inline; filename=x.png"),
                )
                .query("utm_source", Some("ignored-parameter")),
        )
        .await
        .unwrap();
    assert_eq!(overridden.status, 200);
    assert_eq!(overridden.header("content-type"), Some("image/png"));
    assert_eq!(
        overridden.header("content-disposition"),
        Some("inline; filename=x.png")
    );
    // A HEAD error has no body: the EC and the document come in headers.
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("absent")))
        .await
        .unwrap();
    assert_eq!(head.status, 404);
    assert_eq!(head.header("x-oss-ec"), Some("0026-00000001"));
    let document = {
        use base64::Engine;
        let encoded = head.header("x-oss-err").expect("x-oss-err on a HEAD error");
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap(),
        )
        .unwrap()
    };
    assert!(document.contains("<Code>NoSuchKey</Code>"), "{document}");
    assert!(document.contains("<EC>0026-00000001</EC>"), "{document}");
    handle.shutdown().await;
}

#[tokio::test]
async fn delete_multiple_acl_tagging_symlink() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    for key in ["d/a b.txt", "d/\u{4e2d}.txt", "d/keep.txt"] {
        put(&client, BUCKET, key, "x").await;
    }
    // Keys URL-encoded, as with encoding-type=url; the answer encodes every
    // byte but letters and digits, as the emulator's listings do.
    let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>false</Quiet><Object><Key>d/a%20b.txt</Key></Object><Object><Key>d/%E4%B8%AD.txt</Key></Object><Object><Key>d/never-existed</Key></Object></Delete>";
    let deleted = client
        .send(
            OssCall::new("POST", BUCKET, None)
                .query("delete", None)
                .query("encoding-type", Some("url"))
                .header("Content-MD5", md5_base64(body.as_bytes()))
                .body(body),
        )
        .await
        .unwrap();
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(
        deleted.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult><EncodingType>url</EncodingType><Deleted><Key>d%2Fa%20b%2Etxt</Key></Deleted><Deleted><Key>d%2F%E4%B8%AD%2Etxt</Key></Deleted><Deleted><Key>d%2Fnever%2Dexisted</Key></Deleted></DeleteResult>"
    );
    for (key, status) in [
        ("d/a b.txt", 404),
        ("d/\u{4e2d}.txt", 404),
        ("d/keep.txt", 200),
    ] {
        let head = client
            .send(OssCall::new("HEAD", BUCKET, Some(key)))
            .await
            .unwrap();
        assert_eq!(head.status, status, "{key}");
    }
    let quiet_body = "<Delete><Quiet>true</Quiet><Object><Key>d/keep.txt</Key></Object></Delete>";
    let quiet = client
        .send(
            OssCall::new("POST", BUCKET, None)
                .query("delete", None)
                .header("Content-MD5", md5_base64(quiet_body.as_bytes()))
                .body(quiet_body),
        )
        .await
        .unwrap();
    assert_eq!(
        quiet.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult/>"
    );

    // Object ACL: stored from the upload header, then changed.
    let acl_put = client
        .send(
            OssCall::new("PUT", BUCKET, Some("acl.txt"))
                .header("x-oss-object-acl", "private")
                .body("x"),
        )
        .await
        .unwrap();
    assert_eq!(acl_put.status, 200);
    let acl = client
        .send(OssCall::new("GET", BUCKET, Some("acl.txt")).query("acl", None))
        .await
        .unwrap();
    assert_eq!(acl.xml_element("Grant").as_deref(), Some("private"));
    let changed = client
        .send(
            OssCall::new("PUT", BUCKET, Some("acl.txt"))
                .query("acl", None)
                .header("x-oss-object-acl", "public-read"),
        )
        .await
        .unwrap();
    assert_eq!(changed.status, 200);
    let acl = client
        .send(OssCall::new("GET", BUCKET, Some("acl.txt")).query("acl", None))
        .await
        .unwrap();
    assert_eq!(acl.xml_element("Grant").as_deref(), Some("public-read"));
    assert!(acl.text().contains("<AccessControlPolicy><Owner><ID>"));
    let bucket_acl = client
        .send(OssCall::new("GET", BUCKET, None).query("acl", None))
        .await
        .unwrap();
    assert_eq!(bucket_acl.xml_element("Grant").as_deref(), Some("private"));

    // Tagging: header on upload, count on HEAD, the sub-resource.
    let tagged = client
        .send(
            OssCall::new("PUT", BUCKET, Some("t.txt"))
                .header("x-oss-tagging", "a=1&b%20c=d")
                .body("x"),
        )
        .await
        .unwrap();
    assert_eq!(tagged.status, 200);
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("t.txt")))
        .await
        .unwrap();
    assert_eq!(head.header("x-oss-tagging-count"), Some("2"));
    let tags = client
        .send(OssCall::new("GET", BUCKET, Some("t.txt")).query("tagging", None))
        .await
        .unwrap();
    assert_eq!(
        tags.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b c</Key><Value>d</Value></Tag></TagSet></Tagging>"
    );
    let deleted = client
        .send(OssCall::new("DELETE", BUCKET, Some("t.txt")).query("tagging", None))
        .await
        .unwrap();
    assert_eq!(deleted.status, 204);
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("t.txt")))
        .await
        .unwrap();
    assert_eq!(head.header("x-oss-tagging-count"), None);

    // Symlink: GET through it serves the target.
    let link = client
        .send(
            OssCall::new("PUT", BUCKET, Some("link"))
                .query("symlink", None)
                .header("x-oss-symlink-target", "acl.txt"),
        )
        .await
        .unwrap();
    assert_eq!(link.status, 200);
    let through = client
        .send(OssCall::new("GET", BUCKET, Some("link")))
        .await
        .unwrap();
    assert_eq!(through.text(), "x");
    assert_eq!(through.header("x-oss-object-type"), Some("Symlink"));
    let target = client
        .send(OssCall::new("GET", BUCKET, Some("link")).query("symlink", None))
        .await
        .unwrap();
    assert_eq!(target.header("x-oss-symlink-target"), Some("acl%2Etxt"));
    let dangling = client
        .send(
            OssCall::new("PUT", BUCKET, Some("dangling"))
                .query("symlink", None)
                .header("x-oss-symlink-target", "gone"),
        )
        .await
        .unwrap();
    assert_eq!(dangling.status, 200);
    let broken = client
        .send(OssCall::new("GET", BUCKET, Some("dangling")))
        .await
        .unwrap();
    assert_eq!(
        (broken.status, code(&broken)),
        (404, "SymlinkTargetNotExist".into())
    );
    handle.shutdown().await;
}

fn md5_base64(data: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

#[tokio::test]
async fn archive_restore_takes_the_configured_delay() {
    let handle = emulator_with(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        restore_delay: Duration::from_millis(300),
        ..EmulatorConfig::default()
    })
    .await;
    let client = client(&handle);
    let stored = client
        .send(
            OssCall::new("PUT", BUCKET, Some("cold.bin"))
                .header("x-oss-storage-class", "Archive")
                .body("hello world"),
        )
        .await
        .unwrap();
    assert_eq!(stored.status, 200);
    let frozen = client
        .send(OssCall::new("GET", BUCKET, Some("cold.bin")))
        .await
        .unwrap();
    assert_eq!(
        (frozen.status, code(&frozen)),
        (403, "InvalidObjectState".into())
    );
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("cold.bin")))
        .await
        .unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.header("x-oss-storage-class"), Some("Archive"));
    let started = client
        .send(OssCall::new("POST", BUCKET, Some("cold.bin")).query("restore", None))
        .await
        .unwrap();
    assert_eq!(started.status, 202);
    let again = client
        .send(OssCall::new("POST", BUCKET, Some("cold.bin")).query("restore", None))
        .await
        .unwrap();
    assert_eq!(
        (again.status, code(&again)),
        (409, "RestoreAlreadyInProgress".into())
    );
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("cold.bin")))
        .await
        .unwrap();
    assert_eq!(
        head.header("x-oss-restore"),
        Some("ongoing-request=\"true\"")
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("cold.bin")))
        .await
        .unwrap();
    let restore = head.header("x-oss-restore").unwrap_or_default().to_owned();
    assert!(
        restore.starts_with("ongoing-request=\"false\", expiry-date=\"")
            && restore.ends_with(" GMT\""),
        "{restore}"
    );
    let thawed = client
        .send(OssCall::new("GET", BUCKET, Some("cold.bin")))
        .await
        .unwrap();
    assert_eq!(thawed.text(), "hello world");
    let restored_again = client
        .send(OssCall::new("POST", BUCKET, Some("cold.bin")).query("restore", None))
        .await
        .unwrap();
    assert_eq!(restored_again.status, 200);
    put(&client, BUCKET, "warm.bin", "x").await;
    let standard = client
        .send(OssCall::new("POST", BUCKET, Some("warm.bin")).query("restore", None))
        .await
        .unwrap();
    assert_eq!(
        (standard.status, code(&standard)),
        (400, "OperationNotSupported".into())
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn multipart_listing_part_copy_and_complete_all() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    put(&client, BUCKET, "src.txt", "hello world").await;
    let mut ids = Vec::new();
    for key in ["up/a", "up/b", "other"] {
        let init = client
            .send(OssCall::new("POST", BUCKET, Some(key)).query("uploads", None))
            .await
            .unwrap();
        ids.push(init.xml_element("UploadId").unwrap());
    }
    let page = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("uploads", None)
                .query("prefix", Some("up/"))
                .query("max-uploads", Some("1")),
        )
        .await
        .unwrap();
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.xml_element("Key").as_deref(), Some("up/a"));
    assert_eq!(page.xml_element("IsTruncated").as_deref(), Some("true"));
    assert_eq!(page.xml_element("NextKeyMarker").as_deref(), Some("up/a"));
    let rest = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("uploads", None)
                .query("prefix", Some("up/"))
                .query("key-marker", Some("up/a")),
        )
        .await
        .unwrap();
    assert_eq!(rest.xml_element("Key").as_deref(), Some("up/b"));
    assert_eq!(rest.xml_element("IsTruncated").as_deref(), Some("false"));

    // UploadPartCopy of bytes 6..=10 ("world"), then an UploadPart.
    let copied = client
        .send(
            OssCall::new("PUT", BUCKET, Some("up/a"))
                .query("partNumber", Some("1"))
                .query("uploadId", Some(&ids[0]))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header("x-oss-copy-source-range", "bytes=6-10"),
        )
        .await
        .unwrap();
    assert_eq!(copied.status, 200, "{}", copied.text());
    // MD5("world") = 7D793037A0760186574B0282F2F435E7.
    assert_eq!(
        copied.xml_element("ETag").as_deref(),
        Some("\"7D793037A0760186574B0282F2F435E7\"")
    );
    let part = client
        .send(
            OssCall::new("PUT", BUCKET, Some("up/a"))
                .query("partNumber", Some("2"))
                .query("uploadId", Some(&ids[0]))
                .body("hello world"),
        )
        .await
        .unwrap();
    assert_eq!(part.header("x-oss-hash-crc64ecma"), Some(HELLO_CRC64));
    assert_eq!(part.header("content-md5"), Some(HELLO_MD5_B64));
    let out_of_range = client
        .send(
            OssCall::new("PUT", BUCKET, Some("up/a"))
                .query("partNumber", Some("3"))
                .query("uploadId", Some(&ids[0]))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header("x-oss-copy-source-range", "bytes=6-11"),
        )
        .await
        .unwrap();
    assert_eq!(out_of_range.status, 416);
    // x-oss-complete-all: every part, in order, no body. Part 1 is below
    // 100 KB, so only a one-part upload can complete; use up/b.
    let small = client
        .send(
            OssCall::new("PUT", BUCKET, Some("up/b"))
                .query("partNumber", Some("1"))
                .query("uploadId", Some(&ids[1]))
                .header("x-oss-copy-source", format!("/{BUCKET}/src.txt"))
                .header("x-oss-copy-source-range", "bytes=0-4"),
        )
        .await
        .unwrap();
    assert_eq!(small.status, 200);
    let both = client
        .send(
            OssCall::new("POST", BUCKET, Some("up/b"))
                .query("uploadId", Some(&ids[1]))
                .header("x-oss-complete-all", "yes")
                .body("<CompleteMultipartUpload/>"),
        )
        .await
        .unwrap();
    assert_eq!((both.status, code(&both)), (400, "InvalidArgument".into()));
    let done = client
        .send(
            OssCall::new("POST", BUCKET, Some("up/b"))
                .query("uploadId", Some(&ids[1]))
                .header("x-oss-complete-all", "yes"),
        )
        .await
        .unwrap();
    assert_eq!(done.status, 200, "{}", done.text());
    let object = client
        .send(OssCall::new("GET", BUCKET, Some("up/b")))
        .await
        .unwrap();
    assert_eq!(object.text(), "hello");
    assert_eq!(object.header("x-oss-object-type"), Some("Multipart"));
    handle.shutdown().await;
}

// spec: CB-EMU-CORS
#[tokio::test]
async fn bucket_info_stat_listing_and_cors() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    put(&client, BUCKET, "one.txt", "hello world").await;
    let info = client
        .send(OssCall::new("GET", BUCKET, None).query("bucketInfo", None))
        .await
        .unwrap();
    assert_eq!(info.status, 200);
    assert_eq!(info.xml_element("Name").as_deref(), Some(BUCKET));
    assert_eq!(
        info.xml_element("Location").as_deref(),
        Some("oss-cn-hangzhou")
    );
    assert_eq!(
        info.xml_element("StorageClass").as_deref(),
        Some("Standard")
    );
    assert_eq!(info.xml_element("Grant").as_deref(), Some("private"));
    let location = client
        .send(OssCall::new("GET", BUCKET, None).query("location", None))
        .await
        .unwrap();
    assert_eq!(
        location.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint>oss-cn-hangzhou</LocationConstraint>"
    );
    let stat = client
        .send(OssCall::new("GET", BUCKET, None).query("stat", None))
        .await
        .unwrap();
    assert_eq!(stat.xml_element("Storage").as_deref(), Some("11"));
    assert_eq!(stat.xml_element("ObjectCount").as_deref(), Some("1"));
    assert_eq!(
        stat.xml_element("StandardObjectCount").as_deref(),
        Some("1")
    );
    for name in ["bucket-a1", "bucket-a2", "bucket-b"] {
        client.send(OssCall::new("PUT", name, None)).await.unwrap();
    }
    let listed = client
        .send(
            cbspec_client::OssCall {
                bucket: None,
                ..OssCall::new("GET", "", None)
            }
            .query("prefix", Some("bucket-a"))
            .query("max-keys", Some("1")),
        )
        .await
        .unwrap();
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.xml_element("Name").as_deref(), Some("bucket-a1"));
    assert_eq!(listed.xml_element("IsTruncated").as_deref(), Some("true"));
    assert_eq!(
        listed.xml_element("NextMarker").as_deref(),
        Some("bucket-a1")
    );
    assert_eq!(listed.xml_element("Region").as_deref(), Some("cn-hangzhou"));

    // CORS: none, then a rule, a preflight, an actual request, delete.
    let none = client
        .send(OssCall::new("GET", BUCKET, None).query("cors", None))
        .await
        .unwrap();
    assert_eq!(
        (none.status, code(&none)),
        (404, "NoSuchCORSConfiguration".into())
    );
    let rules = "<CORSConfiguration><CORSRule><AllowedOrigin>http://app.example.test</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-oss-request-id</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule></CORSConfiguration>";
    let put_cors = client
        .send(
            OssCall::new("PUT", BUCKET, None)
                .query("cors", None)
                .body(rules),
        )
        .await
        .unwrap();
    assert_eq!(put_cors.status, 200, "{}", put_cors.text());
    let preflight = client
        .send(
            OssCall::new("OPTIONS", BUCKET, Some("one.txt"))
                .header("Origin", "http://app.example.test")
                .header("Access-Control-Request-Method", "PUT")
                .header(
                    "Access-Control-Request-Headers",
                    "x-oss-callback, content-type",
                )
                .auth(Auth::Anonymous),
        )
        .await
        .unwrap();
    assert_eq!(preflight.status, 200);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://app.example.test")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("PUT, GET")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("x-oss-callback, content-type")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("60"));
    let denied = client
        .send(
            OssCall::new("OPTIONS", BUCKET, Some("one.txt"))
                .header("Origin", "http://evil.test")
                .header("Access-Control-Request-Method", "PUT")
                .auth(Auth::Anonymous),
        )
        .await
        .unwrap();
    assert_eq!(
        (denied.status, code(&denied)),
        (403, "AccessForbidden".into())
    );
    let actual = client
        .send(
            OssCall::new("GET", BUCKET, Some("one.txt"))
                .header("Origin", "http://app.example.test"),
        )
        .await
        .unwrap();
    assert_eq!(
        actual.header("access-control-expose-headers"),
        Some("ETag, x-oss-request-id")
    );
    let deleted = client
        .send(OssCall::new("DELETE", BUCKET, None).query("cors", None))
        .await
        .unwrap();
    assert_eq!(deleted.status, 204);
    handle.shutdown().await;
}

// spec: CB-EMU-STS
#[tokio::test]
async fn temporary_credentials_need_their_current_token() {
    let temporary = TemporaryCredential::parse("STS.cbspectest:tmp-secret:tmp-token").unwrap();
    let expired =
        TemporaryCredential::parse("STS.expired:old-secret:old-token@2020-01-01T00:00:00Z")
            .unwrap();
    let handle = emulator_with(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        temporary_credentials: vec![temporary, expired],
        ..EmulatorConfig::default()
    })
    .await;
    let sts = client(&handle).with_credentials(Credentials::new("STS.cbspectest", "tmp-secret"));
    for auth in [Auth::V1Header, Auth::V4Header] {
        let ok = sts
            .send(
                OssCall::new("PUT", BUCKET, Some("sts.txt"))
                    .header("x-oss-security-token", "tmp-token")
                    .auth(auth)
                    .body("x"),
            )
            .await
            .unwrap();
        assert_eq!(ok.status, 200, "{auth:?}: {}", ok.text());
    }
    let presigned = sts
        .send(
            OssCall::new("GET", BUCKET, Some("sts.txt"))
                .query("security-token", Some("tmp-token"))
                .auth(Auth::V1Presigned),
        )
        .await
        .unwrap();
    assert_eq!(presigned.status, 200, "{}", presigned.text());
    let wrong = sts
        .send(OssCall::new("GET", BUCKET, Some("sts.txt")).header("x-oss-security-token", "forged"))
        .await
        .unwrap();
    assert_eq!(
        (wrong.status, code(&wrong)),
        (403, "InvalidSecurityToken".into())
    );
    let missing = sts
        .send(OssCall::new("GET", BUCKET, Some("sts.txt")))
        .await
        .unwrap();
    assert_eq!(
        (missing.status, code(&missing)),
        (403, "InvalidAccessKeyId".into())
    );
    let old = client(&handle).with_credentials(Credentials::new("STS.expired", "old-secret"));
    let stale = old
        .send(
            OssCall::new("GET", BUCKET, Some("sts.txt"))
                .header("x-oss-security-token", "old-token"),
        )
        .await
        .unwrap();
    assert_eq!(
        (stale.status, code(&stale)),
        (403, "SecurityTokenExpired".into())
    );
    // Minting: signed with the long-term key only.
    let minted = client(&handle)
        .send(OssCall::new("POST", "_cbspec", Some("sts")).query("duration-seconds", Some("900")))
        .await
        .unwrap();
    assert_eq!(minted.status, 200, "{}", minted.text());
    let json: serde_json::Value = serde_json::from_slice(&minted.body).unwrap();
    let ak = json["Credentials"]["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = json["Credentials"]["AccessKeySecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = json["Credentials"]["SecurityToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ak.starts_with("STS."));
    let fresh = client(&handle).with_credentials(Credentials::new(ak, secret));
    let read = fresh
        .send(OssCall::new("GET", BUCKET, Some("sts.txt")).header("x-oss-security-token", &token))
        .await
        .unwrap();
    assert_eq!(read.text(), "x");
    let by_temporary = fresh
        .send(OssCall::new("POST", "_cbspec", Some("sts")).header("x-oss-security-token", &token))
        .await
        .unwrap();
    assert_eq!(by_temporary.status, 403);
    handle.shutdown().await;
}
