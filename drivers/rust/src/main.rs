//! cbspec driver adapter for the ali-oss-rs SDK: the protocol loop
//! (drivers/PROTOCOL.md). One JSON object per line on stdin/stdout; the hello
//! first, then exactly one result per upload, in order. Logs go to stderr.
//! The SDK calls live in `sdk.rs`.

mod sdk;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use sdk::Outcome;

/// The name the runner knows this adapter by (`--driver`).
const DRIVER: &str = "ali-oss-rs";

/// Set by build.rs from Cargo.lock: the SDK version this binary was built with.
const SDK_VERSION: &str = env!("ALI_OSS_RS_VERSION");

/// Set by build.rs from `rustc --version`.
const RUSTC_VERSION: &str = env!("RUSTC_VERSION");

// One request at a time, so one thread is enough.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut stdout = tokio::io::stdout();
    if write_line(&mut stdout, &hello()).await.is_err() {
        std::process::exit(1);
    }

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            // The runner closed stdin: done.
            Ok(None) => break,
            Err(e) => {
                eprintln!("reading stdin: {e}");
                std::process::exit(1);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let result = handle(&line).await;
        if write_line(&mut stdout, &result).await.is_err() {
            // Nobody is reading any more.
            std::process::exit(1);
        }
    }
}

fn hello() -> Value {
    // "rustc 1.95.0 (hash date)" -> "rustc 1.95.0"
    let runtime = RUSTC_VERSION
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    json!({
        "type": "hello",
        "protocol": 1,
        "driver": DRIVER,
        "sdk": "ali-oss-rs",
        "sdk_version": SDK_VERSION,
        "runtime": if runtime.is_empty() { "rustc".to_owned() } else { runtime },
    })
}

/// Answers one request line. Never panics: a malformed line, or an SDK panic,
/// still produces a `failed` result so the runner is not left waiting.
async fn handle(line: &str) -> Value {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("unparseable request line: {e}");
            return failed(&Value::Null, format!("unparseable request line: {e}"));
        }
    };
    let id = value.get("id").cloned().unwrap_or(Value::Null);
    match value.get("type").and_then(Value::as_str) {
        Some("upload") => {}
        other => {
            eprintln!("unknown request type {other:?}");
            return failed(&id, format!("unknown request type {other:?}"));
        }
    }
    let upload: sdk::Upload = match serde_json::from_value(value) {
        Ok(u) => u,
        Err(e) => return failed(&id, format!("malformed upload request: {e}")),
    };

    // A task of its own so that a panic inside the SDK surfaces as a
    // JoinError here instead of taking the adapter down.
    let outcome = match tokio::spawn(sdk::perform(upload)).await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_owned());
            return failed(&id, format!("ali-oss-rs panicked: {text}"));
        }
        Err(e) => return failed(&id, format!("upload task failed: {e}")),
    };
    result(&id, outcome)
}

fn result(id: &Value, outcome: Outcome) -> Value {
    match outcome {
        Outcome::Answer {
            status,
            raised,
            headers,
            body,
            error,
        } => json!({
            "type": "result",
            "id": id,
            "outcome": "answer",
            "status": status,
            "raised": raised,
            "headers": headers,
            "body": body,
            "error": error.map(|e| json!({
                "code": e.code,
                "message": e.message,
                "ec": e.ec,
                "request_id": e.request_id,
                // ali-oss-rs's ErrorResponse has no argument fields.
                "argument_name": null,
                "argument_value": null,
            })),
        }),
        Outcome::Failed(text) => failed(id, text),
        Outcome::Unsupported(reason) => json!({
            "type": "result",
            "id": id,
            "outcome": "unsupported",
            "reason": reason,
        }),
    }
}

fn failed(id: &Value, error_text: String) -> Value {
    json!({"type": "result", "id": id, "outcome": "failed", "error_text": error_text})
}

/// Writes one JSON line and flushes it, so the runner sees it at once.
async fn write_line(out: &mut tokio::io::Stdout, value: &Value) -> std::io::Result<()> {
    let mut text = value.to_string();
    text.push('\n');
    out.write_all(text.as_bytes()).await?;
    out.flush().await
}

#[cfg(test)]
mod tests {
    #[test]
    fn hello_names_the_locked_sdk_version() {
        let lock = include_str!("../Cargo.lock");
        assert!(lock.contains(&format!(
            "name = \"ali-oss-rs\"\nversion = \"{}\"",
            super::SDK_VERSION
        )));
    }
}
