//! The data directory under stress: a real disk that fills up mid-write,
//! and what a restart finds after an interrupted write. An acknowledged
//! object is never lost, and an object is never torn (new bytes with old
//! metadata, or the reverse).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;
use cbspec_client::OssCall;
use cbspec_emulator::EmulatorConfig;

fn config(dir: &Path) -> EmulatorConfig {
    EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        data_dir: Some(dir.to_owned()),
        ..EmulatorConfig::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "cbspec-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ))
}

/// A small tmpfs, unmounted when dropped.
pub(crate) struct SmallDisk(pub(crate) PathBuf);

impl SmallDisk {
    /// Mounts a tmpfs of `bytes`; `None` (after saying why) where mounting
    /// needs privileges this process lacks.
    pub(crate) fn mount(bytes: u64) -> Option<Self> {
        let dir = scratch("disk");
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}")])
            .arg("tmpfs")
            .arg(&dir)
            .status();
        match status {
            Ok(s) if s.success() => Some(Self(dir)),
            other => {
                let _ = std::fs::remove_dir(&dir);
                eprintln!("SKIPPED: cannot mount a tmpfs here ({other:?}); this test needs root");
                None
            }
        }
    }

    /// Bytes still free, as `df` reports them.
    fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.0)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .expect("df prints the free bytes")
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The disk fills up while a replacement is written: the client gets a 500,
/// and before and after a restart the object is the old one, whole.
// spec: CB-EMU-STORE-ATOMIC
#[tokio::test]
async fn a_full_disk_never_tears_an_object() {
    if !is_root() {
        eprintln!("SKIPPED: mounting a small disk needs root");
        return;
    }
    let Some(disk) = SmallDisk::mount(512 * 1024) else {
        panic!("running as root but cannot mount a tmpfs");
    };
    let first = emulator_with(config(&disk.0)).await;
    let client = client(&first);
    let put = |body: Vec<u8>, content_type: &'static str| {
        OssCall::new("PUT", BUCKET, Some("doc.txt"))
            .header("Content-Type", content_type)
            .body(body)
    };
    // An empty old object: replacing its data frees no page, so the room
    // left below is all a write has.
    let old = client.send(put(Vec::new(), "text/plain")).await.unwrap();
    assert_eq!(old.status, 200, "{}", old.text());
    // Leave room for the new bytes alone: a scheme that writes data and
    // metadata separately gets the data down and then fails on the metadata.
    // Fill the disk to the last page, then free exactly `room`.
    let filler = disk.0.join("filler");
    let room: u64 = 16 * 4096;
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let page = [0u8; 4096];
        while file.write_all(&page).is_ok() {}
        let full = file.metadata().unwrap().len();
        file.set_len(full - room).unwrap();
    }
    assert_eq!(disk.free(), room, "the disk has exactly the room left");
    let new_body = vec![b'n'; usize::try_from(room).unwrap() - 64];
    let failed = client
        .send(put(new_body.clone(), "application/x-new"))
        .await
        .unwrap();
    assert_eq!(failed.status, 500, "{}", failed.text());
    let check = |label: &'static str, got: cbspec_client::OssAnswer| {
        assert_eq!(got.status, 200, "{label}: {}", got.text());
        assert!(got.body.is_empty(), "{label}: {} bytes", got.body.len());
        assert_eq!(got.header("etag"), old.header("etag"), "{label}");
        assert_eq!(got.header("content-type"), Some("text/plain"), "{label}");
    };
    check(
        "before restart",
        client
            .send(OssCall::new("GET", BUCKET, Some("doc.txt")))
            .await
            .unwrap(),
    );
    first.shutdown().await;
    // No temporary file is left behind to fill the disk further.
    let objects = disk.0.join("buckets").join(BUCKET).join("objects");
    let leftovers: Vec<_> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_file(&filler).unwrap();
    let second = emulator_with(config(&disk.0)).await;
    check(
        "after restart",
        crate::support::client(&second)
            .send(OssCall::new("GET", BUCKET, Some("doc.txt")))
            .await
            .unwrap(),
    );
    // And with room again, the replacement goes through whole.
    let replaced = crate::support::client(&second)
        .send(put(new_body.clone(), "application/x-new"))
        .await
        .unwrap();
    assert_eq!(replaced.status, 200);
    second.shutdown().await;
}

/// What a restart finds after a kill: a temporary file from a write that was
/// never acknowledged is deleted, a truncated object file is set aside and
/// never served, and every whole object loads.
// spec: CB-EMU-STORE-ATOMIC
#[tokio::test]
async fn a_restart_cleans_up_after_an_interrupted_write() {
    let dir = scratch("recover");
    let first = emulator_with(config(&dir)).await;
    for key in ["a.txt", "b.txt"] {
        let put = client(&first)
            .send(OssCall::new("PUT", BUCKET, Some(key)).body(key.as_bytes().to_vec()))
            .await
            .unwrap();
        assert_eq!(put.status, 200);
    }
    first.shutdown().await;
    let objects = dir.join("buckets").join(BUCKET).join("objects");
    let files: Vec<PathBuf> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2, "one file per object: {files:?}");
    // A kill mid-write leaves a temporary file; a damaged disk, a short file.
    let stale = objects.join("0123.obj.tmp-1-2");
    std::fs::write(&stale, b"partial").unwrap();
    let victim = files
        .iter()
        .find(|p| {
            std::fs::read(p)
                .unwrap()
                .windows(b"\"b.txt\"".len())
                .any(|w| w == b"\"b.txt\"")
        })
        .unwrap()
        .clone();
    let whole = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &whole[..whole.len() - 2]).unwrap();

    let second = emulator_with(config(&dir)).await;
    let a = client(&second)
        .send(OssCall::new("GET", BUCKET, Some("a.txt")))
        .await
        .unwrap();
    assert_eq!((a.status, &a.body[..]), (200, &b"a.txt"[..]));
    let b = client(&second)
        .send(OssCall::new("GET", BUCKET, Some("b.txt")))
        .await
        .unwrap();
    assert_eq!(b.status, 404, "a truncated object is never served");
    second.shutdown().await;
    assert!(!stale.exists(), "the stale temporary file is deleted");
    assert!(
        victim.with_extension("corrupt").exists(),
        "kept for inspection"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
