//! `api_gateway_custom_domain`, as Chalice reads it (at the top level or per stage), checked
//! against what API Gateway accepts; and the Chalice keys chalice-rs reads only to say they
//! are not supported yet, so a Chalice project's config fails naming the key rather than with
//! a generic parse error.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The REST API's custom domain name (`api_gateway_custom_domain`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDomainConfig {
    /// The host name, e.g. `api.example.com`.
    pub domain_name: String,
    /// The ACM certificate for it (us-east-1 for an EDGE API, the API's region for REGIONAL).
    pub certificate_arn: String,
    /// The base path the API is mapped to; none (or `/`) maps it at the domain's root.
    pub url_prefix: Option<String>,
    /// The TLS version of the security policy; Chalice's default `TLS_1_2`.
    pub tls_version: Option<TlsVersion>,
    /// The domain name's own tags.
    pub tags: Option<BTreeMap<String, String>>,
}

/// The minimum TLS version of a custom domain (its security policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TlsVersion {
    /// `TLS_1_0`.
    #[serde(rename = "TLS_1_0")]
    Tls10,
    /// `TLS_1_2` (the default).
    #[serde(rename = "TLS_1_2")]
    Tls12,
}

impl TlsVersion {
    /// API Gateway's name for the security policy.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls10 => "TLS_1_0",
            TlsVersion::Tls12 => "TLS_1_2",
        }
    }
}

/// The Chalice keys a config may hold that chalice-rs reads only to refuse by name.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unsupported<'a> {
    /// `websocket_api_custom_domain`.
    pub websocket_api_custom_domain: Option<&'a Value>,
    /// `automatic_layer`.
    pub automatic_layer: Option<&'a Value>,
}

/// Refuses a Chalice key chalice-rs does not support yet, naming it (`key` spells its full
/// key). `automatic_layer: false` asks for what chalice-rs does anyway, so it passes.
pub(super) fn check_unsupported(
    unsupported: Unsupported<'_>,
    key: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let refuse = |name: &str, why: &str| {
        Err(format!(
            "{}: `{name}` is not supported by chalice-rs yet ({why}); remove it",
            key(name)
        ))
    };
    if unsupported.websocket_api_custom_domain.is_some() {
        return refuse(
            "websocket_api_custom_domain",
            "chalice-rs apps have no WebSocket API",
        );
    }
    match unsupported.automatic_layer {
        None | Some(Value::Bool(false)) => Ok(()),
        Some(_) => refuse(
            "automatic_layer",
            "the app is one binary, with nothing to put in a layer",
        ),
    }
}

/// The keys `expected one of` lists in serde's unknown-field error that are not really
/// settings: those [`check_unsupported`] refuses.
pub(super) const UNSUPPORTED_KEYS: [&str; 2] = ["websocket_api_custom_domain", "automatic_layer"];

/// serde's "unknown field `x`, expected one of ..." without the keys chalice-rs refuses, so
/// the list is of the keys a config can really use.
pub(super) fn without_unsupported(message: &str) -> String {
    let mut message = message.to_owned();
    for name in UNSUPPORTED_KEYS {
        message = message.replace(&format!(", `{name}`"), "");
    }
    message
}

/// Checks `api_gateway_custom_domain` against what API Gateway and ACM accept; `key` spells
/// the full key of one of its fields.
pub(super) fn check(
    domain: &CustomDomainConfig,
    key: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    check_domain_name(&domain.domain_name).map_err(|why| {
        format!(
            "{}: \"{}\" is not a domain name API Gateway accepts: {why}",
            key("domain_name"),
            domain.domain_name
        )
    })?;
    if !is_certificate_arn(&domain.certificate_arn) {
        return Err(format!(
            "{}: \"{}\" is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)",
            key("certificate_arn"),
            domain.certificate_arn
        ));
    }
    if let Some(prefix) = &domain.url_prefix
        && !is_base_path(prefix)
    {
        return Err(format!(
            "{}: \"{prefix}\" is not a base path API Gateway accepts (one segment of letters, digits and $-_.+!*'(), without `/`; leave it out or use \"/\" for the domain's root)",
            key("url_prefix")
        ));
    }
    if let Some(tags) = &domain.tags {
        super::check_tags(tags, &key("tags"))?;
    }
    Ok(())
}

/// The region of an ACM certificate ARN.
pub fn certificate_region(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts[..] {
        ["arn", _, "acm", region, _, _] => Some(region),
        _ => None,
    }
}

fn is_certificate_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts[..], ["arn", partition, "acm", region, account, resource]
        if partition.starts_with("aws")
            && !region.is_empty()
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty()))
}

/// A base path is one path segment of the characters API Gateway allows; empty or `/` means
/// the root, which the model spells as none.
fn is_base_path(prefix: &str) -> bool {
    let prefix = prefix.trim_matches('/');
    prefix.is_empty()
        || prefix.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '$' | '-' | '_' | '.' | '+' | '!' | '*' | '\'' | '(' | ')'
                )
        })
}

/// A lower-case host name of at least two labels; the first may be `*` (a wildcard domain).
fn check_domain_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 253 {
        return Err("it must be 1 to 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err("it needs at least two labels (api.example.com)");
    }
    for (index, label) in labels.iter().enumerate() {
        if index == 0 && *label == "*" {
            continue;
        }
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(
                "each label is 1 to 63 lower-case letters, digits and `-`, not starting or ending with `-`",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_lower_case_host_names_with_an_optional_wildcard() {
        for good in ["api.example.com", "*.example.com", "a-1.b.co"] {
            assert_eq!(check_domain_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "localhost",
            "API.example.com",
            "-a.example.com",
            "a..com",
            "a.*.com",
            "a_b.example.com",
        ] {
            assert!(check_domain_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn certificate_arns_are_acms_and_name_their_region() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        assert!(is_certificate_arn(arn));
        assert_eq!(certificate_region(arn), Some("us-east-1"));
        for bad in [
            "arn:aws:iam::123456789012:certificate/abc",
            "arn:aws:acm:us-east-1:12345:certificate/abc",
            "arn:aws:acm:us-east-1:123456789012:certificate/",
            "arn:aws:acm::123456789012:certificate/abc",
            "cert",
        ] {
            assert!(!is_certificate_arn(bad), "{bad}");
        }
    }

    #[test]
    fn base_paths_are_one_segment() {
        for good in ["", "/", "v1", "my-service", "v1.2_beta"] {
            assert!(is_base_path(good), "{good}");
        }
        for bad in ["a/b", "a b", "a?b", "ä"] {
            assert!(!is_base_path(bad), "{bad}");
        }
    }

    #[test]
    fn the_unknown_field_list_leaves_out_the_refused_keys() {
        assert_eq!(
            without_unsupported(
                "unknown field `x`, expected one of `a`, `websocket_api_custom_domain`, `automatic_layer`, `b`"
            ),
            "unknown field `x`, expected one of `a`, `b`"
        );
    }
}
