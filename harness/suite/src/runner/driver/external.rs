//! External SDK drivers: adapter processes spoken to in JSON lines
//! (drivers/PROTOCOL.md), and the registry of known adapters
//! (`drivers/drivers.toml`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::protocol::{
    parse_hello, parse_result, AdapterResult, CallbackMessage, Hello, UploadMessage,
};
use super::{Driver, DriverOutcome, UploadPlan};
use crate::scenario::Operation;
use cbspec_protocol::auth::Credentials;

/// How long an adapter may take to say hello.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(20);
/// The per-request budget passed to the SDK.
pub const SDK_TIMEOUT: Duration = Duration::from_secs(10);
/// Grace beyond the SDK budget before an adapter is declared stuck.
const ANSWER_GRACE: Duration = Duration::from_secs(5);
/// How much of an adapter's stderr is kept for error messages.
const STDERR_TAIL: usize = 4096;

/// One adapter in `drivers/drivers.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverSpec {
    /// The name given to `--driver`.
    pub name: String,
    /// Program and arguments, relative paths from the repository root.
    pub command: Vec<String>,
    /// What the adapter drives, for people.
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    driver: Vec<DriverSpec>,
}

/// The known adapters (`drivers/drivers.toml`).
#[derive(Debug, Clone)]
pub struct Registry {
    path: PathBuf,
    drivers: Vec<DriverSpec>,
}

impl Registry {
    /// Every adapter, in file order.
    pub fn drivers(&self) -> &[DriverSpec] {
        &self.drivers
    }

    /// The adapter called `name`, or an error listing the known ones.
    pub fn find(&self, name: &str) -> Result<&DriverSpec, String> {
        self.drivers.iter().find(|d| d.name == name).ok_or_else(|| {
            let known: Vec<String> = self
                .drivers
                .iter()
                .map(|d| format!("{} ({})", d.name, d.description))
                .collect();
            format!(
                "unknown driver {name:?}; besides native, {} lists: {}",
                self.path.display(),
                known.join(", ")
            )
        })
    }
}

/// Reads the adapter registry.
pub fn load_registry(path: &Path) -> Result<Registry, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the driver registry {}: {e}", path.display()))?;
    let file: RegistryFile =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for spec in &file.driver {
        if spec.command.is_empty() {
            return Err(format!(
                "{}: driver {:?} has an empty command",
                path.display(),
                spec.name
            ));
        }
    }
    Ok(Registry {
        path: path.to_owned(),
        drivers: file.driver,
    })
}

/// One running adapter process.
struct Adapter {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
}

impl Adapter {
    fn stderr_tail(&self) -> String {
        let tail = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        if tail.trim().is_empty() {
            String::new()
        } else {
            format!("\n--- adapter stderr (last lines) ---\n{}", tail.trim_end())
        }
    }
}

/// A pool of adapter processes for one driver: each serves one upload at a
/// time, and a broken or stuck one is killed and replaced.
pub struct AdapterPool {
    spec: DriverSpec,
    root: PathBuf,
    idle: Mutex<Vec<Adapter>>,
    gate: tokio::sync::Semaphore,
    hello: Hello,
    next_id: AtomicU64,
    scratch: PathBuf,
}

impl AdapterPool {
    /// Starts one adapter (to check it runs and read its hello) and allows
    /// up to `size` at once.
    pub async fn start(spec: DriverSpec, root: &Path, size: usize) -> Result<Arc<Self>, String> {
        let (adapter, hello) = spawn(&spec, root).await?;
        let scratch = std::env::temp_dir().join(format!(
            "cbspec-driver-{}-{}",
            spec.name,
            std::process::id()
        ));
        std::fs::create_dir_all(&scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        Ok(Arc::new(Self {
            spec,
            root: root.to_owned(),
            idle: Mutex::new(vec![adapter]),
            gate: tokio::sync::Semaphore::new(size.max(1)),
            hello,
            next_id: AtomicU64::new(1),
            scratch,
        }))
    }

    /// What the adapter said about itself.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// The registry name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    async fn exchange(&self, mut message: UploadMessage, content: &[u8]) -> DriverOutcome {
        let Ok(_permit) = self.gate.acquire().await else {
            return DriverOutcome::Failed("the driver pool is closed".into());
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        message.id = id;
        let content_file = self.scratch.join(format!("{id}.bin"));
        if let Err(e) = std::fs::write(&content_file, content) {
            return DriverOutcome::Failed(format!(
                "cannot write the content file {}: {e}",
                content_file.display()
            ));
        }
        message.content_file = content_file.display().to_string();
        let reused = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut adapter = match reused {
            Some(adapter) => adapter,
            None => match spawn(&self.spec, &self.root).await {
                Ok((adapter, _)) => adapter,
                Err(e) => return DriverOutcome::Failed(e),
            },
        };
        let outcome = ask(&mut adapter, &message, id).await;
        let _ = std::fs::remove_file(&content_file);
        match outcome {
            Ok(result) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(adapter);
                }
                match result {
                    AdapterResult::Answer(answer) => DriverOutcome::Surfaced(answer),
                    AdapterResult::Failed(why) => DriverOutcome::Failed(format!(
                        "{} could not make the request: {why}",
                        self.spec.name
                    )),
                    AdapterResult::Unsupported(why) => DriverOutcome::Unsupported(why),
                }
            }
            Err(e) => {
                let tail = adapter.stderr_tail();
                let _ = adapter.child.start_kill();
                DriverOutcome::Failed(format!("driver {}: {e}{tail}", self.spec.name))
            }
        }
    }
}

impl Drop for AdapterPool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

