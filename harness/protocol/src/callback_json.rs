//! The one production encoder of the `callback` parameter: the JSON object
//! cbspec's client sends, built from the fields as a caller gives them
//! (valid or not: scenarios send broken configs on purpose), then Base64.
//!
//! `CallbackConfig::to_json` delegates here, and the `diff_callback_json`
//! fuzz target compares this encoder with an independent model.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::config::CallbackConfig;

/// The callback as a caller gives it to an SDK that builds the JSON itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallbackFields {
    /// `callbackUrl`, several URLs joined by `;`.
    pub url: String,
    /// `callbackHost`.
    pub host: Option<String>,
    /// `callbackBody`.
    pub body: Option<String>,
    /// `callbackBodyType`, as the full media type.
    pub body_type: Option<String>,
    /// `callbackSNI`.
    pub sni: Option<bool>,
    /// Any other members (`callbackPolicy`, unknown fields), in order.
    pub extra: Map<String, Value>,
}

impl CallbackFields {
    /// The JSON object, members in the order the official documentation
    /// lists them, then the extra ones. Strings are escaped by serde_json
    /// (unlike one official SDK, which concatenates them).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("callbackUrl".into(), Value::from(self.url.clone()));
        let optional = [
            ("callbackHost", self.host.clone().map(Value::from)),
            ("callbackBody", self.body.clone().map(Value::from)),
            ("callbackBodyType", self.body_type.clone().map(Value::from)),
            ("callbackSNI", self.sni.map(Value::from)),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value);
            }
        }
        for (name, value) in &self.extra {
            map.insert(name.clone(), value.clone());
        }
        map
    }

    /// The compact JSON text.
    pub fn to_json_text(&self) -> String {
        Value::Object(self.to_json()).to_string()
    }

    /// The header/query/form value: standard padded Base64 of the UTF-8 JSON.
    // spec: CB-CARRIER-BASE64
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.to_json_text())
    }
}

impl From<&CallbackConfig> for CallbackFields {
    fn from(config: &CallbackConfig) -> Self {
        let mut extra = Map::new();
        if let Some(policy) = &config.policy {
            extra.insert("callbackPolicy".into(), Value::from(policy.clone()));
        }
        for (name, value) in &config.unknown_fields {
            extra.insert(name.clone(), value.clone());
        }
        Self {
            url: config.url.clone(),
            host: config.host.clone(),
            body: Some(config.body.clone()),
            body_type: config.body_type.map(|t| t.content_type().to_owned()),
            sni: config.sni,
            extra,
        }
    }
}
