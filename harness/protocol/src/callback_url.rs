//! The `callbackUrl` list: up to five `;`-separated URLs that OSS calls in
//! order, stopping at the first success.
//!
//! This is a validating grammar for what OSS accepts, not a general URL
//! parser: the request target must reach the callback server exactly as
//! written (it is part of the signed string), so nothing is normalised.
//! The one exception is the security decision on the host, which is made
//! on the host as the connecting client reads it.

use std::fmt;
use std::net::Ipv4Addr;

use url::{Host, Url};

use super::rejection::{Rejection, RejectionKind};

/// The most URLs one callbackUrl may list.
// spec: CB-URL-MAX5
pub const MAX_CALLBACK_URLS: usize = 5;

/// Whether loopback and private addresses are acceptable callback targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// Refuse them with EC 0007-00000008, as the real service does.
    Production,
    /// Accept them: the emulator's default, so callbacks can reach a capture
    /// server on loopback.
    #[default]
    AllowPrivate,
}

/// The URL scheme of a callback target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (also what a scheme-less URL means).
    Http,
    /// HTTPS; SNI is sent only when callbackSNI is true.
    Https,
}

impl Scheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// One validated callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackUrl {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Whether the scheme was written out (scheme-less URLs are plain HTTP).
    pub scheme_explicit: bool,
    /// The host as written: a DNS name or a dotted IPv4 address.
    pub host: String,
    /// The port as written, if any.
    pub port: Option<u16>,
    /// Path and query exactly as written (`/` when the URL has no path).
    pub target: String,
}

impl CallbackUrl {
    /// The port the callback connects to.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.scheme.default_port())
    }

    /// `host[:port]` as written: the `Host` header when callbackHost is absent.
    // spec: CB-CFG-HOST-DEFAULT, CB-HDR-HOST
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The path of the target (before any `?`).
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The raw query of the target including its `?`, or `""`.
    pub fn query(&self) -> &str {
        self.target.find('?').map_or("", |i| &self.target[i..])
    }

    /// Whether the host is an IPv4 address as the connecting client reads
    /// it (`0x7f.1` included): never sent as SNI.
    pub fn host_is_ip(&self) -> bool {
        matches!(connect_host(&self.host), Some(Host::Ipv4(_)))
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.target
        )
    }
}

/// Parses a callbackUrl value into its URLs, in order.
///
/// Empty segments (a trailing `;`) are skipped. An empty list means no
/// callback is configured (spec: CB-CFG-URL-ABSENT).
// spec: CB-URL-ORDER, CB-URL-EMPTY-SEGMENT, CB-URL-MAX5
pub fn parse_url_list(text: &str, policy: AddressPolicy) -> Result<Vec<CallbackUrl>, Rejection> {
    let segments: Vec<&str> = text.split(';').filter(|s| !s.is_empty()).collect();
    if segments.len() > MAX_CALLBACK_URLS {
        return Err(Rejection::new(
            RejectionKind::TooManyUrls {
                count: segments.len(),
            },
            text,
        ));
    }
    segments
        .into_iter()
        .map(|segment| parse_url(segment, policy))
        .collect()
}

