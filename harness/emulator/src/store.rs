//! Buckets, objects and multipart uploads: in memory, and optionally
//! persisted under a data directory with atomic writes so nothing stored is
//! lost across a restart.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A stored object.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// The content.
    pub data: Bytes,
    /// Its metadata.
    pub meta: ObjectMeta,
}

/// What is stored beside an object's bytes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Stored Content-Type.
    pub content_type: String,
    /// ETag without quotes.
    pub etag: String,
    /// CRC-64/XZ.
    pub crc64: u64,
    /// Seconds since the epoch.
    pub last_modified: u64,
    /// `x-oss-meta-*` headers, lower-cased names.
    pub user_meta: Vec<(String, String)>,
}

/// One part of a multipart upload.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part's bytes.
    pub data: Bytes,
    /// Raw MD5 of the bytes.
    pub md5: [u8; 16],
    /// When it was uploaded.
    pub last_modified: u64,
}

/// A multipart upload in progress (kept in memory only).
#[derive(Debug, Clone)]
pub struct Upload {
    /// Object key.
    pub key: String,
    /// Content-Type given at initiation.
    pub content_type: String,
    /// Parts by number.
    pub parts: BTreeMap<u32, Part>,
}

#[derive(Debug, Default)]
struct Bucket {
    created: u64,
    objects: BTreeMap<String, StoredObject>,
    uploads: HashMap<String, Upload>,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such bucket.
    #[error("the bucket does not exist")]
    NoSuchBucket,
    /// The bucket exists already.
    #[error("the bucket already exists")]
    BucketAlreadyExists,
    /// The bucket still holds objects.
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    /// No such upload id.
    #[error("the multipart upload does not exist")]
    NoSuchUpload,
    /// The data directory could not be written or read.
    #[error("storage I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The emulator's storage. All methods take `&self`; one lock guards the
/// maps and is never held across I/O other than the data directory writes
/// that make a change durable before it is acknowledged.
#[derive(Debug)]
pub struct Store {
    buckets: Mutex<BTreeMap<String, Bucket>>,
    data_dir: Option<PathBuf>,
}

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Whether changes are written to a data directory.
    pub fn is_persistent(&self) -> bool {
        self.data_dir.is_some()
    }

    /// An empty in-memory store.
    pub fn in_memory() -> Self {
        Self {
            buckets: Mutex::new(BTreeMap::new()),
            data_dir: None,
        }
    }

