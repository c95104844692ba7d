//! `cbspec emulator`: runs the reference OSS endpoint until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::signal::wait_for_signal;
use super::{usage, CliError};
use cbspec_emulator::{
    parse_duration, CallbackSettings, Emulator, EmulatorConfig, JournalLimits, ServerLimits,
    TemporaryCredential, DEV_SIGNING_KEY_PEM,
};
use cbspec_protocol::auth::Credentials;

/// Arguments of `cbspec emulator`.
#[derive(Debug, Args)]
pub(crate) struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,

    /// Persist objects here (atomic writes; survives restarts). Default: memory only.
    #[arg(long = "data-dir")]
    data_dir: Option<PathBuf>,

    /// Without --data-dir: where bodies and objects over --memory-object-limit
    /// are kept, as anonymous files that vanish with the emulator (default:
    /// the system's temporary directory). With --data-dir they go to its spool/.
    #[arg(long = "spill-dir")]
    spill_dir: Option<PathBuf>,

    /// Bodies and objects up to this many bytes are held in memory; larger
    /// ones stream to a file as they arrive, so memory stays bounded at any size.
    #[arg(long = "memory-object-limit", default_value_t = cbspec_emulator::SpoolSettings::default().memory_limit, value_parser = parse_memory_limit)]
    memory_object_limit: usize,

    /// Region for V4 signatures and bucket locations.
    #[arg(long, default_value = "cn-hangzhou", value_parser = super::non_empty)]
    region: String,

    /// PEM file of the RSA key that signs callbacks (default: the committed 1024-bit development key).
    #[arg(long = "signing-key")]
    signing_key: Option<PathBuf>,

    /// Time allowed for each callback URL, e.g. 5s or 500ms.
    #[arg(long = "callback-timeout", default_value = "5s", value_parser = positive_duration)]
    callback_timeout: Duration,

    /// Refuse loopback and private callback URLs, as OSS does (EC 0007-00000008).
    #[arg(long = "production-rules")]
    production_rules: bool,

    /// Extra CA certificate (PEM) trusted for HTTPS callback servers (repeatable).
    #[arg(long = "callback-ca")]
    callback_ca: Vec<PathBuf>,

    /// Resolve this callback host name to this address, as curl's --resolve
    /// (the port comes from the callback URL), e.g. cb.example.test=127.0.0.1 (repeatable).
    #[arg(long = "resolve", value_parser = super::resolve_entry)]
    resolve: Vec<(String, std::net::IpAddr)>,

    /// The only accepted key pair (generated and printed when none is given).
    #[command(flatten)]
    credentials: super::CredentialArgs,

    /// Bucket to create at start (repeatable).
    #[arg(long = "bucket")]
    buckets: Vec<String>,

    /// Base domain for virtual-hosted requests (`<bucket>.<domain>`).
    #[arg(long = "base-domain", default_value = "oss.localhost")]
    base_domain: String,

    /// Largest request body accepted, in bytes (default: OSS's 5 GiB); a larger
    /// declared Content-Length is refused (400 EntityTooLarge) before the body is read.
    #[arg(long = "max-body-bytes", default_value_t = ServerLimits::default().max_body_bytes, value_parser = clap::value_parser!(u64).range(1..))]
    max_body_bytes: u64,

    /// Longest silence between two pieces of a request body (then 400 RequestTimeout).
    #[arg(long = "body-idle-timeout", default_value = "30s", value_parser = positive_duration)]
    body_idle_timeout: Duration,

    /// Longest a whole request body may take.
    #[arg(long = "body-timeout", default_value = "10m", value_parser = positive_duration)]
    body_timeout: Duration,

    /// Connections the kernel may queue before they are accepted (capped by net.core.somaxconn).
    #[arg(long, default_value_t = ServerLimits::default().backlog, value_parser = clap::value_parser!(u32).range(1..))]
    backlog: u32,

    /// Requests (and callback attempts) the journal keeps, newest first; 0 turns it off.
    #[arg(long = "journal-records", default_value_t = JournalLimits::default().max_records)]
    journal_records: usize,

    /// Body bytes the journal keeps across all records.
    #[arg(long = "journal-bytes", default_value_t = JournalLimits::default().max_body_bytes)]
    journal_bytes: usize,

    /// Accept this temporary (STS) credential: AK:SECRET:TOKEN, optionally
    /// @EXPIRATION in ISO 8601 UTC, e.g. STS.demo:secret:token@2026-12-31T00:00:00Z (repeatable).
    #[arg(long = "sts-credential", value_parser = parse_sts_credential)]
    sts_credentials: Vec<TemporaryCredential>,

    /// Mint one temporary credential at start and print it (AccessKeyId,
    /// AccessKeySecret, SecurityToken, Expiration); more can be minted with
    /// a signed POST to /_cbspec/sts.
    #[arg(long = "sts-token")]
    sts_token: bool,

    /// How long a minted temporary credential lasts.
    #[arg(long = "sts-duration", default_value = "1h", value_parser = positive_duration)]
    sts_duration: Duration,

    /// How long RestoreObject takes before an Archive or ColdArchive object is readable.
    #[arg(long = "restore-delay", default_value = "1s", value_parser = parse_duration_flag)]
    restore_delay: Duration,
}

