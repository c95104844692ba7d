//! `cbspec render`: the exact callback body OSS would send.

use std::io::Write;

use clap::Args;

use super::input::{read_param, ParamText};
use super::{usage, CliError};
use cbspec_protocol::callback_url::AddressPolicy;
use cbspec_protocol::config::{CallbackConfig, DecodeOptions, ValidatedCallback};
use cbspec_protocol::custom_vars::CustomVariables;
use cbspec_protocol::facts::{SystemVariable, UploadFacts};
use cbspec_protocol::rejection::Rejection;

/// Arguments of `cbspec render`.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// The callback: JSON text, its Base64, or @file holding either.
    #[arg(long)]
    callback: String,

    /// The custom variables (callback-var): JSON text, Base64, or @file.
    #[arg(long = "callback-var")]
    callback_var: Option<String>,

    /// A system variable's value, NAME as written in templates
    /// (object, size, imageInfo.width, ...). Repeatable. Unset facts have no value.
    #[arg(long = "fact", value_name = "NAME=VALUE")]
    facts: Vec<String>,

    /// Refuse loopback and private callback URLs, as the real service does.
    #[arg(long)]
    production_rules: bool,
}

/// Exit code when OSS would reject the callback (the same as a usage error:
/// the input cannot be used as it is).
const EXIT_REJECTED: u8 = 2;

/// Runs `render`; the body goes to stdout byte for byte, everything else to stderr.
pub(crate) fn run(args: &RenderArgs) -> Result<u8, CliError> {
    match render(args) {
        Ok((body, content_type, callback)) => {
            eprintln!("Content-Type: {content_type}");
            if !callback.is_enabled() {
                eprintln!("note: callbackUrl is empty, so OSS would send no callback at all");
            }
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(body.as_bytes())
                .and_then(|()| stdout.flush())
            {
                return Err(usage(format!("cannot write the body: {e}")));
            }
            Ok(0)
        }
        Err(RenderError::Rejected(rejection)) => {
            eprintln!(
                "OSS would reject this callback: {} {}",
                rejection.status(),
                rejection.code()
            );
            eprintln!("  Message: {}", rejection.message());
            eprintln!("  EC: {}", rejection.ec());
            eprintln!("  ArgumentName: {}", rejection.argument_name());
            eprintln!("  why: {}", rejection.detail());
            Ok(EXIT_REJECTED)
        }
        Err(RenderError::Usage(message)) => Err(usage(message)),
    }
}

enum RenderError {
    Rejected(Rejection),
    Usage(String),
}

fn render(args: &RenderArgs) -> Result<(String, &'static str, ValidatedCallback), RenderError> {
    let options = DecodeOptions {
        address_policy: if args.production_rules {
            AddressPolicy::Production
        } else {
            AddressPolicy::AllowPrivate
        },
    };
    let callback =
        match read_param(&args.callback).map_err(|e| RenderError::Usage(e.to_string()))? {
            ParamText::Json(json) => CallbackConfig::decode_json(&json, options),
            ParamText::Base64(b64) => CallbackConfig::decode_base64(&b64, options),
        }
        .map_err(RenderError::Rejected)?;

    let vars = match &args.callback_var {
        None => CustomVariables::default(),
        Some(value) => match read_param(value).map_err(|e| RenderError::Usage(e.to_string()))? {
            ParamText::Json(json) => CustomVariables::from_json(&json),
            ParamText::Base64(b64) => CustomVariables::from_base64(&b64),
        }
        .map_err(RenderError::Rejected)?,
    };

    let mut facts = UploadFacts::default();
    for fact in &args.facts {
        let (name, value) = fact.split_once('=').ok_or_else(|| {
            RenderError::Usage(format!(
                "--fact {fact:?} must be NAME=VALUE, e.g. --fact object=a/b.jpg"
            ))
        })?;
        let variable: SystemVariable = name.parse().map_err(RenderError::Usage)?;
        facts
            .set(variable, value)
            .map_err(|e| RenderError::Usage(e.to_string()))?;
    }

    let body_type = callback.body_type();
    let body = callback.template.expand(body_type, &facts, &vars);
    Ok((body, body_type.content_type(), callback))
}
