//! The emulator's callbacks over real loopback HTTP: every upload type and
//! carrier × body type, V1 and V4, each failure kind, and every validation
//! error. Expected bodies and digests are written out literally (computed
//! independently with Python's hashlib and a bit-by-bit CRC-64/XZ).

use std::time::Duration;

use crate::support::*;
use base64::Engine;
use cbspec_client::{Auth, OssCall};
use cbspec_emulator::{AttemptOutcome, EmulatorConfig};
use cbspec_protocol::auth::post_policy::{encode_policy, sign_v1, sign_v4};
use cbspec_protocol::signature::{decode_key_url, CallbackPublicKey};
use md5::{Digest, Md5};

const CONTENT: &[u8] = b"hello cbspec\n";
const KEY: &str = "dir/a b+c.txt";

const FORM_TEMPLATE: &str =
    "op=${operation}&obj=${object}&size=${size}&md5=${contentMd5}&etag=${etag}&crc=${crc64}&mime=${mimeType}&v=${x:v}";
const JSON_TEMPLATE: &str = r#"{"op":${operation},"obj":${object},"size":${size},"md5":${contentMd5},"etag":${etag},"crc":${crc64},"mime":${mimeType},"v":${x:v}}"#;

// md5("hello cbspec\n") = EC2CD1F5844FA3C44A915FE9ACAB4770, Base64 7CzR9YRPo8RKkV/prKtHcA==,
// CRC-64/XZ 16232529937691784889.
fn expected_put_form(op: &str) -> String {
    format!("op={op}&obj=dir%2Fa%20b%2Bc.txt&size=13&md5=7CzR9YRPo8RKkV%2FprKtHcA%3D%3D&etag=EC2CD1F5844FA3C44A915FE9ACAB4770&crc=16232529937691784889&mime=text%2Fplain&v=1%202")
}

fn expected_put_json(op: &str) -> String {
    format!(
        r#"{{"op":"{op}","obj":"dir/a b+c.txt","size":13,"md5":"7CzR9YRPo8RKkV/prKtHcA==","etag":"EC2CD1F5844FA3C44A915FE9ACAB4770","crc":16232529937691784889,"mime":"text/plain","v":"1 2"}}"#
    )
}

// 100 KiB of 'a' then "tail": 102404 bytes, multipart ETag AB3CB21273A47C8BB7289729DD4A666B-2,
// CRC-64/XZ 16096605928267898049; contentMd5 is empty for multipart.
const MPU_FORM: &str = "op=CompleteMultipartUpload&obj=dir%2Fa%20b%2Bc.txt&size=102404&md5=&etag=AB3CB21273A47C8BB7289729DD4A666B-2&crc=16096605928267898049&mime=text%2Fplain&v=1%202";
const MPU_JSON: &str = r#"{"op":"CompleteMultipartUpload","obj":"dir/a b+c.txt","size":102404,"md5":null,"etag":"AB3CB21273A47C8BB7289729DD4A666B-2","crc":16096605928267898049,"mime":"text/plain","v":"1 2"}"#;

#[derive(Debug, Clone, Copy)]
enum Upload {
    PutHeaderV1,
    PutHeaderV4,
    PresignedV1,
    PresignedV4,
    PostV1,
    PostV4,
    Multipart,
}

fn callback_json(url: &str, template: &str, json: bool) -> String {
    let mut cb = serde_json::json!({"callbackUrl": url, "callbackBody": template});
    if json {
        cb["callbackBodyType"] = "application/json".into();
    }
    cb.to_string()
}

const VARS: &str = r#"{"x:v":"1 2"}"#;