    /// A store persisted under `dir`, loading what a previous run left there.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(dir.join("buckets"))?;
        let mut buckets = BTreeMap::new();
        for entry in fs::read_dir(dir.join("buckets"))? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let mut bucket = Bucket {
                created: fs::read_to_string(entry.path().join("bucket.created"))
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or_else(now_secs),
                ..Bucket::default()
            };
            let objects_dir = entry.path().join("objects");
            if let Ok(objects) = fs::read_dir(&objects_dir) {
                for object in objects {
                    let path = object?.path();
                    if let Some((key, object)) = recover_object(&path)? {
                        bucket.objects.insert(key, object);
                    }
                }
            }
            buckets.insert(name, bucket);
        }
        Ok(Self {
            buckets: Mutex::new(buckets),
            data_dir: Some(dir.to_owned()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn bucket_dir(&self, bucket: &str) -> Option<PathBuf> {
        self.data_dir
            .as_ref()
            .map(|d| d.join("buckets").join(bucket))
    }

    /// Creates a bucket.
    pub fn create_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        if buckets.contains_key(name) {
            return Err(StoreError::BucketAlreadyExists);
        }
        let created = now_secs();
        if let Some(dir) = self.bucket_dir(name) {
            fs::create_dir_all(dir.join("objects"))?;
            write_atomically(&dir.join("bucket.created"), created.to_string().as_bytes())?;
        }
        buckets.insert(
            name.to_owned(),
            Bucket {
                created,
                ..Bucket::default()
            },
        );
        Ok(())
    }

    /// Deletes an empty bucket.
    pub fn delete_bucket(&self, name: &str) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let bucket = buckets.get(name).ok_or(StoreError::NoSuchBucket)?;
        if !bucket.objects.is_empty() {
            return Err(StoreError::BucketNotEmpty);
        }
        if let Some(dir) = self.bucket_dir(name) {
            fs::remove_dir_all(dir)?;
        }
        buckets.remove(name);
        Ok(())
    }

    /// Whether a bucket exists.
    pub fn bucket_exists(&self, name: &str) -> bool {
        self.lock().contains_key(name)
    }

    /// All buckets with their creation time.
    pub fn list_buckets(&self) -> Vec<(String, u64)> {
        self.lock()
            .iter()
            .map(|(n, b)| (n.clone(), b.created))
            .collect()
    }

    /// Stores an object, replacing any previous one.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        object: StoredObject,
    ) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        if let Some(dir) = self.bucket_dir(bucket) {
            // Data and metadata in one file, replaced by one rename: after a
            // failed write or a crash at any point, the object is wholly the
            // old one or wholly the new one.
            // spec: CB-EMU-STORE-ATOMIC
            let path = dir.join("objects").join(object_file_name(key));
            write_atomically(&path, &encode_object(key, &object))?;
        }
        b.objects.insert(key.to_owned(), object);
        Ok(())
    }

    /// Reads an object.
    pub fn get_object(&self, bucket: &str, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(b.objects.get(key).cloned())
    }

    /// Deletes an object (absent is not an error, as in OSS).
    pub fn delete_object(&self, bucket: &str, key: &str) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        if b.objects.contains_key(key) {
            if let Some(dir) = self.bucket_dir(bucket) {
                fs::remove_file(dir.join("objects").join(object_file_name(key)))?;
            }
            b.objects.remove(key);
        }
        Ok(())
    }

    /// Keys and metadata of the objects whose key starts with `prefix`, in key order.
    pub fn list_objects(
        &self,
        bucket: &str,
        prefix: &str,
    ) -> Result<Vec<(String, ObjectMeta, u64)>, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(b.objects
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, o)| (k.clone(), o.meta.clone(), o.data.len() as u64))
            .collect())
    }

    /// Starts a multipart upload.
    pub fn create_upload(
        &self,
        bucket: &str,
        upload_id: &str,
        upload: Upload,
    ) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        b.uploads.insert(upload_id.to_owned(), upload);
        Ok(())
    }

    /// Adds or replaces a part.
    pub fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        part: Part,
    ) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let upload = b
            .uploads
            .get_mut(upload_id)
            .filter(|u| u.key == key)
            .ok_or(StoreError::NoSuchUpload)?;
        upload.parts.insert(number, part);
        Ok(())
    }

    /// A snapshot of an upload.
    pub fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Upload, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        b.uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .cloned()
            .ok_or(StoreError::NoSuchUpload)
    }

    /// Ends an upload (completed or aborted).
    pub fn remove_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), StoreError> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        match b.uploads.get(upload_id) {
            Some(u) if u.key == key => {
                b.uploads.remove(upload_id);
                Ok(())
            }
            _ => Err(StoreError::NoSuchUpload),
        }
    }
}

