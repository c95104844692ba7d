//! Buckets, objects and multipart uploads: in memory, and optionally
//! persisted under a data directory with atomic writes so nothing stored is
//! lost across a restart. Large contents live in files (see `blob` and
//! `spool`), so the store's memory does not grow with object sizes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::blob::Blob;
use super::spool::{concatenate, SpoolSettings, OBJECT_HEADER};

/// A stored object.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// The content.
    pub data: Blob,
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
    pub data: Blob,
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
    /// The uploads ordered by (key, upload id), for listing by seeking.
    upload_order: BTreeSet<(String, String)>,
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
    spool: Arc<SpoolSettings>,
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

    /// An empty in-memory store that keeps contents up to
    /// `spool.memory_limit` bytes in memory and larger ones in anonymous
    /// files in `spool.dir`.
    pub fn in_memory_spilling(spool: SpoolSettings) -> Self {
        Self {
            buckets: Mutex::new(BTreeMap::new()),
            data_dir: None,
            spool: Arc::new(SpoolSettings {
                named: false,
                ..spool
            }),
        }
    }

    /// Where and when request bodies spill to disk for this store.
    pub fn spool_settings(&self) -> Arc<SpoolSettings> {
        self.spool.clone()
    }

    /// A store persisted under `dir`, loading what a previous run left
    /// there; contents up to `memory_limit` bytes are kept in memory as
    /// well as on disk (larger ones are read from their files).
    pub fn open_with_memory_limit(dir: &Path, memory_limit: usize) -> Result<Self, StoreError> {
        fs::create_dir_all(dir.join("buckets"))?;
        // Bodies being received when a previous run stopped were never
        // acknowledged.
        let spool_dir = dir.join("spool");
        if spool_dir.exists() {
            fs::remove_dir_all(&spool_dir)?;
        }
        fs::create_dir_all(&spool_dir)?;
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
                    if let Some((key, object)) = recover_object(&path, memory_limit)? {
                        bucket.objects.insert(key, object);
                    }
                }
            }
            buckets.insert(name, bucket);
        }
        Ok(Self {
            buckets: Mutex::new(buckets),
            data_dir: Some(dir.to_owned()),
            spool: Arc::new(SpoolSettings {
                dir: spool_dir,
                memory_limit,
                named: true,
            }),
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
        if let Some(mut object) = replacement {
            if let Some(dir) = self.bucket_dir(bucket) {
                // Data and metadata in one file, replaced by one rename: after a
                // failed write or a crash at any point, the object is wholly the
                // old one or wholly the new one.
                // spec: CB-EMU-STORE-ATOMIC
                let path = dir.join("objects").join(object_file_name(key));
                object.data = persist_object(&self.spool, &path, key, &object)?;
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
            let size = object.data.len();
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

    /// One page of ListMultipartUploads, ordered by key, then upload id,
    /// found by seeking in the ordered index like [`Store::list_page`].
    // spec: CB-EMU-LIST-INDEX
    pub fn list_uploads_page(
        &self,
        bucket: &str,
        query: &UploadListQuery<'_>,
    ) -> Result<UploadPage, StoreError> {
        use std::ops::Bound::{Excluded, Included, Unbounded};
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        let UploadListQuery {
            prefix,
            key_marker,
            upload_id_marker,
            delimiter,
            max,
        } = *query;
        let start = (prefix.to_owned(), String::new());
        let mut from = if key_marker.is_empty() {
            Included(start)
        } else if upload_id_marker.is_empty() {
            // Every upload of the marker key is skipped: start at the
            // smallest key above it.
            Included((format!("{key_marker}\0"), String::new()).max(start))
        } else {
            let marker = (key_marker.to_owned(), upload_id_marker.to_owned());
            if marker < start {
                Included(start)
            } else {
                Excluded(marker)
            }
        };
        let mut entries = Vec::new();
        loop {
            let Some((key, id)) = b.upload_order.range((from.as_ref(), Unbounded)).next() else {
                return Ok(UploadPage {
                    entries,
                    truncated: false,
                });
            };
            if !key.starts_with(prefix) {
                return Ok(UploadPage {
                    entries,
                    truncated: false,
                });
            }
            if entries.len() == max {
                return Ok(UploadPage {
                    entries,
                    truncated: true,
                });
            }
            let rolled = rolled_up(key, prefix, delimiter).map(str::to_owned);
            match rolled {
                Some(common) => {
                    let next = successor_of_prefix(&common);
                    entries.push(UploadListEntry::Prefix(common));
                    match next {
                        Some(next) => from = Included((next, String::new())),
                        None => {
                            return Ok(UploadPage {
                                entries,
                                truncated: false,
                            })
                        }
                    }
                }
                None => {
                    let initiated = b.uploads.get(id).map_or(0, |u| u.initiated);
                    entries.push(UploadListEntry::Upload {
                        key: key.clone(),
                        upload_id: id.clone(),
                        initiated,
                    });
                    from = Excluded((key.clone(), id.clone()));
                }
            }
        }
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

    /// One page of a listing: the keys after `after` that start with
    /// `prefix`, those with `delimiter` past the prefix rolled up into one
    /// common prefix each, at most `max` entries.
    ///
    /// It seeks in the ordered key index instead of scanning: to the first
    /// key past the marker, and past every rolled-up prefix in one step, so
    /// a page costs O(log n + page) whatever the bucket holds, and the store
    /// lock is held that long only.
    // spec: CB-EMU-LIST-INDEX
    pub fn list_page(&self, bucket: &str, query: &ListQuery<'_>) -> Result<ListPage, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        Ok(list_page(&b.objects, query))
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
        b.upload_order
            .insert((upload.key.clone(), upload_id.to_owned()));
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

    /// Up to `max` parts of an upload numbered above `after`, in order.
    pub fn parts_page(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        after: u32,
        max: usize,
    ) -> Result<Vec<(u32, Part)>, StoreError> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or(StoreError::NoSuchBucket)?;
        let upload = b
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .ok_or(StoreError::NoSuchUpload)?;
        Ok(upload
            .parts
            .range(after.saturating_add(1)..)
            .take(max)
            .map(|(n, p)| (*n, p.clone()))
            .collect())
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
                b.upload_order
                    .remove(&(key.to_owned(), upload_id.to_owned()));
                b.uploads.remove(upload_id);
                Ok(())
            }
            _ => Err(StoreError::NoSuchUpload),
        }
    }
}

/// What a listing asks for (ListObjects V1 and V2).
#[derive(Debug, Clone, Copy)]
pub struct ListQuery<'a> {
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Only keys after this (the marker, start-after or continuation token).
    pub after: &'a str,
    /// Roll keys up at this string after the prefix; empty for none.
    pub delimiter: &'a str,
    /// At most this many entries (objects plus common prefixes).
    pub max: usize,
}

/// What ListMultipartUploads asks for.
#[derive(Debug, Clone, Copy)]
pub struct UploadListQuery<'a> {
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Only uploads after this key (or, with `upload_id_marker`, after
    /// that upload of this key).
    pub key_marker: &'a str,
    /// See `key_marker`.
    pub upload_id_marker: &'a str,
    /// Roll keys up at this string after the prefix; empty for none.
    pub delimiter: &'a str,
    /// At most this many entries.
    pub max: usize,
}

/// One entry of a ListMultipartUploads page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadListEntry {
    /// An upload in progress.
    Upload {
        /// Its key.
        key: String,
        /// Its id.
        upload_id: String,
        /// When it was initiated (seconds).
        initiated: u64,
    },
    /// A common prefix.
    Prefix(String),
}

