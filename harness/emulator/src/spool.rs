//! Receiving a body without holding it: each piece is hashed (MD5, CRC-64,
//! length) on the way, small bodies stay in memory, and a body past the
//! memory limit goes to a file in the spool directory.
//!
//! Without a data directory, spilled bodies are anonymous files (unlinked
//! from the start, so a crash leaves nothing behind). With one, they are
//! named temporary files in `<data-dir>/spool` that a commit renames into
//! place (the same file system, so the rename is atomic); whatever a crash
//! leaves there was never acknowledged and is deleted at the next start.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::{Bytes, BytesMut};
use cbspec_protocol::checksum::{BodyDigest, BodyDigests};

use super::blob::{Blob, FileBlob};

/// The first bytes of every object file (and of every spooled body, so a
/// spooled body becomes an object file by appending its trailer).
pub(crate) const OBJECT_HEADER: &[u8; 12] = b"cbspec-obj2\n";

/// How much of a spilled body is gathered before one write: large writes,
/// and a bounded amount in memory per upload.
const FLUSH_BYTES: usize = 1024 * 1024;

/// Where and when bodies spill to disk.
#[derive(Debug, Clone)]
pub struct SpoolSettings {
    /// The directory spilled bodies are written to.
    pub dir: PathBuf,
    /// Bodies up to this many bytes stay in memory.
    pub memory_limit: usize,
    /// Named temporary files (a data directory's spool), renamed into
    /// place on commit, rather than anonymous ones.
    pub named: bool,
}

impl Default for SpoolSettings {
    fn default() -> Self {
        Self {
            dir: std::env::temp_dir(),
            memory_limit: 1024 * 1024,
            named: false,
        }
    }
}

/// A received body and its digests.
#[derive(Debug, Clone, Default)]
pub struct Spooled {
    /// The bytes.
    pub blob: Blob,
    /// MD5, CRC-64 and length: computed on the way for a spilled body,
    /// on first use for one in memory (most bodies that are not uploads,
    /// XML documents, are never hashed).
    digests: OnceLock<BodyDigests>,
}

impl Spooled {
    /// A body already in memory.
    pub fn from_bytes(bytes: Bytes) -> Self {
        Self {
            blob: Blob::Memory(bytes),
            digests: OnceLock::new(),
        }
    }

    fn hashed(blob: Blob, digests: BodyDigests) -> Self {
        Self {
            blob,
            digests: OnceLock::from(digests),
        }
    }

    /// MD5, CRC-64 and length of the body.
    pub fn digests(&self) -> BodyDigests {
        *self.digests.get_or_init(|| {
            let mut digest = BodyDigest::default();
            // Only a memory blob reaches this (file blobs are hashed as they
            // are written); reading memory cannot fail.
            let _ = self.blob.for_each_chunk(|chunk| {
                digest.update(chunk);
                Ok(())
            });
            digest.finish()
        })
    }
}

/// A spool file being written (blocking I/O).
struct SpoolFile {
    file: File,
    path: Option<tempfile::TempPath>,
    written: u64,
}

impl SpoolFile {
    fn create(settings: &SpoolSettings) -> io::Result<Self> {
        let (mut file, path) = if settings.named {
            let (file, path) = tempfile::Builder::new()
                .prefix("body-")
                .tempfile_in(&settings.dir)?
                .into_parts();
            (file, Some(path))
        } else {
            (tempfile::tempfile_in(&settings.dir)?, None)
        };
        file.write_all(OBJECT_HEADER)?;
        Ok(Self {
            file,
            path,
            written: 0,
        })
    }

    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.file.write_all(data)?;
        self.written += data.len() as u64;
        Ok(())
    }

    /// The written bytes as a blob; a named file's data is flushed to disk
    /// first, so a commit under the store lock only adds its trailer.
    fn into_blob(self) -> io::Result<Blob> {
        if self.path.is_some() {
            self.file.sync_data()?;
        }
        Ok(Blob::File(FileBlob {
            file: Arc::new(self.file),
            offset: OBJECT_HEADER.len() as u64,
            len: self.written,
            spool_path: self.path.map(|p| Arc::new(Mutex::new(Some(p)))),
        }))
    }
}

/// Receives a body piece by piece (async: file writes run off the workers).
pub struct Spooler {
    settings: Arc<SpoolSettings>,
    digest: BodyDigest,
    pending: BytesMut,
    file: Option<SpoolFile>,
}

impl Spooler {
    /// Starts an empty body.
    pub fn new(settings: Arc<SpoolSettings>) -> Self {
        Self {
            settings,
            digest: BodyDigest::default(),
            pending: BytesMut::new(),
            file: None,
        }
    }