/// Writes a file so that readers see the old or the new content, never a
/// mix: write a temporary file beside it, flush it to disk, then rename.
fn write_atomically(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(data)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename is durable only once the directory is synced.
        if let Some(dir) = path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if written.is_err() {
        // A full disk leaves a partial temporary file; never let it linger.
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// The first bytes of every object file, so a file of another format (or
/// a stray) is never read as an object.
const OBJECT_MAGIC: &[u8; 12] = b"cbspec-obj1\n";

/// An object's file name: the hex SHA-256 of its key, so any key (up to
/// 1023 bytes, any characters) maps to a short, safe name. The key itself is
/// kept in the file.
fn object_file_name(key: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{}.obj", hex::encode(Sha256::digest(key.as_bytes())))
}

/// The metadata part of an object file: the key, the metadata and the data
/// length (checked on reading, so a short file is never served).
#[derive(Serialize, Deserialize)]
struct PersistedMeta {
    key: String,
    meta: ObjectMeta,
    #[serde(default)]
    size: Option<u64>,
}

/// `OBJECT_MAGIC`, the metadata JSON's length (8 bytes, little-endian), the
/// metadata JSON, then the data.
fn encode_object(key: &str, object: &StoredObject) -> Vec<u8> {
    let persisted = PersistedMeta {
        key: key.to_owned(),
        meta: object.meta.clone(),
        size: Some(object.data.len() as u64),
    };
    let meta = serde_json::to_vec(&persisted).expect("metadata serialises");
    let mut file = Vec::with_capacity(OBJECT_MAGIC.len() + 8 + meta.len() + object.data.len());
    file.extend_from_slice(OBJECT_MAGIC);
    file.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    file.extend_from_slice(&meta);
    file.extend_from_slice(&object.data);
    file
}

/// Reads an object file; `None` for a file that is not a complete one.
fn decode_object(file: &[u8]) -> Option<(String, StoredObject)> {
    let rest = file.strip_prefix(OBJECT_MAGIC.as_slice())?;
    let (length, rest) = rest.split_at_checked(8)?;
    let length = usize::try_from(u64::from_le_bytes(length.try_into().ok()?)).ok()?;
    let (meta, data) = rest.split_at_checked(length)?;
    let PersistedMeta { key, meta, size } = serde_json::from_slice(meta).ok()?;
    if size != Some(data.len() as u64) {
        return None;
    }
    Some((
        key,
        StoredObject {
            data: Bytes::copy_from_slice(data),
            meta,
        },
    ))
}

/// What a start finds in an objects directory, and what it does with it:
/// an object file is loaded; a temporary file left by an interrupted write
/// (never acknowledged) is deleted; a file that is not a complete object is
/// moved aside as `*.corrupt` (kept for inspection, never served); a pair
/// in the format before object files (`.meta` + `.data`) is converted.
// spec: CB-EMU-STORE-ATOMIC
fn recover_object(path: &Path) -> Result<Option<(String, StoredObject)>, StoreError> {
    let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
        return Ok(None);
    };
    if extension.starts_with("tmp-") {
        fs::remove_file(path)?;
        return Ok(None);
    }
    match extension {
        "obj" => {
            let file = fs::read(path)?;
            match decode_object(&file) {
                Some(object) => Ok(Some(object)),
                None => {
                    fs::rename(path, path.with_extension("corrupt"))?;
                    Ok(None)
                }
            }
        }
        "meta" => recover_legacy_pair(path),
        _ => Ok(None),
    }
}

/// Converts a `.meta` + `.data` pair into one object file. A pair whose
/// metadata does not parse or whose data is missing was never acknowledged
/// as a whole, so it is dropped.
fn recover_legacy_pair(meta_path: &Path) -> Result<Option<(String, StoredObject)>, StoreError> {
    let data_path = meta_path.with_extension("data");
    let parsed: Option<PersistedMeta> = serde_json::from_slice(&fs::read(meta_path)?).ok();
    let (Some(PersistedMeta { key, meta, .. }), Ok(data)) = (parsed, fs::read(&data_path)) else {
        let _ = fs::remove_file(meta_path);
        let _ = fs::remove_file(&data_path);
        return Ok(None);
    };
    let object = StoredObject {
        data: Bytes::from(data),
        meta,
    };
    let dir = meta_path.parent().unwrap_or(Path::new("."));
    write_atomically(
        &dir.join(object_file_name(&key)),
        &encode_object(&key, &object),
    )?;
    fs::remove_file(meta_path)?;
    fs::remove_file(&data_path)?;
    Ok(Some((key, object)))
}
