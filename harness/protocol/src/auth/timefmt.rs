//! The two ISO 8601 forms OSS authentication uses, converted to and from
//! [`SystemTime`].
//!
//! V4 signing writes `20231216T162057Z` (basic form) and POST policies write
//! `2023-02-19T13:19:00.000Z` (extended form). `httpdate` only speaks
//! RFC 1123, so the `time` crate does the calendar work.

use std::time::SystemTime;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// `yyyymmddThhmmssZ`.
const BASIC: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
/// `yyyy-mm-ddThh:mm:ss.000Z` (milliseconds, as the SDKs write policies).
const EXTENDED_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
/// `yyyy-mm-ddThh:mm:ss[.fraction]Z` for parsing.
const EXTENDED_ANY: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]Z");

fn utc(time: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(time)
}

fn parse(text: &str, format: &[FormatItem<'_>]) -> Option<SystemTime> {
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| SystemTime::from(t.assume_utc()))
}

/// `yyyymmddThhmmssZ`, the V4 `x-oss-date` form.
pub fn format_iso8601_basic(time: SystemTime) -> String {
    utc(time)
        .format(BASIC)
        .expect("a SystemTime always formats in the basic form")
}

/// Parses the V4 `x-oss-date` form `yyyymmddThhmmssZ`.
pub fn parse_iso8601_basic(text: &str) -> Option<SystemTime> {
    parse(text, BASIC)
}

/// Parses a POST policy `expiration`: `yyyy-mm-ddThh:mm:ss[.fraction]Z`.
/// The fraction is dropped (OSS documents millisecond precision; whole
/// seconds are enough to decide expiry).
pub fn parse_iso8601_extended(text: &str) -> Option<SystemTime> {
    parse(text, EXTENDED_ANY)
        .map(|t| t - std::time::Duration::from_nanos(u64::from(utc(t).nanosecond())))
}

/// `yyyy-mm-ddThh:mm:ss.000Z`, the form the SDKs write into POST policies.
pub fn format_iso8601_extended(time: SystemTime) -> String {
    let whole_seconds = utc(time)
        .replace_nanosecond(0)
        .expect("0 is a valid nanosecond");
    whole_seconds
        .format(EXTENDED_MILLIS)
        .expect("a SystemTime always formats in the extended form")
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // Expected strings from the Go SDK v2 signer tests: Unix 1702743657 is
    // 2023-12-16 16:20:57 UTC, 1702785388 gives x-oss-date 20231217T035628Z.
    #[test]
    fn basic_form_matches_sdk_dates() {
        assert_eq!(format_iso8601_basic(at(1_702_743_657)), "20231216T162057Z");
        assert_eq!(format_iso8601_basic(at(1_702_785_388)), "20231217T035628Z");
        assert_eq!(
            parse_iso8601_basic("20231217T035628Z"),
            Some(at(1_702_785_388))
        );
    }

    // 2023-02-19T13:19:00Z is Unix 1676812740 (date -d '2023-02-19T13:19:00Z' +%s).
    #[test]
    fn extended_form_parses_with_and_without_fraction() {
        assert_eq!(
            parse_iso8601_extended("2023-02-19T13:19:00.000Z"),
            Some(at(1_676_812_740))
        );
        assert_eq!(
            parse_iso8601_extended("2023-02-19T13:19:00Z"),
            Some(at(1_676_812_740))
        );
        assert_eq!(
            format_iso8601_extended(at(1_676_812_740)),
            "2023-02-19T13:19:00.000Z"
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "2023-02-19 13:19:00Z",
            "2023-13-19T13:19:00Z",
            "2023-02-19T13:19:00",
            "20231217T035628",
            "2023121XT035628Z",
        ] {
            assert_eq!(parse_iso8601_extended(bad), None, "{bad}");
            assert_eq!(parse_iso8601_basic(bad), None, "{bad}");
        }
    }

    #[test]
    fn leap_day_round_trips() {
        // 2024-02-29T00:00:00Z is Unix 1709164800 (date -d 2024-02-29T00:00:00Z +%s).
        assert_eq!(format_iso8601_basic(at(1_709_164_800)), "20240229T000000Z");
    }
}
