//! Endpoint profiles: what the endpoint under test is and what it can do,
//! declared in a TOML file (`cbspec run --profile FILE`) and overridden key
//! by key from the command line. Pure: parsing, validation and merging, no
//! I/O beyond reading the file.
//!
//! The runner asks a profile which scenarios the endpoint can take part in
//! ([`EndpointProfile::capabilities`]) instead of assuming that every remote
//! endpoint is Alibaba's: an OSS-compatible endpoint signs with its own key,
//! may call back loopback addresses, and may have a short callback timeout.

use cbspec_emulator::TemporaryCredential;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use cbspec_protocol::signature::KeyUrlPrefix;

use crate::runner::Capabilities;
use crate::scenario::{AuthVersion, Need};

/// The two key-URL prefixes Alibaba's OSS signs with (digest §5, CB-KEY-OFFICIAL).
pub const OFFICIAL_KEY_URL_PREFIXES: [&str; 2] = [
    "http://gosspublic.alicdn.com/",
    "https://gosspublic.alicdn.com/",
];

/// The callback timeouts the timeout scenarios are written for: their slow
/// receivers answer after 300 ms (must still succeed) and after 2 s (must
/// time out), so the endpoint's timeout has to lie well between the two.
pub const SHORT_TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(600), Duration::from_millis(1500));

/// How requests name the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Addressing {
    /// `http://endpoint/bucket/key`.
    #[default]
    Path,
    /// `http://bucket.endpoint/key` (what OSS requires for most accounts).
    VirtualHosted,
}

impl FromStr for Addressing {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "path" => Ok(Self::Path),
            "virtual-hosted" => Ok(Self::VirtualHosted),
            other => Err(format!(
                "{other:?} is not an addressing style; use path or virtual-hosted"
            )),
        }
    }
}

/// A value that may be declared unknown (`"unknown"` in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known<T> {
    /// The declared value.
    Value(T),
    /// The profile says nobody knows it.
    Unknown,
}

impl<T> Known<T> {
    /// The value, when known.
    pub fn value(&self) -> Option<&T> {
        match self {
            Known::Value(v) => Some(v),
            Known::Unknown => None,
        }
    }
}

/// A key-URL prefix as written in a profile: validated as it is read, so a
/// bad one is reported with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PrefixText(KeyUrlPrefix);

impl<'de> Deserialize<'de> for PrefixText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map(PrefixText)
            .map_err(|e| serde::de::Error::custom(format!("key URL prefix {text:?}: {e}")))
    }
}

/// `"5s"`, `"500ms"` or `"unknown"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TimeoutText(Known<Duration>);

impl<'de> Deserialize<'de> for TimeoutText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_timeout(&text)
            .map(TimeoutText)
            .map_err(serde::de::Error::custom)
    }
}

/// An IP address or `"unknown"`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientIpText(Known<std::net::IpAddr>);

impl<'de> Deserialize<'de> for ClientIpText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_client_ip(&text)
            .map(ClientIpText)
            .map_err(serde::de::Error::custom)
    }
}

/// An `http://` or `https://` URL with a host and nothing after the path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BaseUrlText(String);

impl<'de> Deserialize<'de> for BaseUrlText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        check_base_url(&text)
            .map(BaseUrlText)
            .map_err(serde::de::Error::custom)
    }
}

/// A signing version as written: `v1` or `v4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SigningText {
    V1,
    V4,
}

/// The file as written; every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Option<String>,
    endpoint: Option<BaseUrlText>,
    region: Option<String>,
    bucket: Option<String>,
    production_endpoint: Option<BaseUrlText>,
    callback_base_url: Option<BaseUrlText>,
    callback_https_base_url: Option<BaseUrlText>,
    key_url_prefixes: Option<Vec<PrefixText>>,
    private_callbacks: Option<bool>,
    callback_timeout: Option<TimeoutText>,
    client_ip: Option<ClientIpText>,
    addressing: Option<Addressing>,
    signing: Option<BTreeSet<SigningText>>,
    reference: Option<bool>,
    callback_policies: Option<bool>,
    cors: Option<bool>,
}

