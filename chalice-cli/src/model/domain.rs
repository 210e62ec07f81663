//! The REST API's custom domain name (`api_gateway_custom_domain`), decided once for `deploy`
//! and `package` (SAM and Terraform): the domain, which certificate field holds the ACM
//! certificate (an EDGE domain's `certificateArn`, a REGIONAL one's `regionalCertificateArn`),
//! the security policy, and the base path mapping to the API's stage.

use std::collections::BTreeMap;

use super::api::ApiSettings;
use crate::config::{EndpointType, Stage, TlsVersion, certificate_region};
use crate::error::Result;
use crate::naming;

/// API Gateway's base path of a mapping at the domain's root.
pub const ROOT_BASE_PATH: &str = "(none)";

/// The region an EDGE domain's certificate must be in: CloudFront reads it from there.
pub const EDGE_CERTIFICATE_REGION: &str = "us-east-1";

/// The custom domain of a REST API stage and its base path mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    /// The host name, e.g. `api.example.com`.
    pub domain_name: String,
    /// The domain's endpoint: the API's (EDGE or REGIONAL).
    pub endpoint_type: EndpointType,
    /// The ACM certificate, in the field the endpoint type takes it in.
    pub certificate: Certificate,
    /// The minimum TLS version (`securityPolicy`).
    pub security_policy: TlsVersion,
    /// The base path the API's stage is mapped to; none maps it at the domain's root.
    pub base_path: Option<String>,
    /// The API Gateway stage the mapping points at.
    pub stage_name: String,
    /// The domain's tags: the config's (`api_gateway_custom_domain.tags`), then chalice-rs's
    /// app and stage tags, which tell whose it is.
    pub tags: BTreeMap<String, String>,
}

/// Where a domain name holds its ACM certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certificate {
    /// An EDGE domain's `certificateArn` (the certificate is in us-east-1).
    Edge(String),
    /// A REGIONAL domain's `regionalCertificateArn` (the certificate is in the API's region).
    Regional(String),
}

impl Certificate {
    /// The certificate's ARN.
    pub fn arn(&self) -> &str {
        match self {
            Certificate::Edge(arn) | Certificate::Regional(arn) => arn,
        }
    }
}

impl CustomDomain {
    /// The custom domain `stage` gives the REST API of app `app` (whose settings are
    /// `settings`), if it names one. A PRIVATE API, or an EDGE one whose certificate is not in
    /// us-east-1, is an error naming the key, before anything is built or called.
    pub fn of(
        stage: &Stage<'_>,
        app: &str,
        settings: &ApiSettings,
    ) -> Result<Option<CustomDomain>> {
        let Some(config) = stage.custom_domain() else {
            return Ok(None);
        };
        let endpoint_type = settings.endpoint_type;
        let certificate = match endpoint_type {
            EndpointType::Edge => {
                let region = certificate_region(&config.certificate_arn);
                if region != Some(EDGE_CERTIFICATE_REGION) {
                    return Err(stage.error(&format!(
                        "`api_gateway_custom_domain.certificate_arn` \"{}\" is in {}, but an EDGE API's custom domain takes a certificate in {EDGE_CERTIFICATE_REGION} (or set `api_gateway_endpoint_type` to REGIONAL)",
                        config.certificate_arn,
                        region.unwrap_or("no region")
                    )));
                }
                Certificate::Edge(config.certificate_arn)
            }
            EndpointType::Regional => Certificate::Regional(config.certificate_arn),
            EndpointType::Private => {
                return Err(stage.error(
                    "`api_gateway_custom_domain` is not supported by chalice-rs yet for a PRIVATE API (API Gateway needs a private domain name for it); remove it or use an EDGE or REGIONAL endpoint",
                ));
            }
        };
        let base_path = config
            .url_prefix
            .as_deref()
            .map(|prefix| prefix.trim_matches('/'))
            .filter(|prefix| !prefix.is_empty() && *prefix != ROOT_BASE_PATH)
            .map(str::to_owned);
        Ok(Some(CustomDomain {
            domain_name: config.domain_name,
            endpoint_type,
            certificate,
            security_policy: config.tls_version.unwrap_or(TlsVersion::Tls12),
            base_path,
            stage_name: settings.stage_name.clone(),
            tags: naming::function_tags(app, stage.name(), &config.tags.unwrap_or_default()),
        }))
    }

    /// The base path as API Gateway reads it back: the prefix, or `(none)` for the root.
    pub fn base_path_key(&self) -> &str {
        self.base_path.as_deref().unwrap_or(ROOT_BASE_PATH)
    }

