//! An object's or a part's bytes: in memory when small, in a file when
//! large, so a 5 GiB object never has to fit in memory.
//!
//! A file blob holds an open file handle, not a path: a reader keeps reading
//! the version it looked up even after a newer version was renamed over the
//! path or the object was deleted (the kernel keeps the inode alive).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};

/// How much is read from a file blob at a time (streaming a GET, copying).
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Bytes of an object or part.
#[derive(Debug, Clone)]
pub enum Blob {
    /// Held in memory.
    Memory(Bytes),
    /// A byte range of an open file.
    File(FileBlob),
}

/// A byte range of an open file, shared by every clone.
#[derive(Debug, Clone)]
pub struct FileBlob {
    pub(crate) file: Arc<File>,
    pub(crate) offset: u64,
    pub(crate) len: u64,
    /// For a body spooled into a data directory: its temporary name, which
    /// the first commit takes to rename the file into place (the file is
    /// deleted when the last clone goes, if no commit took it).
    pub(crate) spool_path: Option<Arc<Mutex<Option<tempfile::TempPath>>>>,
}

impl FileBlob {
    /// Appends `trailer` after the blob and renames its file to `target`,
    /// if the blob is a whole spooled body that no commit has taken yet;
    /// `Ok(false)` when it is not (then the caller copies it). After a
    /// failure the temporary file is still deleted with the blob.
    pub(crate) fn persist_as(&self, trailer: &[u8], target: &Path) -> io::Result<bool> {
        let Some(slot) = &self.spool_path else {
            return Ok(false);
        };
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        let Some(path) = slot.take() else {
            return Ok(false);
        };
        let end = self.offset + self.len;
        if self.file.metadata()?.len() != end {
            *slot = Some(path);
            return Ok(false);
        }
        let written = self
            .file
            .write_all_at(trailer, end)
            .and_then(|()| self.file.sync_all());
        if let Err(e) = written {
            // Cut the trailer off again, so a retry sees a whole body.
            let _ = self.file.set_len(end);
            *slot = Some(path);
            return Err(e);
        }
        match path.persist(target) {
            Ok(()) => Ok(true),
            Err(e) => {
                let _ = self.file.set_len(end);
                *slot = Some(e.path);
                Err(e.error)
            }
        }
    }
}

impl Default for Blob {
    fn default() -> Self {
        Blob::Memory(Bytes::new())
    }
}

impl From<Bytes> for Blob {
    fn from(bytes: Bytes) -> Self {
        Blob::Memory(bytes)
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Blob::Memory(Bytes::from(bytes))
    }
}

impl Blob {
    /// A blob for `len` bytes of `file` from `offset`.
    pub fn from_file(file: Arc<File>, offset: u64, len: u64) -> Self {
        Blob::File(FileBlob {
            file,
            offset,
            len,
            spool_path: None,
        })
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Blob::Memory(bytes) => bytes.len() as u64,
            Blob::File(file) => file.len,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the bytes are in a file.
    pub fn is_file(&self) -> bool {
        matches!(self, Blob::File(_))
    }

    /// The bytes from `start` for `len` (clamped to the end), without
    /// copying a memory blob. A file range is shared, not copied.
    pub fn slice(&self, start: u64, len: u64) -> Blob {
        let start = start.min(self.len());
        let len = len.min(self.len() - start);
        match self {
            Blob::Memory(bytes) => {
                Blob::Memory(bytes.slice(start as usize..(start + len) as usize))
            }
            Blob::File(file) if start == 0 && len == file.len => Blob::File(file.clone()),
            Blob::File(file) => Blob::File(FileBlob {
                file: file.file.clone(),
                offset: file.offset + start,
                len,
                // A part of a spooled body is never renamed into place.
                spool_path: None,
            }),
        }
    }

    /// Reads up to `len` bytes from `start` (blocking for a file blob).
    pub fn read_at(&self, start: u64, len: usize) -> io::Result<Bytes> {
        let part = self.slice(start, len as u64);
        match part {
            Blob::Memory(bytes) => Ok(bytes),
            Blob::File(file) => {
                let mut buffer = BytesMut::zeroed(file.len as usize);
                file.file.read_exact_at(&mut buffer, file.offset)?;
                Ok(buffer.freeze())
            }
        }
    }

    /// All the bytes, if there are at most `limit` (blocking for a file
    /// blob); `None` when there are more. For bodies that must be parsed
    /// whole (XML documents), whose size OSS bounds far below the limit.
    pub fn to_bytes(&self, limit: u64) -> io::Result<Option<Bytes>> {
        if self.len() > limit {
            return Ok(None);
        }
        self.read_at(0, self.len() as usize).map(Some)
    }

    /// Calls `each` with consecutive chunks of at most [`CHUNK_BYTES`]
    /// (blocking for a file blob), stopping at its first error.
    pub fn for_each_chunk(&self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        match self {
            Blob::Memory(bytes) => bytes.chunks(CHUNK_BYTES).try_for_each(each),
            Blob::File(_) => {
                let mut at = 0;
                while at < self.len() {
                    let chunk = self.read_at(at, CHUNK_BYTES)?;
                    each(&chunk)?;
                    at += chunk.len() as u64;
                }
                Ok(())
            }
        }
    }
}

/// Reads a blob chunk by chunk off the async workers: the body of a GET.
pub fn chunk_stream(
    blob: Blob,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold((blob, 0u64), |(blob, at)| async move {
        if at >= blob.len() {
            return None;
        }
        let chunk = match &blob {
            Blob::Memory(_) => blob.read_at(at, CHUNK_BYTES),
            Blob::File(_) => {
                let reader = blob.clone();
                tokio::task::spawn_blocking(move || reader.read_at(at, CHUNK_BYTES))
                    .await
                    .unwrap_or_else(|e| Err(io::Error::other(e)))
            }
        };
        match chunk {
            Ok(chunk) => {
                let next = at + chunk.len() as u64;
                Some((Ok(chunk), (blob, next)))
            }
            // One error ends the stream: the client sees a cut body.
            Err(e) => Some((Err(e), (blob, u64::MAX))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_blob(content: &[u8], offset: u64) -> Blob {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&vec![b'#'; offset as usize]).unwrap();
        file.write_all(content).unwrap();
        file.write_all(b"trailer").unwrap();
        Blob::from_file(Arc::new(file), offset, content.len() as u64)
    }

    #[test]
    fn file_and_memory_blobs_read_the_same_ranges() {
        let content: Vec<u8> = (0..=255u8).cycle().take(CHUNK_BYTES * 2 + 17).collect();
        let memory = Blob::from(content.clone());
        let file = file_blob(&content, 12);
        for (start, len) in [
            (0, 0),
            (0, 5),
            (3, 100),
            (CHUNK_BYTES as u64, 40),
            (600_000, 100),
        ] {
            let end = (start as usize + len).min(content.len());
            let start_clamped = (start as usize).min(content.len());
            assert_eq!(
                &memory.read_at(start, len).unwrap()[..],
                &content[start_clamped..end]
            );
            assert_eq!(
                &file.read_at(start, len).unwrap()[..],
                &content[start_clamped..end]
            );
        }
        let mut collected = Vec::new();
        file.for_each_chunk(|c| {
            assert!(c.len() <= CHUNK_BYTES);
            collected.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            collected, content,
            "the trailer after the range is never read"
        );
        assert_eq!(file.slice(10, 5).read_at(0, 100).unwrap(), &content[10..15]);
        assert_eq!(file.to_bytes(10).unwrap(), None);
    }
}
