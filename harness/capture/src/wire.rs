//! Connection adapters under hyper: one keeps a copy of the request head
//! exactly as it arrived, the other lets an answer end in a TCP reset.
//!
//! hyper parses the head into a `HeaderMap`, which lower-cases names and
//! groups repeated names together; a conformance harness needs the header
//! lines as sent, so the head bytes are teed off the connection and parsed
//! again with httparse (the parser hyper itself uses).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::recorder::lock;

/// The most header lines re-parsed from a head; hyper refuses more (431)
/// before the request reaches the capture service.
const MAX_HEADER_LINES: usize = 128;

/// The first bytes read from a connection, up to the end of the first head.
#[derive(Debug, Default)]
pub(crate) struct HeadBytes {
    bytes: Vec<u8>,
    complete: bool,
    cap: usize,
}

/// A request head as sent.
#[derive(Debug)]
pub(crate) struct RawHead {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
}

impl HeadBytes {
    /// A recorder that keeps at most `cap` bytes.
    pub(crate) fn with_cap(cap: usize) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            cap,
            ..Self::default()
        }))
    }

    /// Feeds bytes as they arrive.
    pub(crate) fn push_bytes(&mut self, data: &[u8]) {
        self.push(data);
    }

    fn push(&mut self, data: &[u8]) {
        if self.complete {
            return;
        }
        let room = self.cap.saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&data[..data.len().min(room)]);
        // Leading blank lines are skipped by HTTP parsers, so they do not end a head.
        let start = self
            .bytes
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .unwrap_or(self.bytes.len());
        let rest = &self.bytes[start..];
        self.complete = rest.windows(4).any(|w| w == b"\r\n\r\n")
            || rest.windows(2).any(|w| w == b"\n\n")
            || self.bytes.len() >= self.cap;
    }

    /// Parses the captured head; `None` if it is incomplete or unparsable
    /// (hyper accepted it, so that means it was longer than the cap).
    pub(crate) fn parse(&self) -> Option<RawHead> {
        let mut lines = [httparse::EMPTY_HEADER; MAX_HEADER_LINES];
        let mut request = httparse::Request::new(&mut lines);
        if !request.parse(&self.bytes).ok()?.is_complete() {
            return None;
        }
        Some(RawHead {
            method: request.method?.to_owned(),
            target: request.path?.to_owned(),
            headers: request
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
        })
    }
}

/// Tees the bytes read through it into a [`HeadBytes`] until the head ends.
#[derive(Debug)]
pub(crate) struct HeadTap<S> {
    inner: S,
    head: Arc<Mutex<HeadBytes>>,
}

impl<S> HeadTap<S> {
    pub(crate) fn new(inner: S, head: Arc<Mutex<HeadBytes>>) -> Self {
        Self { inner, head }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadTap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            lock(&self.head).push(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadTap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A TCP stream that closes with an RST instead of a FIN when its flag is
/// set: hyper always answers a request it has read, so "no answer, connection
/// reset" can only be done at the socket, by dropping hyper's connection.
#[derive(Debug)]
pub(crate) struct ResetOnDrop {
    stream: TcpStream,
    reset: Arc<AtomicBool>,
}

impl ResetOnDrop {
    pub(crate) fn new(stream: TcpStream, reset: Arc<AtomicBool>) -> Self {
        Self { stream, reset }
    }
}

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            // Linger 0 makes close() send an RST and discard unsent data.
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for ResetOnDrop {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResetOnDrop {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_keeps_order_case_and_duplicates() {
        let head = HeadBytes::with_cap(1024);
        let mut head = lock(&head);
        head.push(b"POST /a%20b?x=1 HTTP/1.1\r\nHost: h\r\nX-B: 1\r\n");
        assert!(!head.complete);
        head.push(b"x-a: 2\r\nX-B: 3\r\n\r\nbody");
        assert!(head.complete);
        let parsed = head.parse().unwrap();
        assert_eq!(parsed.target, "/a%20b?x=1");
        let names: Vec<&str> = parsed.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Host", "X-B", "x-a", "X-B"]);
    }

    #[test]
    fn an_overlong_head_is_cut_at_the_cap() {
        let head = HeadBytes::with_cap(16);
        let mut head = lock(&head);
        head.push(b"POST /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n");
        assert!(head.complete);
        assert!(head.parse().is_none());
    }
}