/// Why a profile could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read the profile {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid profile (the TOML error names line and column).
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong, and where.
        message: String,
    },
    /// A key the run needs is neither in the profile nor on the command line.
    #[error("`{key}` is not set: give {flag}, or `{key} = ...` in the profile")]
    Missing {
        /// The profile key.
        key: &'static str,
        /// The flag that sets it.
        flag: &'static str,
    },
    /// A command-line value is invalid.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Values given on the command line; each replaces the profile's key.
#[derive(Debug, Clone, Default)]
pub struct ProfileOverrides {
    /// `--endpoint`.
    pub endpoint: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--bucket`.
    pub bucket: Option<String>,
    /// `--production-endpoint`.
    pub production_endpoint: Option<String>,
    /// `--callback-base-url`.
    pub callback_base_url: Option<String>,
    /// `--callback-https-base-url`.
    pub callback_https_base_url: Option<String>,
    /// `--allow-key-url-prefix` (repeatable; replaces the profile's list).
    pub key_url_prefixes: Vec<String>,
    /// `--private-callbacks true|false`.
    pub private_callbacks: Option<bool>,
    /// `--callback-timeout 1s|unknown`.
    pub callback_timeout: Option<String>,
    /// `--client-ip IP|unknown`.
    pub client_ip: Option<String>,
    /// `--addressing path|virtual-hosted`.
    pub addressing: Option<Addressing>,
    /// `--reference`.
    pub reference: Option<bool>,
    /// `--sts-credential AK:SECRET:TOKEN` (or `CBSPEC_STS_CREDENTIAL`): a
    /// temporary credential the runner may sign with. Never in the profile
    /// file, which is meant to be committed.
    pub sts_credential: Option<String>,
}

/// What the endpoint under test is, every key decided.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointProfile {
    /// For people: what the profile describes.
    pub name: String,
    /// `http(s)://host[:port]` of the endpoint.
    pub endpoint: String,
    /// Its region.
    pub region: String,
    /// The bucket the suite uses.
    pub bucket: String,
    /// A second endpoint with the same credentials and bucket that refuses
    /// private callback addresses, for the production-rules scenarios when
    /// the main one allows them.
    pub production_endpoint: Option<String>,
    /// Where the endpoint reaches the capture server's HTTP listener.
    pub callback_base_url: String,
    /// Where it reaches the HTTPS listener, by a name its certificate covers.
    pub callback_https_base_url: Option<String>,
    /// The key-URL prefixes the endpoint signs with.
    pub key_url_prefixes: Vec<KeyUrlPrefix>,
    /// Whether it calls back loopback and private addresses.
    pub private_callbacks: bool,
    /// Whether it offers bucket callback policies (`?policy&comp=callback`).
    pub callback_policies: bool,
    /// Whether it offers bucket CORS rules and preflights.
    pub cors: bool,
    /// A temporary credential to sign the `temporary-credentials` scenarios with.
    pub temporary_credential: Option<TemporaryCredential>,
    /// Its callback timeout.
    pub callback_timeout: Known<Duration>,
    /// The uploader address it reports in `${clientIp}`.
    pub client_ip: Known<std::net::IpAddr>,
    /// How requests name the bucket.
    pub addressing: Addressing,
    /// The signing versions it accepts.
    pub signing: BTreeSet<AuthVersion>,
    /// Whether it is cbspec's own emulator, held to the emulator's
    /// IMPLEMENTATION-DEFINED choices (`fail`, not `info`).
    pub reference: bool,
}

