//! A custom domain name as the deployer reads it before planning.

use std::collections::BTreeMap;

/// A custom domain name and its base path mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedDomain {
    /// The host name.
    pub domain_name: String,
    /// `EDGE` or `REGIONAL`.
    pub endpoint_type: Option<String>,
    /// An EDGE domain's certificate.
    pub certificate_arn: Option<String>,
    /// A REGIONAL domain's certificate.
    pub regional_certificate_arn: Option<String>,
    /// `TLS_1_0` or `TLS_1_2`.
    pub security_policy: Option<String>,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// Where DNS should point: the CloudFront distribution's domain of an EDGE domain, the
    /// regional domain of a REGIONAL one.
    pub alias_domain_name: Option<String>,
    /// The Route 53 hosted zone of that alias target.
    pub hosted_zone_id: Option<String>,
    /// Its base path mappings.
    pub mappings: Vec<ObservedMapping>,
}

/// One base path mapping of a domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObservedMapping {
    /// The base path, `(none)` for the root.
    pub base_path: String,
    /// The REST API it maps to.
    pub rest_api_id: String,
    /// The stage it maps to.
    pub stage: Option<String>,
}
