//! The emulator's fuzz entry point, in process: any request gets a
//! well-formed OSS answer. Behind the `testing` feature so the fuzz package
//! and the tests call the same function.

use std::cell::RefCell;
use std::time::SystemTime;

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;

use crate::{CallbackSettings, EmulatorConfig, InProcessEmulator};
use cbspec_protocol::auth::{v1, Credentials, SignableRequest};
use cbspec_protocol::error_document::ErrorDocument;
use cbspec_protocol::routing::path_style_target;
use cbspec_protocol::testing::generators::ArbSignable;

/// Requests one emulator serves before it is replaced, so its in-memory
/// store cannot grow without bound over a long campaign.
const REQUESTS_PER_EMULATOR: usize = 5_000;

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
    static EMULATOR: RefCell<(usize, Option<InProcessEmulator>)> = const { RefCell::new((0, None)) };
}

fn credentials() -> Credentials {
    Credentials::new("fuzz-access-key", "fuzz-secret")
}

fn fresh_emulator() -> InProcessEmulator {
    InProcessEmulator::new(EmulatorConfig {
        credentials: credentials(),
        buckets: vec!["fuzz-bucket".into()],
        callbacks: CallbackSettings {
            // Arbitrary callback URLs may name any host: send nothing.
            offline: true,
            ..CallbackSettings::default()
        },
        ..EmulatorConfig::default()
    })
    .expect("the fuzz emulator starts")
}

/// One arbitrary request.
#[derive(Debug, Arbitrary)]
struct ArbHttp {
    method: u8,
    raw_method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Sign it (V1) as the emulator's key holder, to get past authentication.
    signed: Option<ArbSignable>,
}

const METHODS: [&str; 7] = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"];

/// Header names as hyper would let them through: token characters only.
fn header_name(raw: &str) -> String {
    let name: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c))
        .collect();
    if name.is_empty() {
        "x-fuzz".to_owned()
    } else {
        name
    }
}

/// The emulator's request handling: any method, target, headers and body
/// (optionally signed, so operations past authentication are reached) get a
/// well-formed answer: never a panic, never a 5xx, and every error is an
/// OSS error document.
pub fn emulator_request(data: &[u8]) {
    let mut input = Unstructured::new(data);
    let Ok(arb) = ArbHttp::arbitrary(&mut input) else {
        return;
    };
    let mut method = if arb.method % 8 == 7 {
        arb.raw_method.clone()
    } else {
        METHODS[usize::from(arb.method % 7)].to_owned()
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        method = "GET".into();
    }
    let mut target = if arb.target.starts_with('/') {
        arb.target.clone()
    } else {
        format!("/{}", arb.target)
    };
    target.retain(|c| c.is_ascii_graphic());
    let mut headers: Vec<(String, String)> = arb
        .headers
        .iter()
        .take(32)
        .map(|(n, v)| {
            (
                header_name(n),
                v.chars().filter(|c| *c != '\r' && *c != '\n').collect(),
            )
        })
        .collect();
    let body = Bytes::from(arb.body.into_iter().take(16 * 1024).collect::<Vec<u8>>());
    if let Some(signed) = &arb.signed {
        let request = signed.request();
        target = path_style_target(
            Some("fuzz-bucket"),
            request.key.as_deref(),
            &request.query,
            &[],
        );
        let mut signable = SignableRequest {
            method: method.clone(),
            bucket: Some("fuzz-bucket".into()),
            key: request.key,
            query: request.query,
            headers: headers.clone(),
        };
        signable
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        v1::sign_header(&mut signable, &credentials(), SystemTime::now());
        headers = signable.headers;
    }
    let answer = EMULATOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.1.is_none() || slot.0 >= REQUESTS_PER_EMULATOR {
            *slot = (0, Some(fresh_emulator()));
        }
        slot.0 += 1;
        let emulator = slot.1.as_ref().expect("just set");
        RUNTIME.with(|rt| {
            rt.block_on(emulator.request(&method, &target, headers.clone(), body.clone()))
        })
    });
    assert!(
        answer.status < 500,
        "{method} {target} answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    if answer.status >= 400 && method != "HEAD" {
        let doc =
            ErrorDocument::from_xml(&String::from_utf8_lossy(&answer.body)).unwrap_or_else(|e| {
                panic!(
                    "{method} {target}: error answer {} is not an OSS error document: {e}",
                    answer.status
                )
            });
        assert!(!doc.code.is_empty());
        assert_eq!(doc.request_id, answer.request_id);
    }
}