/// Parses and validates one URL of the list.
pub fn parse_url(url: &str, policy: AddressPolicy) -> Result<CallbackUrl, Rejection> {
    let invalid = |reason: &str| {
        Rejection::new(
            RejectionKind::UrlInvalid {
                url: url.to_owned(),
                reason: reason.to_owned(),
            },
            url,
        )
    };

    // Non-ASCII must be percent-encoded by the caller (the docs' 中文 example).
    // spec: CB-URL-CHARSET
    if let Some(bad) = url.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(invalid(&format!(
            "{bad:?} is not allowed; percent-encode non-ASCII characters, spaces and controls"
        )));
    }
    if url.contains('#') {
        return Err(invalid(
            "a fragment ('#') is never sent to a server; remove it",
        ));
    }

    // spec: CB-URL-SCHEME, CB-URL-SCHEMELESS
    let (scheme, scheme_explicit, rest) = match url.split_once("://") {
        Some((scheme, rest)) => match scheme.to_ascii_lowercase().as_str() {
            "http" => (Scheme::Http, true, rest),
            "https" => (Scheme::Https, true, rest),
            other => {
                return Err(invalid(&format!(
                    "scheme {other:?} is not supported; use http or https"
                )))
            }
        },
        None => (Scheme::Http, false, url),
    };

    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(authority_end);
    let target = match target {
        "" => "/".to_owned(),
        t if t.starts_with('?') => format!("/{t}"),
        t => t.to_owned(),
    };

    if authority.contains('@') {
        return Err(invalid(
            "user information ('user@') is not allowed in a callback URL",
        ));
    }
    // spec: CB-URL-IPV6
    if authority.starts_with('[') {
        return Err(invalid("IPv6 addresses are not supported for callbacks"));
    }

    // spec: CB-URL-PORT
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port_text)) => {
            let port = port_text
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0 && port_text.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    invalid(&format!(
                        "port {port_text:?} is not a positive integer between 1 and 65535"
                    ))
                })?;
            (host, Some(port))
        }
        None => (authority, None),
    };

    if host.is_empty() {
        return Err(invalid("the URL has no host"));
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
    {
        return Err(invalid(&format!("{bad:?} is not allowed in a host name")));
    }

    // Decided on the host as the connecting client reads it (WHATWG host
    // parsing, which also reads `0x7f.1`, `0177.0.0.1` and `127.1` as
    // 127.0.0.1), so no spelling of an internal address gets through.
    // spec: CB-URL-PRIVATE, CB-URL-PRIVATE-AS-CONNECTED
    if policy == AddressPolicy::Production {
        let Some(connected) = connect_host(host) else {
            return Err(invalid(&format!(
                "host {host:?} is not a host name or address a client can connect to"
            )));
        };
        if is_internal(&connected) {
            return Err(Rejection::new(
                RejectionKind::PrivateAddress {
                    host: host.to_owned(),
                },
                url,
            ));
        }
    }

    // Live OSS refused `my`; a name needs a dot unless it is an IPv4 literal
    // (or `localhost`, which only AllowPrivate lets through).
    // spec: CB-URL-HOST-DOT
    let is_ipv4 = host.parse::<Ipv4Addr>().is_ok();
    let is_localhost = host.eq_ignore_ascii_case("localhost");
    if !is_ipv4 && !is_localhost && !host.contains('.') {
        return Err(invalid(&format!(
            "host {host:?} is neither an IPv4 address nor a domain name with a dot"
        )));
    }
    if !is_ipv4 && (host.starts_with('.') || host.ends_with('.') || host.contains("..")) {
        return Err(invalid(&format!("host {host:?} has an empty label")));
    }
    if !is_ipv4 && host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid(&format!(
            "host {host:?} is not a valid IPv4 address"
        )));
    }

    Ok(CallbackUrl {
        scheme,
        scheme_explicit,
        host: host.to_owned(),
        port,
        target,
    })
}

/// The host a client connects to for `host`, read as the WHATWG URL
/// standard reads the host of an http(s) URL (what the `url` crate, and so
/// reqwest, does): IPv4 in any of its spellings becomes an address, a name
/// is lower-cased and IDNA-mapped. `None` when no client could use it.
pub fn connect_host(host: &str) -> Option<Host<String>> {
    Url::parse(&format!("http://{host}/"))
        .ok()?
        .host()
        .map(|h| h.to_owned())
}

/// Whether a host names a loopback, private, link-local or otherwise
/// non-public address that OSS refuses to call, in any spelling the
/// connecting client accepts (`127.1`, `0x7f.0.0.1`, `0177.0.0.1`).
///
/// Only addresses and `localhost` names are recognised: resolving DNS names
/// is I/O and belongs to the caller.
pub fn is_internal_host(host: &str) -> bool {
    connect_host(host).is_some_and(|h| is_internal(&h))
}

fn is_internal(host: &Host<String>) -> bool {
    match host {
        Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
        Host::Ipv4(ip) => is_internal_ipv4(*ip),
        // Callback URLs refuse IPv6 before this; any other caller gets the
        // conservative answer.
        Host::Ipv6(_) => true,
    }
}

