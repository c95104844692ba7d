//! Bakes two facts into the binary for the hello line:
//!
//! - `ALI_OSS_RS_VERSION`: the ali-oss-rs version this build compiled, read
//!   from this workspace's Cargo.lock. The SDK has no usable version constant
//!   of its own (0.3.1 still says `ali_oss_rs::common::VERSION = "0.2.5"`),
//!   and `CARGO_PKG_VERSION` is the adapter's version, not the dependency's.
//!   Cargo resolves the lock before running build scripts, so the lock names
//!   exactly the package being compiled.
//! - `RUSTC_VERSION`: `rustc --version` of the compiler doing the build.

use std::path::Path;
use std::process::Command;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let lock_path = Path::new(&manifest_dir).join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let lock = std::fs::read_to_string(&lock_path)
        .expect("drivers/rust/Cargo.lock is committed and readable");
    let version = locked_version(&lock, "ali-oss-rs").expect("Cargo.lock lists ali-oss-rs");
    println!("cargo:rustc-env=ALI_OSS_RS_VERSION={version}");

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    println!("cargo:rustc-env=RUSTC_VERSION={rustc_version}");
}

/// The `version` line following `name = "<name>"` in a Cargo.lock.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let next = lines.next()?.trim();
            let value = next.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(value.to_owned());
        }
    }
    None
}