/// Uploads `KEY` with a callback the given way; returns the answer.
async fn upload(
    handle: &cbspec_emulator::EmulatorHandle,
    how: Upload,
    callback: &str,
) -> cbspec_client::OssAnswer {
    let client = client(handle);
    let cb = b64(callback);
    let vars = b64(VARS);
    let put = || {
        OssCall::new("PUT", BUCKET, Some(KEY))
            .header("Content-Type", "text/plain")
            .body(CONTENT)
    };
    match how {
        Upload::PutHeaderV1 | Upload::PutHeaderV4 => {
            let auth = if matches!(how, Upload::PutHeaderV1) {
                Auth::V1Header
            } else {
                Auth::V4Header
            };
            client
                .send(
                    put()
                        .header("x-oss-callback", cb)
                        .header("x-oss-callback-var", vars)
                        .auth(auth),
                )
                .await
                .unwrap()
        }
        Upload::PresignedV1 | Upload::PresignedV4 => {
            let auth = if matches!(how, Upload::PresignedV1) {
                Auth::V1Presigned
            } else {
                Auth::V4Presigned
            };
            client
                .send(
                    put()
                        .query("callback", Some(&cb))
                        .query("callback-var", Some(&vars))
                        .auth(auth),
                )
                .await
                .unwrap()
        }
        Upload::PostV1 | Upload::PostV4 => {
            let policy = encode_policy(
                r#"{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{"bucket":"examplebucket"},["content-length-range",1,1048576],["starts-with","$key","dir/"]]}"#,
            );
            let mut fields = vec![
                ("key".to_owned(), KEY.to_owned()),
                ("Content-Type".to_owned(), "text/plain".to_owned()),
            ];
            fields.extend(if matches!(how, Upload::PostV1) {
                sign_v1(client.credentials(), &policy)
            } else {
                sign_v4(
                    client.credentials(),
                    "cn-hangzhou",
                    std::time::SystemTime::now(),
                    &policy,
                )
            });
            fields.push(("success_action_status".to_owned(), "200".to_owned()));
            fields.push(("callback".to_owned(), cb));
            fields.push(("x:v".to_owned(), "1 2".to_owned()));
            client
                .post_object(BUCKET, fields, "a.txt", bytes::Bytes::from_static(CONTENT))
                .await
                .unwrap()
        }
        Upload::Multipart => {
            let init = client
                .send(
                    OssCall::new("POST", BUCKET, Some(KEY))
                        .query("uploads", None)
                        .header("Content-Type", "text/plain"),
                )
                .await
                .unwrap();
            assert_eq!(init.status, 200, "{}", init.text());
            let upload_id = init
                .xml_element("UploadId")
                .expect("InitiateMultipartUpload answers an UploadId");
            let mut etags = Vec::new();
            for (number, data) in [(1, vec![b'a'; 100 * 1024]), (2, b"tail".to_vec())] {
                let part = client
                    .send(
                        OssCall::new("PUT", BUCKET, Some(KEY))
                            .query("partNumber", Some(&number.to_string()))
                            .query("uploadId", Some(&upload_id))
                            .body(data),
                    )
                    .await
                    .unwrap();
                assert_eq!(part.status, 200, "{}", part.text());
                etags.push(part.header("etag").unwrap().to_owned());
            }
            let xml = format!(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{}</ETag></Part></CompleteMultipartUpload>",
                etags[0], etags[1]
            );
            client
                .send(
                    OssCall::new("POST", BUCKET, Some(KEY))
                        .query("uploadId", Some(&upload_id))
                        .header("x-oss-callback", cb)
                        .header("x-oss-callback-var", vars)
                        .body(xml),
                )
                .await
                .unwrap()
        }
    }
}

/// Fetches the key named by `x-oss-pub-key-url`, accepting it only from the
/// emulator's own endpoint (the allowlist for this target).
async fn key_from_header(
    handle: &cbspec_emulator::EmulatorHandle,
    header: &str,
) -> CallbackPublicKey {
    let url = decode_key_url(header).unwrap();
    assert!(
        url.starts_with(&format!("{}/", handle.endpoint())),
        "key URL {url} is not the emulator's"
    );
    let pem = reqwest::get(&url).await.unwrap().text().await.unwrap();
    CallbackPublicKey::from_pem(&pem).unwrap()
}

fn md5_b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

