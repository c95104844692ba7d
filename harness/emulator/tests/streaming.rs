//! Bodies too large for memory, over real loopback sockets: they stream to
//! a file as they arrive and read back whole (GET, Range, multipart,
//! append, a restart); and every way an upload can fail part-way (the
//! client cuts the body, stops sending, sends more than the limit, or the
//! disk fills up) leaves the previous version intact and no file behind.
//!
//! Expected digests come from the `md-5` and `crc` crates directly, not from
//! the emulator's own checksum module.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::hardening::{error_of, exchange, signed_put_head};
use crate::support::*;
use cbspec_client::OssCall;
use cbspec_emulator::{EmulatorConfig, EmulatorHandle, ServerLimits};
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Small enough that every body below spills.
const MEMORY_LIMIT: usize = 64 * 1024;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cbspec-stream-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn spilling(spill_dir: &Path, data_dir: Option<&Path>) -> EmulatorConfig {
    EmulatorConfig {
        credentials: credentials(),
        buckets: vec![BUCKET.to_owned()],
        spill_dir: Some(spill_dir.to_owned()),
        data_dir: data_dir.map(Path::to_owned),
        memory_object_limit: MEMORY_LIMIT,
        limits: ServerLimits {
            body_idle_timeout: Duration::from_millis(400),
            ..ServerLimits::default()
        },
        ..EmulatorConfig::default()
    }
}

fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (((i as u64 * 2654435761) >> 7) as u8) ^ seed)
        .collect()
}

fn etag_of(data: &[u8]) -> String {
    format!("\"{}\"", hex::encode_upper(Md5::digest(data)))
}

fn crc64_of(data: &[u8]) -> String {
    crc::Crc::<u64>::new(&crc::CRC_64_XZ)
        .checksum(data)
        .to_string()
}

fn files_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

async fn get(handle: &EmulatorHandle, key: &str) -> cbspec_client::OssAnswer {
    client(handle)
        .send(OssCall::new("GET", BUCKET, Some(key)))
        .await
        .unwrap()
}

async fn put(handle: &EmulatorHandle, key: &str, data: &[u8]) -> cbspec_client::OssAnswer {
    client(handle)
        .send(OssCall::new("PUT", BUCKET, Some(key)).body(data.to_vec()))
        .await
        .unwrap()
}

/// A body past the memory limit is hashed on the way and kept in an
/// anonymous file: the digests are those of the bytes, GET and Range read
/// them back, and the spill directory never shows a name.
// spec: CB-EMU-STREAMING, CB-CHK-ETAG, CB-CHK-CRC64
#[tokio::test]
async fn large_bodies_stream_through_files_and_read_back_whole() {
    let spill = scratch("spill");
    let handle = emulator_with(spilling(&spill, None)).await;
    let data = body(3 * 1024 * 1024 + 17, 1);
    let put = put(&handle, "big.bin", &data).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.header("etag").unwrap(), etag_of(&data));
    assert_eq!(put.header("x-oss-hash-crc64ecma").unwrap(), crc64_of(&data));
    assert!(files_in(&spill).is_empty(), "{:?}", files_in(&spill));
    assert!(
        open_deleted_files_in(&spill) >= 1,
        "the object is held in an anonymous file in the spill directory"
    );
    let got = get(&handle, "big.bin").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.len(), data.len());
    assert!(got.body == data, "the streamed GET body differs");
    assert_eq!(
        got.header("content-md5").unwrap(),
        b64_bytes(&Md5::digest(&data))
    );
    let range = client(&handle)
        .send(OssCall::new("GET", BUCKET, Some("big.bin")).header("Range", "bytes=1048570-2097160"))
        .await
        .unwrap();
    assert_eq!(range.status, 206);
    assert!(range.body[..] == data[1048570..=2097160]);

    // Multipart: two spilled parts joined into a spilled object.
    let first = body(200 * 1024, 2);
    let second = body(150 * 1024, 3);
    let object = [first.clone(), second.clone()].concat();
    let oss = client(&handle);
    let init = oss
        .send(OssCall::new("POST", BUCKET, Some("mpu.bin")).query("uploads", None))
        .await
        .unwrap();
    let upload_id = init
        .text()
        .split("<UploadId>")
        .nth(1)
        .and_then(|s| s.split("</UploadId>").next())
        .unwrap()
        .to_owned();
    let mut parts = String::new();
    for (number, part) in [(1, &first), (2, &second)] {
        let answer = oss
            .send(
                OssCall::new("PUT", BUCKET, Some("mpu.bin"))
                    .query("partNumber", Some(&number.to_string()))
                    .query("uploadId", Some(&upload_id))
                    .body(part.clone()),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.header("etag").unwrap(), etag_of(part));
        parts.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{}</ETag></Part>",
            etag_of(part)
        ));
    }
    let done = oss
        .send(
            OssCall::new("POST", BUCKET, Some("mpu.bin"))
                .query("uploadId", Some(&upload_id))
                .body(format!(
                    "<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>"
                )),
        )
        .await
        .unwrap();
    assert_eq!(done.status, 200, "{}", done.text());
    let got = get(&handle, "mpu.bin").await;
    assert!(got.body == object, "the joined parts differ");
    assert_eq!(
        got.header("x-oss-hash-crc64ecma").unwrap(),
        crc64_of(&object)
    );

    // Append: the CRC-64 answered is the whole object's.
    let mut appended = Vec::new();
    for (i, piece) in [body(100 * 1024, 4), body(90 * 1024, 5)].iter().enumerate() {
        let answer = oss
            .send(
                OssCall::new("POST", BUCKET, Some("log.bin"))
                    .query("append", None)
                    .query("position", Some(&appended.len().to_string()))
                    .body(piece.clone()),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "append {i}: {}", answer.text());
        appended.extend_from_slice(piece);
        assert_eq!(
            answer.header("x-oss-hash-crc64ecma").unwrap(),
            crc64_of(&appended)
        );
    }
    assert!(get(&handle, "log.bin").await.body == appended);
    assert!(files_in(&spill).is_empty());
    handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&spill);
}

