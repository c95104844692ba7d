//! Which requirement each mismatch breaks, and at what level. Pure.
//!
//! A scenario names the requirements it was written for, but a difference
//! may break another one: a lower-case `${etag}` in a carrier scenario
//! (whose own requirements are IMPLEMENTATION-DEFINED) still breaks the
//! MUST that says what `${etag}` is. So a callback body that differs is
//! split along its template, and each variable whose value differs is
//! charged to that variable's requirement (the scenario's own, more specific
//! one when it names one, e.g. `CB-SYS-MIMETYPE-DEFAULT`). The stored
//! object's ETag and CRC-64 are charged to the checksum requirements.
//! Every other difference is charged to the scenario's strictest requirement.

use std::collections::HashMap;

use cbspec_protocol::facts::SystemVariable;
use cbspec_protocol::template::{Placeholder, Segment, Template};

use super::observation::{Mismatch, Observation, Tokens, UNKNOWN_CLIENT_IP};
use crate::scenario::{Level, Operation, Requirement, Scenario};

/// The requirement that says what a system variable's value is.
pub fn variable_requirement(var: SystemVariable) -> &'static str {
    match var {
        SystemVariable::Bucket => "CB-SYS-BUCKET",
        SystemVariable::Object => "CB-SYS-OBJECT",
        SystemVariable::Etag => "CB-SYS-ETAG",
        SystemVariable::Size => "CB-SYS-SIZE",
        SystemVariable::MimeType => "CB-SYS-MIMETYPE",
        SystemVariable::ImageHeight | SystemVariable::ImageWidth => "CB-SYS-IMAGEINFO",
        SystemVariable::ImageFormat => "CB-SYS-IMAGEINFO-FORMAT",
        SystemVariable::Crc64 => "CB-SYS-CRC64",
        SystemVariable::ContentMd5 => "CB-SYS-CONTENTMD5",
        SystemVariable::VpcId => "CB-SYS-VPCID",
        SystemVariable::ClientIp => "CB-SYS-CLIENTIP",
        SystemVariable::ReqId => "CB-SYS-REQID",
        SystemVariable::Operation => "CB-SYS-OPERATION",
    }
}

/// Splits an expanded body into the values of the template's placeholders,
/// in order, using the literal text between them as separators (each value
/// ends at the first occurrence of the literal that follows it). `None`
/// when the text does not have the template's shape, or when two
/// placeholders touch (their boundary cannot be known).
pub fn split_by_template<'t>(segments: &[Segment], text: &'t str) -> Option<Vec<&'t str>> {
    let mut values = Vec::new();
    let mut rest = text;
    let mut pending = false;
    for segment in segments {
        match segment {
            Segment::Literal(literal) => {
                if pending {
                    let at = rest.find(literal.as_str())?;
                    values.push(&rest[..at]);
                    rest = &rest[at + literal.len()..];
                    pending = false;
                } else {
                    rest = rest.strip_prefix(literal.as_str())?;
                }
            }
            Segment::Placeholder(_) => {
                if pending {
                    return None;
                }
                pending = true;
            }
        }
    }
    if pending {
        values.push(rest);
    } else if !rest.is_empty() {
        return None;
    }
    Some(values)
}

/// The scenario's own requirement that refines `base` (`base` itself or
/// `base-...`), or `base`.
fn refined(base: &str, scenario_requirements: &[String]) -> String {
    scenario_requirements
        .iter()
        .find(|id| *id == base || id.starts_with(&format!("{base}-")))
        .cloned()
        .unwrap_or_else(|| base.to_owned())
}

/// The scenario's strictest requirement (MUST before SHOULD before
/// IMPLEMENTATION-DEFINED), the first of equals.
fn strictest(
    scenario_requirements: &[String],
    requirements: &HashMap<String, Requirement>,
) -> Option<String> {
    let rank = |level: Level| match level {
        Level::Must => 0,
        Level::Should => 1,
        Level::ImplementationDefined => 2,
    };
    scenario_requirements
        .iter()
        .filter_map(|id| requirements.get(id).map(|r| (rank(r.level), id)))
        .min_by_key(|(rank, _)| *rank)
        .map(|(_, id)| id.clone())
}

/// What a differing callback body is charged to.
struct BodyCharge {
    requirement: String,
    variables: Vec<String>,
    unknowable: Option<String>,
}

