//! `cbspec verify`: checks a callback signature the way a receiver must.

use clap::Args;

use super::input::{read_bytes, read_text};
use super::{usage, CliError};
use cbspec_protocol::signature::{
    decode_key_url, CallbackPublicKey, KeyUrlAllowlist, KeyUrlPrefix,
};

/// Arguments of `cbspec verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The request target the callback server received: path plus `?query` if any.
    #[arg(long)]
    target: String,

    /// The raw request body: the text itself, or @file for exact bytes.
    #[arg(long)]
    body: String,

    /// The `Authorization` header value (bare Base64).
    #[arg(long)]
    authorization: String,

    /// The `x-oss-pub-key-url` header value (Base64). Checked against the
    /// allowlist; the official URL selects the bundled OSS key.
    #[arg(long = "pub-key-url")]
    pub_key_url: Option<String>,

    /// The key to verify with: `oss` (the bundled official key) or @file.pem.
    #[arg(long)]
    key: Option<String>,

    /// Another allowed key-URL prefix besides the two official ones (repeatable; an absolute http(s) URL whose path ends in `/`).
    #[arg(long = "allow-key-url-prefix", value_name = "PREFIX")]
    allow_key_url_prefixes: Vec<KeyUrlPrefix>,
}

/// Exit code when the signature does not verify.
const EXIT_INVALID: u8 = 1;

/// Runs `verify`: 0 verifies, 1 does not (with the reason), 2 usage error.
pub(crate) fn run(args: &VerifyArgs) -> Result<u8, CliError> {
    let body = read_bytes(&args.body)?;

    let allowlist = args
        .allow_key_url_prefixes
        .iter()
        .fold(KeyUrlAllowlist::default(), |list, p| {
            list.with_prefix(p.clone())
        });

    // A refused key URL is a verdict, not something to fetch or work around.
    let key_url = match &args.pub_key_url {
        None => None,
        Some(header) => {
            let url = match decode_key_url(header) {
                Ok(url) => url,
                Err(e) => return Ok(invalid(&e.to_string())),
            };
            match allowlist.check(&url) {
                Ok(allowed) => Some(allowed),
                Err(e) => return Ok(invalid(&e.to_string())),
            }
        }
    };

    let (key, key_name) = match (&args.key, &key_url) {
        (Some(k), _) if k == "oss" => (CallbackPublicKey::official(), "the bundled OSS key".to_owned()),
        (Some(k), _) if k.starts_with('@') => {
            let pem = read_text(k)?;
            match CallbackPublicKey::from_pem(&pem) {
                Ok(key) => (key, k[1..].to_owned()),
                Err(e) => return Err(usage(format!("{}: {e}", &k[1..]))),
            }
        }
        (Some(k), _) => return Err(usage(format!("--key {k:?}: use `oss` or @file.pem"))),
        (None, Some(url)) if url.is_official() => {
            (CallbackPublicKey::official(), format!("the bundled OSS key for {url}"))
        }
        (None, Some(url)) => {
            return Err(usage(format!(
                "the key URL {url} is allowed, but cbspec verifies offline and bundles only the official key; download it and pass --key @file.pem"
            )))
        }
        (None, None) => return Err(usage("give --key oss, --key @file.pem, or --pub-key-url")),
    };

    match key.verify(&args.target, &body, &args.authorization) {
        Ok(()) => {
            println!("OK: the signature verifies with {key_name}");
            Ok(0)
        }
        Err(e) => Ok(invalid(&e.to_string())),
    }
}

fn invalid(reason: &str) -> u8 {
    println!("FAIL: {reason}");
    EXIT_INVALID
}