// spec: CB-CARRIER-HEADER, CB-CARRIER-QUERY, CB-CARRIER-FORM, CB-PRESIGN-QUERY, CB-POST-FIELD, CB-POST-OPERATION, CB-MPU-COMPLETE-ONLY, CB-MPU-SIZE, CB-MPU-CONTENTMD5-EMPTY, CB-OUT-200-BODY, CB-OUT-MPU-REPLACE, CB-FORM-ENCODE-VALUES, CB-JSON-STRING-LITERAL, CB-JSON-NUMBER-BARE, CB-JSON-EMPTY, CB-SYS-OPERATION, CB-HDR-HOST, CB-HDR-CONTENT-TYPE, CB-HDR-CONTENT-MD5, CB-HDR-USER-AGENT, CB-HDR-REQUEST-ID, CB-HDR-BUCKET, CB-HDR-SIGNATURE-VERSION, CB-HDR-TAG, CB-HDR-PUB-KEY-URL, CB-HDR-AUTHORIZATION, CB-AUTH-V1-HEADER, CB-AUTH-V4-HEADER, CB-AUTH-V1-PRESIGN, CB-AUTH-V4-PRESIGN, CB-AUTH-POST-V1, CB-AUTH-POST-V4
#[tokio::test]
async fn every_upload_type_and_body_type_delivers_a_signed_callback() {
    let handle = emulator(Duration::from_secs(5)).await;
    let receiver = Receiver::start(vec![]).await;
    let cases = [
        (Upload::PutHeaderV1, "PutObject"),
        (Upload::PutHeaderV4, "PutObject"),
        (Upload::PresignedV1, "PutObject"),
        (Upload::PresignedV4, "PutObject"),
        (Upload::PostV1, "PostObject"),
        (Upload::PostV4, "PostObject"),
        (Upload::Multipart, "CompleteMultipartUpload"),
    ];
    let mut seen = 0;
    for (how, op) in cases {
        for json in [false, true] {
            let path = format!("/cb/{how:?}/{json}");
            let template = if json { JSON_TEMPLATE } else { FORM_TEMPLATE };
            let answer = upload(
                &handle,
                how,
                &callback_json(&receiver.url(&path), template, json),
            )
            .await;
            assert_eq!(answer.status, 200, "{how:?} json={json}: {}", answer.text());
            assert_eq!(
                answer.text(),
                r#"{"Status":"OK"}"#,
                "{how:?}: the receiver's body is relayed verbatim"
            );
            assert_eq!(answer.header("content-type"), Some("application/json"));

            let captured = receiver.captured();
            assert_eq!(
                captured.len(),
                seen + 1,
                "{how:?} json={json}: exactly one callback"
            );
            seen += 1;
            let cb = captured.last().unwrap();
            let expected = match (how, json) {
                (Upload::Multipart, false) => MPU_FORM.to_owned(),
                (Upload::Multipart, true) => MPU_JSON.to_owned(),
                (_, false) => expected_put_form(op),
                (_, true) => expected_put_json(op),
            };
            assert_eq!(
                String::from_utf8_lossy(&cb.body),
                expected,
                "{how:?} json={json}"
            );
            assert_eq!(cb.method, "POST");
            assert_eq!(cb.target, path);
            assert_eq!(cb.header("host"), Some(receiver.addr.to_string().as_str()));
            let content_type = if json {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            };
            assert_eq!(cb.header("content-type"), Some(content_type));
            assert_eq!(cb.header("content-md5"), Some(md5_b64(&cb.body).as_str()));
            assert_eq!(cb.header("user-agent"), Some("aliyun-oss-callback"));
            assert_eq!(cb.header("x-oss-bucket"), Some(BUCKET));
            assert_eq!(
                cb.header("x-oss-request-id"),
                answer.header("x-oss-request-id")
            );
            assert_eq!(cb.header("x-oss-signature-version"), Some("1.0"));
            assert_eq!(cb.header("x-oss-tag"), Some("CALLBACK"));
            assert!(httpdate::parse_http_date(cb.header("date").unwrap()).is_ok());
            let key = key_from_header(&handle, cb.header("x-oss-pub-key-url").unwrap()).await;
            assert_eq!(
                key.verify(&cb.target, &cb.body, cb.header("authorization").unwrap()),
                Ok(()),
                "{how:?}"
            );
        }
    }
    handle.shutdown().await;
}

/// The object must be readable with its uploaded content after any callback outcome.
async fn assert_stored(handle: &cbspec_emulator::EmulatorHandle) {
    let got = client(handle)
        .send(OssCall::new("GET", BUCKET, Some(KEY)))
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(&got.body[..], CONTENT);
    assert_eq!(
        got.header("etag"),
        Some("\"EC2CD1F5844FA3C44A915FE9ACAB4770\"")
    );
}