impl EndpointProfile {
    /// Reads a profile file and applies the command line over it.
    pub fn load(path: &Path, overrides: &ProfileOverrides) -> Result<Self, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file: ProfileFile = toml::from_str(&text).map_err(|e| ProfileError::Invalid {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        Self::merge(file, overrides)
    }

    /// A profile from the command line alone (no `--profile`).
    pub fn from_flags(overrides: &ProfileOverrides) -> Result<Self, ProfileError> {
        Self::merge(ProfileFile::default(), overrides)
    }

    fn merge(file: ProfileFile, flags: &ProfileOverrides) -> Result<Self, ProfileError> {
        let url_flag = |flag: &'static str, value: &Option<String>| {
            value
                .as_deref()
                .map(|text| {
                    check_base_url(text).map_err(|message| ProfileError::Flag { flag, message })
                })
                .transpose()
        };
        let endpoint = url_flag("--endpoint", &flags.endpoint)?
            .or(file.endpoint.map(|u| u.0))
            .ok_or(ProfileError::Missing {
                key: "endpoint",
                flag: "--endpoint",
            })?;
        let region = flags
            .region
            .clone()
            .or(file.region)
            .filter(|r| !r.is_empty())
            .ok_or(ProfileError::Missing {
                key: "region",
                flag: "--region",
            })?;
        let bucket = flags
            .bucket
            .clone()
            .or(file.bucket)
            .filter(|b| !b.is_empty())
            .ok_or(ProfileError::Missing {
                key: "bucket",
                flag: "--bucket",
            })?;
        let callback_base_url = url_flag("--callback-base-url", &flags.callback_base_url)?
            .or(file.callback_base_url.map(|u| u.0))
            .ok_or(ProfileError::Missing {
                key: "callback_base_url",
                flag: "--callback-base-url",
            })?;
        let callback_https_base_url =
            url_flag("--callback-https-base-url", &flags.callback_https_base_url)?
                .or(file.callback_https_base_url.map(|u| u.0));
        if let Some(url) = &callback_https_base_url {
            if !url.starts_with("https://") {
                return Err(ProfileError::Flag {
                    flag: "--callback-https-base-url",
                    message: format!("{url:?} is not an https:// URL"),
                });
            }
        }
        let production_endpoint = url_flag("--production-endpoint", &flags.production_endpoint)?
            .or(file.production_endpoint.map(|u| u.0));
        let key_url_prefixes = if flags.key_url_prefixes.is_empty() {
            match file.key_url_prefixes {
                Some(list) => list.into_iter().map(|p| p.0).collect(),
                None => official_prefixes(),
            }
        } else {
            flags
                .key_url_prefixes
                .iter()
                .map(|text| {
                    text.parse().map_err(|e| ProfileError::Flag {
                        flag: "--allow-key-url-prefix",
                        message: format!("{text:?}: {e}"),
                    })
                })
                .collect::<Result<_, _>>()?
        };
        let callback_timeout = match &flags.callback_timeout {
            Some(text) => parse_timeout(text).map_err(|message| ProfileError::Flag {
                flag: "--callback-timeout",
                message,
            })?,
            // OSS's documented timeout (digest §4, CB-REQ-TIMEOUT).
            None => file
                .callback_timeout
                .map_or(Known::Value(Duration::from_secs(5)), |t| t.0),
        };
        let client_ip = match &flags.client_ip {
            Some(text) => parse_client_ip(text).map_err(|message| ProfileError::Flag {
                flag: "--client-ip",
                message,
            })?,
            None => file.client_ip.map_or(Known::Unknown, |c| c.0),
        };
        let signing = file
            .signing
            .unwrap_or_else(|| [SigningText::V1, SigningText::V4].into())
            .into_iter()
            .map(|s| match s {
                SigningText::V1 => AuthVersion::V1,
                SigningText::V4 => AuthVersion::V4,
            })
            .collect::<BTreeSet<_>>();
        if signing.is_empty() {
            return Err(ProfileError::Flag {
                flag: "signing",
                message: "the list is empty: name at least one of v1, v4".into(),
            });
        }
        Ok(Self {
            name: file.name.unwrap_or_else(|| "command line".into()),
            endpoint,
            region,
            bucket,
            production_endpoint,
            callback_base_url,
            callback_https_base_url,
            key_url_prefixes,
            private_callbacks: flags
                .private_callbacks
                .or(file.private_callbacks)
                .unwrap_or(false),
            callback_timeout,
            client_ip,
            addressing: flags.addressing.or(file.addressing).unwrap_or_default(),
            signing,
            reference: flags.reference.or(file.reference).unwrap_or(false),
            // OSS offers them; a vendor without them says so.
            callback_policies: file.callback_policies.unwrap_or(true),
            cors: file.cors.unwrap_or(true),
            temporary_credential: match &flags.sts_credential {
                None => None,
                Some(text) => {
                    Some(
                        TemporaryCredential::parse(text).map_err(|e| ProfileError::Flag {
                            flag: "--sts-credential",
                            message: e.to_string(),
                        })?,
                    )
                }
            },
        })
    }

