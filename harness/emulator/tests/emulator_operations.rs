//! The emulator as an OSS endpoint: buckets, listings, ranges, addressing,
//! authentication failures, bad requests, persistence and load.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::support::*;
use cbspec_client::{Auth, OssCall, OssClient};
use cbspec_emulator::EmulatorConfig;
use cbspec_protocol::auth::{v1, Credentials, SignableRequest};
use cbspec_protocol::error_document::ErrorDocument;

fn code(answer: &cbspec_client::OssAnswer) -> String {
    ErrorDocument::from_xml(&answer.text())
        .unwrap_or_else(|e| {
            panic!(
                "status {} body is not an OSS error document ({e}): {}",
                answer.status,
                answer.text()
            )
        })
        .code
}

#[tokio::test]
async fn buckets_and_listings() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    let created = client
        .send(OssCall::new("PUT", "second-bucket", None))
        .await
        .unwrap();
    assert_eq!(created.status, 200);
    // The caller owns the bucket already: OSS answers its owner 200.
    let again = client
        .send(OssCall::new("PUT", "second-bucket", None))
        .await
        .unwrap();
    assert_eq!(again.status, 200);
    let bad = client
        .send(OssCall::new("PUT", "Bad_Name", None))
        .await
        .unwrap();
    assert_eq!((bad.status, code(&bad)), (400, "InvalidBucketName".into()));

    for key in ["a/1.txt", "a/2.txt", "b/3.txt", "c.txt"] {
        let put = client
            .send(OssCall::new("PUT", BUCKET, Some(key)).body("x"))
            .await
            .unwrap();
        assert_eq!(put.status, 200);
    }
    let list = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("delimiter", Some("/"))
                .query("max-keys", Some("2")),
        )
        .await
        .unwrap();
    let text = list.text();
    assert!(text.contains("<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"), "{text}");
    assert!(
        text.contains("<IsTruncated>true</IsTruncated>")
            && text.contains("<NextMarker>b/</NextMarker>"),
        "{text}"
    );
    let next = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("delimiter", Some("/"))
                .query("marker", Some("b/")),
        )
        .await
        .unwrap();
    assert!(
        next.text().contains("<Key>c.txt</Key>")
            && !next.text().contains("<Prefix>b/</Prefix></CommonPrefixes>"),
        "{}",
        next.text()
    );
    let v2 = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("list-type", Some("2"))
                .query("prefix", Some("a/")),
        )
        .await
        .unwrap();
    assert!(
        v2.text().contains("<KeyCount>2</KeyCount>"),
        "{}",
        v2.text()
    );
    assert!(
        v2.text().contains("<Key>a/1.txt</Key>")
            && v2
                .text()
                .contains("<ETag>\"9DD4E461268C8034F5C8564E155C67A6\"</ETag>"),
        "{}",
        v2.text()
    );

    // Presigned URLs carry their signature in the query; listing must accept it.
    let presigned = client
        .send(
            OssCall::new("GET", BUCKET, None)
                .query("prefix", Some("b/"))
                .auth(Auth::V1Presigned),
        )
        .await
        .unwrap();
    assert_eq!(presigned.status, 200, "{}", presigned.text());
    assert!(
        presigned.text().contains("<Key>b/3.txt</Key>"),
        "{}",
        presigned.text()
    );

    let not_empty = client
        .send(OssCall::new("DELETE", BUCKET, None))
        .await
        .unwrap();
    assert_eq!(
        (not_empty.status, code(&not_empty)),
        (409, "BucketNotEmpty".into())
    );
    let deleted = client
        .send(OssCall::new("DELETE", "second-bucket", None))
        .await
        .unwrap();
    assert_eq!(deleted.status, 204);
    let missing = client
        .send(OssCall::new("PUT", "no-such-bucket", Some("k")).body("x"))
        .await
        .unwrap();
    assert_eq!(
        (missing.status, code(&missing)),
        (404, "NoSuchBucket".into())
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn get_head_range_and_delete() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    let put = client
        .send(
            OssCall::new("PUT", BUCKET, Some("r.txt"))
                .header("Content-Type", "text/csv")
                .header("x-oss-meta-owner", "me")
                .body("0123456789"),
        )
        .await
        .unwrap();
    // md5("0123456789") = 781E5E245D69B566979B86E28D23F2C7; CRC-64/XZ 2838902930144391966 (both from Python).
    assert_eq!(
        put.header("etag"),
        Some("\"781E5E245D69B566979B86E28D23F2C7\"")
    );
    assert_eq!(
        put.header("x-oss-hash-crc64ecma"),
        Some("2838902930144391966")
    );
    assert_eq!(
        put.header("x-oss-request-id")
            .map(cbspec_protocol::error_document::is_request_id),
        Some(true)
    );
    let range = client
        .send(OssCall::new("GET", BUCKET, Some("r.txt")).header("Range", "bytes=2-4"))
        .await
        .unwrap();
    assert_eq!((range.status, range.text().as_str()), (206, "234"));
    assert_eq!(range.header("content-range"), Some("bytes 2-4/10"));
    let tail = client
        .send(OssCall::new("GET", BUCKET, Some("r.txt")).header("Range", "bytes=-3"))
        .await
        .unwrap();
    assert_eq!(tail.text(), "789");
    let ignored = client
        .send(OssCall::new("GET", BUCKET, Some("r.txt")).header("Range", "bytes=9-2"))
        .await
        .unwrap();
    assert_eq!(
        (ignored.status, ignored.text().as_str()),
        (200, "0123456789")
    );
    let beyond = client
        .send(OssCall::new("GET", BUCKET, Some("r.txt")).header("Range", "bytes=10-20"))
        .await
        .unwrap();
    assert_eq!((beyond.status, code(&beyond)), (416, "InvalidRange".into()));
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("r.txt")))
        .await
        .unwrap();
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some("10"));
    assert_eq!(head.header("content-type"), Some("text/csv"));
    assert_eq!(head.header("x-oss-meta-owner"), Some("me"));
    let bad_md5 = client
        .send(
            OssCall::new("PUT", BUCKET, Some("m.txt"))
                .header("Content-MD5", "AAAAAAAAAAAAAAAAAAAAAA==")
                .body("x"),
        )
        .await
        .unwrap();
    assert_eq!(
        (bad_md5.status, code(&bad_md5)),
        (400, "InvalidDigest".into())
    );
    assert_eq!(
        client
            .send(OssCall::new("DELETE", BUCKET, Some("r.txt")))
            .await
            .unwrap()
            .status,
        204
    );
    let gone = client
        .send(OssCall::new("GET", BUCKET, Some("r.txt")))
        .await
        .unwrap();
    assert_eq!((gone.status, code(&gone)), (404, "NoSuchKey".into()));
    handle.shutdown().await;
}