// spec: CB-OUT-203, CB-OUT-203-XML, CB-OUT-MSG-STATUS, CB-OUT-MSG-CONNECT, CB-OUT-MSG-TIMEOUT, CB-OUT-MSG-JSON, CB-OUT-MSG-LENGTH, CB-OUT-MSG-RESET, CB-RESP-STATUS-200, CB-RESP-JSON, CB-RESP-BOM, CB-RESP-CONTENT-LENGTH, CB-RESP-SIZE, CB-RESP-TIME, CB-REQ-NO-REDIRECT, CB-REQ-TIMEOUT
#[tokio::test]
async fn each_failure_kind_gives_203_and_keeps_the_object() {
    let handle = emulator(Duration::from_millis(700)).await;
    let oversize = {
        let mut body = b"\"".to_vec();
        body.extend(std::iter::repeat_n(b'x', 1024 * 1024));
        body.push(b'"');
        body
    };
    let receiver = Receiver::start(vec![
        (
            "/301",
            Answer::Reply {
                status: 301,
                body: b"{}".to_vec(),
            },
        ),
        (
            "/404",
            Answer::Reply {
                status: 404,
                body: b"{}".to_vec(),
            },
        ),
        (
            "/500",
            Answer::Reply {
                status: 500,
                body: b"{}".to_vec(),
            },
        ),
        (
            "/204",
            Answer::Reply {
                status: 204,
                body: Vec::new(),
            },
        ),
        (
            "/text",
            Answer::Reply {
                status: 200,
                body: b"OK".to_vec(),
            },
        ),
        (
            "/bom",
            Answer::Reply {
                status: 200,
                body: b"\xEF\xBB\xBF{\"a\":\"b\"}".to_vec(),
            },
        ),
        ("/chunked", Answer::Chunked(b"{\"a\":\"b\"}".to_vec())),
        (
            "/oversize",
            Answer::Reply {
                status: 200,
                body: oversize,
            },
        ),
        ("/slow", Answer::Delay(Duration::from_secs(3))),
        ("/reset", Answer::Reset),
    ])
    .await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let cases = [
        (receiver.url("/301"), "Error status : 301.", "0007-00000203"),
        (receiver.url("/404"), "Error status : 404.", "0007-00000203"),
        (receiver.url("/500"), "Error status : 500.", "0007-00000203"),
        (receiver.url("/204"), "Error status : 204.", "0007-00000203"),
        (
            receiver.url("/text"),
            "Response body is not valid json format.",
            "0007-00000205",
        ),
        (
            receiver.url("/bom"),
            "Response body is not valid json format.",
            "0007-00000205",
        ),
        (
            receiver.url("/chunked"),
            "Error Status : 400.User server return too long content-length value",
            "0007-00000203",
        ),
        (
            receiver.url("/oversize"),
            "Error Status : 400.User server return too long content-length value",
            "0007-00000203",
        ),
        (receiver.url("/slow"), "Cost too long time", "0007-00000203"),
        (
            receiver.url("/reset"),
            "Error status : -1.OSS can not connect to your callbackUrl, please check it.",
            "0007-00000203",
        ),
        (
            format!("http://{closed}/cb"),
            "Error status : -1.OSS can not connect to your callbackUrl, please check it.",
            "0007-00000203",
        ),
    ];
    for (url, message, ec) in cases {
        let answer = upload(
            &handle,
            Upload::PutHeaderV1,
            &callback_json(&url, "b=${bucket}", false),
        )
        .await;
        assert_eq!(answer.status, 203, "{url}: {}", answer.text());
        assert_eq!(answer.header("content-type"), Some("application/xml"));
        let doc = cbspec_protocol::error_document::ErrorDocument::from_xml(&answer.text()).unwrap();
        assert_eq!(doc.code, "CallbackFailed", "{url}");
        assert_eq!(doc.message, message, "{url}");
        assert_eq!(doc.ec.as_deref(), Some(ec), "{url}");
        assert_eq!(
            Some(doc.request_id.as_str()),
            answer.header("x-oss-request-id")
        );
        assert_eq!(
            answer.header("etag"),
            Some("\"EC2CD1F5844FA3C44A915FE9ACAB4770\"")
        );
        assert_stored(&handle).await;
    }
    handle.shutdown().await;
}