    /// Bytes received so far.
    pub fn len(&self) -> u64 {
        self.digest.len() + self.pending.len() as u64
    }

    /// Adds the next piece.
    pub async fn push(&mut self, piece: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(piece);
        let flush = match self.file {
            None => self.pending.len() > self.settings.memory_limit,
            Some(_) => self.pending.len() >= FLUSH_BYTES,
        };
        if flush {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> io::Result<()> {
        let batch = self.pending.split().freeze();
        let file = self.file.take();
        let mut digest = std::mem::take(&mut self.digest);
        let settings = self.settings.clone();
        let (file, digest) = tokio::task::spawn_blocking(move || {
            let mut file = match file {
                Some(file) => file,
                None => SpoolFile::create(&settings)?,
            };
            digest.update(&batch);
            file.write(&batch)?;
            Ok::<_, io::Error>((file, digest))
        })
        .await
        .map_err(io::Error::other)??;
        self.file = Some(file);
        self.digest = digest;
        Ok(())
    }

    /// The whole body. Dropping a spooler instead (a failed or cut upload)
    /// deletes whatever it wrote.
    pub async fn finish(mut self) -> io::Result<Spooled> {
        if self.file.is_none() && self.pending.len() <= self.settings.memory_limit {
            return Ok(Spooled::from_bytes(self.pending.freeze()));
        }
        self.flush().await?;
        let file = self.file.take().expect("flushed into a file");
        let blob = tokio::task::spawn_blocking(move || file.into_blob())
            .await
            .map_err(io::Error::other)??;
        Ok(Spooled::hashed(blob, self.digest.finish()))
    }
}

/// Joins blobs into one (blocking): multipart completion, AppendObject, a
/// copy into a data directory. The digests cover the joined bytes.
pub fn concatenate(settings: &SpoolSettings, blobs: &[Blob]) -> io::Result<Spooled> {
    let total: u64 = blobs.iter().map(Blob::len).sum();
    if total <= settings.memory_limit as u64 {
        let mut joined = Vec::with_capacity(total as usize);
        for blob in blobs {
            blob.for_each_chunk(|chunk| {
                joined.extend_from_slice(chunk);
                Ok(())
            })?;
        }
        return Ok(Spooled::from_bytes(Bytes::from(joined)));
    }
    let mut file = SpoolFile::create(settings)?;
    let mut digest = BodyDigest::default();
    for blob in blobs {
        blob.for_each_chunk(|chunk| {
            digest.update(chunk);
            file.write(chunk)
        })?;
    }
    Ok(Spooled::hashed(file.into_blob()?, digest.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &std::path::Path, named: bool) -> Arc<SpoolSettings> {
        Arc::new(SpoolSettings {
            dir: dir.to_owned(),
            memory_limit: 1000,
            named,
        })
    }

    fn body(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 253) as u8).collect()
    }

    #[tokio::test]
    async fn small_bodies_stay_in_memory_and_large_ones_spill() {
        let dir = tempfile::tempdir().unwrap();
        for (len, spills) in [
            (0, false),
            (1000, false),
            (1001, true),
            (3 * FLUSH_BYTES + 5, true),
        ] {
            let content = body(len);
            let mut spooler = Spooler::new(settings(dir.path(), false));
            for piece in content.chunks(777) {
                spooler.push(piece).await.unwrap();
            }
            let spooled = spooler.finish().await.unwrap();
            assert_eq!(spooled.blob.is_file(), spills, "{len} bytes");
            assert_eq!(spooled.digests(), BodyDigest::of(&content), "{len} bytes");
            assert_eq!(spooled.blob.to_bytes(u64::MAX).unwrap().unwrap(), content);
        }
        // Anonymous spool files have no name at any point.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_dropped_named_spool_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spooler = Spooler::new(settings(dir.path(), true));
        spooler.push(&body(5000)).await.unwrap();
        let spooled = spooler.finish().await.unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(spooled);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut cut = Spooler::new(settings(dir.path(), true));
        cut.push(&body(FLUSH_BYTES * 2)).await.unwrap();
        drop(cut);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn concatenation_hashes_the_joined_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let parts = [body(700), body(10), body(2000)];
        let blobs: Vec<Blob> = parts.iter().map(|p| Blob::from(p.clone())).collect();
        let joined = concatenate(&settings(dir.path(), false), &blobs).unwrap();
        let expected = parts.concat();
        assert!(joined.blob.is_file());
        assert_eq!(joined.digests(), BodyDigest::of(&expected));
        assert_eq!(joined.blob.to_bytes(u64::MAX).unwrap().unwrap(), expected);
        let small = concatenate(&settings(dir.path(), false), &blobs[..2]).unwrap();
        assert!(!small.blob.is_file());
    }
}