/// `--memory-object-limit`: a byte count up to 1 GiB (beyond that, memory
/// is no longer bounded in any useful sense).
fn parse_memory_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n <= 1 << 30 => Ok(n),
        Ok(_) => Err("at most 1073741824 (1 GiB); larger objects belong on disk".into()),
        Err(_) => Err(format!("{text:?} is not a number of bytes")),
    }
}

fn parse_sts_credential(text: &str) -> Result<TemporaryCredential, String> {
    TemporaryCredential::parse(text).map_err(|e| e.to_string())
}

fn parse_duration_flag(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| e.to_string())
}

/// A duration flag that must be above zero (`0s` would refuse everything).
fn positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(d) if d.is_zero() => Err(format!(
            "{text:?} is zero; give a positive duration such as 5s"
        )),
        Ok(d) => Ok(d),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs the emulator until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &EmulatorArgs) -> Result<u8, CliError> {
    let credentials = match (
        &args.credentials.access_key_id,
        &args.credentials.access_key_secret,
    ) {
        (Some(id), Some(secret)) => Credentials::new(id.clone(), secret.clone()),
        (None, None) => Credentials::new(
            format!("LTAI{}", hex::encode_upper(rand::random::<[u8; 8]>())),
            hex::encode(rand::random::<[u8; 15]>()),
        ),
        _ => {
            return Err(usage(
                "give both OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (or the flags), or neither",
            ));
        }
    };
    let signing_key_pem = match &args.signing_key {
        None => DEV_SIGNING_KEY_PEM.to_owned(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(pem) => pem,
            Err(e) => {
                return Err(usage(format!(
                    "cannot read --signing-key {}: {e}",
                    path.display()
                )));
            }
        },
    };
    let mut extra_ca_pem = Vec::new();
    for path in &args.callback_ca {
        match std::fs::read(path) {
            Ok(pem) => extra_ca_pem.push(pem),
            Err(e) => {
                return Err(usage(format!(
                    "cannot read --callback-ca {}: {e}",
                    path.display()
                )));
            }
        }
    }
    let minted = args
        .sts_token
        .then(|| TemporaryCredential::mint(args.sts_duration));
    let config = EmulatorConfig {
        listen: args.listen,
        data_dir: args.data_dir.clone(),
        spill_dir: args.spill_dir.clone(),
        memory_object_limit: args.memory_object_limit,
        region: args.region.clone(),
        credentials: credentials.clone(),
        signing_key_pem,
        callbacks: CallbackSettings {
            timeout: args.callback_timeout,
            extra_ca_pem,
            resolve: args
                .resolve
                .iter()
                .map(|(name, ip)| (name.clone(), SocketAddr::new(*ip, 0)))
                .collect(),
            ..CallbackSettings::default()
        },
        production_rules: args.production_rules,
        base_domain: args.base_domain.clone(),
        buckets: args.buckets.clone(),
        limits: ServerLimits {
            max_body_bytes: args.max_body_bytes,
            body_idle_timeout: args.body_idle_timeout,
            body_total_timeout: args.body_timeout,
            backlog: args.backlog,
            ..ServerLimits::default()
        },
        journal: JournalLimits {
            max_records: args.journal_records,
            max_body_bytes: args.journal_bytes,
        },
        temporary_credentials: {
            let mut all = args.sts_credentials.clone();
            all.extend(minted.clone());
            all
        },
        restore_delay: args.restore_delay,
    };
    let runtime = super::new_runtime()?;
    runtime.block_on(async {
        let handle = match Emulator::start(config).await {
            Ok(handle) => handle,
            Err(e) => {
                return Err(usage(e));
            }
        };
        println!("endpoint:          {}", handle.endpoint());
        println!("region:            {}", args.region);
        println!("access key id:     {}", credentials.access_key_id);
        println!("access key secret: {}", credentials.access_key_secret);
        println!("callback key URL:  {}", handle.public_key_url());
        if !args.buckets.is_empty() {
            println!("buckets:           {}", args.buckets.join(", "));
        }
        if let Some(sts) = &minted {
            println!("sts access key id: {}", sts.access_key_id);
            println!("sts access secret: {}", sts.access_key_secret);
            println!("sts token:         {}", sts.security_token);
            println!("sts expiration:    {}", sts.expiration_text());
        }
        println!("serving; Ctrl-C to stop");
        wait_for_signal().await;
        eprintln!("shutting down: finishing requests in flight");
        handle.shutdown().await;
        Ok(0)
    })
}
