//! The layering, enforced: reads `cargo metadata` for the workspace and fails
//! when a crate depends on a layer it must not (design.md, Layout):
//! `protocol` <- `emulator`, `capture`, `client` <- `suite` <- `cbspec`.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

use crate::support::root;

/// The host's target triple, as `rustc -vV` reports it.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// The workspace's metadata, dependencies resolved for the host (so only
/// the packages the build already downloaded are needed).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host_triple()])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn package<'a>(meta: &'a Value, name: &str) -> &'a Value {
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in the workspace"))
}

/// The names of a package's declared normal (not dev, not build) dependencies.
fn normal_dependencies(meta: &Value, name: &str) -> BTreeSet<String> {
    package(meta, name)["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"].is_null())
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every package reachable from `name` through normal dependencies in the
/// resolved graph (features as the workspace unifies them, which can only
/// add edges: a pass here holds for any feature selection of the crate).
fn normal_closure(meta: &Value, name: &str) -> BTreeSet<String> {
    let nodes: HashMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let start = package(meta, name)["id"].as_str().unwrap();
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[dep_id].to_owned()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

const WORKSPACE: [&str; 6] = [
    "cbspec-protocol",
    "cbspec-emulator",
    "cbspec-capture",
    "cbspec-client",
    "cbspec-suite",
    "cbspec",
];

#[test]
fn the_protocol_crate_reaches_no_async_runtime_http_stack_or_tls() {
    let meta = metadata();
    // The walk finds what is there: the emulator does reach tokio and hyper.
    let emulator = normal_closure(&meta, "cbspec-emulator");
    assert!(
        emulator.contains("tokio") && emulator.contains("hyper"),
        "{emulator:?}"
    );
    let closure = normal_closure(&meta, "cbspec-protocol");
    for forbidden in [
        "tokio",
        "hyper",
        "hyper-util",
        "reqwest",
        "rustls",
        "mio",
        "h2",
    ] {
        assert!(
            !closure.contains(forbidden),
            "cbspec-protocol's normal dependencies reach {forbidden}: {closure:?}"
        );
    }
    // The generators are optional: a receiver author gets no proptest.
    let protocol = package(&meta, "cbspec-protocol");
    for optional in ["proptest", "arbitrary"] {
        let dep = protocol["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == optional && d["kind"].is_null())
            .unwrap_or_else(|| panic!("cbspec-protocol declares no {optional}"));
        assert_eq!(
            dep["optional"], true,
            "{optional} must be optional (feature `testing`)"
        );
    }
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let meta = metadata();
    let allowed: [(&str, &[&str]); 6] = [
        ("cbspec-protocol", &[]),
        ("cbspec-emulator", &["cbspec-protocol"]),
        ("cbspec-capture", &["cbspec-protocol"]),
        ("cbspec-client", &["cbspec-protocol"]),
        (
            "cbspec-suite",
            &[
                "cbspec-protocol",
                "cbspec-emulator",
                "cbspec-capture",
                "cbspec-client",
            ],
        ),
        (
            "cbspec",
            &[
                "cbspec-protocol",
                "cbspec-emulator",
                "cbspec-capture",
                "cbspec-client",
                "cbspec-suite",
            ],
        ),
    ];
    for (name, below) in allowed {
        let internal: BTreeSet<String> = normal_dependencies(&meta, name)
            .into_iter()
            .filter(|d| WORKSPACE.contains(&d.as_str()))
            .collect();
        let wrong: Vec<&String> = internal
            .iter()
            .filter(|d| !below.contains(&d.as_str()))
            .collect();
        assert!(
            wrong.is_empty(),
            "{name} depends on {wrong:?}, which are not below it in the layering"
        );
    }
    // The emulator and the capture server never reach each other, even
    // indirectly: the suite judges the emulator over HTTP like any endpoint.
    let emulator = normal_closure(&meta, "cbspec-emulator");
    let capture = normal_closure(&meta, "cbspec-capture");
    assert!(!emulator.contains("cbspec-capture") && !emulator.contains("cbspec-client"));
    assert!(!capture.contains("cbspec-emulator") && !capture.contains("cbspec-client"));
    assert!(!emulator.contains("cbspec-suite") && !capture.contains("cbspec-suite"));
}
