//! How API Gateway reads a header that a request repeats: its `headers` field holds the last
//! value, and the TOKEN identity, the REQUEST identity sources and Chalice's `request.headers`
//! all read that field. Every reader here takes the same value, so an authorizer never
//! approves one value while the view reads another.

use http::HeaderMap;
use http::header::AsHeaderName;

/// The header's last value, if present and text.
pub(crate) fn last_value(headers: &HeaderMap, name: impl AsHeaderName) -> Option<&str> {
    headers.get_all(name).iter().next_back()?.to_str().ok()
}

/// The header's last value, if present, text and not empty: API Gateway treats a missing and
/// an empty identity source alike.
pub(crate) fn identity_header(headers: &HeaderMap, name: impl AsHeaderName) -> Option<&str> {
    last_value(headers, name).filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_header_reads_as_its_last_value() {
        let mut headers = HeaderMap::new();
        headers.append("authorization", "deny".parse().unwrap());
        headers.append("authorization", "allow".parse().unwrap());
        headers.append("x-empty", "".parse().unwrap());
        assert_eq!(last_value(&headers, "Authorization"), Some("allow"));
        assert_eq!(identity_header(&headers, "authorization"), Some("allow"));
        assert_eq!(last_value(&headers, "x-empty"), Some(""));
        assert_eq!(identity_header(&headers, "x-empty"), None);
        assert_eq!(last_value(&headers, "missing"), None);
    }
}
