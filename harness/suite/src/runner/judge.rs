//! Comparing what a scenario observed with what it expects. Pure: no I/O.

use cbspec_protocol::error_document::ErrorDocument;

use super::observation::{Mismatch, Observation, ObservedCallback, Tokens};
use crate::scenario::{Expect, ExpectedCallback, SignatureExpectation};

fn show(text: &str) -> String {
    format!("{text:?}")
}

fn check(out: &mut Vec<Mismatch>, what: impl Into<String>, expected: &str, observed: Option<&str>) {
    if observed != Some(expected) {
        out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: what.into(),
            expected: show(expected),
            observed: observed.map_or_else(|| "nothing".to_owned(), show),
        });
    }
}

/// Compares an observation with a scenario's expectations.
pub fn judge(expect: &Expect, observation: &Observation, tokens: &Tokens) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let Some(answer) = &observation.answer else {
        out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: "upload".into(),
            expected: format!("an answer with status {}", expect.status),
            observed: observation
                .transport_error
                .clone()
                .unwrap_or_else(|| "no answer".into()),
        });
        return out;
    };
    let request_id = answer
        .header("x-oss-request-id")
        .unwrap_or_default()
        .to_owned();
    let body = String::from_utf8_lossy(&answer.body);
    if answer.status != expect.status {
        out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: "upload.status".into(),
            expected: expect.status.to_string(),
            observed: format!("{} {}", answer.status, excerpt(&body)),
        });
    }
    for (name, expected) in &expect.headers {
        check(
            &mut out,
            format!("upload.header.{name}"),
            &tokens.apply(expected, &request_id),
            answer.header(name),
        );
    }
    if let Some(expected) = &expect.body {
        check(
            &mut out,
            "upload.body",
            &tokens.apply(expected, &request_id),
            Some(&body),
        );
    }
    if expect.code.is_some()
        || expect.message.is_some()
        || expect.ec.is_some()
        || expect.argument_name.is_some()
        || expect.argument_value.is_some()
    {
        match ErrorDocument::from_xml(&body) {
            Ok(doc) => {
                if let Some(code) = &expect.code {
                    check(&mut out, "upload.error.Code", code, Some(&doc.code));
                }
                if let Some(message) = &expect.message {
                    check(
                        &mut out,
                        "upload.error.Message",
                        message,
                        Some(&doc.message),
                    );
                }
                if let Some(ec) = &expect.ec {
                    check(&mut out, "upload.error.EC", ec, doc.ec.as_deref());
                }
                if let Some(name) = &expect.argument_name {
                    check(
                        &mut out,
                        "upload.error.ArgumentName",
                        name,
                        doc.argument_name.as_deref(),
                    );
                }
                if let Some(value) = &expect.argument_value {
                    check(
                        &mut out,
                        "upload.error.ArgumentValue",
                        &tokens.apply(value, &request_id),
                        doc.argument_value.as_deref(),
                    );
                }
            }
            Err(e) => out.push(Mismatch {
                requirement: None,
                level: None,
                unknowable: None,
                what: "upload.error".into(),
                expected: "an OSS error document".into(),
                observed: format!("{e}: {}", excerpt(&body)),
            }),
        }
    }

    if observation.callbacks.len() != expect.callback.len() {
        out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: "callbacks".into(),
            expected: format!("{} request(s)", expect.callback.len()),
            observed: format!(
                "{} request(s){}",
                observation.callbacks.len(),
                if observation.callbacks.is_empty() {
                    String::new()
                } else {
                    format!(
                        " to {}",
                        observation
                            .callbacks
                            .iter()
                            .map(|c| c.path.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
        });
    }
    for (i, (expected, observed)) in expect
        .callback
        .iter()
        .zip(&observation.callbacks)
        .enumerate()
    {
        judge_callback(&mut out, i, expected, observed, tokens, &request_id);
    }

    if let Some(object) = &expect.object {
        match &observation.object {
            None => out.push(Mismatch {
                requirement: None,
                level: None,
                unknowable: None,
                what: "object".into(),
                expected: "a GET after the upload".into(),
                observed: "none was made".into(),
            }),
            Some(got) => {
                let stored = got.status == 200;
                if stored != object.stored {
                    out.push(Mismatch {
                        requirement: None,
                        level: None,
                        unknowable: None,
                        what: "object.stored".into(),
                        expected: object.stored.to_string(),
                        observed: format!("{stored} (GET answered {})", got.status),
                    });
                } else if stored {
                    if let Some(size) = object.size {
                        check(
                            &mut out,
                            "object.size",
                            &size.to_string(),
                            Some(&got.body.len().to_string()),
                        );
                    }
                    if let Some(etag) = &object.etag {
                        check(
                            &mut out,
                            "object.etag",
                            &format!("\"{etag}\""),
                            got.header("etag"),
                        );
                    }
                    if let Some(crc) = &object.crc64 {
                        check(
                            &mut out,
                            "object.crc64",
                            crc,
                            got.header("x-oss-hash-crc64ecma"),
                        );
                    }
                    if let Some(ct) = &object.content_type {
                        check(
                            &mut out,
                            "object.content_type",
                            ct,
                            got.header("content-type"),
                        );
                    }
                }
            }
        }
    }
    out
}

fn judge_callback(
    out: &mut Vec<Mismatch>,
    i: usize,
    expected: &ExpectedCallback,
    observed: &ObservedCallback,
    tokens: &Tokens,
    request_id: &str,
) {
    let at = |field: &str| format!("callback[{i}].{field}");
    check(out, at("method"), "POST", Some(&observed.method));
    check(out, at("path"), &expected.path, Some(&observed.path));
    check(out, at("query"), &expected.query, Some(&observed.query));
    if let Some(host) = &expected.host {
        check(
            out,
            at("host"),
            &tokens.apply(host, request_id),
            observed.header("host"),
        );
    }
    if let Some(ct) = &expected.content_type {
        check(out, at("content_type"), ct, observed.header("content-type"));
    }
    if let Some(body) = &expected.body {
        check(
            out,
            at("body"),
            &tokens.apply(body, request_id),
            Some(&String::from_utf8_lossy(&observed.body)),
        );
    }
    for (name, value) in &expected.headers {
        check(
            out,
            at(&format!("headers.{name}")),
            &tokens.apply(value, request_id),
            observed.header(name),
        );
    }
    match expected.signature {
        SignatureExpectation::Valid if !observed.signature_valid => out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: at("signature"),
            expected: "a valid signature".into(),
            observed: observed.signature_detail.clone(),
        }),
        SignatureExpectation::Invalid if observed.signature_valid => out.push(Mismatch {
            requirement: None,
            level: None,
            unknowable: None,
            what: at("signature"),
            expected: "an invalid signature".into(),
            observed: "a valid one".into(),
        }),
        _ => {}
    }
    for name in &expected.http_date_headers {
        let value = observed.header(name);
        if value.is_none_or(|v| httpdate::parse_http_date(v).is_err() || !v.ends_with(" GMT")) {
            out.push(Mismatch {
                requirement: None,
                level: None,
                unknowable: None,
                what: at(&format!("headers.{name}")),
                expected: "an RFC 1123 GMT date".into(),
                observed: value.map_or_else(|| "nothing".to_owned(), show),
            });
        }
    }
    if let Some(sni) = &expected.sni {
        let observed_sni = observed.sni.clone().unwrap_or_default();
        check(out, at("sni"), &tokens.apply(sni, ""), Some(&observed_sni));
    }
}

fn excerpt(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    if one_line.chars().count() > 160 {
        format!("{:?}…", one_line.chars().take(160).collect::<String>())
    } else {
        format!("{one_line:?}")
    }
}
