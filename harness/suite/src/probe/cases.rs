//! The probe's cases, as data: each one a callback request built exactly as
//! OSS builds it (CB-HDR-*, CB-SIG-*), then signed, forged or mangled in one
//! way, with what a correct receiver must do with it and the requirement
//! that says so. Pure: no I/O; the probe's runner sends them.

use std::time::SystemTime;

use cbspec_protocol::callback_request::{build_callback_request, CallbackContext};
use cbspec_protocol::config::{CallbackConfig, DecodeOptions, ValidatedCallback};
use cbspec_protocol::custom_vars::CustomVariables;
use cbspec_protocol::facts::UploadFacts;
use cbspec_protocol::rejection::Rejection;
use cbspec_protocol::signature::CallbackSigner;

/// What a correct receiver does with a case's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Accepts it, and answers so that OSS relays the answer.
    Accept,
    /// Rejects it.
    Reject,
}

/// One request to send, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRequest {
    /// The URL it goes to (the receiver's, maybe with a query added).
    pub url: String,
    /// Headers in order; a name may repeat.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// One case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeCase {
    /// Stable id, e.g. `key-url/dot-segments`.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// The requirement a wrong answer breaks.
    pub requirement: &'static str,
    /// What a correct receiver does.
    pub expected: Expected,
    /// The request.
    pub request: ProbeRequest,
}

/// Everything the cases are built from.
#[derive(Debug, Clone)]
pub struct ProbeSetup {
    /// The receiver's callback URL, as given.
    pub url: String,
    /// `application/x-www-form-urlencoded` or `application/json`.
    pub body_type: String,
    /// The callbackBody template.
    pub template: String,
    /// Custom variables (`x:` names).
    pub vars: Vec<(String, String)>,
    /// `host:port` of cbspec's key server.
    pub key_authority: String,
}

/// The path under which the key server publishes the trusted key; the
/// receiver under test allows exactly `http://<key server>/trusted/`.
pub const TRUSTED_PREFIX_PATH: &str = "/trusted/";
/// The file name of every key the key server serves.
pub const KEY_FILE: &str = "callback_pub_key.pem";
/// Where the key server publishes the attacker's key.
pub const ATTACKER_PATHS: [&str; 2] = [
    "/attacker/callback_pub_key.pem",
    "/TRUSTED/callback_pub_key.pem",
];

/// The digest's V1 vector (Appendix A): a real OSS-signed callback for
/// `/index.php?id=1&index=2`, replayed to the receiver's own path.
pub mod oss_v1 {
    /// Its body.
    pub const BODY: &str = "bucket=yonghu-test";
    /// Its `authorization` header.
    pub const AUTHORIZATION: &str =
        "kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==";
    /// Its `x-oss-pub-key-url` header.
    pub const PUB_KEY_URL: &str =
        "aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==";
}

impl ProbeSetup {
    /// `http://<key server>/trusted/`: the one prefix the receiver allows.
    pub fn trusted_prefix(&self) -> String {
        format!("http://{}{TRUSTED_PREFIX_PATH}", self.key_authority)
    }

    /// The trusted key's URL.
    pub fn trusted_key_url(&self) -> String {
        format!("{}{KEY_FILE}", self.trusted_prefix())
    }
}

/// Why the cases could not be built: the configuration is one OSS would
/// refuse, so no real callback could look like it.
#[derive(Debug, thiserror::Error)]
#[error("OSS would refuse this callback ({} {}: {}): {}", .0.status(), .0.code(), .0.message(), .0.detail())]
pub struct SetupError(pub Rejection);

/// A callback configuration for `url`, validated as OSS validates it.
fn validated(
    setup: &ProbeSetup,
    url: &str,
    template: &str,
) -> Result<ValidatedCallback, SetupError> {
    let config = serde_json::json!({
        "callbackUrl": url,
        "callbackBody": template,
        "callbackBodyType": setup.body_type,
    });
    CallbackConfig::decode_json(&config.to_string(), DecodeOptions::default()).map_err(SetupError)
}