// spec: CB-URL-ORDER, CB-REQ-FAILOVER, CB-OUT-ALL-FAIL, CB-REQ-NO-RETRY
#[tokio::test]
async fn urls_are_tried_in_order_until_one_succeeds() {
    let handle = emulator(Duration::from_secs(5)).await;
    let receiver = Receiver::start(vec![
        (
            "/500",
            Answer::Reply {
                status: 500,
                body: b"{}".to_vec(),
            },
        ),
        (
            "/404",
            Answer::Reply {
                status: 404,
                body: b"{}".to_vec(),
            },
        ),
        (
            "/ok",
            Answer::Reply {
                status: 200,
                body: br#"{"second":true}"#.to_vec(),
            },
        ),
    ])
    .await;
    let urls = format!(
        "{};{};{}",
        receiver.url("/500"),
        receiver.url("/ok"),
        receiver.url("/404")
    );
    let answer = upload(
        &handle,
        Upload::PutHeaderV1,
        &callback_json(&urls, "b=${bucket}", false),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), r#"{"second":true}"#);
    let paths: Vec<String> = receiver
        .captured()
        .iter()
        .map(|c| c.target.clone())
        .collect();
    assert_eq!(
        paths,
        ["/500", "/ok"],
        "stops at the first success, no retry"
    );

    let request_id = answer.header("x-oss-request-id").unwrap();
    let attempts = handle.journal().callbacks_for(request_id);
    assert_eq!(attempts.len(), 2);
    assert!(matches!(
        &attempts[0].outcome,
        AttemptOutcome::Failed {
            status: Some(500),
            ..
        }
    ));
    assert!(matches!(
        &attempts[1].outcome,
        AttemptOutcome::Accepted { .. }
    ));

    let all_fail = format!("{};{}", receiver.url("/500"), receiver.url("/404"));
    let answer = upload(
        &handle,
        Upload::PutHeaderV1,
        &callback_json(&all_fail, "b=${bucket}", false),
    )
    .await;
    assert_eq!(answer.status, 203);
    assert!(
        answer
            .text()
            .contains("<Message>Error status : 404.</Message>"),
        "{}",
        answer.text()
    );
    handle.shutdown().await;
}

