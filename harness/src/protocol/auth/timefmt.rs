//! The two ISO 8601 forms OSS authentication uses, converted to and from
//! [`SystemTime`].
//!
//! V4 signing writes `20231216T162057Z` (basic form) and POST policies write
//! `2023-02-19T13:19:00.000Z` (extended form). `httpdate` only speaks
//! RFC 1123, and none of the project's chosen crates does calendar
//! arithmetic, so the civil-date conversion lives here (Howard Hinnant's
//! `days_from_civil` / `civil_from_days`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC calendar time, whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CivilTime {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl CivilTime {
    fn from_system_time(time: SystemTime) -> Self {
        let secs = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs()) as i64;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let of_day = secs.rem_euclid(86_400) as u32;
        Self {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day % 3600 / 60,
            second: of_day % 60,
        }
    }

    fn to_system_time(self) -> Option<SystemTime> {
        let valid = (1..=12).contains(&self.month)
            && (1..=31).contains(&self.day)
            && self.hour < 24
            && self.minute < 60
            && self.second < 61;
        if !valid {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(secs)
            .ok()
            .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
    }
}

/// `yyyymmddThhmmssZ`, the V4 `x-oss-date` form.
pub fn format_iso8601_basic(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses the V4 `x-oss-date` form `yyyymmddThhmmssZ`.
pub fn parse_iso8601_basic(text: &str) -> Option<SystemTime> {
    if text.len() != 16 || !text.is_ascii() || &text[8..9] != "T" || &text[15..] != "Z" {
        return None;
    }
    CivilTime {
        year: i64::from(digits(&text[0..4])?),
        month: digits(&text[4..6])?,
        day: digits(&text[6..8])?,
        hour: digits(&text[9..11])?,
        minute: digits(&text[11..13])?,
        second: digits(&text[13..15])?,
    }
    .to_system_time()
}

/// Parses a POST policy `expiration`: `yyyy-mm-ddThh:mm:ss[.fraction]Z`.
/// The fraction is dropped (OSS documents millisecond precision; whole
/// seconds are enough to decide expiry).
pub fn parse_iso8601_extended(text: &str) -> Option<SystemTime> {
    let text = text.strip_suffix('Z')?;
    let whole = text.split_once('.').map_or(text, |(whole, fraction)| {
        if digits(fraction).is_some() {
            whole
        } else {
            ""
        }
    });
    let bytes = whole.as_bytes();
    if bytes.len() != 19
        || !whole.is_ascii()
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    CivilTime {
        year: i64::from(digits(&whole[0..4])?),
        month: digits(&whole[5..7])?,
        day: digits(&whole[8..10])?,
        hour: digits(&whole[11..13])?,
        minute: digits(&whole[14..16])?,
        second: digits(&whole[17..19])?,
    }
    .to_system_time()
}

/// `yyyy-mm-ddThh:mm:ss.000Z`, the form the SDKs write into POST policies.
pub fn format_iso8601_extended(time: SystemTime) -> String {
    let t = CivilTime::from_system_time(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