/// The facts of the upload the probe pretends to have made.
fn facts(object: &str) -> UploadFacts {
    UploadFacts {
        bucket: "cbspec-probe".into(),
        object: object.into(),
        // An empty object: its MD5, Base64 MD5 and CRC-64 are well known.
        etag: "D41D8CD98F00B204E9800998ECF8427E".into(),
        size: Some(0),
        mime_type: "text/plain".into(),
        crc64: Some(0),
        content_md5: "1B2M2Y8AsgTpl/vxkqiWMA==".into(),
        client_ip: "203.0.113.10".into(),
        request_id: "5C3D9175B6FC201293AD4890".into(),
        operation: "PutObject".into(),
        ..UploadFacts::default()
    }
}

/// One correctly signed request, as OSS would send it.
struct Signed {
    request: ProbeRequest,
    target: String,
}

/// What one signed callback is about.
struct Upload<'a> {
    url: &'a str,
    template: &'a str,
    object: &'a str,
    vars: &'a [(String, String)],
}

fn sign(
    setup: &ProbeSetup,
    upload: &Upload<'_>,
    signer: &CallbackSigner,
    key_url: &str,
    now: SystemTime,
) -> Result<Signed, SetupError> {
    let Upload {
        url,
        template,
        object,
        vars,
    } = *upload;
    let callback = validated(setup, url, template)?;
    let vars = CustomVariables::new(vars.iter().map(|(k, v)| (k.clone(), v.clone())))
        .map_err(SetupError)?;
    let body = callback
        .template
        .expand(callback.body_type(), &facts(object), &vars)
        .into_bytes();
    let context = CallbackContext {
        bucket: "cbspec-probe",
        request_id: "5C3D9175B6FC201293AD4890",
        requester: "1234567890",
        owner: "1234567890",
        date: now,
        pub_key_url: key_url,
    };
    let target = callback.urls[0].target.clone();
    let built = build_callback_request(&callback, &callback.urls[0], &body, signer, &context);
    Ok(Signed {
        request: ProbeRequest {
            url: built.url.to_string(),
            headers: built.headers,
            body: built.body,
        },
        target,
    })
}

/// Sets a header in place (where OSS puts it), or removes it with `None`;
/// a header not there yet goes last.
fn set_header(request: &mut ProbeRequest, name: &str, value: Option<String>) {
    let at = request
        .headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(name));
    request
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if let Some(value) = value {
        let at = at
            .unwrap_or(request.headers.len())
            .min(request.headers.len());
        request.headers.insert(at, (name.to_owned(), value));
    }
}

fn with_query(url: &str, pair: &str) -> String {
    if url.contains('?') {
        format!("{url}&{pair}")
    } else {
        format!("{url}?{pair}")
    }
}

/// A custom variable's template reference appended to `template` in the
/// body type's own syntax.
fn with_variable(template: &str, body_type: &str, name: &str) -> String {
    if body_type == "application/json" {
        match template.trim_end().strip_suffix('}') {
            Some(open) => format!("{open},\"cbspec_empty\":${{{name}}}}}"),
            None => format!("{template}${{{name}}}"),
        }
    } else {
        format!("{template}&cbspec_empty=${{{name}}}")
    }
}