    /// What the endpoint offers the scenarios: each need it lacks, with the
    /// reason, and the signing versions it accepts.
    pub fn capabilities(&self) -> Capabilities {
        let mut lacks: BTreeMap<Need, String> = BTreeMap::new();
        if !self.private_callbacks {
            lacks.insert(
                Need::PrivateCallbacks,
                format!(
                    "the profile {:?} says the endpoint refuses loopback and private callback addresses (private_callbacks = false)",
                    self.name
                ),
            );
        }
        if self.private_callbacks && self.production_endpoint.is_none() {
            lacks.insert(
                Need::ProductionRules,
                "the endpoint allows private callback addresses and the profile names no production_endpoint that refuses them".into(),
            );
        }
        match &self.callback_timeout {
            Known::Value(t) if (SHORT_TIMEOUT_RANGE.0..=SHORT_TIMEOUT_RANGE.1).contains(t) => {}
            Known::Value(t) => {
                lacks.insert(
                    Need::ShortTimeout,
                    format!(
                        "the endpoint's callback timeout is {t:?}; the timeout scenarios need one between {:?} and {:?}",
                        SHORT_TIMEOUT_RANGE.0, SHORT_TIMEOUT_RANGE.1
                    ),
                );
            }
            Known::Unknown => {
                lacks.insert(
                    Need::ShortTimeout,
                    "the profile declares the endpoint's callback timeout unknown".into(),
                );
            }
        }
        if self.temporary_credential.is_none() {
            lacks.insert(
                Need::TemporaryCredentials,
                "no temporary credential: give --sts-credential AK:SECRET:TOKEN (or CBSPEC_STS_CREDENTIAL)".into(),
            );
        }
        if !self.cors {
            lacks.insert(
                Need::Cors,
                format!(
                    "the profile {:?} says the endpoint has no bucket CORS (cors = false)",
                    self.name
                ),
            );
        }
        if !self.callback_policies {
            lacks.insert(
                Need::CallbackPolicies,
                format!(
                    "the profile {:?} says the endpoint has no bucket callback policies (callback_policies = false)",
                    self.name
                ),
            );
        }
        if self.callback_https_base_url.is_none() {
            lacks.insert(
                Need::TlsCapture,
                "no HTTPS capture: give --capture-https-listen and --callback-https-base-url"
                    .into(),
            );
        }
        if !is_private_url(&self.callback_base_url) {
            lacks.insert(
                Need::PrivateCapture,
                format!(
                    "the endpoint reaches the capture server at the public address {}",
                    self.callback_base_url
                ),
            );
        }
        Capabilities {
            lacks,
            is_reference: self.reference,
            signing: self.signing.clone(),
        }
    }
}

