//! The capture server's fuzz entry point, in process: recording and
//! signature verdicts on arbitrary raw requests. Behind the `testing`
//! feature so the fuzz package and the tests call the same function.

use cbspec_protocol::headers::Headers;
use cbspec_protocol::signature::CallbackPublicKey;

use crate::{judge_raw_request, SignatureVerdict};

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime starts");
}

/// The capture server's recording and verdicts: any raw request parses or is
/// refused without a panic, and a `Valid` verdict only ever comes from a
/// signature the official key really verifies (no key is fetched: the check
/// runs offline).
pub fn capture_request(data: &[u8]) {
    let Some((_method, target, headers, verdict)) =
        RUNTIME.with(|rt| rt.block_on(judge_raw_request(data)))
    else {
        return;
    };
    if let SignatureVerdict::Valid { .. } = verdict {
        let authorization = headers
            .header("authorization")
            .expect("a valid verdict had an Authorization header");
        let body_start = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(data.len(), |i| i + 4);
        assert_eq!(
            CallbackPublicKey::official().verify(&target, &data[body_start..], authorization),
            Ok(())
        );
    }
}
