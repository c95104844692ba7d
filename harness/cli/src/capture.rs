//! `cbspec capture`: runs the capturing callback server until interrupted
//! and prints one line per callback with its signature verdict.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use tokio::sync::broadcast::error::RecvError;

use super::signal::wait_for_signal;
use super::{usage, CliError};
use cbspec_capture::{CaptureConfig, CaptureServer, CapturedRequest, DEFAULT_TLS_NAMES};
use cbspec_protocol::signature::{KeyUrlAllowlist, KeyUrlPrefix};

/// Bodies up to this size are printed when they are text.
const SHOW_BODY_UP_TO: usize = 512;

/// Arguments of `cbspec capture`.
#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    /// Plain-HTTP address to listen on (port 0 picks a free port).
    #[arg(long)]
    listen: SocketAddr,

    /// HTTPS address to listen on, with a self-signed certificate made at start.
    #[arg(long = "https-listen")]
    https_listen: Option<SocketAddr>,

    /// Refuse TLS handshakes without SNI, as SNI-dependent hosts do.
    #[arg(long = "require-sni")]
    require_sni: bool,

    /// The URL at which the OSS endpoint reaches this server (e.g. through a
    /// tunnel or port forward); printed so you can use it as callbackUrl.
    #[arg(long = "public-url")]
    public_url: Option<String>,

    /// Another key-URL prefix keys may be fetched from, besides the official
    /// two (repeatable; an absolute http(s) URL whose path ends in `/`), e.g. an emulator's `http://127.0.0.1:9000/`.
    #[arg(long = "allow-key-url-prefix", value_name = "PREFIX")]
    allow_key_url_prefixes: Vec<KeyUrlPrefix>,

    /// A name (or IP) for the certificate (repeatable; replaces the defaults
    /// localhost, cb.example.test, 127.0.0.1).
    #[arg(long = "tls-name", value_name = "NAME", value_parser = super::non_empty)]
    tls_names: Vec<String>,

    /// Write the certificate PEM (to trust as a CA) to this file instead of printing it.
    #[arg(long = "ca-out", value_name = "FILE")]
    ca_out: Option<PathBuf>,
}

/// Runs the capture server until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &CaptureArgs) -> Result<u8, CliError> {
    let config = CaptureConfig {
        http_listen: args.listen,
        https_listen: args.https_listen,
        tls_names: if args.tls_names.is_empty() {
            DEFAULT_TLS_NAMES.iter().map(|n| (*n).to_owned()).collect()
        } else {
            args.tls_names.clone()
        },
        require_sni: args.require_sni,
        key_allowlist: args
            .allow_key_url_prefixes
            .iter()
            .fold(KeyUrlAllowlist::default(), |list, p| {
                list.with_prefix(p.clone())
            }),
        ..CaptureConfig::default()
    };
    let runtime = super::new_runtime()?;
    runtime.block_on(async {
        let handle = match CaptureServer::start(config.clone()).await {
            Ok(handle) => handle,
            Err(e) => {
                return Err(usage(e));
            }
        };
        // Subscribed before the addresses are printed: a client that reacts
        // to them at once must not send a request nobody sees.
        let mut feed = handle.subscribe();
        println!("http:        http://{}", handle.http_addr());
        if let Some(addr) = handle.https_addr() {
            println!(
                "https:       https://{addr} (certificate names: {}; SNI {})",
                config.tls_names.join(", "),
                if args.require_sni {
                    "required"
                } else {
                    "optional"
                }
            );
        }
        if let Some(url) = &args.public_url {
            println!("public URL:  {url} (where the OSS endpoint reaches this server)");
        }
        println!(
            "key URLs:    fetched only under {}",
            config
                .key_allowlist
                .prefixes()
                .iter()
                .map(KeyUrlPrefix::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        );
        if handle.https_addr().is_some() {
            match &args.ca_out {
                Some(path) => {
                    if let Err(e) = std::fs::write(path, handle.ca_pem()) {
                        handle.shutdown().await;
                        return Err(usage(format!(
                            "cannot write --ca-out {}: {e}",
                            path.display()
                        )));
                    }
                    println!("certificate: {} (trust it as a CA)", path.display());
                }
                None => print!("certificate (trust it as a CA):\n{}", handle.ca_pem()),
            }
        }
        println!("capturing; Ctrl-C to stop");

        let stop = wait_for_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                event = feed.recv() => match event {
                    Ok(request) => {
                        println!("{}", describe(&request));
                        // Printed is kept: the server need not hold it too.
                        handle.clear_requests();
                    }
                    Err(RecvError::Lagged(missed)) => {
                        eprintln!("({missed} requests not shown: output fell behind)");
                    }
                    Err(RecvError::Closed) => break,
                },
            }
        }
        eprintln!("shutting down: finishing requests in flight");
        handle.shutdown().await;
        Ok(0)
    })
}

/// One line per request (method, target, body size, transport, SNI,
/// verdict), plus the body on a second line when it is short text.
fn describe(request: &CapturedRequest) -> String {
    let transport = match (request.tls, &request.sni) {
        (false, _) => "http".to_owned(),
        (true, Some(sni)) => format!("https sni={sni}"),
        (true, None) => "https no-sni".to_owned(),
    };
    let mut line = format!(
        "{} {} {} {} bytes from {} [{}] signature: {}",
        httpdate::fmt_http_date(request.arrived_at),
        request.method,
        request.target,
        request.body.len(),
        request.peer,
        transport,
        request.signature
    );
    if let Some(note) = &request.note {
        line.push_str(&format!("\n  note: {note}"));
    }
    if let Some(text) = request.body_text() {
        if !text.is_empty()
            && request.body.len() <= SHOW_BODY_UP_TO
            && !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            line.push_str(&format!("\n  body: {text}"));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use cbspec_capture::SignatureVerdict;
    use std::time::SystemTime;

    #[test]
    fn a_short_text_body_is_shown_a_binary_one_is_not() {
        let mut request = CapturedRequest {
            method: "POST".into(),
            target: "/cb?x=1".into(),
            headers: Vec::new(),
            body: Bytes::from_static(b"bucket=b&object=o"),
            tls: true,
            sni: Some("cb.example.test".into()),
            peer: SocketAddr::from(([127, 0, 0, 1], 5000)),
            arrived_at: SystemTime::UNIX_EPOCH,
            signature: SignatureVerdict::Missing {
                what: "no Authorization header".into(),
            },
            note: None,
        };
        let text = describe(&request);
        assert!(
            text.contains("POST /cb?x=1 17 bytes from 127.0.0.1:5000 [https sni=cb.example.test] signature: unsigned: no Authorization header"),
            "{text}"
        );
        assert!(text.ends_with("\n  body: bucket=b&object=o"), "{text}");
        request.body = Bytes::from_static(&[0, 1, 2]);
        assert!(!describe(&request).contains("body:"));
    }
}