// spec: CB-AUTH-MISMATCH, CB-AUTH-V1-DATE
#[tokio::test]
async fn authentication_failures_are_oss_403s() {
    let handle = emulator(Duration::from_secs(5)).await;
    let wrong = OssClient::new(
        &handle.endpoint(),
        Credentials::new("cbspec-test-key", "wrong"),
        "cn-hangzhou",
        Duration::from_secs(10),
    )
    .unwrap();
    let answer = wrong
        .send(OssCall::new("PUT", BUCKET, Some("k")).body("x"))
        .await
        .unwrap();
    assert_eq!(
        (answer.status, code(&answer)),
        (403, "SignatureDoesNotMatch".into())
    );
    let doc = ErrorDocument::from_xml(&answer.text()).unwrap();
    assert!(
        doc.extra
            .iter()
            .any(|(n, v)| n == "StringToSign" && v.starts_with("PUT\n")),
        "{:?}",
        doc.extra
    );
    let unknown = OssClient::new(
        &handle.endpoint(),
        Credentials::new("nobody", "x"),
        "cn-hangzhou",
        Duration::from_secs(10),
    )
    .unwrap();
    let answer = unknown
        .send(OssCall::new("GET", BUCKET, Some("k")).auth(Auth::V4Header))
        .await
        .unwrap();
    assert_eq!(
        (answer.status, code(&answer)),
        (403, "InvalidAccessKeyId".into())
    );
    let anonymous = client(&handle)
        .send(OssCall::new("GET", BUCKET, Some("k")).auth(Auth::Anonymous))
        .await
        .unwrap();
    assert_eq!(
        (anonymous.status, code(&anonymous)),
        (403, "AccessDenied".into())
    );

    // ali-oss style: no Date, only x-oss-date, and the bucket in the Host header.
    let date = httpdate::fmt_http_date(SystemTime::now());
    let mut signable = SignableRequest::new("PUT", Some(BUCKET), Some("vh/key.txt"))
        .with_header("x-oss-date", date.clone());
    let authorization = v1::sign_header(&mut signable, &credentials(), SystemTime::now());
    assert!(signable.header("date").is_none());
    let response = reqwest::Client::new()
        .put(format!("{}/vh/key.txt", handle.endpoint()))
        .header("Host", format!("{BUCKET}.oss-cn-hangzhou.aliyuncs.com"))
        .header("x-oss-date", date)
        .header("Authorization", authorization)
        .body("virtual")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{}",
        response.text().await.unwrap()
    );
    let got = client(&handle)
        .send(OssCall::new("GET", BUCKET, Some("vh/key.txt")))
        .await
        .unwrap();
    assert_eq!(got.text(), "virtual");
    handle.shutdown().await;
}

