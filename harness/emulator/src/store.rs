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

/// What is stored beside an object's bytes. Fields after `user_meta` were
/// added later; `serde(default)` reads object files written before them.
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
    /// How the object was made (`x-oss-object-type`).
    #[serde(default)]
    pub object_type: ObjectType,
    /// Standard headers stored as sent (Content-Disposition, Cache-Control,
    /// x-oss-server-side-encryption, ...), canonical names.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// `x-oss-storage-class`.
    #[serde(default)]
    pub storage_class: StorageClass,
    /// The object ACL (`default` inherits the bucket's).
    #[serde(default = "default_object_acl")]
    pub acl: String,
    /// Object tags in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// For a symlink: the target key.
    #[serde(default)]
    pub symlink_target: Option<String>,
    /// For an Archive or ColdArchive object: where its restore stands.
    #[serde(default)]
    pub restore: Option<RestoreState>,
}

fn default_object_acl() -> String {
    "default".to_owned()
}

/// `x-oss-object-type`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum ObjectType {
    /// PutObject, PostObject, CopyObject of a Normal object.
    #[default]
    Normal,
    /// CompleteMultipartUpload.
    Multipart,
    /// AppendObject.
    Appendable,
    /// PutSymlink.
    Symlink,
}

impl ObjectType {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Normal => "Normal",
            ObjectType::Multipart => "Multipart",
            ObjectType::Appendable => "Appendable",
            ObjectType::Symlink => "Symlink",
        }
    }
}

/// The storage classes OSS offers.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub enum StorageClass {
    /// Standard.
    #[default]
    Standard,
    /// Infrequent Access.
    IA,
    /// Archive: readable after a restore.
    Archive,
    /// Cold Archive: readable after a restore.
    ColdArchive,
    /// Deep Cold Archive: readable after a restore.
    DeepColdArchive,
}

impl StorageClass {
    /// Every class, as OSS spells it.
    pub const ALL: [StorageClass; 5] = [
        StorageClass::Standard,
        StorageClass::IA,
        StorageClass::Archive,
        StorageClass::ColdArchive,
        StorageClass::DeepColdArchive,
    ];

    /// The name in headers and XML.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "Standard",
            StorageClass::IA => "IA",
            StorageClass::Archive => "Archive",
            StorageClass::ColdArchive => "ColdArchive",
            StorageClass::DeepColdArchive => "DeepColdArchive",
        }
    }

    /// Parses a class name (OSS accepts them case-insensitively).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether a GET needs a restore first.
    pub fn needs_restore(self) -> bool {
        matches!(
            self,
            StorageClass::Archive | StorageClass::ColdArchive | StorageClass::DeepColdArchive
        )
    }
}

/// A restore of an archived object: requested, and readable from
/// `ready_at_ms` until `expires_at` (seconds).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct RestoreState {
    /// When the restored copy becomes readable, in milliseconds since the epoch.
    pub ready_at_ms: u64,
    /// When the restored copy expires, in seconds since the epoch.
    pub expires_at: u64,
}

impl ObjectMeta {
    /// Metadata for new content with everything else at its default.
    pub fn new(content_type: String, etag: String, crc64: u64) -> Self {
        Self {
            content_type,
            etag,
            crc64,
            last_modified: now_secs(),
            user_meta: Vec::new(),
            object_type: ObjectType::Normal,
            headers: Vec::new(),
            storage_class: StorageClass::Standard,
            acl: default_object_acl(),
            tags: Vec::new(),
            symlink_target: None,
            restore: None,
        }
    }
}

/// What a bucket keeps besides its objects: its ACL, CORS rules and
/// callback policies (persisted as `bucket.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BucketConfig {
    /// `private`, `public-read` or `public-read-write`.
    pub acl: String,
    /// The bucket's default storage class.
    #[serde(default)]
    pub storage_class: StorageClass,
    /// CORS rules; `None` when none were put.
    #[serde(default)]
    pub cors: Option<CorsConfiguration>,
    /// Callback policies by name, in the order put.
    #[serde(default)]
    pub callback_policies: Vec<CallbackPolicy>,
}