    /// The URL the API is served at on the domain.
    pub fn url(&self) -> String {
        match &self.base_path {
            Some(prefix) => format!("https://{}/{prefix}/", self.domain_name),
            None => format!("https://{}/", self.domain_name),
        }
    }

    /// Whether DNS points at a CloudFront distribution (EDGE) rather than a regional domain.
    pub fn is_edge(&self) -> bool {
        matches!(self.certificate, Certificate::Edge(_))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    fn domain(config: &str) -> Result<Option<CustomDomain>> {
        let config = Config::parse(config, Path::new("config.json")).unwrap();
        let stage = config.stage("dev").unwrap();
        let settings = ApiSettings::for_stage_with(&stage, &|_| unreachable!())?;
        CustomDomain::of(&stage, "app", &settings)
    }

    const EDGE_CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/edge";
    const REGIONAL_CERT: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/regional";

    #[test]
    fn no_config_no_domain() {
        assert_eq!(
            domain(r#"{"app_name": "app", "stages": {"dev": {}}}"#).unwrap(),
            None
        );
    }

    #[test]
    fn an_edge_domain_takes_certificate_arn_and_tls_1_2_at_the_root_by_default() {
        let found = domain(&format!(
            r#"{{"app_name": "app", "api_gateway_custom_domain": {{"domain_name": "api.example.com",
                "certificate_arn": "{EDGE_CERT}", "tags": {{"team": "web"}}}}, "stages": {{"dev": {{}}}}}}"#
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            found,
            CustomDomain {
                domain_name: "api.example.com".into(),
                endpoint_type: EndpointType::Edge,
                certificate: Certificate::Edge(EDGE_CERT.into()),
                security_policy: TlsVersion::Tls12,
                base_path: None,
                stage_name: "api".into(),
                tags: BTreeMap::from([
                    ("chalice-rs:app".to_owned(), "app".to_owned()),
                    ("chalice-rs:stage".to_owned(), "dev".to_owned()),
                    ("team".to_owned(), "web".to_owned()),
                ]),
            }
        );
        assert!(found.is_edge());
        assert_eq!(found.base_path_key(), "(none)");
        assert_eq!(found.url(), "https://api.example.com/");
    }

    #[test]
    fn a_regional_domain_takes_regional_certificate_arn_its_tls_version_and_prefix() {
        let found = domain(&format!(
            r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_endpoint_type": "REGIONAL",
                "api_gateway_stage": "v1", "api_gateway_custom_domain": {{"domain_name": "api.example.com",
                "certificate_arn": "{REGIONAL_CERT}", "url_prefix": "/shop/", "tls_version": "TLS_1_0"}}}}}}}}"#
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            found.certificate,
            Certificate::Regional(REGIONAL_CERT.into())
        );
        assert_eq!(found.certificate.arn(), REGIONAL_CERT);
        assert!(!found.is_edge());
        assert_eq!(found.security_policy, TlsVersion::Tls10);
        assert_eq!(found.base_path.as_deref(), Some("shop"));
        assert_eq!(found.base_path_key(), "shop");
        assert_eq!(found.stage_name, "v1");
        assert_eq!(found.url(), "https://api.example.com/shop/");
        for root in ["/", "(none)"] {
            let found = domain(&format!(
                r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_endpoint_type": "REGIONAL",
                    "api_gateway_custom_domain": {{"domain_name": "api.example.com",
                    "certificate_arn": "{REGIONAL_CERT}", "url_prefix": "{root}"}}}}}}}}"#
            ))
            .unwrap()
            .unwrap();
            assert_eq!(found.base_path, None, "{root}");
        }
    }

    #[test]
    fn an_edge_certificate_outside_us_east_1_and_a_private_api_are_refused_by_key() {
        let error = domain(&format!(
            r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_custom_domain": {{
                "domain_name": "api.example.com", "certificate_arn": "{REGIONAL_CERT}"}}}}}}}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with(
                "config.json: stage `dev`: `api_gateway_custom_domain.certificate_arn`"
            ) && error.contains(
                "is in eu-west-1, but an EDGE API's custom domain takes a certificate in us-east-1"
            ),
            "{error}"
        );
        let error = domain(&format!(
            r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_endpoint_type": "PRIVATE",
                "api_gateway_endpoint_vpce": "vpce-1", "api_gateway_custom_domain": {{
                "domain_name": "api.example.com", "certificate_arn": "{EDGE_CERT}"}}}}}}}}"#
        ))
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "`api_gateway_custom_domain` is not supported by chalice-rs yet for a PRIVATE API"
            ),
            "{error}"
        );
    }
}
