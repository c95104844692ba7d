//! The OSS upload-callback protocol, pure: decoding and validating callback
//! parameters, template expansion, the callback signature, OSS request
//! authentication, request routing, checksums and the OSS error document.
//!
//! Nothing here performs I/O, spawns tasks or reads global state, so fuzz
//! targets and property tests call it directly.

pub mod auth;
pub mod callback_json;
pub mod callback_outcome;
pub mod callback_request;
pub mod callback_url;
pub mod carrier;
pub mod checksum;
pub mod config;
pub mod custom_vars;
pub mod error_document;
pub mod facts;
pub mod headers;
pub mod key_url;
pub mod rejection;
pub mod routing;
mod rsa_md5;
pub mod signature;
pub mod template;
pub mod vectors;

#[cfg(feature = "testing")]
pub mod testing;