/// Files this process holds open that were created in `dir` and have no
/// name any more (how an anonymous spool file shows in /proc).
fn open_deleted_files_in(dir: &Path) -> usize {
    let prefix = dir.display().to_string();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|target| target.display().to_string())
        .filter(|t| t.starts_with(&prefix) && t.ends_with("(deleted)"))
        .count()
}

fn b64_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// With a data directory, a large body is renamed into place from the
/// spool (never copied), survives a restart, and is read from its file.
// spec: CB-EMU-STREAMING, CB-EMU-STORE-ATOMIC
#[tokio::test]
async fn a_large_object_in_a_data_directory_survives_a_restart() {
    let dir = scratch("data");
    let data = body(2 * 1024 * 1024 + 5, 6);
    let first = emulator_with(spilling(&dir, Some(&dir))).await;
    assert_eq!(put(&first, "big.bin", &data).await.status, 200);
    // A copy gets its own file, so deleting the source keeps it whole.
    let copy = client(&first)
        .send(
            OssCall::new("PUT", BUCKET, Some("copy.bin"))
                .header("x-oss-copy-source", format!("/{BUCKET}/big.bin")),
        )
        .await
        .unwrap();
    assert_eq!(copy.status, 200, "{}", copy.text());
    first.shutdown().await;
    assert!(files_in(&dir.join("spool")).is_empty());
    let objects = dir.join("buckets").join(BUCKET).join("objects");
    let sizes: Vec<u64> = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert_eq!(sizes.len(), 2);
    assert!(sizes.iter().all(|s| *s > data.len() as u64), "{sizes:?}");
    let second = emulator_with(spilling(&dir, Some(&dir))).await;
    let del = client(&second)
        .send(OssCall::new("DELETE", BUCKET, Some("big.bin")))
        .await
        .unwrap();
    assert_eq!(del.status, 204);
    let got = get(&second, "copy.bin").await;
    assert_eq!(got.status, 200);
    assert!(
        got.body == data,
        "the copy read back after a restart differs"
    );
    second.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits (bounded) until `dir` holds no file.
async fn until_empty(dir: &Path) -> Vec<String> {
    for _ in 0..50 {
        if files_in(dir).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    files_in(dir)
}

/// A body cut short by the client, one that stops arriving, one with more
/// bytes than its Content-MD5 covers, and a chunked one past the limit:
/// each upload fails, the old version stays, and the spool is empty.
// spec: CB-EMU-STREAMING, CB-EMU-BODY-TIMEOUT, CB-EMU-STORE-ATOMIC
#[tokio::test]
async fn a_failed_upload_leaves_the_previous_version_and_no_file() {
    let dir = scratch("cut");
    let mut config = spilling(&dir, Some(&dir));
    config.limits.max_body_bytes = 4 * 1024 * 1024;
    let handle = emulator_with(config).await;
    let addr = handle.addr();
    let old = body(1000, 7);
    let stored = put(&handle, "doc.bin", &old).await;
    assert_eq!(stored.status, 200);
    let spool = dir.join("spool");
    let still_old = |label: &'static str, got: cbspec_client::OssAnswer| {
        assert_eq!(got.status, 200, "{label}");
        assert!(got.body == old, "{label}: the previous version changed");
        assert_eq!(got.header("etag"), stored.header("etag"), "{label}");
    };

    // Cut: 1 MiB of a declared 2 MiB, then the connection closes.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(signed_put_head(addr, "doc.bin", 2 * 1024 * 1024).as_bytes())
        .await
        .unwrap();
    stream.write_all(&body(1024 * 1024, 8)).await.unwrap();
    drop(stream);
    assert_eq!(until_empty(&spool).await, Vec::<String>::new(), "cut");
    still_old("cut", get(&handle, "doc.bin").await);

    // Stalled: half the body, then silence past the idle timeout.
    let head = signed_put_head(addr, "doc.bin", 512 * 1024);
    let answer = exchange(addr, &head, &body(256 * 1024, 9))
        .await
        .expect("a stalled body is answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(error_of(&answer).code, "RequestTimeout");
    assert_eq!(until_empty(&spool).await, Vec::<String>::new(), "stalled");
    still_old("stalled", get(&handle, "doc.bin").await);

    // Longer than declared: HTTP framing stops the body at Content-Length,
    // so only a digest can tell; a Content-MD5 of everything sent fails it.
    let sent = body(300 * 1024, 10);
    let md5_of_all = b64_bytes(&Md5::digest(&sent));
    let longer = client(&handle)
        .send(
            OssCall::new("PUT", BUCKET, Some("doc.bin"))
                .header("Content-MD5", md5_of_all)
                .body(sent[..200 * 1024].to_vec()),
        )
        .await
        .unwrap();
    assert_eq!(longer.status, 400, "{}", longer.text());
    assert!(longer.text().contains("InvalidDigest"), "{}", longer.text());
    still_old("digest", get(&handle, "doc.bin").await);

    // Chunked past the limit: cut off at the limit, not read to the end.
    let head = signed_put_head(addr, "doc.bin", 0)
        .replace("Content-Length: 0\r\n", "Transfer-Encoding: chunked\r\n");
    let mut chunked = Vec::new();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1024 * 1024).as_bytes());
        chunked.extend_from_slice(&body(1024 * 1024, 11));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = exchange(addr, &head, &chunked).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(error_of(&answer).code, "EntityTooLarge");
    assert_eq!(until_empty(&spool).await, Vec::<String>::new(), "chunked");
    still_old("chunked", get(&handle, "doc.bin").await);
    handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The disk fills up while a large body streams into the spool: 500, the
/// old version is intact before and after a restart, and the partial spool
/// file is gone.
// spec: CB-EMU-STREAMING, CB-EMU-STORE-ATOMIC
#[tokio::test]
async fn a_disk_that_fills_mid_stream_keeps_the_old_version() {
    if !crate::storage::is_root() {
        eprintln!("SKIPPED: mounting a small disk needs root");
        return;
    }
    let Some(disk) = crate::storage::SmallDisk::mount(1024 * 1024) else {
        panic!("running as root but cannot mount a tmpfs");
    };
    let dir = disk.0.clone();
    let first = emulator_with(spilling(&dir, Some(&dir))).await;
    let old = body(100 * 1024, 12);
    let stored = put(&first, "doc.bin", &old).await;
    assert_eq!(stored.status, 200);
    let failed = put(&first, "doc.bin", &body(3 * 1024 * 1024, 13)).await;
    assert_eq!(failed.status, 500, "{}", failed.text());
    assert!(failed.text().contains("InternalError"), "{}", failed.text());
    assert!(failed.text().contains("No space left"), "{}", failed.text());
    assert!(get(&first, "doc.bin").await.body == old);
    assert_eq!(until_empty(&dir.join("spool")).await, Vec::<String>::new());
    first.shutdown().await;
    let second = emulator_with(spilling(&dir, Some(&dir))).await;
    let got = get(&second, "doc.bin").await;
    assert_eq!(got.header("etag"), stored.header("etag"));
    assert!(got.body == old);
    second.shutdown().await;
}
