//! Property tests for the two security decisions that an attacker writes
//! the input to: the private-address rule for callback URLs and the key-URL
//! allowlist. Each compares the decision with an oracle written here,
//! independently of the code under test: the generator knows which address
//! it spelled, and a model of RFC 3986 dot-segment removal (with the WHATWG
//! extras: `%2e` is a dot, `\` is a slash) knows which path the fetcher will
//! request.

use std::net::Ipv4Addr;

use cbspec_protocol::callback_url::{parse_url, AddressPolicy};
use cbspec_protocol::signature::{KeyUrlAllowlist, KeyUrlError, KeyUrlPrefix};
use proptest::prelude::*;

/// An internal IPv4 address: loopback, RFC 1918, link-local, "this
/// network", carrier-grade NAT.
fn internal_ipv4() -> impl Strategy<Value = Ipv4Addr> {
    prop_oneof![
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(b, c, d)| Ipv4Addr::new(127, b, c, d)),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(b, c, d)| Ipv4Addr::new(10, b, c, d)),
        (16u8..32, any::<u8>(), any::<u8>()).prop_map(|(b, c, d)| Ipv4Addr::new(172, b, c, d)),
        (any::<u8>(), any::<u8>()).prop_map(|(c, d)| Ipv4Addr::new(192, 168, c, d)),
        (any::<u8>(), any::<u8>()).prop_map(|(c, d)| Ipv4Addr::new(169, 254, c, d)),
        (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(b, c, d)| Ipv4Addr::new(0, b, c, d)),
        (64u8..128, any::<u8>(), any::<u8>()).prop_map(|(b, c, d)| Ipv4Addr::new(100, b, c, d)),
    ]
}

/// One number written in decimal, octal (`0` prefix) or hex (`0x`/`0X`),
/// as the WHATWG IPv4 parser reads them.
fn spell(n: u64, radix: u8, upper: bool) -> String {
    match radix % 3 {
        0 => n.to_string(),
        1 => format!("0{n:o}"),
        _ if upper => format!("0X{n:X}"),
        _ => format!("0x{n:x}"),
    }
}

/// The address in 1 to 4 parts (`a.b.c.d`, `a.b.cd`, `a.bcd`, `abcd`), each
/// part in its own radix: the forms every URL client accepts.
fn spellings(ip: Ipv4Addr, parts: u8, radixes: [u8; 4], upper: bool) -> String {
    let [a, b, c, d] = ip.octets().map(u64::from);
    let numbers: Vec<u64> = match parts % 4 {
        0 => vec![a, b, c, d],
        1 => vec![a, b, (c << 8) | d],
        2 => vec![a, (b << 16) | (c << 8) | d],
        _ => vec![(a << 24) | (b << 16) | (c << 8) | d],
    };
    numbers
        .iter()
        .zip(radixes)
        .map(|(n, r)| spell(*n, r, upper))
        .collect::<Vec<_>>()
        .join(".")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every spelling of every internal address is refused with EC
    /// 0007-00000008 under production rules.
    // spec: CB-URL-PRIVATE, CB-URL-PRIVATE-AS-CONNECTED
    #[test]
    fn no_spelling_of_an_internal_address_passes_production_rules(
        ip in internal_ipv4(),
        parts in any::<u8>(),
        radixes in any::<[u8; 4]>(),
        upper in any::<bool>(),
        port in 1u16..=u16::MAX,
    ) {
        let host = spellings(ip, parts, radixes, upper);
        let url = format!("http://{host}:{port}/cb");
        match parse_url(&url, AddressPolicy::Production) {
            Err(rejection) => prop_assert_eq!(rejection.ec(), "0007-00000008", "{} ({})", url, ip),
            Ok(parsed) => prop_assert!(false, "{url} ({ip}) was accepted as {parsed}"),
        }
    }

    /// A public address in any spelling is never taken for a name: it is
    /// accepted as an address (so never sent as SNI) or, in the forms
    /// cbspec's URL grammar does not take (`1.0.0`, `0x1000000`), refused as
    /// an invalid URL.
    // spec: CB-URL-PRIVATE-AS-CONNECTED
    #[test]
    fn public_addresses_in_any_spelling_stay_addresses(
        a in 1u8..=9, b in any::<u8>(), c in any::<u8>(), d in any::<u8>(),
        parts in any::<u8>(),
        radixes in any::<[u8; 4]>(),
    ) {
        // 1.0.0.0 to 9.255.255.255 holds no internal range.
        let ip = Ipv4Addr::new(a, b, c, d);
        let host = spellings(ip, parts, radixes, false);
        match parse_url(&format!("http://{host}/cb"), AddressPolicy::Production) {
            Ok(parsed) => prop_assert!(parsed.host_is_ip(), "{} ({}) taken for a name", host, ip),
            Err(rejection) => prop_assert_eq!(rejection.ec(), "0007-00000004", "{} ({})", host, ip),
        }
    }
}

/// One path segment an attacker might write: plain names, dot segments in
/// their encoded and case-folded forms.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z]{1,4}",
        1 => Just("keys".to_owned()),
        2 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just("%2e%2e".to_owned()),
        1 => Just(".%2E".to_owned()),
        1 => Just("%2E.".to_owned()),
        1 => Just("%2e".to_owned()),
    ]
}

/// Whether a segment is a dot segment once percent-decoded (WHATWG treats
/// `%2e` as `.` in dot segments).
fn dots(segment: &str) -> usize {
    match segment.to_ascii_lowercase().replace("%2e", ".").as_str() {
        "." => 1,
        ".." => 2,
        _ => 0,
    }
}

/// The path the fetcher requests for `/` + segments joined by `separators`
/// (`/` or `\`), by RFC 3986 §5.2.4 dot-segment removal.
fn resolved_path(segments: &[String]) -> String {
    let mut out: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match dots(segment) {
            1 => {
                if last {
                    out.push("");
                }
            }
            2 => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            _ => out.push(segment),
        }
    }
    format!("/{}", out.join("/"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// A key URL is allowed exactly when the path the fetcher will request
    /// lies under the prefix (by the model above), whatever dot segments,
    /// encodings and separators it is written with; and what is returned to
    /// fetch is that path.
    // spec: CB-KEY-ALLOWLIST, CB-KEY-URL-NORMALISED
    #[test]
    fn the_allowlist_decides_on_the_path_the_fetcher_requests(
        segments in prop::collection::vec(segment(), 1..7),
        backslashes in prop::collection::vec(any::<bool>(), 7),
    ) {
        let prefix: KeyUrlPrefix = "http://127.0.0.1:9/keys/".parse().unwrap();
        let allowlist = KeyUrlAllowlist::default().with_prefix(prefix);
        let mut path = String::new();
        for (segment, backslash) in segments.iter().zip(&backslashes) {
            path.push(if *backslash { '\\' } else { '/' });
            path.push_str(segment);
        }
        let url = format!("http://127.0.0.1:9{path}");
        let expected_path = resolved_path(&segments);
        let should_allow = expected_path.starts_with("/keys/");
        match allowlist.check(&url) {
            Ok(allowed) => {
                prop_assert!(should_allow, "{} allowed, but it fetches {}", url, expected_path);
                prop_assert_eq!(allowed.as_str(), format!("http://127.0.0.1:9{expected_path}"));
            }
            Err(KeyUrlError::NotAllowed { normalised, .. }) => {
                prop_assert!(!should_allow, "{} refused (read as {}), but it fetches {}", url, normalised, expected_path);
            }
            Err(other) => prop_assert!(false, "{url}: {other}"),
        }
    }
}
