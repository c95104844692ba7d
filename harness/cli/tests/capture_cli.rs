//! `cbspec capture` as an operator runs it: a real process that prints its
//! addresses and certificate, one line per callback with its verdict, and
//! stops cleanly on SIGTERM. Loopback only, every wait bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const LINE_WAIT: Duration = Duration::from_secs(20);

/// Kills the process if a test fails half-way, so none outlives the test.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn next_line_containing(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(LINE_WAIT)
            .unwrap_or_else(|_| panic!("no line containing {needle:?} within {LINE_WAIT:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

// spec: CB-KEY-OFFICIAL, CB-SIG-VECTORS
#[cfg(unix)]
#[test]
fn capture_prints_addresses_and_each_callback_with_its_verdict() {
    let ca_out = std::env::temp_dir().join(format!("cbspec-capture-ca-{}.pem", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_cbspec"))
        .args([
            "capture",
            "--listen",
            "127.0.0.1:0",
            "--https-listen",
            "127.0.0.1:0",
            "--public-url",
            "https://cb.example.org/cb",
            "--ca-out",
        ])
        .arg(&ca_out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the cbspec binary runs");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });

    let http = next_line_containing(&lines, "http:");
    let addr = http.rsplit("http://").next().unwrap().trim().to_owned();
    next_line_containing(&lines, "public URL:  https://cb.example.org/cb");
    next_line_containing(&lines, "certificate:");
    let pem = std::fs::read_to_string(&ca_out).unwrap();
    let _ = std::fs::remove_file(&ca_out);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    next_line_containing(&lines, "capturing");

    let mut stream = TcpStream::connect(&addr).unwrap();
    stream.set_read_timeout(Some(LINE_WAIT)).unwrap();
    stream
        .write_all(
            b"POST /index.php?id=1&index=2 HTTP/1.1\r\n\
Host: cb.example.test\r\n\
Authorization: kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==\r\n\
x-oss-pub-key-url: aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==\r\n\
Content-Length: 18\r\n\r\nbucket=yonghu-test",
        )
        .unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    assert!(answer.starts_with(b"HTTP/1.1 200 OK"));

    let line = next_line_containing(&lines, "POST /index.php?id=1&index=2 18 bytes");
    assert!(line.contains("[http]"), "{line}");
    assert!(
        line.contains(
            "signature: valid (key http://gosspublic.alicdn.com/callback_pub_key_v1.pem)"
        ),
        "{line}"
    );
    next_line_containing(&lines, "  body: bucket=yonghu-test");

    // SIGTERM, as a service manager stops it: a clean exit.
    let pid = running.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    for _ in 0..200 {
        if let Some(status) = running.0.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("cbspec capture did not stop within 10 s of SIGTERM");
}

#[test]
fn capture_refuses_an_address_it_cannot_bind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_cbspec"))
        .args(["capture", "--listen", &addr])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}