async fn spawn(spec: &DriverSpec, root: &Path) -> Result<(Adapter, Hello), String> {
    let program = &spec.command[0];
    // A relative program path is the repository's (drivers/.venv/bin/python);
    // a bare name is looked up on PATH (node).
    let program_path = if program.contains('/') && !Path::new(program).is_absolute() {
        root.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut child = Command::new(&program_path)
        .args(&spec.command[1..])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "driver {}: cannot start {}: {e}; install the adapters with `drivers/setup` (see drivers/README.md)",
                spec.name,
                program_path.display()
            )
        })?;
    let (Some(stdin), Some(stdout), Some(mut stderr_pipe)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(format!(
            "driver {}: its pipes could not be opened",
            spec.name
        ));
    };
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    tokio::spawn(async move {
        let mut buffer = [0u8; 1024];
        while let Ok(n) = stderr_pipe.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            if let Ok(mut text) = sink.lock() {
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if text.len() > STDERR_TAIL {
                    let cut = text.len() - STDERR_TAIL;
                    let cut = (cut..text.len())
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(text.len());
                    text.drain(..cut);
                }
            }
        }
    });
    let mut adapter = Adapter {
        child,
        stdin,
        stdout: BufReader::new(stdout).lines(),
        stderr,
    };
    let line = match tokio::time::timeout(HELLO_TIMEOUT, adapter.stdout.next_line()).await {
        Ok(Ok(Some(line))) => line,
        Ok(Ok(None)) => {
            // Give the stderr reader a moment to collect why it exited.
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Err(format!(
                "driver {}: the adapter exited before saying hello{}",
                spec.name,
                adapter.stderr_tail()
            ));
        }
        Ok(Err(e)) => return Err(format!("driver {}: reading its hello: {e}", spec.name)),
        Err(_) => {
            let _ = adapter.child.start_kill();
            return Err(format!(
                "driver {}: no hello within {HELLO_TIMEOUT:?}{}",
                spec.name,
                adapter.stderr_tail()
            ));
        }
    };
    let hello = parse_hello(&line).map_err(|e| format!("driver {}: {e}", spec.name))?;
    Ok((adapter, hello))
}

async fn ask(
    adapter: &mut Adapter,
    message: &UploadMessage,
    id: u64,
) -> Result<AdapterResult, String> {
    let mut line = serde_json::to_string(message).map_err(|e| e.to_string())?;
    line.push('\n');
    adapter
        .stdin
        .write_all(line.as_bytes())
        .await
        .map_err(|e| format!("the adapter stopped reading requests: {e}"))?;
    adapter.stdin.flush().await.map_err(|e| e.to_string())?;
    let budget = Duration::from_millis(message.timeout_ms) + ANSWER_GRACE;
    match tokio::time::timeout(budget, adapter.stdout.next_line()).await {
        Ok(Ok(Some(line))) => parse_result(&line, id),
        Ok(Ok(None)) => Err("the adapter exited without answering".into()),
        Ok(Err(e)) => Err(format!("reading the adapter's answer: {e}")),
        Err(_) => Err(format!("no answer within {budget:?}")),
    }
}

/// Performs uploads through an adapter against one endpoint.
pub struct ExternalDriver {
    pool: Arc<AdapterPool>,
    endpoint: String,
    region: String,
    credentials: Credentials,
}

impl ExternalDriver {
    /// A driver for `endpoint` over a pool (pools are shared between endpoints).
    pub fn new(
        pool: Arc<AdapterPool>,
        endpoint: &str,
        region: &str,
        credentials: Credentials,
    ) -> Self {
        Self {
            pool,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            credentials,
        }
    }

    fn message(&self, plan: &UploadPlan<'_>) -> UploadMessage {
        let upload = &plan.scenario.scenario.upload;
        let mut secret = self.credentials.access_key_secret.clone();
        if upload.wrong_secret {
            secret.push_str("-wrong");
        }
        UploadMessage {
            kind: "upload",
            id: 0,
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            access_key_id: self.credentials.access_key_id.clone(),
            access_key_secret: secret,
            bucket: plan.bucket.to_owned(),
            key: upload.key.clone(),
            content_file: String::new(),
            content_type: upload.content_type.clone(),
            headers: upload.headers.clone(),
            fields: upload.fields.clone(),
            operation: upload.operation,
            auth: upload.auth,
            // A PutObject or multipart scenario tests the callback, and the
            // signing version is incidental to it unless a wrong secret is
            // sent on purpose; presigned URLs and POST policies are signing.
            auth_required: upload.wrong_secret
                || !matches!(upload.operation, Operation::Put | Operation::Multipart),
            part_size: upload.effective_part_size(),
            carrier: upload.effective_carrier(),
            callback_on_every_request: upload.callback_on_every_request,
            callback: plan.callback_fields.as_ref().map(CallbackMessage::from),
            callback_base64: plan.callback.clone(),
            // An object in the caller's order (serde_json keeps insertion order here).
            vars: plan.vars_fields.as_ref().map(|vars| {
                vars.iter()
                    .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
                    .collect()
            }),
            vars_base64: plan.vars.clone(),
            timeout_ms: u64::try_from(SDK_TIMEOUT.as_millis()).unwrap_or(10_000),
        }
    }
}

impl Driver for ExternalDriver {
    fn name(&self) -> &str {
        self.pool.name()
    }

    fn is_sdk(&self) -> bool {
        true
    }

    fn perform<'a>(
        &'a self,
        plan: &'a UploadPlan<'a>,
    ) -> Pin<Box<dyn Future<Output = DriverOutcome> + Send + 'a>> {
        Box::pin(async move {
            let message = self.message(plan);
            self.pool.exchange(message, &plan.scenario.content).await
        })
    }
}