/// Builds every case. `trusted` signs for the trusted key URL, `attacker`
/// is the key the look-alike key URLs serve.
pub fn build_cases(
    setup: &ProbeSetup,
    trusted: &CallbackSigner,
    attacker: &CallbackSigner,
    now: SystemTime,
) -> Result<Vec<ProbeCase>, SetupError> {
    let object = "probe/object.txt";
    let trusted_url = setup.trusted_key_url();
    let signed = |url: &str,
                  template: &str,
                  object: &str,
                  vars: &[(String, String)],
                  signer: &CallbackSigner,
                  key_url: &str| {
        let upload = Upload {
            url,
            template,
            object,
            vars,
        };
        sign(setup, &upload, signer, key_url, now)
    };
    let basic = signed(
        &setup.url,
        &setup.template,
        object,
        &setup.vars,
        trusted,
        &trusted_url,
    )?;
    let mut cases = Vec::new();
    let mut push = |id: &str,
                    title: &str,
                    requirement: &'static str,
                    expected: Expected,
                    request: ProbeRequest| {
        cases.push(ProbeCase {
            id: id.to_owned(),
            title: title.to_owned(),
            requirement,
            expected,
            request,
        });
    };

    // What a receiver must accept.
    push(
        "accept/signed",
        "A correctly signed callback",
        "CB-RCV-ACCEPT-SIGNED",
        Expected::Accept,
        basic.request.clone(),
    );
    let query_url = with_query(&setup.url, "cbspec-probe=1&order=a%20b");
    let query = signed(
        &query_url,
        &setup.template,
        object,
        &setup.vars,
        trusted,
        &trusted_url,
    )?;
    push(
        "accept/with-query",
        "A correctly signed callback to the URL with a query string",
        "CB-RCV-ACCEPT-SIGNED",
        Expected::Accept,
        query.request.clone(),
    );
    let non_ascii = signed(
        &setup.url,
        &setup.template,
        "probe/对象 é+%.txt",
        &setup.vars,
        trusted,
        &trusted_url,
    )?;
    push(
        "accept/non-ascii-object",
        "A correctly signed callback for a non-ASCII object name",
        "CB-RCV-ACCEPT-SIGNED",
        Expected::Accept,
        non_ascii.request,
    );
    let mut vars = setup.vars.clone();
    vars.push(("x:cbspec_empty".into(), String::new()));
    let empty_var = signed(
        &setup.url,
        &with_variable(&setup.template, &setup.body_type, "x:cbspec_empty"),
        object,
        &vars,
        trusted,
        &trusted_url,
    )?;
    push(
        "accept/empty-variable",
        "A correctly signed callback with an empty custom variable",
        "CB-RCV-ACCEPT-SIGNED",
        Expected::Accept,
        empty_var.request,
    );

    // Tampering after signing.
    let mut body_changed = basic.request.clone();
    if let Some(last) = body_changed.body.last_mut() {
        *last = if *last == b'0' { b'1' } else { b'0' };
    } else {
        body_changed.body.push(b'0');
    }
    let value = body_changed.body.len().to_string();

    set_header(&mut body_changed, "Content-Length", Some(value));
    push(
        "reject/body-changed",
        "The body changed after signing (one byte)",
        "CB-RCV-REJECT-TAMPERED",
        Expected::Reject,
        body_changed,
    );
    let mut path_changed = basic.request.clone();
    let other_path = format!(
        "{}cbspec-other",
        basic.target.split('?').next().unwrap_or("/")
    );
    let value = trusted.sign(&other_path, &path_changed.body);

    set_header(&mut path_changed, "Authorization", Some(value));
    push(
        "reject/path-changed",
        "Signed for another path",
        "CB-RCV-REJECT-TAMPERED",
        Expected::Reject,
        path_changed,
    );
    let mut query_dropped = query.request.clone();
    let without_query = query.target.split('?').next().unwrap_or("/").to_owned();
    let value = trusted.sign(&without_query, &query_dropped.body);

    set_header(&mut query_dropped, "Authorization", Some(value));
    push(
        "reject/query-dropped",
        "Signed without the query the URL has (a receiver that drops the query accepts it)",
        "CB-RCV-REJECT-TAMPERED",
        Expected::Reject,
        query_dropped,
    );
    let mut query_changed = query.request.clone();
    let changed_target = query.target.replace("cbspec-probe=1", "cbspec-probe=2");
    let value = trusted.sign(&changed_target, &query_changed.body);

    set_header(&mut query_changed, "Authorization", Some(value));
    push(
        "reject/query-changed",
        "Signed for another query",
        "CB-RCV-REJECT-TAMPERED",
        Expected::Reject,
        query_changed,
    );
    if !basic.target.contains('?') {
        let mut bare = basic.request.clone();
        let with_bare = format!("{}?", basic.target);
        let value = trusted.sign(&with_bare, &bare.body);

        set_header(&mut bare, "Authorization", Some(value));
        push(
            "reject/bare-question-mark",
            "Signed with a `?` the URL does not have (a receiver that always adds `?` accepts it)",
            "CB-RCV-REJECT-TAMPERED",
            Expected::Reject,
            bare,
        );
    }
    let mut foreign = basic.request.clone();
    let value = attacker.sign(&basic.target, &foreign.body);

    set_header(&mut foreign, "Authorization", Some(value));
    push(
        "reject/foreign-key",
        "Signed with another key, naming the trusted key URL",
        "CB-RCV-REJECT-FOREIGN-KEY",
        Expected::Reject,
        foreign,
    );

    // Key URLs outside the allowlist, each serving the attacker's key (or,
    // for forms that cannot reach the key server, naming it).
    let authority = &setup.key_authority;
    let (host, port) = authority
        .rsplit_once(':')
        .unwrap_or((authority.as_str(), "80"));
    let look_alikes: [(&str, &str, String, bool); 8] = [
        (
            "other-path",
            "A key URL on the key server outside the trusted path",
            format!("http://{authority}/attacker/{KEY_FILE}"),
            true,
        ),
        (
            "other-host",
            "The trusted path on another host name of the same server",
            format!("http://localhost:{port}{TRUSTED_PREFIX_PATH}{KEY_FILE}"),
            false,
        ),
        (
            "look-alike-host",
            "A host that starts with the trusted one",
            format!("http://{host}.evil.test:{port}{TRUSTED_PREFIX_PATH}{KEY_FILE}"),
            true,
        ),
        (
            "userinfo",
            "The trusted authority as userinfo in front of the key server",
            format!("http://{authority}@{authority}/attacker/{KEY_FILE}"),
            true,
        ),
        (
            "dot-segments",
            "The trusted prefix followed by `..` segments",
            format!("http://{authority}{TRUSTED_PREFIX_PATH}../attacker/{KEY_FILE}"),
            true,
        ),
        (
            "other-scheme",
            "The trusted prefix with https instead of http",
            format!("https://{authority}{TRUSTED_PREFIX_PATH}{KEY_FILE}"),
            true,
        ),
        (
            "upper-case",
            "The trusted prefix's path in upper case",
            format!("http://{authority}/TRUSTED/{KEY_FILE}"),
            true,
        ),
        (
            "in-query",
            "The trusted prefix only inside the key URL's query",
            format!(
                "http://{authority}/attacker/{KEY_FILE}?from={}",
                setup.trusted_prefix()
            ),
            true,
        ),
    ];
    for (name, title, key_url, by_attacker) in look_alikes {
        let signer = if by_attacker { attacker } else { trusted };
        let forged = signed(
            &setup.url,
            &setup.template,
            object,
            &setup.vars,
            signer,
            &key_url,
        )?;
        push(
            &format!("key-url/{name}"),
            &format!("{title}: {key_url}"),
            "CB-RCV-KEY-ALLOWLIST",
            Expected::Reject,
            forged.request,
        );
    }

    // Malformed signature headers.
    let mut missing = basic.request.clone();
    set_header(&mut missing, "Authorization", None);
    push(
        "malformed/no-authorization",
        "No Authorization header",
        "CB-RCV-REJECT-MALFORMED",
        Expected::Reject,
        missing,
    );
    let mut not_base64 = basic.request.clone();
    set_header(
        &mut not_base64,
        "Authorization",
        Some("not base64 at all!".into()),
    );
    push(
        "malformed/authorization-not-base64",
        "An Authorization header that is not Base64",
        "CB-RCV-REJECT-MALFORMED",
        Expected::Reject,
        not_base64,
    );
    let mut twice = basic.request.clone();
    twice.headers.push((
        "Authorization".into(),
        attacker.sign(&basic.target, &basic.request.body),
    ));
    push(
        "malformed/authorization-twice",
        "Authorization twice: the valid signature, then another key's",
        "CB-RCV-DUPLICATE-HEADERS",
        Expected::Reject,
        twice,
    );
    let mut raw_key_url = basic.request.clone();
    set_header(
        &mut raw_key_url,
        "x-oss-pub-key-url",
        Some(trusted_url.clone()),
    );
    push(
        "malformed/key-url-not-base64",
        "The trusted key URL as plain text, not Base64",
        "CB-RCV-REJECT-MALFORMED",
        Expected::Reject,
        raw_key_url,
    );
    let mut replay = basic.request.clone();
    replay.body = oss_v1::BODY.as_bytes().to_vec();
    set_header(
        &mut replay,
        "Content-Type",
        Some("application/x-www-form-urlencoded".into()),
    );
    let value = replay.body.len().to_string();

    set_header(&mut replay, "Content-Length", Some(value));
    set_header(
        &mut replay,
        "Content-MD5",
        Some("x1STW4EVzp0ZZRKUY72zTQ==".into()),
    );
    set_header(
        &mut replay,
        "Authorization",
        Some(oss_v1::AUTHORIZATION.into()),
    );
    set_header(
        &mut replay,
        "x-oss-pub-key-url",
        Some(oss_v1::PUB_KEY_URL.into()),
    );
    push(
        "replay/oss-signed-v1",
        "A real OSS-signed callback for /index.php?id=1&index=2, replayed",
        "CB-RCV-REJECT-MALFORMED",
        Expected::Reject,
        replay,
    );
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cbspec_protocol::signature::decode_key_url;

    fn setup(url: &str) -> ProbeSetup {
        ProbeSetup {
            url: url.into(),
            body_type: "application/x-www-form-urlencoded".into(),
            template: "bucket=${bucket}&object=${object}&uid=${x:uid}".into(),
            vars: vec![("x:uid".into(), "42".into())],
            key_authority: "127.0.0.1:7000".into(),
        }
    }

    fn keys() -> (CallbackSigner, CallbackSigner) {
        (
            CallbackSigner::from_pem(include_str!("../../../keys/emulator-dev-key.pem")).unwrap(),
            CallbackSigner::from_pem(include_str!("../../../keys/other-test-key.pem")).unwrap(),
        )
    }

    fn header<'a>(request: &'a ProbeRequest, name: &str) -> Vec<&'a str> {
        request
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The target as OSS signs it (path and query as written).
    fn target(url: &str) -> String {
        let rest = url.split_once("://").unwrap().1;
        rest.find('/')
            .map_or("/".to_owned(), |i| rest[i..].to_owned())
    }

    #[test]
    fn accepted_cases_verify_and_rejected_ones_do_not() {
        let (trusted, attacker) = keys();
        let cases = build_cases(
            &setup("http://127.0.0.1:8080/cb"),
            &trusted,
            &attacker,
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let trusted_key = trusted.public_key();
        let trusted_url = "http://127.0.0.1:7000/trusted/callback_pub_key.pem";
        for case in &cases {
            let auth = header(&case.request, "authorization");
            let key_url = header(&case.request, "x-oss-pub-key-url");
            let verifies = auth.len() == 1
                && key_url.len() == 1
                && decode_key_url(key_url[0]).is_ok_and(|u| u == trusted_url)
                && trusted_key
                    .verify(&target(&case.request.url), &case.request.body, auth[0])
                    .is_ok();
            assert_eq!(
                verifies,
                case.expected == Expected::Accept,
                "{}: a correct receiver's verdict follows the signature",
                case.id
            );
        }
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), 23, "{ids:?}");
        assert!(ids.contains(&"reject/bare-question-mark"));
        // Without a query in the URL there is no `?` in what OSS signs.
        let basic = &cases[0].request;
        assert_eq!(target(&basic.url), "/cb");
        assert_eq!(
            std::str::from_utf8(&basic.body).unwrap(),
            "bucket=cbspec-probe&object=probe%2Fobject.txt&uid=42"
        );
    }

    #[test]
    fn look_alike_key_urls_are_signed_by_the_key_they_serve() {
        let (trusted, attacker) = keys();
        let cases = build_cases(
            &setup("http://127.0.0.1:8080/cb?a=1"),
            &trusted,
            &attacker,
            SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let attacker_key = attacker.public_key();
        let dot = cases
            .iter()
            .find(|c| c.id == "key-url/dot-segments")
            .unwrap();
        let url = decode_key_url(header(&dot.request, "x-oss-pub-key-url")[0]).unwrap();
        assert_eq!(
            url,
            "http://127.0.0.1:7000/trusted/../attacker/callback_pub_key.pem"
        );
        assert!(attacker_key
            .verify(
                "/cb?a=1",
                &dot.request.body,
                header(&dot.request, "authorization")[0]
            )
            .is_ok());
        assert!(
            !cases.iter().any(|c| c.id == "reject/bare-question-mark"),
            "the URL has a query"
        );
        let empty = cases
            .iter()
            .find(|c| c.id == "accept/empty-variable")
            .unwrap();
        assert!(std::str::from_utf8(&empty.request.body)
            .unwrap()
            .ends_with("&cbspec_empty="));
    }

    #[test]
    fn a_template_oss_would_refuse_is_refused_before_anything_is_built() {
        let (trusted, attacker) = keys();
        let mut s = setup("http://127.0.0.1:8080/cb");
        s.template = "a=${bucket".into();
        let e = build_cases(&s, &trusted, &attacker, SystemTime::UNIX_EPOCH).unwrap_err();
        assert!(
            e.to_string()
                .contains("OSS would refuse this callback (400"),
            "{e}"
        );
    }
}