// spec: CB-OUT-VALIDATION-NO-STORE, CB-CFG-BASE64, CB-CFG-JSON, CB-URL-MAX5, CB-TPL-DOLLAR-BRACE, CB-CARRIER-CONFLICT-CALLBACK, CB-VAR-NOT-MAP, CB-ERR-400
#[tokio::test]
async fn validation_errors_are_400_and_store_nothing() {
    let handle = emulator(Duration::from_secs(5)).await;
    let client = client(&handle);
    let good = b64(&callback_json(
        "http://127.0.0.1:9/cb",
        "b=${bucket}",
        false,
    ));
    let six = (1..=6)
        .map(|i| format!("http://a{i}.example.com/"))
        .collect::<Vec<_>>()
        .join(";");
    let cases: Vec<(OssCall, &str)> = vec![
        (
            OssCall::new("PUT", BUCKET, Some("v1")).header("x-oss-callback", "x123-*&"),
            "0007-00000002",
        ),
        (
            OssCall::new("PUT", BUCKET, Some("v2")).header(
                "x-oss-callback",
                b64(r#"{"callbackUrl":"a.example.com","callbackBody":"{"b":1}"}"#),
            ),
            "0007-00000003",
        ),
        (
            OssCall::new("PUT", BUCKET, Some("v3"))
                .header("x-oss-callback", b64(&callback_json(&six, "b", false))),
            "0007-00000005",
        ),
        (
            OssCall::new("PUT", BUCKET, Some("v4")).header(
                "x-oss-callback",
                b64(&callback_json(
                    "a.example.com",
                    "size=${size}&v=$x:v}",
                    false,
                )),
            ),
            "0007-00000105",
        ),
        (
            OssCall::new("PUT", BUCKET, Some("v5"))
                .header("x-oss-callback", good.clone())
                .query("callback", Some(&good)),
            "0007-00000027",
        ),
        (
            OssCall::new("PUT", BUCKET, Some("v6"))
                .header("x-oss-callback", good.clone())
                .header("x-oss-callback-var", b64(r#"{"x:a":{"b":"c"}}"#)),
            "0007-00000104",
        ),
    ];
    for (call, ec) in cases {
        let key = call.key.clone().unwrap();
        let answer = client.send(call.body(CONTENT)).await.unwrap();
        assert_eq!(answer.status, 400, "{key}: {}", answer.text());
        let doc = cbspec_protocol::error_document::ErrorDocument::from_xml(&answer.text()).unwrap();
        assert_eq!(doc.code, "InvalidArgument");
        assert_eq!(doc.ec.as_deref(), Some(ec), "{key}");
        let got = client
            .send(OssCall::new("GET", BUCKET, Some(&key)))
            .await
            .unwrap();
        assert_eq!(got.status, 404, "{key} must not be stored");
    }
    assert!(
        handle.journal().callback_attempts().is_empty(),
        "no callback is sent for a refused upload"
    );
    handle.shutdown().await;
}

// spec: CB-URL-PRIVATE, CB-URL-PRIVATE-RELAX
#[tokio::test]
async fn production_rules_refuse_loopback_callbacks() {
    let handle = emulator_with(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        production_rules: true,
        ..EmulatorConfig::default()
    })
    .await;
    let answer = upload(
        &handle,
        Upload::PutHeaderV1,
        &callback_json("http://127.0.0.1:9/cb", "b=${bucket}", false),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.text().contains("<EC>0007-00000008</EC>"),
        "{}",
        answer.text()
    );
    assert!(answer
        .text()
        .contains("<Message>Private address is forbidden to callback.</Message>"));
    handle.shutdown().await;
}

// spec: CB-CFG-URL-ABSENT, CB-VAR-UNREFERENCED
#[tokio::test]
async fn an_empty_callback_url_means_a_plain_upload() {
    let handle = emulator(Duration::from_secs(5)).await;
    let answer = upload(
        &handle,
        Upload::PutHeaderV1,
        &callback_json("", "b=${bucket}", false),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.body.is_empty());
    assert!(handle.journal().callback_attempts().is_empty());
    assert_stored(&handle).await;
    handle.shutdown().await;
}

// spec: CB-CFG-HOST-DEFAULT, CB-HDR-HOST, CB-URL-QUERY, CB-SIG-QUERY-RAW
#[tokio::test]
async fn callback_host_and_url_query_reach_the_receiver() {
    let handle = emulator(Duration::from_secs(5)).await;
    let receiver = Receiver::start(vec![]).await;
    let mut cb = serde_json::json!({
        "callbackUrl": receiver.url("/notify%20me?a=1&b=%2F"),
        "callbackHost": "app.example.com",
        "callbackBody": "o=${object}",
    });
    let answer = upload(&handle, Upload::PutHeaderV1, &cb.to_string()).await;
    assert_eq!(answer.status, 200);
    let captured = receiver.captured();
    let got = captured.last().unwrap();
    assert_eq!(got.target, "/notify%20me?a=1&b=%2F");
    assert_eq!(got.header("host"), Some("app.example.com"));
    let key = key_from_header(&handle, got.header("x-oss-pub-key-url").unwrap()).await;
    assert_eq!(
        key.verify(&got.target, &got.body, got.header("authorization").unwrap()),
        Ok(())
    );
    cb["callbackHost"] = "".into();
    let _ = upload(&handle, Upload::PutHeaderV1, &cb.to_string()).await;
    assert_eq!(
        receiver.captured().last().unwrap().header("host"),
        Some(receiver.addr.to_string().as_str())
    );
    handle.shutdown().await;
}

// spec: CB-SYS-IMAGEINFO, CB-SYS-IMAGEINFO-FORMAT, CB-OUT-MSG-IMAGE, CB-JSON-EMPTY
#[tokio::test]
async fn image_info_comes_from_the_image_header() {
    let handle = emulator(Duration::from_secs(5)).await;
    let receiver = Receiver::start(vec![]).await;
    let client = client(&handle);
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fixtures");
    // Fixtures made with Pillow at the sizes in their names.
    let cases = [
        ("red-5x3.png", "image/png", r#"[3,5,"png"]"#),
        ("red-5x3.jpg", "image/jpeg", r#"[3,5,"jpg"]"#),
        ("red-5x3.gif", "image/gif", r#"[3,5,"gif"]"#),
        ("blue-4x7.bmp", "image/bmp", r#"[7,4,"bmp"]"#),
        ("green-6x2.webp", "image/webp", r#"[2,6,"webp"]"#),
        ("red-5x3.png", "application/octet-stream", r#"[3,5,"png"]"#),
    ];
    let cb = |url: String| {
        b64(&serde_json::json!({
            "callbackUrl": url,
            "callbackBody": "[${imageInfo.height},${imageInfo.width},${imageInfo.format}]",
            "callbackBodyType": "application/json",
        })
        .to_string())
    };
    for (file, content_type, expected) in cases {
        let data = std::fs::read(fixtures.join(file)).unwrap();
        let answer = client
            .send(
                OssCall::new("PUT", BUCKET, Some(file))
                    .header("Content-Type", content_type)
                    .header("x-oss-callback", cb(receiver.url("/img")))
                    .body(data),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{file}: {}", answer.text());
        assert_eq!(
            String::from_utf8_lossy(&receiver.captured().last().unwrap().body),
            expected,
            "{file} as {content_type}"
        );
    }
    // Not an image: empty values, `null` in JSON.
    let answer = client
        .send(
            OssCall::new("PUT", BUCKET, Some("plain.txt"))
                .header("Content-Type", "text/plain")
                .header("x-oss-callback", cb(receiver.url("/img")))
                .body("plain"),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&receiver.captured().last().unwrap().body),
        "[null,null,null]"
    );
    // Claims to be an image but its header cannot be read: the documented 203.
    let before = receiver.captured().len();
    let answer = client
        .send(
            OssCall::new("PUT", BUCKET, Some("broken.png"))
                .header("Content-Type", "image/png")
                .header("x-oss-callback", cb(receiver.url("/img")))
                .body("not a png"),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 203);
    assert!(
        answer
            .text()
            .contains("<Message>Get image info failed</Message>"),
        "{}",
        answer.text()
    );
    assert_eq!(
        receiver.captured().len(),
        before,
        "no callback is sent when imageInfo fails"
    );
    handle.shutdown().await;
}

// spec: CB-POST-POLICY-PIN, CB-POST-POLICY-UNPINNED, CB-AUTH-POST-CONDITIONS
#[tokio::test]
async fn a_policy_can_pin_the_callback() {
    let handle = emulator(Duration::from_secs(5)).await;
    let receiver = Receiver::start(vec![]).await;
    let client = client(&handle);
    let pinned = b64(&callback_json(
        &receiver.url("/pinned"),
        "b=${bucket}",
        false,
    ));
    let other = b64(&callback_json(
        &receiver.url("/other"),
        "b=${bucket}",
        false,
    ));
    let policy = encode_policy(&format!(
        r#"{{"expiration":"2099-01-01T00:00:00.000Z","conditions":[{{"callback":"{pinned}"}}]}}"#
    ));
    let form = |callback: &str| {
        let mut fields = vec![("key".to_owned(), "pinned.txt".to_owned())];
        fields.extend(sign_v1(client.credentials(), &policy));
        fields.push(("callback".to_owned(), callback.to_owned()));
        fields
    };
    let refused = client
        .post_object(
            BUCKET,
            form(&other),
            "p.txt",
            bytes::Bytes::from_static(b"p"),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(
        refused.text().contains("Invalid according to Policy"),
        "{}",
        refused.text()
    );
    assert!(receiver.captured().is_empty());
    let got = client
        .send(OssCall::new("GET", BUCKET, Some("pinned.txt")))
        .await
        .unwrap();
    assert_eq!(got.status, 404, "a refused form stores nothing");

    let accepted = client
        .post_object(
            BUCKET,
            form(&pinned),
            "p.txt",
            bytes::Bytes::from_static(b"p"),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(receiver.captured().len(), 1);
    handle.shutdown().await;
}