/// A ListMultipartUploads page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPage {
    /// The entries in (key, upload id) order.
    pub entries: Vec<UploadListEntry>,
    /// Whether more follow.
    pub truncated: bool,
}

/// One entry of a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListEntry {
    /// An object: key, metadata, size.
    Object(String, Box<ObjectMeta>, u64),
    /// A common prefix standing for every key under it.
    Prefix(String),
}

/// A listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// The entries in key order.
    pub entries: Vec<ListEntry>,
    /// Whether more entries follow.
    pub truncated: bool,
}

/// The smallest string greater than every string that starts with `text`
/// (`None` when there is none): the seek target that skips a whole prefix.
fn successor_of_prefix(text: &str) -> Option<String> {
    let mut chars: Vec<char> = text.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// The common prefix `key` rolls up into: `prefix` and the rest of the key
/// up to and including the first `delimiter` after it (none without one).
fn rolled_up<'k>(key: &'k str, prefix: &str, delimiter: &str) -> Option<&'k str> {
    if delimiter.is_empty() {
        return None;
    }
    key[prefix.len()..]
        .find(delimiter)
        .map(|i| &key[..prefix.len() + i + delimiter.len()])
}

/// [`Store::list_page`] on one bucket's index.
fn list_page(objects: &BTreeMap<String, StoredObject>, query: &ListQuery<'_>) -> ListPage {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    let ListQuery {
        prefix,
        after,
        delimiter,
        max,
    } = *query;
    // A page that ended on a rolled-up prefix resumes after all its keys.
    let resume_after_group = !delimiter.is_empty() && after.ends_with(delimiter);
    let mut from: std::ops::Bound<String> = if after.is_empty() || after < prefix {
        Included(prefix.to_owned())
    } else if resume_after_group {
        match successor_of_prefix(after) {
            Some(next) => Included(next),
            None => {
                return ListPage {
                    entries: Vec::new(),
                    truncated: false,
                }
            }
        }
    } else {
        Excluded(after.to_owned())
    };
    let mut entries = Vec::new();
    loop {
        let next = objects
            .range::<String, _>((from.as_ref(), Unbounded))
            .next();
        let Some((key, object)) = next else {
            return ListPage {
                entries,
                truncated: false,
            };
        };
        if !key.starts_with(prefix) {
            return ListPage {
                entries,
                truncated: false,
            };
        }
        if entries.len() == max {
            return ListPage {
                entries,
                truncated: true,
            };
        }
        let rolled = rolled_up(key, prefix, delimiter);
        match rolled {
            Some(common) => {
                let common = common.to_owned();
                from = match successor_of_prefix(&common) {
                    Some(next) => Included(next),
                    None => {
                        entries.push(ListEntry::Prefix(common));
                        return ListPage {
                            entries,
                            truncated: false,
                        };
                    }
                };
                entries.push(ListEntry::Prefix(common));
            }
            None => {
                entries.push(ListEntry::Object(
                    key.clone(),
                    Box::new(object.meta.clone()),
                    object.data.len(),
                ));
                from = Excluded(key.clone());
            }
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

/// The first bytes of an object file in the first format (metadata before
/// the data), still read so a data directory from before spilling works.
const OBJECT_MAGIC_V1: &[u8; 12] = b"cbspec-obj1\n";

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

/// The object file format: `OBJECT_HEADER`, the data, the metadata JSON,
/// then the JSON's length (8 bytes, little-endian). The data comes first so
/// a body spooled to disk becomes an object file by appending its trailer:
/// it is never copied.
fn object_trailer(key: &str, object: &StoredObject) -> Vec<u8> {
    let persisted = PersistedMeta {
        key: key.to_owned(),
        meta: object.meta.clone(),
        size: Some(object.data.len()),
    };
    let mut trailer = serde_json::to_vec(&persisted).expect("metadata serialises");
    let length = trailer.len() as u64;
    trailer.extend_from_slice(&length.to_le_bytes());
    trailer
}

/// Makes `object` the content of `path`, atomically, and answers the blob
/// to keep in memory: small contents stay in memory, large ones are read
/// from the object file from then on.
fn persist_object(
    spool: &SpoolSettings,
    path: &Path,
    key: &str,
    object: &StoredObject,
) -> Result<Blob, StoreError> {
    let trailer = object_trailer(key, object);
    match &object.data {
        Blob::Memory(data) => {
            let mut file = Vec::with_capacity(OBJECT_HEADER.len() + data.len() + trailer.len());
            file.extend_from_slice(OBJECT_HEADER);
            file.extend_from_slice(data);
            file.extend_from_slice(&trailer);
            write_atomically(path, &file)?;
            Ok(object.data.clone())
        }
        Blob::File(file) => {
            if file.persist_as(&trailer, path)? {
                sync_parent(path)?;
                return Ok(object.data.clone());
            }
            // Shared with another object (a copy) or a part of a file: the
            // new object gets its own file.
            let copy = concatenate(spool, std::slice::from_ref(&object.data))?;
            match &copy.blob {
                Blob::File(copied) if copied.persist_as(&trailer, path)? => {
                    sync_parent(path)?;
                    Ok(copy.blob.clone())
                }
                _ => {
                    let data = object.data.to_bytes(u64::MAX)?.unwrap_or_default();
                    persist_object(
                        spool,
                        path,
                        key,
                        &StoredObject {
                            data: Blob::Memory(data),
                            meta: object.meta.clone(),
                        },
                    )
                }
            }
        }
    }
}

/// Makes a rename in `path`'s directory durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) => fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// Reads an object file; `None` for a file that is not a complete one.
/// Data up to `memory_limit` bytes is read into memory; larger data stays
/// in the file, read through its open handle.
fn read_object_file(
    path: &Path,
    memory_limit: usize,
) -> std::io::Result<Option<(String, StoredObject)>> {
    let mut file = fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut header = [0u8; 12];
    if file_len < 12 {
        return Ok(None);
    }
    file.read_exact(&mut header)?;
    if &header == OBJECT_MAGIC_V1 {
        let mut whole = header.to_vec();
        file.read_to_end(&mut whole)?;
        return Ok(decode_object_v1(&whole));
    }
    if &header != OBJECT_HEADER || file_len < 20 {
        return Ok(None);
    }
    let mut length = [0u8; 8];
    file.read_exact_at(&mut length, file_len - 8)?;
    let meta_len = u64::from_le_bytes(length);
    let Some(data_len) = (file_len - 20).checked_sub(meta_len) else {
        return Ok(None);
    };
    if meta_len > 16 * 1024 * 1024 {
        return Ok(None);
    }
    let mut meta = vec![0u8; meta_len as usize];
    file.read_exact_at(&mut meta, 12 + data_len)?;
    let Ok(PersistedMeta { key, meta, size }) = serde_json::from_slice(&meta) else {
        return Ok(None);
    };
    if size != Some(data_len) {
        return Ok(None);
    }
    let data = if data_len <= memory_limit as u64 {
        let mut data = vec![0u8; data_len as usize];
        file.seek(SeekFrom::Start(12))?;
        file.read_exact(&mut data)?;
        Blob::from(data)
    } else {
        Blob::from_file(Arc::new(file), 12, data_len)
    };
    Ok(Some((key, StoredObject { data, meta })))
}

/// Reads an object file of the first format.
fn decode_object_v1(file: &[u8]) -> Option<(String, StoredObject)> {
    let rest = file.strip_prefix(OBJECT_MAGIC_V1.as_slice())?;
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
            data: Blob::from(data.to_vec()),
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
fn recover_object(
    path: &Path,
    memory_limit: usize,
) -> Result<Option<(String, StoredObject)>, StoreError> {
    let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
        return Ok(None);
    };
    if extension.starts_with("tmp-") {
        fs::remove_file(path)?;
        return Ok(None);
    }
    match extension {
        "obj" => match read_object_file(path, memory_limit)? {
            Some(object) => Ok(Some(object)),
            None => {
                fs::rename(path, path.with_extension("corrupt"))?;
                Ok(None)
            }
        },
        "meta" => recover_legacy_pair(path, memory_limit),
        _ => Ok(None),
    }
}

/// Converts a `.meta` + `.data` pair into one object file. A pair whose
/// metadata does not parse or whose data is missing was never acknowledged
/// as a whole, so it is dropped.
fn recover_legacy_pair(
    meta_path: &Path,
    memory_limit: usize,
) -> Result<Option<(String, StoredObject)>, StoreError> {
    let data_path = meta_path.with_extension("data");
    let parsed: Option<PersistedMeta> = serde_json::from_slice(&fs::read(meta_path)?).ok();
    let (Some(PersistedMeta { key, meta, .. }), Ok(data)) = (parsed, fs::read(&data_path)) else {
        let _ = fs::remove_file(meta_path);
        let _ = fs::remove_file(&data_path);
        return Ok(None);
    };
    let object = StoredObject {
        data: Blob::from(data),
        meta,
    };
    let dir = meta_path.parent().unwrap_or(Path::new("."));
    let spool = SpoolSettings {
        dir: dir.to_owned(),
        memory_limit,
        named: true,
    };
    persist_object(&spool, &dir.join(object_file_name(&key)), &key, &object)?;
    fs::remove_file(meta_path)?;
    fs::remove_file(&data_path)?;
    Ok(Some((key, object)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The listing as a scan of every key would produce it: the model the
    /// seeking implementation must agree with.
    fn scanned(keys: &[String], query: &ListQuery<'_>) -> ListPage {
        let mut entries: Vec<ListEntry> = Vec::new();
        let mut sorted = keys.to_vec();
        sorted.sort();
        sorted.dedup();
        let regroup = !query.delimiter.is_empty() && query.after.ends_with(query.delimiter);
        for key in sorted.iter().filter(|k| k.starts_with(query.prefix)) {
            if !query.after.is_empty() && query.after >= query.prefix {
                if key.as_str() <= query.after {
                    continue;
                }
                if regroup && key.starts_with(query.after) {
                    continue;
                }
            }
            let rolled = (!query.delimiter.is_empty())
                .then(|| {
                    key[query.prefix.len()..]
                        .find(query.delimiter)
                        .map(|i| key[..query.prefix.len() + i + query.delimiter.len()].to_owned())
                })
                .flatten();
            let entry = match rolled {
                Some(common) => ListEntry::Prefix(common),
                None => ListEntry::Object(
                    key.clone(),
                    Box::new(ObjectMeta::new(String::new(), String::new(), 0)),
                    0,
                ),
            };
            if entries.last() == Some(&entry) {
                continue;
            }
            if entries.len() == query.max {
                return ListPage {
                    entries,
                    truncated: true,
                };
            }
            entries.push(entry);
        }
        ListPage {
            entries,
            truncated: false,
        }
    }

    fn index(keys: &[String]) -> BTreeMap<String, StoredObject> {
        keys.iter()
            .map(|k| {
                let mut meta = ObjectMeta::new(String::new(), String::new(), 0);
                meta.last_modified = 0;
                (
                    k.clone(),
                    StoredObject {
                        data: Blob::default(),
                        meta,
                    },
                )
            })
            .collect()
    }

    fn normalised(mut page: ListPage) -> ListPage {
        for entry in &mut page.entries {
            if let ListEntry::Object(_, meta, _) = entry {
                meta.last_modified = 0;
            }
        }
        page
    }

    proptest! {
        // spec: CB-EMU-LIST-INDEX
        #[test]
        fn seeking_lists_what_a_full_scan_lists(
            keys in proptest::collection::vec("[ab/é]{0,5}", 0..40),
            prefix in "[ab/]{0,2}",
            after in "[ab/é]{0,4}",
            delimiter in prop_oneof![Just(""), Just("/"), Just("b"), Just("é")],
            max in 1usize..6,
        ) {
            let query = ListQuery { prefix: &prefix, after: &after, delimiter, max };
            let got = normalised(list_page(&index(&keys), &query));
            let want = normalised(scanned(&keys, &query));
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_prefix_successor_is_above_every_extension() {
        assert_eq!(successor_of_prefix("a/").as_deref(), Some("a0"));
        assert_eq!(
            successor_of_prefix("a\u{D7FF}").as_deref(),
            Some("a\u{E000}")
        );
        assert_eq!(successor_of_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor_of_prefix("\u{10FFFF}"), None);
        assert!("a/\u{10FFFF}zz" < "a0");
    }
}
