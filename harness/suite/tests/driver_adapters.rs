//! The runner's side of the driver protocol against adapters that misbehave
//! on purpose (harness/suite/tests/fixtures/fake_adapter.py): a broken adapter is a clear
//! error or a failed upload, never a hang or a pass. These test the harness
//! (drivers/PROTOCOL.md, Transport), not a requirement of spec/requirements.md.

use crate::support::root;

use cbspec_suite::runner::driver::external::{AdapterError, AdapterPool, DriverSpec};
use cbspec_suite::runner::{
    DriverChoice, Expectations, RunOptions, ScenarioResult, Session, SessionConfig, Verdict,
};
use cbspec_suite::scenario::{load_dir, read_requirements};

fn fake(mode: &str) -> DriverSpec {
    DriverSpec {
        name: format!("fake-{mode}"),
        command: vec![
            "python3".into(),
            "harness/suite/tests/fixtures/fake_adapter.py".into(),
            mode.into(),
        ],
        description: String::new(),
        version: None,
    }
}

async fn start_error(mode: &str) -> String {
    match AdapterPool::start(fake(mode), &root(), 1).await {
        Ok(_) => panic!("the {mode} adapter must not start"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn broken_adapters_are_refused_with_the_reason() {
    let garbage = start_error("garbage").await;
    assert!(garbage.contains("not JSON"), "{garbage}");
    assert!(garbage.contains("ImportError"), "{garbage}");
    let silent = start_error("silent-exit").await;
    assert!(silent.contains("exited before saying hello"), "{silent}");
    assert!(silent.contains("No module named 'oss2'"), "{silent}");
    let version = start_error("protocol-2").await;
    assert!(version.contains("protocol 2"), "{version}");
    let missing = match AdapterPool::start(
        DriverSpec {
            name: "absent".into(),
            command: vec!["drivers/.no-such-venv/bin/python".into()],
            description: String::new(),
            version: None,
        },
        &root(),
        1,
    )
    .await
    {
        Ok(_) => panic!("a missing program must not start"),
        Err(e) => e,
    };
    assert!(matches!(missing, AdapterError::Spawn { .. }), "{missing:?}");
    assert!(missing.to_string().contains("drivers/setup"), "{missing}");
}

/// An adapter that loads another SDK version than drivers.toml pins is
/// refused, naming both versions and how to reinstall.
#[tokio::test]
async fn an_adapter_with_another_sdk_version_than_the_pin_is_refused() {
    let pinned = DriverSpec {
        version: Some("0.0.2".into()),
        ..fake("ok")
    };
    let error = match AdapterPool::start(pinned, &root(), 1).await {
        Ok(_) => panic!("a mismatched version must not start"),
        Err(e) => e,
    };
    assert!(
        matches!(error, AdapterError::WrongVersion { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    for part in ["fake-ok", "0.0.1", "pins 0.0.2", "drivers/setup"] {
        assert!(text.contains(part), "{part:?} missing from: {text}");
    }
    let matching = DriverSpec {
        version: Some("0.0.1".into()),
        ..fake("ok")
    };
    assert!(AdapterPool::start(matching, &root(), 1).await.is_ok());
}

/// Runs the `put-basic` scenarios (hand-written, with callbacks) through a fake adapter.
async fn run_with(mode: &str) -> Vec<ScenarioResult> {
    let requirements = read_requirements(&root().join("spec/requirements.md")).unwrap();
    let scenarios: Vec<_> = load_dir(&root().join("scenarios"), &requirements)
        .unwrap()
        .into_iter()
        .filter(|s| s.file.ends_with("put-basic.toml"))
        .collect();
    assert!(!scenarios.is_empty());
    let pool = AdapterPool::start(fake(mode), &root(), 2).await.unwrap();
    assert_eq!(pool.hello().sdk_version, "0.0.1");
    let config = SessionConfig::embedded(
        DriverChoice::Sdk(pool),
        requirements,
        Expectations::default(),
    );
    let session = Session::start(config).await.unwrap();
    let options = RunOptions {
        jobs: 2,
        ..RunOptions::default()
    };
    let results = session
        .run(
            &scenarios,
            &options,
            std::sync::Arc::new(|_: &ScenarioResult| {}),
        )
        .await;
    session.shutdown().await;
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_uploads_are_reported_with_the_adapters_reason() {
    for result in run_with("unsupported").await {
        assert_eq!(result.verdict, Verdict::Unsupported, "{}", result.id);
        assert!(
            result.message.contains("the fake SDK cannot do"),
            "{}",
            result.message
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_claiming_success_without_uploading_fails() {
    for result in run_with("lie").await {
        assert_eq!(result.verdict, Verdict::Fail, "{}", result.id);
        let whats: Vec<&str> = result.mismatches.iter().map(|m| m.what.as_str()).collect();
        assert!(whats.contains(&"sent.request"), "{}: {whats:?}", result.id);
        assert!(whats.contains(&"callbacks"), "{}: {whats:?}", result.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_that_dies_mid_upload_is_a_failed_upload_with_its_stderr() {
    let results = run_with("crash").await;
    for result in &results {
        assert_eq!(result.verdict, Verdict::Fail, "{}", result.id);
        let upload = result
            .mismatches
            .iter()
            .find(|m| m.what == "upload")
            .unwrap_or_else(|| panic!("{}: {:?}", result.id, result.mismatches));
        assert!(
            upload.observed.contains("exited without answering")
                || upload.observed.contains("stopped reading"),
            "{}",
            upload.observed
        );
    }
    // Each upload got a fresh adapter, and at least one error carries its stderr.
    assert!(results.iter().any(|r| r
        .mismatches
        .iter()
        .any(|m| m.observed.contains("segmentation fault in the SDK"))));
}
