//! The client's address when a loopback proxy (`chalice-rs local`'s autoreload) stands between
//! the client and this server: the proxy names it in a header this server was told to trust, so
//! the view's `sourceIp` is the client's, as behind API Gateway, and not the proxy's.

use std::net::{IpAddr, SocketAddr};

use http::{HeaderMap, HeaderName};

/// The header a loopback proxy names the client's address in (`--source-ip-header NAME`).
///
/// The header is always removed before the request reaches the gateway, and believed only from
/// a loopback peer, so a client cannot set its own `sourceIp` by sending it: a remote client is
/// never a loopback peer, and the proxy replaces any copy a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardedSourceIp {
    header: HeaderName,
}

impl ForwardedSourceIp {
    /// Trusts `header`, or says why it is not a header name.
    pub fn new(header: &str) -> Result<Self, String> {
        HeaderName::try_from(header)
            .map(|header| ForwardedSourceIp { header })
            .map_err(|_| format!("`{header}` is not an HTTP header name"))
    }

    /// The header's name.
    pub fn header(&self) -> &HeaderName {
        &self.header
    }

    /// The client's address for a request from `peer`: the header's when `peer` is the loopback
    /// proxy and the header holds an IP address, else `peer`'s. Removes the header either way.
    pub fn source_ip(&self, peer: SocketAddr, headers: &mut HeaderMap) -> Option<IpAddr> {
        let forwarded = headers.remove(&self.header)?;
        if !peer.ip().is_loopback() {
            return None;
        }
        forwarded.to_str().ok()?.trim().parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (HeaderName::try_from(*name).unwrap(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_loopback_proxy_names_the_client_and_the_header_is_removed() {
        let trusted = ForwardedSourceIp::new("x-source-ip-secret").unwrap();
        let mut sent = headers(&[("x-source-ip-secret", "203.0.113.7"), ("accept", "*/*")]);
        let ip = trusted.source_ip("127.0.0.1:5000".parse().unwrap(), &mut sent);
        assert_eq!(ip, Some("203.0.113.7".parse().unwrap()));
        assert!(!sent.contains_key("x-source-ip-secret"));
        assert!(sent.contains_key("accept"));
        let v6 = trusted.source_ip(
            "[::1]:5000".parse().unwrap(),
            &mut headers(&[("x-source-ip-secret", "2001:db8::1")]),
        );
        assert_eq!(v6, Some("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn a_remote_peer_or_a_value_that_is_no_address_is_not_believed() {
        let trusted = ForwardedSourceIp::new("x-source-ip-secret").unwrap();
        let mut remote = headers(&[("x-source-ip-secret", "203.0.113.7")]);
        assert_eq!(
            trusted.source_ip("192.0.2.1:5000".parse().unwrap(), &mut remote),
            None
        );
        assert!(remote.is_empty(), "the spoofed header reached the view");
        let mut junk = headers(&[("x-source-ip-secret", "me, 10.0.0.1")]);
        assert_eq!(
            trusted.source_ip("127.0.0.1:5000".parse().unwrap(), &mut junk),
            None
        );
        assert_eq!(
            trusted.source_ip("127.0.0.1:5000".parse().unwrap(), &mut HeaderMap::new()),
            None
        );
        assert!(ForwardedSourceIp::new("not a name").is_err());
    }
}