#[tokio::test]
async fn bad_requests_get_oss_4xx_documents_never_5xx() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    let init = client
        .send(OssCall::new("POST", BUCKET, Some("m")).query("uploads", None))
        .await
        .unwrap();
    let upload_id = init
        .xml_element("UploadId")
        .expect("InitiateMultipartUpload answers an UploadId");
    let cases: Vec<(OssCall, u16, &str)> = vec![
        (OssCall::new("POST", BUCKET, Some("m")).query("uploadId", Some(&upload_id)).body("<CompleteMultipartUpload><Part>"), 400, "MalformedXML"),
        (OssCall::new("POST", BUCKET, Some("m")).query("uploadId", Some(&upload_id)).body("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"00\"</ETag></Part></CompleteMultipartUpload>"), 400, "InvalidPart"),
        (OssCall::new("POST", BUCKET, Some("m")).query("uploadId", Some("nope")).body("<CompleteMultipartUpload/>"), 404, "NoSuchUpload"),
        (OssCall::new("PUT", BUCKET, Some("m")).query("uploadId", Some(&upload_id)).query("partNumber", Some("0")).body("x"), 400, "InvalidArgument"),
        // PutObjectACL without the ACL header, and with a value OSS does not have.
        (OssCall::new("PUT", BUCKET, Some("m")).query("acl", None), 400, "InvalidArgument"),
        (OssCall::new("PUT", BUCKET, Some("m")).query("acl", None).header("x-oss-object-acl", "public"), 400, "InvalidArgument"),
        // AppendObject at a position past the (absent) object's length.
        (OssCall::new("POST", BUCKET, Some("m")).query("append", None).query("position", Some("5")).body("x"), 409, "PositionNotEqualToLength"),
        (OssCall::new("POST", BUCKET, Some("m")).query("append", None).query("position", Some("-1")).body("x"), 400, "InvalidArgument"),
        // CopyObject from a bucket and from a key that do not exist.
        (OssCall::new("PUT", BUCKET, Some("m")).header("x-oss-copy-source", "/no-such-bucket/x"), 404, "NoSuchBucket"),
        (OssCall::new("PUT", BUCKET, Some("m")).header("x-oss-copy-source", format!("/{BUCKET}/absent")), 404, "NoSuchKey"),
        (OssCall::new("PUT", BUCKET, Some("m")).header("x-oss-copy-source", "no-slash"), 400, "InvalidArgument"),
        // Unknown storage class; too many tags.
        (OssCall::new("PUT", BUCKET, Some("m")).header("x-oss-storage-class", "Glacier").body("x"), 400, "InvalidArgument"),
        (OssCall::new("PUT", BUCKET, Some("m")).header("x-oss-tagging", (0..11).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join("&")).body("x"), 400, "InvalidTag"),
        // Malformed XML bodies: the message never repeats the parser's words.
        (OssCall::new("POST", BUCKET, None).query("delete", None).header("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==").body(""), 400, "MalformedXML"),
        (OssCall::new("POST", BUCKET, None).query("delete", None).body("<Delete><Object><Key>a</Key></Object></Delete>"), 400, "MissingArgument"),
        (OssCall::new("PUT", BUCKET, None).query("cors", None).body("<CORSConfiguration><CORSRule>"), 400, "MalformedXML"),
        (OssCall::new("PUT", BUCKET, None).query("policy", None).query("comp", Some("callback")).body("<BucketCallbackPolicy><PolicyItem><PolicyName>p</PolicyName></PolicyItem>"), 400, "MalformedXML"),
        (OssCall::new("PUT", BUCKET, Some("m")).query("tagging", None).body("<Tagging><TagSet><Tag>"), 400, "MalformedXML"),
        (OssCall::new("POST", BUCKET, Some("m")).query("restore", None), 404, "NoSuchKey"),
        (OssCall::new("PATCH", BUCKET, Some("m")).body("x"), 405, "MethodNotAllowed"),
        (OssCall::new("PUT", BUCKET, None).query("acl", None), 400, "InvalidArgument"),
        (OssCall::new("GET", BUCKET, None).query("lifecycle", None), 405, "MethodNotAllowed"),
        (OssCall::new("GET", BUCKET, None).query("policy", None), 405, "MethodNotAllowed"),
        (OssCall::new("GET", BUCKET, None).query("max-keys", Some("abc")), 400, "InvalidArgument"),
        (OssCall::new("PUT", BUCKET, Some("big")).header("x-oss-meta-big", "v".repeat(70 * 1024)).body("x"), 400, "InvalidArgument"),
        (OssCall::new("POST", BUCKET, None).header("Content-Type", "multipart/form-data; boundary=zz").body("--zz\r\nnonsense").auth(Auth::Anonymous), 400, "InvalidArgument"),
        (OssCall::new("POST", BUCKET, None).header("Content-Type", "text/plain").body("x").auth(Auth::Anonymous), 400, "InvalidArgument"),
    ];
    for (call, status, expected) in cases {
        let what = format!("{} {:?} {:?}", call.method, call.key, call.query);
        let answer = client.send(call).await.unwrap();
        assert_eq!(
            (answer.status, code(&answer)),
            (status, expected.to_owned()),
            "{what}"
        );
        let body = String::from_utf8_lossy(&answer.body).to_lowercase();
        for internal in [
            "quick_xml",
            "quick-xml",
            "deserialize",
            "expected `",
            "unexpected eof",
        ] {
            assert!(
                !body.contains(internal),
                "{what} leaks {internal:?}: {body}"
            );
        }
    }
    // None of the refused requests stored anything.
    let head = client
        .send(OssCall::new("HEAD", BUCKET, Some("m")))
        .await
        .unwrap();
    assert_eq!(head.status, 404, "a refused request stored the object");
    for record in handle.journal().requests() {
        assert!(
            record.status < 500,
            "{} {} answered {}",
            record.method,
            record.target,
            record.status
        );
    }
    handle.shutdown().await;
}

