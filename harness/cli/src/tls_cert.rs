//! `cbspec tls-cert`: writes a CA and a leaf certificate it signed, so that
//! an endpoint started before a run (`cbspec emulator --callback-ca CA`) can
//! already trust the capture server's HTTPS listener
//! (`cbspec run --capture-tls-cert CERT --capture-tls-key KEY`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{usage, CliError};

/// Arguments of `cbspec tls-cert`.
#[derive(Debug, Args)]
pub(crate) struct TlsCertArgs {
    /// A name the certificate covers (repeatable; IP addresses become IP SANs).
    #[arg(long = "name", required = true, value_parser = super::non_empty)]
    names: Vec<String>,
    /// Where to write the CA certificate (PEM) that endpoints trust.
    #[arg(long = "ca-out")]
    ca_out: PathBuf,
    /// Where to write the leaf certificate (PEM).
    #[arg(long = "cert-out")]
    cert_out: PathBuf,
    /// Where to write the leaf's private key (PEM, PKCS#8; created readable by its owner only).
    #[arg(long = "key-out")]
    key_out: PathBuf,
}

fn write(path: &Path, text: &str, private: bool) -> Result<(), CliError> {
    let fail = |e: std::io::Error| usage(format!("cannot write {}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(fail)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(fail)
}

/// Generates and writes the three files.
pub(crate) fn run(args: &TlsCertArgs) -> Result<u8, CliError> {
    let generated = cbspec_capture::generate_identity(&args.names).map_err(usage)?;
    write(&args.ca_out, &generated.ca_pem, false)?;
    write(&args.cert_out, &generated.identity.cert_pem, false)?;
    write(&args.key_out, &generated.identity.key_pem, true)?;
    println!(
        "wrote {} (trust this CA), {} and {} for {}",
        args.ca_out.display(),
        args.cert_out.display(),
        args.key_out.display(),
        args.names.join(", ")
    );
    Ok(0)
}
