//! The one error type of the authentication layer.
//!
//! Every variant carries what the emulator needs to render an OSS error
//! document: the OSS `Code`, the HTTP status and the `Message`. Wording that
//! the OSS documentation states is quoted; wording it does not state is our
//! choice and says so next to the variant.

/// Why OSS would refuse to authenticate a request or a PostObject form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The signature the client sent is not the one the server computed.
    ///
    /// OSS returns the string to sign it computed (`StringToSign` in the
    /// error document) so that a client author can diff it against their own.
    // spec: CB-AUTH-MISMATCH
    #[error("SignatureDoesNotMatch: {SIGNATURE_MISMATCH_MESSAGE} (expected string to sign: {string_to_sign:?})")]
    SignatureDoesNotMatch {
        /// The access key id named by the request.
        access_key_id: String,
        /// The string to sign the server computed from the request.
        string_to_sign: String,
    },
    /// The access key id is unknown to the server.
    #[error("InvalidAccessKeyId: {INVALID_ACCESS_KEY_MESSAGE} ({access_key_id})")]
    InvalidAccessKeyId {
        /// The access key id the request named.
        access_key_id: String,
    },
    /// Authenticated or not, the request is not allowed: an expired presigned
    /// URL, an expired or violated POST policy, a missing date.
    #[error("AccessDenied: {message}")]
    AccessDenied {
        /// The OSS `Message`.
        message: String,
    },
    /// The authentication data is malformed (unparseable `Authorization`,
    /// missing presign parameter, bad credential scope).
    #[error("InvalidArgument: {message}")]
    InvalidArgument {
        /// The OSS `Message`.
        message: String,
    },
    /// A required security header is absent (V4 header auth without
    /// `x-oss-date`). The code is OSS's; the message is our choice.
    #[error("MissingSecurityHeader: Your request was missing a required header: {header}")]
    MissingSecurityHeader {
        /// The missing header's name.
        header: String,
    },
    /// The POST policy is not a policy: bad Base64, bad JSON, unknown or
    /// mistyped condition. Code and prefix from the OSS PostObject error FAQ
    /// ("Invalid Policy: ...").
    #[error("InvalidPolicyDocument: Invalid Policy: {detail}")]
    InvalidPolicyDocument {
        /// What is wrong with the policy.
        detail: String,
    },
    /// The uploaded file is larger than the policy's `content-length-range`.
    /// OSS uses the code `EntityTooLarge`; the message is our choice.
    #[error(
        "EntityTooLarge: Your proposed upload exceeds the maximum allowed size. ({size} > {max})"
    )]
    EntityTooLarge {
        /// The file size.
        size: u64,
        /// The policy's upper bound.
        max: u64,
    },
    /// The request's time (V1 `Date` / `x-oss-date`, V4 `x-oss-date`) is more
    /// than [`MAX_CLOCK_SKEW_SECS`] from the server's clock, so a captured
    /// request cannot be replayed later. Code and message from the OSS
    /// documentation (EC 0002-00000504); the document also carries the two
    /// times and the allowed skew.
    // spec: CB-AUTH-CLOCK-SKEW
    #[error("RequestTimeTooSkewed: {REQUEST_TIME_TOO_SKEWED_MESSAGE} (request {request_time}, server {server_time})")]
    RequestTimeTooSkewed {
        /// The request's time, as it was written.
        request_time: String,
        /// The server's time, RFC 1123.
        server_time: String,
    },
    /// A V4 signature scoped to another region than the endpoint's. The EC is
    /// OSS's (0002-00000228 for the header, 0002-00000226 for a presigned
    /// URL); code and message are our choice.
    // spec: CB-AUTH-V4-SCOPE
    #[error("InvalidArgument: the V4 signature is scoped to region {region:?}, but this endpoint is {expected:?}")]
    WrongRegion {
        /// The region in the credential scope.
        region: String,
        /// The endpoint's region.
        expected: String,
        /// Whether the signature came in a presigned URL.
        presigned: bool,
    },
    /// A V4 presigned URL valid for longer than OSS allows (1 to 604,800 s).
    /// The EC is OSS's (0002-00000232); code and message are our choice.
    // spec: CB-AUTH-V4-PRESIGN-EXPIRES
    #[error("InvalidArgument: x-oss-expires {expires} is outside 1..=604800 seconds")]
    ExpiresOutOfRange {
        /// The value given.
        expires: u64,
    },
    /// The uploaded file is smaller than the policy's `content-length-range`.
    /// Code and message are our choice, mirroring `EntityTooLarge`.
    #[error("EntityTooSmall: Your proposed upload is smaller than the minimum allowed size. ({size} < {min})")]
    EntityTooSmall {
        /// The file size.
        size: u64,
        /// The policy's lower bound.
        min: u64,
    },
}

/// OSS's message for `SignatureDoesNotMatch` (OSS 403 troubleshooting and
/// PostObject FAQ pages).
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

/// OSS's message for `InvalidAccessKeyId` (PostObject FAQ page).
pub const INVALID_ACCESS_KEY_MESSAGE: &str =
    "The OSS Access Key Id you provided does not exist in our records.";

/// OSS's message for `RequestTimeTooSkewed` (OSS 403 troubleshooting page).
pub const REQUEST_TIME_TOO_SKEWED_MESSAGE: &str =
    "The difference between the request time and the current time is too large.";

/// The largest difference OSS allows between a request's time and its clock:
/// 15 minutes (`MaxAllowedSkewMilliseconds` 900000 in its error document).
pub const MAX_CLOCK_SKEW_SECS: u64 = 15 * 60;