#[tokio::test]
async fn a_data_dir_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "cbspec-data-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let config = EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        data_dir: Some(dir.clone()),
        ..EmulatorConfig::default()
    };
    let long_key = format!("deep/{}/é 中.bin", "k".repeat(900));
    let first = emulator_with(config.clone()).await;
    let put = client(&first)
        .send(
            OssCall::new("PUT", BUCKET, Some(&long_key))
                .header("Content-Type", "image/x-test")
                .body(vec![7u8; 4096]),
        )
        .await
        .unwrap();
    assert_eq!(put.status, 200, "{}", put.text());
    // What the bucket and the object carry besides bytes is on disk too.
    let c = client(&first);
    let tagged = c
        .send(
            OssCall::new("PUT", BUCKET, Some("meta.txt"))
                .header("x-oss-tagging", "a=1")
                .header("x-oss-storage-class", "IA")
                .header("x-oss-object-acl", "public-read")
                .header("Cache-Control", "no-cache")
                .body("m"),
        )
        .await
        .unwrap();
    assert_eq!(tagged.status, 200, "{}", tagged.text());
    for (query, header, body) in [
        ("acl", Some(("x-oss-acl", "public-read")), ""),
        ("cors", None, "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"),
    ] {
        let mut call = OssCall::new("PUT", BUCKET, None).query(query, None).body(body.to_owned());
        if let Some((name, v)) = header {
            call = call.header(name, v);
        }
        let answer = c.send(call).await.unwrap();
        assert_eq!(answer.status, 200, "PUT ?{query}: {}", answer.text());
    }
    first.shutdown().await;

    let second = emulator_with(config).await;
    let c = client(&second);
    let head = c
        .send(OssCall::new("HEAD", BUCKET, Some("meta.txt")))
        .await
        .unwrap();
    assert_eq!(head.header("x-oss-tagging-count"), Some("1"));
    assert_eq!(head.header("x-oss-storage-class"), Some("IA"));
    assert_eq!(head.header("cache-control"), Some("no-cache"));
    let object_acl = c
        .send(OssCall::new("GET", BUCKET, Some("meta.txt")).query("acl", None))
        .await
        .unwrap();
    assert_eq!(
        object_acl.xml_element("Grant").as_deref(),
        Some("public-read")
    );
    let bucket_acl = c
        .send(OssCall::new("GET", BUCKET, None).query("acl", None))
        .await
        .unwrap();
    assert_eq!(
        bucket_acl.xml_element("Grant").as_deref(),
        Some("public-read")
    );
    let cors = c
        .send(OssCall::new("GET", BUCKET, None).query("cors", None))
        .await
        .unwrap();
    assert_eq!(cors.xml_element("AllowedMethod").as_deref(), Some("GET"));
    let got = client(&second)
        .send(OssCall::new("GET", BUCKET, Some(&long_key)))
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(&got.body[..], &[7u8; 4096][..]);
    assert_eq!(got.header("content-type"), Some("image/x-test"));
    assert_eq!(got.header("etag"), put.header("etag"));
    second.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// 500 uploads with callbacks, 50 in flight at a time: every callback
