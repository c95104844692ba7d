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
        }
    }

    /// The HTTP status OSS answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::SignatureDoesNotMatch { .. }
            | Self::InvalidAccessKeyId { .. }
            | Self::AccessDenied { .. } => 403,
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
