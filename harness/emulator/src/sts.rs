//! Temporary credentials, as STS issues them: an AccessKeyId, a secret and
//! a SecurityToken, valid until an expiry. Requests signed with a temporary
//! key must carry its token (`x-oss-security-token` header, `security-token`
//! in a V1 presigned URL, `x-oss-security-token` in a V4 one or a POST form),
//! which the signature covers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::response::OssError;

/// One temporary credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryCredential {
    /// The AccessKeyId (`STS.` followed by letters and digits when minted).
    pub access_key_id: String,
    /// Its secret.
    pub access_key_secret: String,
    /// The SecurityToken requests must carry.
    pub security_token: String,
    /// When it stops working; `None` for never.
    pub expiration: Option<SystemTime>,
}

/// Why a `--sts-credential` value is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialSpecError {
    /// Not `AK:SECRET:TOKEN[@EXPIRATION]`.
    #[error("{0:?} is not AK:SECRET:TOKEN or AK:SECRET:TOKEN@2026-12-31T00:00:00Z")]
    Shape(String),
    /// The expiration is not an ISO 8601 UTC time.
    #[error("the expiration {0:?} is not an ISO 8601 UTC time such as 2026-12-31T00:00:00Z")]
    Expiration(String),
}

impl TemporaryCredential {
    /// Parses `AK:SECRET:TOKEN[@EXPIRATION]` (EXPIRATION as STS writes it,
    /// `2026-12-31T00:00:00Z`). Tokens are Base64 and never contain `:`.
    pub fn parse(spec: &str) -> Result<Self, CredentialSpecError> {
        let mut parts = spec.splitn(3, ':');
        let (Some(ak), Some(secret), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CredentialSpecError::Shape(spec.to_owned()));
        };
        let (token, expiration) = match rest.rsplit_once('@') {
            Some((token, when)) => {
                let time = cbspec_protocol::auth::parse_iso8601_extended(when)
                    .ok_or_else(|| CredentialSpecError::Expiration(when.to_owned()))?;
                (token, Some(time))
            }
            None => (rest, None),
        };
        if ak.is_empty() || secret.is_empty() || token.is_empty() {
            return Err(CredentialSpecError::Shape(spec.to_owned()));
        }
        Ok(Self {
            access_key_id: ak.to_owned(),
            access_key_secret: secret.to_owned(),
            security_token: token.to_owned(),
            expiration,
        })
    }

    /// A fresh random credential valid for `duration`.
    pub fn mint(duration: Duration) -> Self {
        let alphanumeric = |n: usize| -> String {
            const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            (0..n)
                .map(|_| CHARS[rand::random_range(0..CHARS.len())] as char)
                .collect()
        };
        Self {
            access_key_id: format!("STS.{}", alphanumeric(24)),
            access_key_secret: alphanumeric(40),
            security_token: STANDARD.encode(rand::random::<[u8; 96]>()),
            expiration: Some(SystemTime::now() + duration),
        }
    }

    /// The expiration as STS writes it.
    pub fn expiration_text(&self) -> String {
        self.expiration
            .map(cbspec_protocol::auth::format_iso8601_extended)
            .map(|t| t.replace(".000Z", "Z"))
            .unwrap_or_default()
    }
}

/// The temporary credentials the emulator accepts.
#[derive(Debug, Default)]
pub struct TemporaryCredentials {
    by_key: Mutex<HashMap<String, TemporaryCredential>>,
}

impl TemporaryCredentials {
    /// A registry holding these.
    pub fn new(credentials: impl IntoIterator<Item = TemporaryCredential>) -> Self {
        Self {
            by_key: Mutex::new(
                credentials
                    .into_iter()
                    .map(|c| (c.access_key_id.clone(), c))
                    .collect(),
            ),
        }
    }

    /// Adds one.
    pub fn insert(&self, credential: TemporaryCredential) {
        self.by_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(credential.access_key_id.clone(), credential);
    }

