//! External SDK drivers: adapter processes spoken to in JSON lines
//! (drivers/PROTOCOL.md), and the registry of known adapters
//! (`drivers/drivers.toml`).

use cbspec_emulator::TemporaryCredential;
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
    parse_hello, parse_result, AdapterResult, CallbackMessage, Hello, ProtocolError, StsMessage,
    UploadMessage,
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
    /// The SDK version `drivers/setup` installs: an adapter whose hello
    /// reports another one is refused (a stale or hand-installed SDK would
    /// be judged under the wrong name).
    #[serde(default)]
    pub version: Option<String>,
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
    pub fn find(&self, name: &str) -> Result<&DriverSpec, RegistryError> {
        self.drivers.iter().find(|d| d.name == name).ok_or_else(|| {
            let known: Vec<String> = self
                .drivers
                .iter()
                .map(|d| format!("{} ({})", d.name, d.description))
                .collect();
            RegistryError::Unknown {
                name: name.to_owned(),
                path: self.path.clone(),
                known: known.join(", "),
            }
        })
    }
}

/// Reads the adapter registry.
pub fn load_registry(path: &Path) -> Result<Registry, RegistryError> {
    let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: RegistryFile = toml::from_str(&text).map_err(|e| RegistryError::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if let Some(spec) = file.driver.iter().find(|spec| spec.command.is_empty()) {
        return Err(RegistryError::EmptyCommand {
            path: path.to_owned(),
            name: spec.name.clone(),
        });
    }
    Ok(Registry {
        path: path.to_owned(),
        drivers: file.driver,
    })
}

/// Why the adapter registry could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The file could not be read.
    #[error("cannot read the driver registry {}: {source}", path.display())]
    Read {
        /// The registry file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid registry.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The registry file.
        path: PathBuf,
        /// What the TOML parser said.
        message: String,
    },
    /// A driver has no command to start.
    #[error("{}: driver {name:?} has an empty command", path.display())]
    EmptyCommand {
        /// The registry file.
        path: PathBuf,
        /// The driver.
        name: String,
    },
    /// No driver has that name.
    #[error("unknown driver {name:?}; besides native, {} lists: {known}", path.display())]
    Unknown {
        /// The name asked for.
        name: String,
        /// The registry file.
        path: PathBuf,
        /// The drivers it lists, with their descriptions.
        known: String,
    },
}

/// Why an adapter process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    /// The program could not be run.
    #[error("driver {driver}: cannot start {}: {source}; install the adapters with `drivers/setup` (see drivers/README.md)", program.display())]
    Spawn {
        /// The driver.
        driver: String,
        /// The program as resolved.
        program: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Its standard streams could not be opened.
    #[error("driver {driver}: its pipes could not be opened")]
    Pipes {
        /// The driver.
        driver: String,
    },
    /// It exited without a hello line.
    #[error("driver {driver}: the adapter exited before saying hello; reinstall it with `drivers/setup`{stderr}")]
    ExitedBeforeHello {
        /// The driver.
        driver: String,
        /// The tail of its standard error, introduced by a header line.
        stderr: String,
    },
    /// Reading its hello failed.
    #[error("driver {driver}: reading its hello: {source}")]
    ReadHello {
        /// The driver.
        driver: String,
        /// Why.
        source: std::io::Error,
    },
    /// It said nothing in time.
    #[error(
        "driver {driver}: no hello within {timeout:?}; reinstall it with `drivers/setup`{stderr}"
    )]
    NoHello {
        /// The driver.
        driver: String,
        /// How long it was given.
        timeout: Duration,
        /// The tail of its standard error.
        stderr: String,
    },
    /// Its hello line is wrong.
    #[error("driver {driver}: {source}; reinstall it with `drivers/setup`")]
    BadHello {
        /// The driver.
        driver: String,
        /// What it got wrong.
        source: ProtocolError,
    },
    /// It loaded another SDK version than the one pinned.
    #[error("driver {driver}: the adapter loaded {sdk} {reported}, but drivers/drivers.toml pins {pinned}; reinstall the pinned SDK with `drivers/setup`")]
    WrongVersion {
        /// The driver.
        driver: String,
        /// The SDK package.
        sdk: String,
        /// What the hello said.
        reported: String,
        /// What the registry pins.
        pinned: String,
    },
    /// The scratch directory for content files could not be made.
    #[error("cannot create {}: {source}", path.display())]
    Scratch {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// What went wrong in one request/answer exchange with a running adapter.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The request could not be encoded.
    #[error("cannot encode the request: {0}")]
    Encode(serde_json::Error),
    /// The adapter closed its input.
    #[error("the adapter stopped reading requests: {0}")]
    Write(std::io::Error),
    /// The adapter exited.
    #[error("the adapter exited without answering")]
    Exited,
    /// Reading its answer failed.
    #[error("reading the adapter's answer: {0}")]
    Read(std::io::Error),
    /// No answer in time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer line is wrong.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
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
    pub async fn start(
        spec: DriverSpec,
        root: &Path,
        size: usize,
    ) -> Result<Arc<Self>, AdapterError> {
        let (adapter, hello) = spawn(&spec, root).await?;
        let scratch = std::env::temp_dir().join(format!(
            "cbspec-driver-{}-{}",
            spec.name,
            std::process::id()
        ));
        std::fs::create_dir_all(&scratch).map_err(|source| AdapterError::Scratch {
            path: scratch.clone(),
            source,
        })?;
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
            return DriverOutcome::failed("the driver pool is closed");
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        message.id = id;
        let content_file = self.scratch.join(format!("{id}.bin"));
        if let Err(e) = std::fs::write(&content_file, content) {
            return DriverOutcome::failed(format!(
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
                Err(e) => return DriverOutcome::failed(e.to_string()),
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
                    AdapterResult::Failed(why) => DriverOutcome::failed(format!(
                        "{} could not make the request: {why}",
                        self.spec.name
                    )),
                    AdapterResult::Unsupported(why) => DriverOutcome::Unsupported(why),
                }
            }
            Err(e) => {
                let tail = adapter.stderr_tail();
                let _ = adapter.child.start_kill();
                DriverOutcome::failed(format!("driver {}: {e}{tail}", self.spec.name))
            }
        }
    }
}