/// Whether an IPv4 address is one OSS refuses as a callback target.
pub fn is_internal_ipv4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || a == 0
        // Carrier-grade NAT space (RFC 6598) is not publicly routable either.
        || (a == 100 && (64..128).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec(result: Result<Vec<CallbackUrl>, Rejection>) -> &'static str {
        result.unwrap_err().ec()
    }

    // spec: CB-URL-SCHEMELESS
    #[test]
    fn scheme_less_urls_from_the_docs_are_plain_http() {
        let urls =
            parse_url_list("121.43.113.8:23456/index.html", AddressPolicy::Production).unwrap();
        assert_eq!(urls.len(), 1);
        assert_eq!(urls[0].scheme, Scheme::Http);
        assert!(!urls[0].scheme_explicit);
        assert_eq!(urls[0].host, "121.43.113.8");
        assert_eq!(urls[0].port, Some(23456));
        assert_eq!(urls[0].target, "/index.html");
        assert_eq!(urls[0].to_string(), "http://121.43.113.8:23456/index.html");
    }

    // spec: CB-URL-QUERY, CB-URL-ORDER
    #[test]
    fn keeps_order_path_and_query_verbatim() {
        let urls = parse_url_list(
            "https://a.example.com/cb?x=1&y=%2F;http://b.example.com;c.example.com:8080?q",
            AddressPolicy::Production,
        )
        .unwrap();
        let shown: Vec<String> = urls.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "https://a.example.com/cb?x=1&y=%2F",
                "http://b.example.com/",
                "http://c.example.com:8080/?q"
            ]
        );
        assert_eq!(urls[0].path(), "/cb");
        assert_eq!(urls[0].query(), "?x=1&y=%2F");
        assert_eq!(urls[1].query(), "");
        assert_eq!(urls[0].effective_port(), 443);
        assert_eq!(urls[2].authority(), "c.example.com:8080");
    }

    // spec: CB-URL-MAX5, CB-URL-EMPTY-SEGMENT
    #[test]
    fn five_urls_pass_six_fail_with_ec_0005() {
        let five = "a.example.com;b.example.com;c.example.com;d.example.com;e.example.com;";
        assert_eq!(
            parse_url_list(five, AddressPolicy::Production)
                .unwrap()
                .len(),
            5
        );
        // The documented example: six URLs with a trailing `;`.
        let six = "https://callback1.com;https://callback2.com;https://callback3.com;https://callback4.com;https://callback5.com;https://callback6.com;";
        assert_eq!(
            ec(parse_url_list(six, AddressPolicy::Production)),
            "0007-00000005"
        );
    }

    // spec: CB-URL-PORT
    #[test]
    fn ports_must_be_positive_integers() {
        for bad in [
            "www.callback-example.com:test",
            "10.101.166.30:test",
            "my.com:test",
            "a.example.com:0",
            "a.example.com:65536",
            "a.example.com:",
            "a.example.com:+80",
        ] {
            assert_eq!(
                ec(parse_url_list(bad, AddressPolicy::AllowPrivate)),
                "0007-00000004",
                "{bad}"
            );
        }
        assert!(parse_url_list("a.example.com:65535", AddressPolicy::Production).is_ok());
    }

    // spec: CB-URL-HOST-DOT, CB-URL-IPV6, CB-URL-SCHEME, CB-URL-CHARSET
    #[test]
    fn malformed_hosts_and_schemes_are_invalid() {
        for bad in [
            "my",
            "http://my/cb",
            "http://[::1]:8080/",
            "ftp://a.example.com/",
            "http://a.example.com/中文",
            "http://a.example.com/a b",
            "http://user@a.example.com/",
            "http:///path",
            "http://a..example.com/",
            "http://999.1.1.1/",
            "http://a.example.com/#frag",
        ] {
            assert_eq!(
                ec(parse_url_list(bad, AddressPolicy::AllowPrivate)),
                "0007-00000004",
                "{bad}"
            );
        }
        assert!(
            parse_url_list("HTTPS://A.Example.com/%E4%B8%AD", AddressPolicy::Production).is_ok()
        );
    }

    // spec: CB-URL-PRIVATE
    #[test]
    fn private_addresses_depend_on_the_policy() {
        for private in [
            "127.0.0.1:9000/cb",
            "http://10.101.166.30:8083/callback.php",
            "http://192.168.1.1",
            "http://172.16.0.1",
            "http://169.254.1.1",
            "http://100.64.0.1",
            "http://0.0.0.0",
            "http://localhost:8080/",
            "http://cb.localhost/",
        ] {
            assert_eq!(
                ec(parse_url_list(private, AddressPolicy::Production)),
                "0007-00000008",
                "{private}"
            );
            assert!(
                parse_url_list(private, AddressPolicy::AllowPrivate).is_ok(),
                "{private}"
            );
        }
        for public in ["http://172.32.0.1", "http://100.128.0.1", "http://8.8.8.8"] {
            assert!(
                parse_url_list(public, AddressPolicy::Production).is_ok(),
                "{public}"
            );
        }
    }

    // spec: CB-CFG-URL-ABSENT
    #[test]
    fn empty_text_means_no_urls() {
        assert!(parse_url_list("", AddressPolicy::Production)
            .unwrap()
            .is_empty());
        assert!(parse_url_list(";;", AddressPolicy::Production)
            .unwrap()
            .is_empty());
    }

    // spec: CB-URL-PRIVATE, CB-URL-PRIVATE-AS-CONNECTED
    #[test]
    fn every_spelling_of_an_internal_address_is_refused_in_production() {
        for host in [
            "0x7f.0.0.1",
            "0X7F.0.0.1",
            "0x7f.1",
            "127.0x0.0.1",
            "127.0.0.0x1",
            "0x7f.0x0.0x0.0x1",
            "0177.0.0.0x1",
            "0177.0.0.1",
            "0x0.0.0.0",
            "0.0.0.0x0",
            "127.1",
            "2130706433",
            "0x7f000001",
            "017700000001",
            "10.1",
            "0xa9.0xfe.0xa9.0xfe",
            "192.168.1",
            "LOCALHOST",
            "a.LocalHost",
        ] {
            let url = format!("http://{host}:8080/cb");
            let rejection = parse_url(&url, AddressPolicy::Production).unwrap_err();
            assert_eq!(rejection.ec(), "0007-00000008", "{url}: {rejection:?}");
        }
        // Public addresses in odd spellings are still addresses, not names.
        let public = parse_url("http://0x8.0x8.0x8.0x8/cb", AddressPolicy::Production).unwrap();
        assert!(public.host_is_ip());
        // A host no client can parse is invalid, not a name to trust.
        let bad = parse_url("http://0x7g.0.0.1/cb", AddressPolicy::Production);
        assert!(bad.is_err());
    }
}
