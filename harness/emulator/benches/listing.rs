//! ListObjects page time against the number of objects in the bucket
//! (1k to 1M), in process: a page of 100 keys from the middle of the
//! bucket, and a page of 100 common prefixes (`delimiter=/`, ten objects
//! under each). The seeking listing keeps both nearly flat; the scanning one
//! it replaced grew linearly (0.3 ms at 1k, 42 ms at 100k objects).
//!
//! `cargo bench -p cbspec-emulator --bench listing`; `bench/run list`.

use std::time::SystemTime;

use bytes::Bytes;
use cbspec_emulator::{EmulatorConfig, InProcessEmulator, JournalLimits};
use cbspec_protocol::auth::{v1, Credentials, SignableRequest};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

const BUCKET: &str = "bench";

fn credentials() -> Credentials {
    Credentials::new("bench-access-key", "bench-secret")
}

fn key(i: usize) -> String {
    format!("d{:06}/o{:08}", i / 10, i)
}

/// Signed in-process request headers for `method` on `key` (or the bucket).
fn signed(method: &str, key: Option<&str>) -> Vec<(String, String)> {
    let mut request = SignableRequest::new(method, Some(BUCKET), key);
    v1::sign_header(&mut request, &credentials(), SystemTime::now());
    request.headers
}

fn listing(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = InProcessEmulator::new(EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        // The journal would keep every PUT; this measures the store.
        journal: JournalLimits {
            max_records: 0,
            max_body_bytes: 0,
        },
        ..EmulatorConfig::default()
    })
    .unwrap();
    let mut group = c.benchmark_group("listing");
    let mut stored = 0;
    for size in [1_000usize, 10_000, 100_000, 1_000_000] {
        runtime.block_on(async {
            while stored < size {
                let key = key(stored);
                let answer = emulator
                    .request(
                        "PUT",
                        &format!("/{BUCKET}/{key}"),
                        signed("PUT", Some(&key)),
                        Bytes::from_static(b"x"),
                    )
                    .await;
                assert_eq!(answer.status, 200);
                stored += 1;
            }
        });
        let middle = key(size / 2);
        let flat = format!(
            "/{BUCKET}?max-keys=100&marker={}",
            middle.replace('/', "%2F")
        );
        let grouped = format!(
            "/{BUCKET}?max-keys=100&delimiter=%2F&marker=d{:06}%2F",
            size / 20
        );
        for (name, target) in [
            ("page_of_100_keys", &flat),
            ("page_of_100_prefixes", &grouped),
        ] {
            group.bench_with_input(BenchmarkId::new(name, size), target, |b, target| {
                b.iter(|| {
                    let answer = runtime.block_on(emulator.request(
                        "GET",
                        target,
                        signed("GET", None),
                        Bytes::new(),
                    ));
                    assert_eq!(answer.status, 200);
                    assert!(answer.body.len() > 1000);
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = listing
}
criterion_main!(benches);
