//! Reading command-line values that may be given inline or as `@file`.

use std::fs;

/// Reads `value` as bytes: `@path` reads the file, anything else is the
/// text itself.
pub(crate) fn read_bytes(value: &str) -> Result<Vec<u8>, InputError> {
    match value.strip_prefix('@') {
        Some(path) => fs::read(path).map_err(|source| InputError::Read {
            path: path.to_owned(),
            source,
        }),
        None => Ok(value.as_bytes().to_vec()),
    }
}

/// A command-line value that cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// The `@file` could not be read.
    #[error("cannot read {path:?}: {source}")]
    Read {
        /// The file named after `@`.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The value is not UTF-8.
    #[error("{value:?} is not UTF-8 text; callback parameters are UTF-8 JSON or its Base64")]
    NotUtf8 {
        /// The value as given.
        value: String,
    },
}

/// Reads `value` as UTF-8 text (inline or `@file`).
pub(crate) fn read_text(value: &str) -> Result<String, InputError> {
    let bytes = read_bytes(value)?;
    String::from_utf8(bytes).map_err(|_| InputError::NotUtf8 {
        value: value.to_owned(),
    })
}

/// A callback parameter given either as its JSON text or as the Base64 that
/// travels on the wire.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParamText {
    /// The decoded JSON text.
    Json(String),
    /// The Base64 wire form.
    Base64(String),
}

/// Tells JSON from Base64: JSON starts with `{` (after white space); Base64
/// never contains `{`.
pub(crate) fn read_param(value: &str) -> Result<ParamText, InputError> {
    let text = read_text(value)?;
    if text.trim_start().starts_with('{') {
        Ok(ParamText::Json(text))
    } else {
        Ok(ParamText::Base64(text.trim().to_owned()))
    }
}
