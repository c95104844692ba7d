//! `cbspec vectors`: writes the signature test vectors for receiver authors
//! (committed under `spec/vectors/`), or checks that the committed files are
//! what it writes.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{usage, CliError};
use cbspec_protocol::vectors::{pkcs1_md5_file, receiver_file};

/// The Wycheproof-layout MD5withRSA file.
pub(crate) const PKCS1_FILE: &str = "rsa_pkcs1_md5_verify_test.json";
/// The receiver-level file.
pub(crate) const RECEIVER_FILE: &str = "oss_callback_receiver_test.json";

const KEYS: [&str; 3] = [
    include_str!("../../keys/vectors-rsa-512.pem"),
    include_str!("../../keys/vectors-rsa-1024.pem"),
    include_str!("../../keys/vectors-rsa-2048.pem"),
];

/// Arguments of `cbspec vectors`.
#[derive(Debug, Args)]
pub(crate) struct VectorsArgs {
    /// The directory to write the two files into.
    #[arg(long = "out-dir", default_value = "spec/vectors")]
    out_dir: PathBuf,
    /// Write nothing; exit 1 if a file there differs from what would be written.
    #[arg(long)]
    check: bool,
}

fn render(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// The two files' names and contents.
pub(crate) fn files() -> Result<Vec<(&'static str, String)>, CliError> {
    let pkcs1 = pkcs1_md5_file(&KEYS).map_err(usage)?;
    let receiver = receiver_file(
        include_str!("../../keys/emulator-dev-key.pem"),
        include_str!("../../keys/other-test-key.pem"),
    )
    .map_err(usage)?;
    Ok(vec![
        (PKCS1_FILE, render(&pkcs1)),
        (RECEIVER_FILE, render(&receiver)),
    ])
}

fn check(dir: &Path, files: &[(&str, String)]) -> u8 {
    let mut stale = 0;
    for (name, text) in files {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == *text => {}
            Ok(_) => {
                eprintln!("{} differs from what cbspec vectors writes", path.display());
                stale += 1;
            }
            Err(e) => {
                eprintln!("cannot read {}: {e}", path.display());
                stale += 1;
            }
        }
    }
    u8::from(stale > 0)
}

/// Writes or checks the files.
pub(crate) fn run(args: &VectorsArgs) -> Result<u8, CliError> {
    let files = files()?;
    if args.check {
        return Ok(check(&args.out_dir, &files));
    }
    std::fs::create_dir_all(&args.out_dir)
        .map_err(|e| usage(format!("cannot create {}: {e}", args.out_dir.display())))?;
    for (name, text) in &files {
        let path = args.out_dir.join(name);
        std::fs::write(&path, text)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
        println!("wrote {}", path.display());
    }
    Ok(0)
}
