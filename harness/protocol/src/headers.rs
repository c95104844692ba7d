//! Case-insensitive lookup in a header list kept as `(name, value)` pairs in
//! arrival order (the form every layer records, so a duplicate or an odd
//! case is still visible). One implementation for every crate.

/// Lookup in a list of `(name, value)` header pairs, names compared without
/// regard to ASCII case as HTTP requires.
pub trait Headers {
    /// The first value of `name`.
    fn header(&self, name: &str) -> Option<&str>;
    /// Every value of `name`, in order.
    fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a;
}

impl Headers for [(String, String)] {
    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_ignores_ascii_case_and_keeps_order() {
        // A Vec, as every layer keeps them: the lookup reaches it by deref.
        let headers: Vec<(String, String)> = Vec::from([
            ("Content-Type".to_owned(), "a".to_owned()),
            ("AUTHORIZATION".to_owned(), "first".to_owned()),
            ("authorization".to_owned(), "second".to_owned()),
        ]);
        assert_eq!(headers.header("content-type"), Some("a"));
        assert_eq!(headers.header("Authorization"), Some("first"));
        assert_eq!(
            headers.headers_named("authorization").collect::<Vec<_>>(),
            ["first", "second"]
        );
        assert_eq!(headers.header("host"), None);
        // Non-ASCII case folding is not HTTP's: `ß` does not match `SS`.
        let odd = [("ß".to_owned(), "x".to_owned())];
        assert_eq!(odd.header("SS"), None);
    }
}
