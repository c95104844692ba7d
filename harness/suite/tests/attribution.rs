//! Each mismatch is charged to the requirement it breaks, on the committed
//! scenarios: a lower-case ETag fails even in a scenario whose own
//! requirements are IMPLEMENTATION-DEFINED, and a `${clientIp}` the profile
//! leaves unknown is only recorded.
// spec: CB-SYS-ETAG, CB-CHK-ETAG, CB-SYS-CLIENTIP

use std::collections::HashMap;

use cbspec_suite::runner::attribution::attribute;
use cbspec_suite::runner::judge::judge;
use cbspec_suite::runner::observation::{Observation, ObservedAnswer, ObservedCallback, Tokens};
use cbspec_suite::runner::verdict::decide;
use cbspec_suite::runner::{Expectations, Verdict};
use cbspec_suite::scenario::{
    load_dir, read_requirements, LoadedScenario, Requirement, SignatureExpectation,
};

use crate::support::root;

fn suite() -> (HashMap<String, Requirement>, Vec<LoadedScenario>) {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let scenarios = load_dir(&root().join("scenarios"), &requirements).unwrap();
    (requirements, scenarios)
}

fn tokens(client_ip: Option<&str>) -> Tokens {
    Tokens {
        bucket: "b1".into(),
        capture: "127.0.0.1:9100".into(),
        captures: "cb.example.test:9443".into(),
        tls_name: "cb.example.test".into(),
        client_ip: client_ip.map(str::to_owned),
    }
}

/// The stored object as the scenario expects it.
fn stored_object(loaded: &LoadedScenario, etag: Option<String>) -> Option<ObservedAnswer> {
    let object = loaded.scenario.expect.object.as_ref()?;
    if !object.stored {
        return Some(ObservedAnswer {
            status: 404,
            headers: Vec::new(),
            body: Vec::new(),
        });
    }
    let mut headers = Vec::new();
    if let Some(etag) = etag.or_else(|| object.etag.clone()) {
        headers.push(("etag".to_owned(), format!("\"{etag}\"")));
    }
    if let Some(crc) = &object.crc64 {
        headers.push(("x-oss-hash-crc64ecma".to_owned(), crc.clone()));
    }
    if let Some(ct) = &object.content_type {
        headers.push(("content-type".to_owned(), ct.clone()));
    }
    Some(ObservedAnswer {
        status: 200,
        headers,
        body: vec![b'x'; object.size.unwrap_or(0) as usize],
    })
}

/// What an endpoint that does everything right would show for `loaded`,
/// built from the scenario's own literal expectations.
fn faithful(loaded: &LoadedScenario, tokens: &Tokens) -> Observation {
    let expect = &loaded.scenario.expect;
    let callbacks = expect
        .callback
        .iter()
        .map(|c| {
            let mut headers = Vec::new();
            if let Some(host) = &c.host {
                headers.push(("host".to_owned(), tokens.apply(host, "")));
            }
            if let Some(ct) = &c.content_type {
                headers.push(("content-type".to_owned(), ct.clone()));
            }
            for (name, value) in &c.headers {
                headers.push((name.clone(), tokens.apply(value, "")));
            }
            for name in &c.http_date_headers {
                headers.push((name.clone(), "Tue, 01 Dec 2026 00:00:00 GMT".to_owned()));
            }
            let sni = c.sni.as_deref().map(|s| tokens.apply(s, ""));
            ObservedCallback {
                method: "POST".into(),
                path: c.path.clone(),
                query: c.query.clone(),
                headers,
                body: tokens
                    .apply(c.body.as_deref().unwrap_or(""), "")
                    .into_bytes(),
                signature_valid: c.signature != SignatureExpectation::Invalid,
                signature_detail: "as expected".into(),
                tls: sni.is_some(),
                sni: sni.filter(|s| !s.is_empty()),
            }
        })
        .collect();
    Observation {
        answer: Some(ObservedAnswer {
            status: expect.status,
            headers: expect
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), tokens.apply(value, "")))
                .collect(),
            body: expect.body.clone().unwrap_or_default().into_bytes(),
        }),
        callbacks,
        object: stored_object(loaded, None),
        ..Observation::default()
    }
}

fn verdict_of(
    loaded: &LoadedScenario,
    observation: &Observation,
    tokens: &Tokens,
    requirements: &HashMap<String, Requirement>,
) -> (Verdict, Vec<cbspec_suite::runner::observation::Mismatch>) {
    let scenario = &loaded.scenario;
    let mut mismatches = judge(&scenario.expect, observation, tokens);
    attribute(&mut mismatches, scenario, observation, tokens, requirements);
    let decision = decide(
        &scenario.id,
        &scenario.requirements,
        &mismatches,
        requirements,
        &Expectations::default(),
        false,
    );
    (decision.verdict, mismatches)
}

