//! `cbspec render` and `cbspec verify` as a receiver author uses them:
//! real process, real arguments, exit codes and exact bytes on stdout.

use crate::support::{b64 as base64_of, cbspec, stderr, stdout};

// spec: CB-FORM-ENCODE-VALUES, CB-FORM-EMPTY, CB-FORM-UNRESERVED, CB-VAR-JSON-MAP
#[test]
fn render_reproduces_the_old_doc_form_example() {
    // Digest Appendix B: the S1 old header example and its Step-3 sample body.
    // The doc's sample ends with `x:var1=` although its template says
    // `my_var=${x:my_var}`; the template is authoritative.
    let out = cbspec(&[
        "render",
        "--callback",
        "eyJjYWxsYmFja1VybCI6IjEyMS40My4xMTMuODoyMzQ1Ni9pbmRleC5odG1sIiwgICJjYWxsYmFja0JvZHkiOiJidWNrZXQ9JHtidWNrZXR9Jm9iamVjdD0ke29iamVjdH0mZXRhZz0ke2V0YWd9JnNpemU9JHtzaXplfSZtaW1lVHlwZT0ke21pbWVUeXBlfSZpbWFnZUluZm8uaGVpZ2h0PSR7aW1hZ2VJbmZvLmhlaWdodH0maW1hZ2VJbmZvLndpZHRoPSR7aW1hZ2VJbmZvLndpZHRofSZpbWFnZUluZm8uZm9ybWF0PSR7aW1hZ2VJbmZvLmZvcm1hdH0mbXlfdmFyPSR7eDpteV92YXJ9In0=",
        "--callback-var",
        "eyJ4Om15X3ZhciI6ImZvci1jYWxsYmFjay10ZXN0In0=",
        "--fact", "bucket=callback-test",
        "--fact", "object=test.txt",
        "--fact", "etag=D8E8FCA2DC0F896FD7CB4CB0031BA249",
        "--fact", "size=5",
        "--fact", "mimeType=text/plain",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "bucket=callback-test&object=test.txt&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=5&mimeType=text%2Fplain&imageInfo.height=&imageInfo.width=&imageInfo.format=&my_var=for-callback-test"
    );
    assert!(stderr(&out).contains("Content-Type: application/x-www-form-urlencoded"));
}

/// Renders, then checks the output against a real OSS signature: the body
/// OSS actually sent is the only acceptable answer.
fn render_and_verify(
    target: &str,
    authorization: &str,
    callback_json: &str,
    facts: &[&str],
    vars: Option<&str>,
) -> String {
    let mut args = vec!["render", "--callback", callback_json];
    if let Some(v) = vars {
        args.extend(["--callback-var", v]);
    }
    for f in facts {
        args.extend(["--fact", f]);
    }
    let out = cbspec(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = stdout(&out);
    let verified = cbspec(&[
        "verify",
        "--target",
        target,
        "--body",
        &body,
        "--authorization",
        authorization,
        "--key",
        "oss",
    ]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "rendered body {body:?} does not match OSS's signature: {}",
        stdout(&verified)
    );
    body
}

// spec: CB-JSON-STRING-LITERAL, CB-JSON-NUMBER-BARE, CB-HDR-CONTENT-TYPE
#[test]
fn render_reproduces_the_real_cloudreve_json_callback() {
    // Digest §5.3 template and Appendix A V2 body and signature.
    let body = render_and_verify(
        "/api/v3/callback/oss/TnXx5E5VyfJUyM1UdkdDu1rtnJ34EbmH",
        "e5LwzwTkP9AFAItT4YzvdJOHd0Y0wqTMWhsV/h5SG90JYGAmMd+8LQyj96R+9qUfJWjMt6suuUh7LaOryR87Dw==",
        r#"{"callbackUrl":"https://cloudreve.example.com/api/v3/callback/oss/TnXx5E5VyfJUyM1UdkdDu1rtnJ34EbmH","callbackBody":"{\"name\":${x:fname},\"source_name\":${object},\"size\":${size},\"pic_info\":\"${imageInfo.width},${imageInfo.height}\"}","callbackBodyType":"application/json"}"#,
        &[
            "object=1/1_hFRtDLgM_2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg",
            "size=114020",
            "imageInfo.width=810",
            "imageInfo.height=539",
        ],
        Some(r#"{"x:fname":"2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg"}"#),
    );
    assert_eq!(
        body,
        r#"{"name":"2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg","source_name":"1/1_hFRtDLgM_2f7b2ccf30e9270ea920f1ab8a4037a546a2f0d5.jpg","size":114020,"pic_info":"810,539"}"#
    );
}

// spec: CB-FORM-ENCODE-VALUES, CB-FORM-UNRESERVED, CB-SYS-OBJECT
#[test]
fn render_reproduces_the_real_python_sdk_form_callback() {
    // Appendix A V3: `/` → %2F, `:` → %3A, letters/digits/`_`/`.` unchanged.
    let body = render_and_verify(
        "/api/File/15/upload_notify/",
        "aMYUW1arI/qpU7cp/DCGXS56iFJPxwe7K3QIFVvbtSgiE6vwuu4/HuBxyDDX5IKU8vSJg/BI956SzVsRQt969g==",
        r#"{"callbackUrl":"https://app.example.com/api/File/15/upload_notify/","callbackBody":"filename=${object}&size=${size}"}"#,
        &[
            "object=zmaplex/20210407_14:31:41_286180/20200130021612_pnfqp.jpg",
            "size=112595",
        ],
        None,
    );
    assert_eq!(
        body,
        "filename=zmaplex%2F20210407_14%3A31%3A41_286180%2F20200130021612_pnfqp.jpg&size=112595"
    );
}

// spec: CB-JSON-STRING-LITERAL, CB-JSON-NOT-VALIDATED, CB-TPL-NOT-VALIDATED
#[test]
fn render_reproduces_the_form_shaped_json_body() {
    // Digest §5.3 (vector V5): a form-shaped template with the JSON body type.
    let out = cbspec(&[
        "render",
        "--callback",
        r#"{"callbackUrl":"a.example.com","callbackBody":"filename=${object}&size=${size}&mimeType=${mimeType}&height=${imageInfo.height}&width=${imageInfo.width}","callbackBodyType":"application/json"}"#,
        "--fact",
        "object=local/var/www/zhuye.png",
        "--fact",
        "size=5385",
        "--fact",
        "mimeType=application/octet-stream",
        "--fact",
        "imageInfo.height=256",
        "--fact",
        "imageInfo.width=256",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        r#"filename="local/var/www/zhuye.png"&size=5385&mimeType="application/octet-stream"&height=256&width=256"#
    );
    assert!(stderr(&out).contains("Content-Type: application/json"));
}

// spec: CB-JSON-EMPTY, CB-VAR-MISSING, CB-SYS-UNKNOWN, CB-FORM-ENCODING-SET
#[test]
fn render_shows_the_implementation_defined_choices() {
    let out = cbspec(&[
        "render",
        "--callback",
        r#"{"callbackUrl":"a.example.com","callbackBody":"[${vpcId},${x:missing},${Bucket},${x:empty},${crc64}]","callbackBodyType":"application/json"}"#,
        "--callback-var",
        r#"{"x:empty":""}"#,
        "--fact",
        "crc64=18446744073709551615",
    ]);
    assert_eq!(stdout(&out), r#"[null,null,null,"",18446744073709551615]"#);

    let out = cbspec(&[
        "render",
        "--callback",
        r#"{"callbackUrl":"a.example.com","callbackBody":"o=${object}&m=${x:missing}"}"#,
        "--fact",
        "object=a b+c*~'é/\"",
    ]);
    assert_eq!(stdout(&out), "o=a%20b%2Bc%2A~%27%C3%A9%2F%22&m=");
}

// spec: CB-CFG-JSON, CB-URL-PRIVATE
#[test]
fn render_prints_the_oss_error_and_exits_2_for_a_rejected_config() {
    let out = cbspec(&[
        "render",
        "--callback",
        r#"{"callbackUrl":"www.oss-callback.com/test.php","callbackBody":"{"bucket":${bucket}}"}"#,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout for a rejected config"
    );
    let err = stderr(&out);
    assert!(
        err.contains("Message: The callback configuration is not json format."),
        "{err}"
    );
    assert!(err.contains("EC: 0007-00000003"), "{err}");

    let private = r#"{"callbackUrl":"http://127.0.0.1:9000/cb","callbackBody":"b=${bucket}"}"#;
    assert_eq!(
        cbspec(&["render", "--callback", private]).status.code(),
        Some(0)
    );
    let out = cbspec(&["render", "--production-rules", "--callback", private]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("EC: 0007-00000008"));
}

#[test]
fn render_refuses_bad_facts_with_a_usage_error() {
    let cb = r#"{"callbackUrl":"a.example.com","callbackBody":"s=${size}"}"#;
    for fact in ["size=12kb", "nosuch=1", "object"] {
        let out = cbspec(&["render", "--callback", cb, "--fact", fact]);
        assert_eq!(out.status.code(), Some(2), "{fact}");
        assert!(
            stderr(&out).starts_with("error: "),
            "{fact}: {}",
            stderr(&out)
        );
    }
    let out = cbspec(&["render", "--callback", "@/nonexistent/cb.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read"));
}

const V1_AUTH: &str =
    "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==";
const V1_KEY_URL: &str = "aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==";

// spec: CB-KEY-ALLOWLIST, CB-KEY-URL-BASE64, CB-SIG-STRING-TO-SIGN
#[test]
fn verify_exit_codes() {
    let ok = cbspec(&[
        "verify",
        "--target",
        "/index.php?id=1&index=2",
        "--body",
        "bucket=yonghu-test",
        "--authorization",
        V1_AUTH,
        "--pub-key-url",
        V1_KEY_URL,
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).starts_with("OK:"));

    let tampered = cbspec(&[
        "verify",
        "--target",
        "/index.php?id=1&index=2",
        "--body",
        "bucket=yonghu-tesT",
        "--authorization",
        V1_AUTH,
        "--key",
        "oss",
    ]);
    assert_eq!(tampered.status.code(), Some(1));
    assert!(
        stdout(&tampered).contains("signed content differs"),
        "{}",
        stdout(&tampered)
    );

    // A spoofed key URL is refused before any key is used.
    let spoof = base64_of("https://gosspublic.alicdn.com.evil.example/callback_pub_key_v1.pem");
    let refused = cbspec(&[
        "verify",
        "--target",
        "/index.php?id=1&index=2",
        "--body",
        "bucket=yonghu-test",
        "--authorization",
        V1_AUTH,
        "--pub-key-url",
        &spoof,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stdout(&refused).contains("refusing to fetch"),
        "{}",
        stdout(&refused)
    );

    let no_key = cbspec(&[
        "verify",
        "--target",
        "/",
        "--body",
        "",
        "--authorization",
        V1_AUTH,
    ]);
    assert_eq!(no_key.status.code(), Some(2));
}

// spec: CB-KEY-EMULATOR
#[test]
fn verify_accepts_a_pem_key_and_an_extra_allowed_prefix() {
    let dir = std::env::temp_dir().join(format!("cbspec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_path = dir.join("body");
    std::fs::write(&body_path, b"bucket=b&object=a%2Fb\n").unwrap();
    let signer = cbspec_protocol::signature::CallbackSigner::from_pem(include_str!(
        "../../keys/emulator-dev-key.pem"
    ))
    .unwrap();
    let auth = signer.sign("/cb?x=1", b"bucket=b&object=a%2Fb\n");
    let key_arg = format!(
        "@{}/../keys/emulator-dev-key.pub.pem",
        env!("CARGO_MANIFEST_DIR")
    );
    let body_arg = format!("@{}", body_path.display());
    let key_url = base64_of("http://127.0.0.1:9000/cbspec/pub.pem");

    let out = cbspec(&[
        "verify",
        "--target",
        "/cb?x=1",
        "--body",
        &body_arg,
        "--authorization",
        &auth,
        "--key",
        &key_arg,
        "--pub-key-url",
        &key_url,
        "--allow-key-url-prefix",
        "http://127.0.0.1:9000/",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    let out = cbspec(&[
        "verify",
        "--target",
        "/cb?x=1",
        "--body",
        &body_arg,
        "--authorization",
        &auth,
        "--key",
        &key_arg,
        "--pub-key-url",
        &key_url,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the emulator's key URL is not allowed by default"
    );

    let out = cbspec(&[
        "verify",
        "--target",
        "/cb?x=1",
        "--body",
        &body_arg,
        "--authorization",
        &auth,
        "--key",
        "oss",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("128 bytes"), "{}", stdout(&out));
    std::fs::remove_dir_all(&dir).ok();
}

/// A key-URL prefix that would allow more than it says is a usage error,
/// with the normal form to write instead.
// spec: CB-KEY-PREFIX-VALID
#[test]
fn loose_key_url_prefixes_are_usage_errors() {
    for (prefix, hint) in [
        ("", "not an absolute URL"),
        ("http://127.0.0.1:9", "\"http://127.0.0.1:9/\""),
        ("http://127.0.0.1:9/keys", "\"http://127.0.0.1:9/keys/\""),
        ("http://u@127.0.0.1/keys/", "user information"),
        ("ftp://127.0.0.1/keys/", "http or https"),
    ] {
        for command in ["verify", "capture"] {
            let mut args = vec![command, "--allow-key-url-prefix", prefix];
            if command == "verify" {
                args.extend([
                    "--target",
                    "/cb",
                    "--body",
                    "b",
                    "--authorization",
                    "x",
                    "--key",
                    "oss",
                ]);
            }
            let out = cbspec(&args);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command} {prefix:?}: {}",
                stderr(&out)
            );
            assert!(
                stderr(&out).contains(hint),
                "{command} {prefix:?}: {}",
                stderr(&out)
            );
        }
    }
}

/// Values that would crash, overflow or silently mean something else are
/// refused up front with exit code 2 and a message naming the flag.
#[test]
fn bad_flag_values_are_refused_up_front() {
    let not_pem = std::env::temp_dir().join(format!("cbspec-not-pem-{}", std::process::id()));
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let not_pem = not_pem.display().to_string();
    for (args, hint) in [
        (
            vec![
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--callback-timeout",
                "3381903080180084463m",
            ],
            "longer than a day",
        ),
        (
            vec![
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--callback-timeout",
                "0s",
            ],
            "is zero",
        ),
        (
            vec!["emulator", "--listen", "127.0.0.1:0", "--region", ""],
            "must not be empty",
        ),
        (
            vec![
                "emulator",
                "--listen",
                "127.0.0.1:0",
                "--callback-ca",
                &not_pem,
            ],
            "no PEM certificate",
        ),
        (
            vec!["emulator", "--listen", "127.0.0.1:0", "--backlog", "0"],
            "--backlog",
        ),
        (vec!["capture", "--tls-name", ""], "must not be empty"),
    ] {
        let out = cbspec(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(hint), "{args:?}: {}", stderr(&out));
    }
    let _ = std::fs::remove_file(&not_pem);
}

/// `render --production-rules` refuses a loopback address in any spelling,
/// with OSS's EC, as the emulator does.
// spec: CB-URL-PRIVATE-AS-CONNECTED
#[test]
fn render_with_production_rules_refuses_every_spelling_of_loopback() {
    for host in ["0x7f.0.0.1", "127.1", "0177.0.0.1", "2130706433"] {
        let callback = format!(r#"{{"callbackUrl":"http://{host}:8080/cb","callbackBody":"a=b"}}"#);
        let out = cbspec(&["render", "--production-rules", "--callback", &callback]);
        assert_eq!(out.status.code(), Some(2), "{host}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("EC: 0007-00000008"),
            "{host}: {}",
            stderr(&out)
        );
    }
}