/// arrives exactly once and every object reads back byte for byte.
// spec: CB-REQ-SYNC
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_uploads_each_get_one_callback() {
    const UPLOADS: usize = 500;
    let handle = emulator(Duration::from_secs(10)).await;
    let receiver = Receiver::start(vec![]).await;
    let client = Arc::new(client(&handle));
    let gate = Arc::new(tokio::sync::Semaphore::new(50));
    let callback = b64(
        &serde_json::json!({"callbackUrl": receiver.url("/load"), "callbackBody": "o=${object}"})
            .to_string(),
    );
    let mut tasks = Vec::new();
    for i in 0..UPLOADS {
        let (client, gate, callback) = (client.clone(), gate.clone(), callback.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let body = format!("object number {i}").repeat(i % 7 + 1);
            let answer = client
                .send(
                    OssCall::new("PUT", BUCKET, Some(&format!("load/{i}")))
                        .header("x-oss-callback", callback)
                        .body(body.clone()),
                )
                .await
                .unwrap();
            assert_eq!(answer.status, 200, "upload {i}: {}", answer.text());
            body
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(
            tokio::time::timeout(Duration::from_secs(120), task)
                .await
                .expect("bounded")
                .unwrap(),
        );
    }
    let mut per_object: HashMap<String, usize> = HashMap::new();
    for captured in receiver.captured() {
        *per_object
            .entry(String::from_utf8(captured.body).unwrap())
            .or_default() += 1;
    }
    assert_eq!(per_object.len(), UPLOADS);
    assert!(
        per_object.values().all(|n| *n == 1),
        "a callback was delivered more than once"
    );
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(per_object.get(&format!("o=load%2F{i}")), Some(&1));
        let got = client
            .send(OssCall::new("GET", BUCKET, Some(&format!("load/{i}"))))
            .await
            .unwrap();
        assert_eq!(got.body, body.as_bytes(), "object {i}");
    }
    handle.shutdown().await;
}