impl Default for BucketConfig {
    fn default() -> Self {
        Self {
            acl: "private".to_owned(),
            storage_class: StorageClass::Standard,
            cors: None,
            callback_policies: Vec::new(),
        }
    }
}

/// A bucket's CORS configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CorsConfiguration {
    /// The rules, first match wins.
    pub rules: Vec<CorsRule>,
    /// `ResponseVary`.
    pub response_vary: bool,
}

/// One CORS rule.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CorsRule {
    /// Origins, each possibly with one `*`.
    pub allowed_origins: Vec<String>,
    /// Methods (GET, PUT, DELETE, POST, HEAD).
    pub allowed_methods: Vec<String>,
    /// Request headers allowed in a preflight, each possibly with one `*`.
    pub allowed_headers: Vec<String>,
    /// Response headers the browser may read.
    pub expose_headers: Vec<String>,
    /// Preflight cache time.
    pub max_age_seconds: Option<u64>,
}

/// One bucket callback policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallbackPolicy {
    /// `PolicyName`.
    pub name: String,
    /// `Callback`: Base64 of the callback JSON.
    pub callback: String,
    /// `CallbackVar`: Base64 of the variables JSON, or empty.
    pub callback_var: String,
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
    /// The completed object's metadata, given at initiation (its content
    /// fields are filled in on completion).
    pub meta: ObjectMeta,
    /// When it was initiated (seconds).
    pub initiated: u64,
    /// Parts by number.
    pub parts: BTreeMap<u32, Part>,
}

#[derive(Debug, Default)]
struct Bucket {
    created: u64,
    config: BucketConfig,
    objects: BTreeMap<String, StoredObject>,
    uploads: HashMap<String, Upload>,
}