impl EndpointProfile {
    /// Checks, before any upload, that the base URLs can lead to the capture
    /// server's listeners: an HTTPS base URL needs an HTTPS listener, and a
    /// base URL naming this machine (a loopback address or `localhost`)
    /// must name the listener's port. A public base URL (a tunnel) cannot
    /// be checked here; the preflight's canary checks it.
    pub fn check_capture_listeners(
        &self,
        http_listen: std::net::SocketAddr,
        https_listen: Option<std::net::SocketAddr>,
    ) -> Result<(), String> {
        check_listener(
            "--callback-base-url",
            &self.callback_base_url,
            Some(http_listen),
            "--capture-listen",
        )?;
        if let Some(url) = &self.callback_https_base_url {
            if https_listen.is_none() {
                return Err(format!(
                    "--callback-https-base-url {url} needs an HTTPS listener: give --capture-https-listen ADDR"
                ));
            }
            check_listener(
                "--callback-https-base-url",
                url,
                https_listen,
                "--capture-https-listen",
            )?;
        }
        Ok(())
    }
}

fn check_listener(
    flag: &str,
    url: &str,
    listen: Option<std::net::SocketAddr>,
    listen_flag: &str,
) -> Result<(), String> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Err(format!("{flag} {url:?} is not a URL"));
    };
    // On the host as the URL parser reads it (lower case, IPv4 in any
    // notation normalised): `http://0x7f.1:9100` and `LOCALHOST.` are this
    // machine too.
    let local = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Domain(name)) => name.trim_end_matches('.') == "localhost",
        None => false,
    };
    let (Some(listen), Some(port)) = (listen, parsed.port_or_known_default()) else {
        return Ok(());
    };
    if !local {
        return Ok(());
    }
    if listen.port() == 0 {
        return Err(format!(
            "{flag} {url} names this machine, but the capture server would listen on a random port: give {listen_flag} {}:{port}",
            listen.ip()
        ));
    }
    if listen.port() != port {
        return Err(format!(
            "{flag} {url} does not lead to the capture server, which listens on {listen}: use port {} in the URL or {listen_flag} {}:{port}",
            listen.port(),
            listen.ip()
        ));
    }
    Ok(())
}

fn official_prefixes() -> Vec<KeyUrlPrefix> {
    OFFICIAL_KEY_URL_PREFIXES
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn is_private_url(url: &str) -> bool {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|host| cbspec_protocol::callback_url::is_internal_host(&host))
}

fn parse_timeout(text: &str) -> Result<Known<Duration>, String> {
    if text == "unknown" {
        return Ok(Known::Unknown);
    }
    match cbspec_emulator::parse_duration(text) {
        Ok(d) if !d.is_zero() => Ok(Known::Value(d)),
        Ok(_) => Err(format!("callback timeout {text:?} is zero")),
        Err(e) => Err(format!(
            "callback timeout {text:?}: {e}; write e.g. \"5s\", \"800ms\" or \"unknown\""
        )),
    }
}

fn parse_client_ip(text: &str) -> Result<Known<std::net::IpAddr>, String> {
    if text == "unknown" {
        return Ok(Known::Unknown);
    }
    text.parse().map(Known::Value).map_err(|_| {
        format!("client IP {text:?} is not an IP address; write e.g. \"127.0.0.1\" or \"unknown\"")
    })
}