    /// The credential of a temporary AccessKeyId.
    pub fn get(&self, access_key_id: &str) -> Option<TemporaryCredential> {
        self.by_key
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(access_key_id)
            .cloned()
    }
}

/// The check after the signature matched a temporary key: the request
/// carries this credential's token and the credential has not expired.
/// A long-term key with a token is refused too (OSS: "token sent with a
/// normal AccessKey").
pub fn check_token(
    credential: Option<&TemporaryCredential>,
    access_key_id: &str,
    token: Option<&str>,
    now: SystemTime,
) -> Result<(), OssError> {
    match (credential, token) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(invalid_access_key(access_key_id)),
        (Some(_), None) => Err(invalid_access_key(access_key_id)),
        (Some(c), Some(t)) if c.security_token != t => {
            let mut error = OssError::new(
                403,
                "InvalidSecurityToken",
                "The security token you provided is invalid.",
            );
            error.ec = Some("0002-00000006");
            Err(error)
        }
        (Some(c), Some(t)) if c.expiration.is_some_and(|e| e <= now) => {
            let mut error = OssError::new(
                403,
                "SecurityTokenExpired",
                "The security token you provided has expired.",
            );
            error.ec = Some("0002-00000007");
            error.extra.push(("SecurityToken".into(), t.to_owned()));
            Err(error)
        }
        (Some(_), Some(_)) => Ok(()),
    }
}

fn invalid_access_key(access_key_id: &str) -> OssError {
    let mut error = OssError::new(
        403,
        "InvalidAccessKeyId",
        "The OSS Access Key Id you provided does not exist in our records.",
    );
    error.ec = Some("0002-00000002");
    error
        .extra
        .push(("OSSAccessKeyId".into(), access_key_id.to_owned()));
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(expiration: Option<SystemTime>) -> TemporaryCredential {
        TemporaryCredential {
            access_key_id: "STS.tmp".into(),
            access_key_secret: "s".into(),
            security_token: "TOKEN".into(),
            expiration,
        }
    }

    #[test]
    fn specs_parse() {
        assert_eq!(
            TemporaryCredential::parse("STS.tmp:s:TOKEN").unwrap(),
            credential(None)
        );
        let dated = TemporaryCredential::parse("STS.tmp:s:TOKEN@2026-12-31T00:00:00Z").unwrap();
        assert_eq!(
            dated.expiration,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_675_200))
        );
        assert_eq!(dated.expiration_text(), "2026-12-31T00:00:00Z");
        for bad in ["a:b", "a::c", ":b:c", "a:b:c@tomorrow"] {
            assert!(TemporaryCredential::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_checked() {
        let now = SystemTime::now();
        let live = credential(None);
        assert!(check_token(Some(&live), "STS.tmp", Some("TOKEN"), now).is_ok());
        assert!(check_token(None, "LTAI", None, now).is_ok());
        let wrong = check_token(Some(&live), "STS.tmp", Some("OTHER"), now).unwrap_err();
        assert_eq!((wrong.status, wrong.code), (403, "InvalidSecurityToken"));
        let missing = check_token(Some(&live), "STS.tmp", None, now).unwrap_err();
        assert_eq!(missing.code, "InvalidAccessKeyId");
        let expired = credential(Some(now - Duration::from_secs(1)));
        let error = check_token(Some(&expired), "STS.tmp", Some("TOKEN"), now).unwrap_err();
        assert_eq!((error.status, error.code), (403, "SecurityTokenExpired"));
        assert_eq!(error.ec, Some("0002-00000007"));
        let with_long_term = check_token(None, "LTAI", Some("TOKEN"), now).unwrap_err();
        assert_eq!(with_long_term.code, "InvalidAccessKeyId");
    }

    #[test]
    fn minted_credentials_look_like_sts_ones() {
        let c = TemporaryCredential::mint(Duration::from_secs(3600));
        assert!(c.access_key_id.starts_with("STS."));
        assert_eq!(c.access_key_secret.len(), 40);
        assert!(STANDARD.decode(&c.security_token).is_ok());
        assert!(!c.security_token.contains(':'));
    }
}