/// Counts for GetBucketStat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketStat {
    /// Bytes in objects.
    pub storage: u64,
    /// Objects.
    pub object_count: u64,
    /// Multipart uploads in progress.
    pub multipart_upload_count: u64,
    /// Parts of uploads in progress.
    pub multipart_part_count: u64,
    /// Objects of each storage class: (class, count, bytes).
    pub by_class: [(u64, u64); 5],
    /// The newest modification among the objects.
    pub last_modified: u64,
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such bucket.
    #[error("the bucket does not exist")]
    NoSuchBucket,
    /// The bucket still holds objects.
    #[error("the bucket is not empty")]
    BucketNotEmpty,
    /// No such upload id.
    #[error("the multipart upload does not exist")]
    NoSuchUpload,
    /// The bucket configuration file could not be read.
    #[error("the bucket configuration {0} is not valid JSON")]
    BadConfig(String),
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
                config: read_bucket_config(&entry.path())?,
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

    /// Creates a bucket; `Ok(false)` when it exists already (the caller owns
    /// every bucket here, and OSS answers 200 to the owner), leaving its
    /// configuration as it was.
    pub fn create_bucket(&self, name: &str, config: BucketConfig) -> Result<bool, StoreError> {
        let mut buckets = self.lock();
        if buckets.contains_key(name) {
            return Ok(false);
        }
        let created = now_secs();
        if let Some(dir) = self.bucket_dir(name) {
            fs::create_dir_all(dir.join("objects"))?;
            let json = serde_json::to_vec(&config).expect("bucket configuration serialises");
            write_atomically(&dir.join("bucket.json"), &json)?;
            write_atomically(&dir.join("bucket.created"), created.to_string().as_bytes())?;
        }
        buckets.insert(
            name.to_owned(),
            Bucket {
                created,
                config,
                ..Bucket::default()
            },
        );
        Ok(true)
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

    /// Stores an object, replacing any previous one.
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        object: StoredObject,
    ) -> Result<(), StoreError> {
        self.modify_object(bucket, key, |_| Ok::<_, StoreError>((Some(object), ())))
    }

    /// Reads, decides and writes an object under one lock, so a
    /// read-modify-write (AppendObject's position check, a tag change) never
    /// interleaves with another writer. `change` sees the current object and
    /// returns the new one (or `None` to leave it) and a result; its error is
    /// returned with nothing changed.
    pub fn modify_object<T, E: From<StoreError>>(
        &self,
        bucket: &str,
        key: &str,
        change: impl FnOnce(Option<&StoredObject>) -> Result<(Option<StoredObject>, T), E>,
    ) -> Result<T, E> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let (replacement, result) = change(b.objects.get(key))?;
        if let Some(object) = replacement {
            if let Some(dir) = self.bucket_dir(bucket) {
                // Data and metadata in one file, replaced by one rename: after a
                // failed write or a crash at any point, the object is wholly the
                // old one or wholly the new one.
                // spec: CB-EMU-STORE-ATOMIC
                let path = dir.join("objects").join(object_file_name(key));
                write_atomically(&path, &encode_object(key, &object)).map_err(StoreError::Io)?;
            }
            b.objects.insert(key.to_owned(), object);
        }
        Ok(result)
    }

    /// A copy of a bucket's configuration.
    pub fn bucket_config(&self, bucket: &str) -> Result<BucketConfig, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(b.config.clone())
    }

    /// Changes a bucket's configuration; persisted before it takes effect,
    /// and unchanged when `change` fails.
    pub fn modify_bucket_config<T, E: From<StoreError>>(
        &self,
        bucket: &str,
        change: impl FnOnce(&mut BucketConfig) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or(StoreError::NoSuchBucket)?;
        let mut config = b.config.clone();
        let result = change(&mut config)?;
        if let Some(dir) = self.bucket_dir(bucket) {
            let json = serde_json::to_vec(&config).expect("bucket configuration serialises");
            write_atomically(&dir.join("bucket.json"), &json).map_err(StoreError::Io)?;
        }
        b.config = config;
        Ok(result)
    }

    /// Creation time and configuration of every bucket, in name order.
    pub fn bucket_summaries(&self) -> Vec<(String, u64, BucketConfig)> {
        self.lock()
            .iter()
            .map(|(n, b)| (n.clone(), b.created, b.config.clone()))
            .collect()
    }

    /// When a bucket was created.
    pub fn bucket_created(&self, bucket: &str) -> Result<u64, StoreError> {
        let buckets = self.lock();
        Ok(buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?.created)
    }

    /// GetBucketStat's counts.
    pub fn bucket_stat(&self, bucket: &str) -> Result<BucketStat, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        let mut stat = BucketStat::default();
        for object in b.objects.values() {
            let size = object.data.len() as u64;
            stat.storage += size;
            stat.object_count += 1;
            let class = StorageClass::ALL
                .iter()
                .position(|c| *c == object.meta.storage_class)
                .unwrap_or(0);
            stat.by_class[class].0 += 1;
            stat.by_class[class].1 += size;
            stat.last_modified = stat.last_modified.max(object.meta.last_modified);
        }
        for upload in b.uploads.values() {
            stat.multipart_upload_count += 1;
            stat.multipart_part_count += upload.parts.len() as u64;
        }
        Ok(stat)
    }

    /// Every upload in progress in a bucket: (upload id, key, initiated),
    /// ordered by key, then upload id.
    pub fn list_uploads(&self, bucket: &str) -> Result<Vec<(String, String, u64)>, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        let mut uploads: Vec<_> = b
            .uploads
            .iter()
            .map(|(id, u)| (id.clone(), u.key.clone(), u.initiated))
            .collect();
        uploads.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
        Ok(uploads)
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

/// Reads `bucket.json`; a bucket from before it existed has the defaults.
fn read_bucket_config(dir: &Path) -> Result<BucketConfig, StoreError> {
    match fs::read(dir.join("bucket.json")) {
        Ok(json) => serde_json::from_slice(&json)
            .map_err(|_| StoreError::BadConfig(dir.join("bucket.json").display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BucketConfig::default()),
        Err(e) => Err(StoreError::Io(e)),
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