/// Splits the expected and observed body of callback `index` along the
/// scenario's template and charges the differing variables.
fn charge_body(
    scenario: &Scenario,
    observation: &Observation,
    tokens: &Tokens,
    requirements: &HashMap<String, Requirement>,
    index: usize,
) -> Option<BodyCharge> {
    let template = Template::parse(scenario.callback.as_ref()?.body.as_deref()?).ok()?;
    let expected_body = scenario.expect.callback.get(index)?.body.as_deref()?;
    let request_id = observation
        .answer
        .as_ref()
        .and_then(|a| a.header("x-oss-request-id"))
        .unwrap_or_default();
    let expected_text = tokens.apply(expected_body, request_id);
    let observed_text = String::from_utf8(observation.callbacks.get(index)?.body.clone()).ok()?;
    let expected = split_by_template(template.segments(), &expected_text)?;
    let observed = split_by_template(template.segments(), &observed_text)?;
    if expected.len() != observed.len() {
        return None;
    }
    let placeholders: Vec<&Placeholder> = template.placeholders().collect();
    let mut charged: Vec<(String, String)> = Vec::new();
    let mut only_unknowable = true;
    for ((placeholder, want), got) in placeholders.iter().zip(&expected).zip(&observed) {
        if want == got {
            continue;
        }
        let requirement = match placeholder {
            // A multipart ETag's form is the emulator's choice, not a MUST.
            Placeholder::System(SystemVariable::Etag) if is_multipart(scenario) => {
                refined("CB-CHK-ETAG-MPU", &scenario.requirements)
            }
            Placeholder::System(var) => refined(variable_requirement(*var), &scenario.requirements),
            Placeholder::Unknown(_) => refined("CB-SYS-UNKNOWN", &scenario.requirements),
            // What a custom variable expands to is what the scenario tests.
            Placeholder::Custom(_) => strictest(&scenario.requirements, requirements)?,
        };
        if !want.contains(UNKNOWN_CLIENT_IP) {
            only_unknowable = false;
        }
        charged.push((requirement, format!("${{{}}}", placeholder.name())));
    }
    if charged.is_empty() {
        // Same values, different text: the literal parts or the encoding
        // differ, which is what the scenario itself is about.
        return None;
    }
    let level_rank = |id: &str| match requirements.get(id).map(|r| r.level) {
        Some(Level::Must) => 0,
        Some(Level::Should) => 1,
        _ => 2,
    };
    let requirement = charged
        .iter()
        .min_by_key(|(id, _)| level_rank(id))
        .map(|(id, _)| id.clone())?;
    Some(BodyCharge {
        requirement,
        variables: charged.into_iter().map(|(_, var)| var).collect(),
        unknowable: only_unknowable.then(|| {
            "the profile declares the client IP the endpoint reports unknown (client_ip)".to_owned()
        }),
    })
}

fn is_multipart(scenario: &Scenario) -> bool {
    scenario.upload.operation == Operation::Multipart
}

/// The requirement that owns a compared field other than a callback body,
/// when one does regardless of the scenario.
fn field_requirement(what: &str, scenario: &Scenario) -> Option<String> {
    let base = match what {
        "object.etag" if is_multipart(scenario) => "CB-CHK-ETAG-MPU",
        "object.etag" => "CB-CHK-ETAG",
        "object.crc64" => "CB-CHK-CRC64",
        _ => return None,
    };
    Some(refined(base, &scenario.requirements))
}

/// The index in `callback[3].body`.
fn body_index(what: &str) -> Option<usize> {
    what.strip_prefix("callback[")?
        .strip_suffix("].body")?
        .parse()
        .ok()
}

/// Names the requirement and level of every mismatch that has none yet.
pub fn attribute(
    mismatches: &mut [Mismatch],
    scenario: &Scenario,
    observation: &Observation,
    tokens: &Tokens,
    requirements: &HashMap<String, Requirement>,
) {
    for mismatch in mismatches.iter_mut() {
        if mismatch.requirement.is_none() {
            let charge = body_index(&mismatch.what)
                .and_then(|i| charge_body(scenario, observation, tokens, requirements, i));
            match charge {
                Some(charge) => {
                    mismatch.what = format!("{} ({})", mismatch.what, charge.variables.join(", "));
                    mismatch.requirement = Some(charge.requirement);
                    mismatch.unknowable = charge.unknowable;
                }
                None => {
                    mismatch.requirement = field_requirement(&mismatch.what, scenario)
                        .or_else(|| strictest(&scenario.requirements, requirements));
                }
            }
        }
        mismatch.level = mismatch
            .requirement
            .as_deref()
            .and_then(|id| requirements.get(id))
            .map(|r| r.level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments(template: &str) -> Vec<Segment> {
        Template::parse(template).unwrap().segments().to_vec()
    }

    #[test]
    fn a_body_splits_along_its_template() {
        let s = segments("bucket=${bucket}&etag=${etag}&size=${size}");
        assert_eq!(
            split_by_template(&s, "bucket=b&etag=ABC&size=3"),
            Some(vec!["b", "ABC", "3"])
        );
        assert_eq!(split_by_template(&s, "bucket=b&etag=ABC"), None);
        assert_eq!(
            split_by_template(&s, "bucket=b&etag=ABC&size=3&x"),
            Some(vec!["b", "ABC", "3&x"])
        );
        let json = segments(r#"{"e":${etag},"s":${size}}"#);
        assert_eq!(
            split_by_template(&json, r#"{"e":"abc","s":7}"#),
            Some(vec!["\"abc\"", "7"])
        );
        // Literal text that differs is not a variable's fault.
        assert_eq!(split_by_template(&s, "Bucket=b&etag=ABC&size=3"), None);
        // Two touching placeholders have no knowable boundary.
        assert_eq!(
            split_by_template(&segments("${bucket}${object}"), "ab"),
            None
        );
        assert_eq!(split_by_template(&segments("plain"), "plain"), Some(vec![]));
    }

    #[test]
    fn a_more_specific_scenario_requirement_wins() {
        let own = vec![
            "CB-SYS-MIMETYPE-DEFAULT".to_owned(),
            "CB-CARRIER-QUERY".to_owned(),
        ];
        assert_eq!(refined("CB-SYS-MIMETYPE", &own), "CB-SYS-MIMETYPE-DEFAULT");
        assert_eq!(refined("CB-SYS-ETAG", &own), "CB-SYS-ETAG");
        // A prefix that is not a whole ID part does not count.
        let own = vec!["CB-SYS-SIZEX".to_owned()];
        assert_eq!(refined("CB-SYS-SIZE", &own), "CB-SYS-SIZE");
    }
}
