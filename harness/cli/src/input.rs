//! Reading command-line values that may be given inline or as `@file`.

use std::fs;

/// Reads `value` as bytes: `@path` reads the file, anything else is the
/// text itself.
pub(crate) fn read_bytes(value: &str) -> Result<Vec<u8>, String> {
    match value.strip_prefix('@') {
        Some(path) => fs::read(path).map_err(|e| format!("cannot read {path:?}: {e}")),
        None => Ok(value.as_bytes().to_vec()),
    }
}

/// Reads `value` as UTF-8 text (inline or `@file`).
pub(crate) fn read_text(value: &str) -> Result<String, String> {
    let bytes = read_bytes(value)?;
    String::from_utf8(bytes).map_err(|_| {
        format!("{value:?} is not UTF-8 text; callback parameters are UTF-8 JSON or its Base64")
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
pub(crate) fn read_param(value: &str) -> Result<ParamText, String> {
    let text = read_text(value)?;
    if text.trim_start().starts_with('{') {
        Ok(ParamText::Json(text))
    } else {
        Ok(ParamText::Base64(text.trim().to_owned()))
    }
}