impl Drop for AdapterPool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

async fn spawn(spec: &DriverSpec, root: &Path) -> Result<(Adapter, Hello), AdapterError> {
    let driver = spec.name.clone();
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
        .map_err(|source| AdapterError::Spawn {
            driver: driver.clone(),
            program: program_path.clone(),
            source,
        })?;
    let (Some(stdin), Some(stdout), Some(mut stderr_pipe)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(AdapterError::Pipes { driver });
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
            return Err(AdapterError::ExitedBeforeHello {
                driver,
                stderr: adapter.stderr_tail(),
            });
        }
        Ok(Err(source)) => return Err(AdapterError::ReadHello { driver, source }),
        Err(_) => {
            let _ = adapter.child.start_kill();
            return Err(AdapterError::NoHello {
                driver,
                timeout: HELLO_TIMEOUT,
                stderr: adapter.stderr_tail(),
            });
        }
    };
    let hello = parse_hello(&line).map_err(|source| AdapterError::BadHello {
        driver: driver.clone(),
        source,
    })?;
    if let Some(pinned) = spec.version.as_ref().filter(|p| **p != hello.sdk_version) {
        let _ = adapter.child.start_kill();
        return Err(AdapterError::WrongVersion {
            driver,
            sdk: hello.sdk.clone(),
            reported: hello.sdk_version.clone(),
            pinned: pinned.clone(),
        });
    }
    Ok((adapter, hello))
}

async fn ask(
    adapter: &mut Adapter,
    message: &UploadMessage,
    id: u64,
) -> Result<AdapterResult, ExchangeError> {
    let mut line = serde_json::to_string(message).map_err(ExchangeError::Encode)?;
    line.push('\n');
    adapter
        .stdin
        .write_all(line.as_bytes())
        .await
        .map_err(ExchangeError::Write)?;
    adapter.stdin.flush().await.map_err(ExchangeError::Write)?;
    let budget = Duration::from_millis(message.timeout_ms) + ANSWER_GRACE;
    match tokio::time::timeout(budget, adapter.stdout.next_line()).await {
        Ok(Ok(Some(line))) => Ok(parse_result(&line, id)?),
        Ok(Ok(None)) => Err(ExchangeError::Exited),
        Ok(Err(e)) => Err(ExchangeError::Read(e)),
        Err(_) => Err(ExchangeError::Timeout(budget)),
    }
}

/// Performs uploads through an adapter against one endpoint.
pub struct ExternalDriver {
    pool: Arc<AdapterPool>,
    endpoint: String,
    region: String,
    credentials: Credentials,
    temporary: Option<TemporaryCredential>,
}

impl ExternalDriver {
    /// A driver for `endpoint` over a pool (pools are shared between endpoints).
    pub fn new(
        pool: Arc<AdapterPool>,
        endpoint: &str,
        region: &str,
        credentials: Credentials,
        temporary: Option<TemporaryCredential>,
    ) -> Self {
        Self {
            pool,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: region.to_owned(),
            credentials,
            temporary,
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
            sts: self.temporary.as_ref().map(|t| StsMessage {
                access_key_id: t.access_key_id.clone(),
                access_key_secret: if upload.wrong_secret {
                    format!("{}-wrong", t.access_key_secret)
                } else {
                    t.access_key_secret.clone()
                },
                security_token: t.security_token.clone(),
            }),
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