fn check_base_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: the scheme must be http or https"));
    }
    if url.host().is_none() {
        return Err(format!("{text:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{text:?}: a base URL has no user, query or fragment"
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

impl fmt::Display for EndpointProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timeout = match &self.callback_timeout {
            Known::Value(t) => format!("{t:?}"),
            Known::Unknown => "unknown".into(),
        };
        let client_ip = match &self.client_ip {
            Known::Value(ip) => ip.to_string(),
            Known::Unknown => "unknown".into(),
        };
        let prefixes: Vec<String> = self
            .key_url_prefixes
            .iter()
            .map(|p| p.to_string())
            .collect();
        write!(
            f,
            "profile {:?}: endpoint {} (region {}, bucket {}, {} addressing), callbacks via {}{}; key URLs {}; private callbacks {}; callback timeout {timeout}; client IP {client_ip}",
            self.name,
            self.endpoint,
            self.region,
            self.bucket,
            match self.addressing {
                Addressing::Path => "path",
                Addressing::VirtualHosted => "virtual-hosted",
            },
            self.callback_base_url,
            self.callback_https_base_url
                .as_deref()
                .map(|u| format!(" and {u}"))
                .unwrap_or_default(),
            prefixes.join(", "),
            if self.private_callbacks { "allowed" } else { "refused" },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<EndpointProfile, ProfileError> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| ProfileError::Invalid {
            path: PathBuf::from("p.toml"),
            message: e.to_string(),
        })?;
        EndpointProfile::merge(file, &ProfileOverrides::default())
    }

    const MINIMAL: &str = "endpoint = \"http://127.0.0.1:9000\"\nregion = \"cn-hangzhou\"\nbucket = \"b1\"\ncallback_base_url = \"http://127.0.0.1:9100/\"\n";

    #[test]
    fn a_minimal_profile_describes_alibaba_oss() {
        let p = parse(MINIMAL).unwrap();
        let prefixes: Vec<String> = p.key_url_prefixes.iter().map(ToString::to_string).collect();
        // The two the digest names (§5), written out rather than taken from the code.
        assert_eq!(
            prefixes,
            [
                "http://gosspublic.alicdn.com/",
                "https://gosspublic.alicdn.com/"
            ]
        );
        assert!(!p.private_callbacks && !p.reference);
        assert_eq!(p.callback_timeout, Known::Value(Duration::from_secs(5)));
        assert_eq!(p.client_ip, Known::Unknown);
        assert_eq!(
            p.callback_base_url, "http://127.0.0.1:9100",
            "the trailing slash goes"
        );
        let caps = p.capabilities();
        assert_eq!(
            caps.lacks.keys().copied().collect::<Vec<_>>(),
            [
                Need::PrivateCallbacks,
                Need::ShortTimeout,
                Need::TlsCapture,
                Need::TemporaryCredentials
            ]
        );
        assert!(caps.lacks[&Need::ShortTimeout].contains("5s"));
        assert!(caps
            .refusal(
                &[Need::ProductionRules, Need::PrivateCapture],
                AuthVersion::V1
            )
            .is_none());
    }

    #[test]
    fn each_declared_fact_changes_what_is_offered() {
        let p = parse(&format!(
            "{MINIMAL}private_callbacks = true\ncallback_timeout = \"1s\"\ncallback_https_base_url = \"https://cb.example.test:9443\"\nsigning = [\"v4\"]\n"
        ))
        .unwrap();
        let caps = p.capabilities();
        assert_eq!(
            caps.lacks.keys().copied().collect::<Vec<_>>(),
            [Need::ProductionRules, Need::TemporaryCredentials]
        );
        // A temporary credential on the command line offers the STS
        // scenarios; `cors = false` withdraws the CORS ones.
        let file: ProfileFile = toml::from_str(&format!("{MINIMAL}cors = false\n")).unwrap();
        let with_sts = EndpointProfile::merge(
            file,
            &ProfileOverrides {
                sts_credential: Some("STS.k:s:t".into()),
                ..ProfileOverrides::default()
            },
        )
        .unwrap();
        let lacks = with_sts.capabilities().lacks;
        assert!(
            !lacks.contains_key(&Need::TemporaryCredentials),
            "{lacks:?}"
        );
        assert!(lacks[&Need::Cors].contains("cors = false"), "{lacks:?}");
        let bad = EndpointProfile::merge(
            toml::from_str(MINIMAL).unwrap(),
            &ProfileOverrides {
                sts_credential: Some("no-colons".into()),
                ..ProfileOverrides::default()
            },
        )
        .unwrap_err();
        assert!(bad.to_string().contains("--sts-credential"), "{bad}");
        let why = caps.refusal(&[Need::TlsCapture], AuthVersion::V1).unwrap();
        assert!(why.contains("v1 signing"), "{why}");
        let with_production = parse(&format!(
            "{MINIMAL}private_callbacks = true\nproduction_endpoint = \"http://127.0.0.1:9001\"\n"
        ))
        .unwrap();
        assert!(!with_production
            .capabilities()
            .lacks
            .contains_key(&Need::ProductionRules));
        // A timeout outside the range the timeout scenarios are written for.
        for t in ["500ms", "2s", "unknown"] {
            let p = parse(&format!("{MINIMAL}callback_timeout = \"{t}\"\n")).unwrap();
            assert!(
                p.capabilities().lacks.contains_key(&Need::ShortTimeout),
                "{t}"
            );
        }
        // A public capture address cannot be what production rules refuse.
        let public =
            parse(&MINIMAL.replace("http://127.0.0.1:9100/", "https://tunnel.example.com"))
                .unwrap();
        assert!(public
            .capabilities()
            .lacks
            .contains_key(&Need::PrivateCapture));
    }

    #[test]
    fn flags_override_the_file_key_by_key() {
        let file: ProfileFile =
            toml::from_str(&format!("{MINIMAL}client_ip = \"10.0.0.1\"\n")).unwrap();
        let flags = ProfileOverrides {
            bucket: Some("other".into()),
            client_ip: Some("unknown".into()),
            key_url_prefixes: vec!["http://127.0.0.1:9000/_cbspec/".into()],
            ..ProfileOverrides::default()
        };
        let p = EndpointProfile::merge(file, &flags).unwrap();
        assert_eq!(p.bucket, "other");
        assert_eq!(p.region, "cn-hangzhou");
        assert_eq!(p.client_ip, Known::Unknown);
        assert_eq!(p.key_url_prefixes.len(), 1);
    }

    #[test]
    fn bad_values_name_their_line_and_what_to_write() {
        let cases = [
            ("addressing = \"sideways\"\n", "line 1"),
            ("private_callbacks = \"yes\"\n", "line 1"),
            ("\n\ncallback_timeout = \"0s\"\n", "line 3"),
            (
                "production_endpoint = \"http://u:p@h/\"\n",
                "no user, query or fragment",
            ),
            ("signing = [\"v2\"]\n", "line 1"),
            ("signing = []\n", "name at least one of v1, v4"),
        ];
        for (text, wanted) in cases {
            let e = parse(&format!("{text}{MINIMAL}")).unwrap_err().to_string();
            assert!(e.contains(wanted), "{text:?}: {e}");
        }
        assert!(matches!(
            parse("region = \"r\"\n"),
            Err(ProfileError::Missing {
                key: "endpoint",
                ..
            })
        ));
    }

    #[test]
    fn a_local_base_url_must_name_the_listener() {
        let p = parse(&format!(
            "{MINIMAL}callback_https_base_url = \"https://localhost:9443\"\n"
        ))
        .unwrap();
        let addr = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
        assert!(p
            .check_capture_listeners(addr(9100), Some(addr(9443)))
            .is_ok());
        let e = p
            .check_capture_listeners(addr(9101), Some(addr(9443)))
            .unwrap_err();
        assert!(e.contains("--capture-listen 127.0.0.1:9100"), "{e}");
        let e = p
            .check_capture_listeners(addr(0), Some(addr(9443)))
            .unwrap_err();
        assert!(e.contains("random port"), "{e}");
        let e = p.check_capture_listeners(addr(9100), None).unwrap_err();
        assert!(e.contains("--capture-https-listen"), "{e}");
        // A public name (a tunnel) cannot be checked here.
        let tunnel =
            parse(&MINIMAL.replace("http://127.0.0.1:9100/", "https://t.example.com")).unwrap();
        assert!(tunnel.check_capture_listeners(addr(0), None).is_ok());
    }
}
