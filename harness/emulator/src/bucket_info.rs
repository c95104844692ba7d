//! What a bucket says about itself: GetBucketInfo, GetBucketLocation,
//! GetBucketStat, and ListBuckets (prefix, marker, max-keys).

use serde::Serialize;

use super::response::{OssError, OssResponse};
use super::service::{OssRequest, Service};
use super::store::StorageClass;
use super::xml::{self, Owner};
use cbspec_protocol::auth::format_iso8601_extended;
use cbspec_protocol::routing::Resource;

fn iso(secs: u64) -> String {
    format_iso8601_extended(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
}

/// The endpoint a client reaches this emulator at: the Host it used,
/// without a bucket prefix. OSS names its public and internal endpoints
/// here; the emulator has one, and pointing SDKs at the real service from
/// an offline test would be wrong.
fn endpoint(service: &Service, request: &OssRequest, bucket: Option<&str>) -> String {
    let host = request.header("host").map(str::trim).unwrap_or_default();
    let host = bucket
        .and_then(|b| host.strip_prefix(&format!("{b}.")))
        .unwrap_or(host);
    if host.is_empty() {
        format!("oss-{}.{}", service.region, service.base_domain)
    } else {
        host.to_owned()
    }
}

#[derive(Debug, Serialize)]
struct BucketInfo {
    #[serde(rename = "Bucket")]
    bucket: BucketDetails,
}

#[derive(Debug, Serialize)]
struct BucketDetails {
    #[serde(rename = "AccessMonitor")]
    access_monitor: &'static str,
    #[serde(rename = "CreationDate")]
    creation_date: String,
    #[serde(rename = "ExtranetEndpoint")]
    extranet_endpoint: String,
    #[serde(rename = "IntranetEndpoint")]
    intranet_endpoint: String,
    #[serde(rename = "Location")]
    location: String,
    #[serde(rename = "StorageClass")]
    storage_class: &'static str,
    #[serde(rename = "DataRedundancyType")]
    data_redundancy_type: &'static str,
    #[serde(rename = "TransferAcceleration")]
    transfer_acceleration: &'static str,
    #[serde(rename = "CrossRegionReplication")]
    cross_region_replication: &'static str,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Owner")]
    owner: Owner,
    #[serde(rename = "AccessControlList")]
    access_control_list: Grant,
    #[serde(rename = "ServerSideEncryptionRule")]
    server_side_encryption_rule: SseRule,
    #[serde(rename = "BucketPolicy")]
    bucket_policy: LogPolicy,
}

#[derive(Debug, Serialize)]
struct Grant {
    #[serde(rename = "Grant")]
    grant: String,
}

#[derive(Debug, Serialize)]
struct SseRule {
    #[serde(rename = "SSEAlgorithm")]
    algorithm: &'static str,
}

#[derive(Debug, Serialize)]
struct LogPolicy {
    #[serde(rename = "LogBucket")]
    log_bucket: String,
    #[serde(rename = "LogPrefix")]
    log_prefix: String,
}

/// GetBucketInfo.
pub fn get_bucket_info(
    service: &Service,
    request: &OssRequest,
    bucket: &str,
) -> Result<OssResponse, OssError> {
    let config = service.store.bucket_config(bucket)?;
    let created = service.store.bucket_created(bucket)?;
    let endpoint = endpoint(service, request, Some(bucket));
    let info = BucketInfo {
        bucket: BucketDetails {
            access_monitor: "Disabled",
            creation_date: iso(created),
            extranet_endpoint: endpoint.clone(),
            intranet_endpoint: endpoint,
            location: format!("oss-{}", service.region),
            storage_class: config.storage_class.as_str(),
            data_redundancy_type: "LRS",
            transfer_acceleration: "Disabled",
            cross_region_replication: "Disabled",
            name: bucket.to_owned(),
            owner: service.owner(),
            access_control_list: Grant { grant: config.acl },
            server_side_encryption_rule: SseRule { algorithm: "None" },
            bucket_policy: LogPolicy {
                log_bucket: String::new(),
                log_prefix: String::new(),
            },
        },
    };
    Ok(OssResponse::xml(200, xml::to_xml("BucketInfo", &info)))
}

/// GetBucketLocation.
pub fn get_bucket_location(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    if !service.store.bucket_exists(bucket) {
        return Err(OssError::no_such_bucket());
    }
    Ok(OssResponse::xml(
        200,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint>oss-{}</LocationConstraint>",
            quick_xml::escape::escape(&service.region)
        ),
    ))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BucketStatDoc {
    storage: u64,
    object_count: u64,
    multipart_upload_count: u64,
    live_channel_count: u64,
    last_modified_time: u64,
    standard_storage: u64,
    standard_object_count: u64,
    infrequent_access_storage: u64,
    infrequent_access_real_storage: u64,
    infrequent_access_object_count: u64,
    archive_storage: u64,
    archive_real_storage: u64,
    archive_object_count: u64,
    cold_archive_storage: u64,
    cold_archive_real_storage: u64,
    cold_archive_object_count: u64,
    deep_cold_archive_storage: u64,
    deep_cold_archive_real_storage: u64,
    deep_cold_archive_object_count: u64,
    multipart_part_count: u64,
    delete_marker_count: u64,
}

/// GetBucketStat, counted now (OSS's figures lag by up to an hour; the
/// emulator's are exact).
pub fn get_bucket_stat(service: &Service, bucket: &str) -> Result<OssResponse, OssError> {
    let stat = service.store.bucket_stat(bucket)?;
    let class = |c: StorageClass| {
        let i = StorageClass::ALL.iter().position(|x| *x == c).unwrap_or(0);
        stat.by_class[i]
    };
    let (ia, archive, cold, deep) = (
        class(StorageClass::IA),
        class(StorageClass::Archive),
        class(StorageClass::ColdArchive),
        class(StorageClass::DeepColdArchive),
    );
    let doc = BucketStatDoc {
        storage: stat.storage,
        object_count: stat.object_count,
        multipart_upload_count: stat.multipart_upload_count,
        live_channel_count: 0,
        last_modified_time: stat.last_modified,
        standard_storage: class(StorageClass::Standard).1,
        standard_object_count: class(StorageClass::Standard).0,
        infrequent_access_storage: ia.1,
        infrequent_access_real_storage: ia.1,
        infrequent_access_object_count: ia.0,
        archive_storage: archive.1,
        archive_real_storage: archive.1,
        archive_object_count: archive.0,
        cold_archive_storage: cold.1,
        cold_archive_real_storage: cold.1,
        cold_archive_object_count: cold.0,
        deep_cold_archive_storage: deep.1,
        deep_cold_archive_real_storage: deep.1,
        deep_cold_archive_object_count: deep.0,
        multipart_part_count: stat.multipart_part_count,
        delete_marker_count: 0,
    };
    Ok(OssResponse::xml(200, xml::to_xml("BucketStat", &doc)))
}

#[derive(Debug, Serialize)]
struct ListAllMyBucketsResult {
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(rename = "Marker", skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
    #[serde(rename = "MaxKeys", skip_serializing_if = "Option::is_none")]
    max_keys: Option<usize>,
    #[serde(rename = "IsTruncated", skip_serializing_if = "Option::is_none")]
    is_truncated: Option<bool>,
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    next_marker: Option<String>,
    #[serde(rename = "Owner")]
    owner: Owner,
    #[serde(rename = "Buckets")]
    buckets: Buckets,
}

#[derive(Debug, Serialize)]
struct Buckets {
    #[serde(rename = "Bucket")]
    bucket: Vec<BucketEntry>,
}

#[derive(Debug, Serialize)]
struct BucketEntry {
    #[serde(rename = "CreationDate")]
    creation_date: String,
    #[serde(rename = "ExtranetEndpoint")]
    extranet_endpoint: String,
    #[serde(rename = "IntranetEndpoint")]
    intranet_endpoint: String,
    #[serde(rename = "Location")]
    location: String,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Region")]
    region: String,
    #[serde(rename = "StorageClass")]
    storage_class: &'static str,
}

/// ListBuckets: in name order, after `marker`, starting with `prefix`, at
/// most `max-keys` (1 to 1000, default 100). The paging elements appear
/// when paging was asked for or the list is cut, as OSS writes them.
pub fn list_buckets(
    service: &Service,
    request: &OssRequest,
    resource: &Resource,
) -> Result<OssResponse, OssError> {
    let prefix = resource.param("prefix").unwrap_or("");
    let marker = resource.param("marker").unwrap_or("");
    let max_keys = match resource.param("max-keys") {
        None => 100,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                let mut error =
                    OssError::invalid_argument("max-keys must be an integer from 1 to 1000.");
                error.argument = Some(Box::new(("max-keys".into(), text.to_owned())));
                return Err(error);
            }
        },
    };
    let endpoint = endpoint(service, request, None);
    let matching: Vec<_> = service
        .store
        .bucket_summaries()
        .into_iter()
        .filter(|(name, ..)| name.starts_with(prefix) && name.as_str() > marker)
        .collect();
    let truncated = matching.len() > max_keys;
    let page: Vec<_> = matching.into_iter().take(max_keys).collect();
    let next_marker = truncated.then(|| page.last().map(|(n, ..)| n.clone()).unwrap_or_default());
    let paged = ["prefix", "marker", "max-keys"]
        .iter()
        .any(|p| resource.param(p).is_some())
        || truncated;
    let result = ListAllMyBucketsResult {
        prefix: paged.then(|| prefix.to_owned()),
        marker: paged.then(|| marker.to_owned()),
        max_keys: paged.then_some(max_keys),
        is_truncated: paged.then_some(truncated),
        next_marker,
        owner: service.owner(),
        buckets: Buckets {
            bucket: page
                .into_iter()
                .map(|(name, created, config)| BucketEntry {
                    creation_date: iso(created),
                    extranet_endpoint: endpoint.clone(),
                    intranet_endpoint: endpoint.clone(),
                    location: format!("oss-{}", service.region),
                    name,
                    region: service.region.clone(),
                    storage_class: config.storage_class.as_str(),
                })
                .collect(),
        },
    };
    Ok(OssResponse::xml(
        200,
        xml::to_xml("ListAllMyBucketsResult", &result),
    ))
}