#[test]
fn a_lower_case_etag_in_a_callback_body_breaks_cb_sys_etag_wherever_it_appears() {
    let (requirements, scenarios) = suite();
    let t = tokens(Some("127.0.0.1"));
    let mut checked = 0;
    for loaded in &scenarios {
        let scenario = &loaded.scenario;
        let template = scenario.callback.as_ref().and_then(|c| c.body.as_deref());
        let Some(template) = template else { continue };
        if !template.contains("${etag}")
            || scenario.upload.operation == cbspec_suite::scenario::Operation::Multipart
            || scenario.expect.callback.len() != 1
        {
            continue;
        }
        let mut observation = faithful(loaded, &t);
        let body = String::from_utf8(observation.callbacks[0].body.clone()).unwrap();
        let Some(etag) = scenario.expect.object.as_ref().and_then(|o| o.etag.clone()) else {
            continue;
        };
        if !body.contains(&etag) {
            continue;
        }
        // The faithful observation passes: the judge is not finding fault
        // with the harness's own reconstruction.
        let (clean, why) = verdict_of(loaded, &observation, &t, &requirements);
        assert_eq!(clean, Verdict::Pass, "{}: {why:?}", scenario.id);
        observation.callbacks[0].body = body.replace(&etag, &etag.to_lowercase()).into_bytes();
        let (verdict, mismatches) = verdict_of(loaded, &observation, &t, &requirements);
        assert_eq!(verdict, Verdict::Fail, "{}: {mismatches:?}", scenario.id);
        assert_eq!(mismatches.len(), 1, "{}", scenario.id);
        assert_eq!(
            mismatches[0].requirement.as_deref(),
            Some("CB-SYS-ETAG"),
            "{}",
            scenario.id
        );
        assert!(
            mismatches[0].what.ends_with("(${etag})"),
            "{}",
            mismatches[0].what
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} scenarios expand ${{etag}}");
}

#[test]
fn a_stored_object_etag_breaks_cb_chk_etag_even_in_an_implementation_defined_scenario() {
    let (requirements, scenarios) = suite();
    let t = tokens(Some("127.0.0.1"));
    let loaded = scenarios
        .iter()
        .find(|s| s.scenario.id == "carrier/url-field-case")
        .unwrap();
    let levels: Vec<_> = loaded
        .scenario
        .requirements
        .iter()
        .map(|id| requirements[id].level)
        .collect();
    assert!(
        levels
            .iter()
            .all(|l| *l == cbspec_suite::scenario::Level::ImplementationDefined),
        "the scenario's own requirements are IMPLEMENTATION-DEFINED"
    );
    let expected = loaded.scenario.expect.object.as_ref().unwrap();
    let mut observation = faithful(loaded, &t);
    observation.object = Some(ObservedAnswer {
        status: 200,
        headers: vec![
            (
                "etag".into(),
                format!("\"{}\"", expected.etag.clone().unwrap().to_lowercase()),
            ),
            (
                "x-oss-hash-crc64ecma".into(),
                expected.crc64.clone().unwrap(),
            ),
            (
                "content-type".into(),
                expected.content_type.clone().unwrap(),
            ),
            ("content-length".into(), expected.size.unwrap().to_string()),
        ],
        body: vec![b'x'; expected.size.unwrap() as usize],
    });
    let (verdict, mismatches) = verdict_of(loaded, &observation, &t, &requirements);
    let etag: Vec<_> = mismatches
        .iter()
        .filter(|m| m.what == "object.etag")
        .collect();
    assert_eq!(etag.len(), 1, "{mismatches:?}");
    assert_eq!(etag[0].requirement.as_deref(), Some("CB-CHK-ETAG"));
    assert_eq!(verdict, Verdict::Fail, "{mismatches:?}");
}

#[test]
fn an_unknown_client_ip_is_recorded_not_judged() {
    let (requirements, scenarios) = suite();
    let loaded = scenarios
        .iter()
        .find(|s| s.scenario.id == "sys/all14/put/text/form")
        .unwrap();
    let known = tokens(Some("127.0.0.1"));
    let mut observation = faithful(loaded, &known);
    let (verdict, _) = verdict_of(loaded, &observation, &known, &requirements);
    assert_eq!(verdict, Verdict::Pass);
    // The endpoint reported the uploader's public address; the profile did
    // not say what it would be.
    let body = String::from_utf8(observation.callbacks[0].body.clone()).unwrap();
    assert!(body.contains("127.0.0.1"), "{body}");
    observation.callbacks[0].body = body.replace("127.0.0.1", "203.0.113.7").into_bytes();
    let unknown = tokens(None);
    let (verdict, mismatches) = verdict_of(loaded, &observation, &unknown, &requirements);
    assert_eq!(verdict, Verdict::Info, "{mismatches:?}");
    assert_eq!(
        mismatches[0].requirement.as_deref(),
        Some("CB-SYS-CLIENTIP")
    );
    assert!(mismatches[0].unknowable.is_some());
    // With the client IP declared, the same difference fails.
    let (verdict, _) = verdict_of(loaded, &observation, &known, &requirements);
    assert_eq!(verdict, Verdict::Fail);
}