/// The longest a V4 presigned URL may be valid (7 days).
pub const MAX_V4_PRESIGN_SECS: u64 = 604_800;

/// OSS's message for an expired presigned URL.
pub const REQUEST_EXPIRED_MESSAGE: &str = "Request has expired.";

/// OSS's message for an expired POST policy (PostObject FAQ page).
pub const POLICY_EXPIRED_MESSAGE: &str = "Invalid according to Policy: Policy expired.";

/// OSS's prefix for a failed POST policy condition (PostObject FAQ page);
/// the failed condition follows as a JSON array.
pub const POLICY_CONDITION_FAILED_PREFIX: &str =
    "Invalid according to Policy: Policy Condition failed: ";

impl AuthError {
    /// Shorthand for [`AuthError::AccessDenied`].
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::AccessDenied {
            message: message.into(),
        }
    }

    /// Shorthand for [`AuthError::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument {
            message: message.into(),
        }
    }

    /// Shorthand for [`AuthError::InvalidPolicyDocument`].
    pub fn invalid_policy(detail: impl Into<String>) -> Self {
        Self::InvalidPolicyDocument {
            detail: detail.into(),
        }
    }

    /// The OSS error `Code` for the XML error document.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SignatureDoesNotMatch { .. } => "SignatureDoesNotMatch",
            Self::InvalidAccessKeyId { .. } => "InvalidAccessKeyId",
            Self::AccessDenied { .. } => "AccessDenied",
            Self::InvalidArgument { .. } => "InvalidArgument",
            Self::MissingSecurityHeader { .. } => "MissingSecurityHeader",
            Self::InvalidPolicyDocument { .. } => "InvalidPolicyDocument",
            Self::EntityTooLarge { .. } => "EntityTooLarge",
            Self::EntityTooSmall { .. } => "EntityTooSmall",
            Self::RequestTimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Self::WrongRegion { .. } | Self::ExpiresOutOfRange { .. } => "InvalidArgument",
        }
    }

    /// The EC OSS documents for this failure, when there is one.
    pub fn ec(&self) -> Option<&'static str> {
        match self {
            Self::RequestTimeTooSkewed { .. } => Some("0002-00000504"),
            Self::WrongRegion {
                presigned: false, ..
            } => Some("0002-00000228"),
            Self::WrongRegion {
                presigned: true, ..
            } => Some("0002-00000226"),
            Self::ExpiresOutOfRange { .. } => Some("0002-00000232"),
            _ => None,
        }
    }

    /// Further elements of the error document beyond `StringToSign`.
    pub fn extra_elements(&self) -> Vec<(String, String)> {
        match self {
            Self::RequestTimeTooSkewed {
                request_time,
                server_time,
            } => vec![
                ("RequestTime".to_owned(), request_time.clone()),
                ("ServerTime".to_owned(), server_time.clone()),
                (
                    "MaxAllowedSkewMilliseconds".to_owned(),
                    (MAX_CLOCK_SKEW_SECS * 1000).to_string(),
                ),
            ],
            _ => Vec::new(),
        }
    }

    /// The HTTP status OSS answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::SignatureDoesNotMatch { .. }
            | Self::InvalidAccessKeyId { .. }
            | Self::AccessDenied { .. }
            | Self::RequestTimeTooSkewed { .. } => 403,
            Self::WrongRegion { .. } | Self::ExpiresOutOfRange { .. } => 400,
            Self::InvalidArgument { .. }
            | Self::MissingSecurityHeader { .. }
            | Self::InvalidPolicyDocument { .. }
            | Self::EntityTooLarge { .. }
            | Self::EntityTooSmall { .. } => 400,
        }
    }

    /// The OSS error `Message` for the XML error document.
    pub fn message(&self) -> String {
        match self {
            Self::SignatureDoesNotMatch { .. } => SIGNATURE_MISMATCH_MESSAGE.to_owned(),
            Self::InvalidAccessKeyId { .. } => INVALID_ACCESS_KEY_MESSAGE.to_owned(),
            Self::AccessDenied { message } | Self::InvalidArgument { message } => message.clone(),
            Self::MissingSecurityHeader { header } => {
                format!("Your request was missing a required header: {header}")
            }
            Self::InvalidPolicyDocument { detail } => format!("Invalid Policy: {detail}"),
            Self::EntityTooLarge { .. } => {
                "Your proposed upload exceeds the maximum allowed size.".to_owned()
            }
            Self::EntityTooSmall { .. } => {
                "Your proposed upload is smaller than the minimum allowed size.".to_owned()
            }
            Self::RequestTimeTooSkewed { .. } => REQUEST_TIME_TOO_SKEWED_MESSAGE.to_owned(),
            Self::WrongRegion {
                region, expected, ..
            } => format!(
                "Invalid signing region {region:?} in the V4 credential; this endpoint is in {expected:?}."
            ),
            Self::ExpiresOutOfRange { expires } => format!(
                "x-oss-expires {expires} is invalid: a V4 presigned URL is valid for 1 to {MAX_V4_PRESIGN_SECS} seconds."
            ),
        }
    }

    /// The string to sign the server computed, present only for
    /// `SignatureDoesNotMatch` (OSS puts it in the error document's
    /// `StringToSign` element).
    pub fn string_to_sign(&self) -> Option<&str> {
        match self {
            Self::SignatureDoesNotMatch { string_to_sign, .. } => Some(string_to_sign),
            _ => None,
        }
    }
}
