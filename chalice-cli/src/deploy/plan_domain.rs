//! The custom domain part of a deploy's plan: the domain name (made, brought to the desired
//! certificate and security policy, tagged), its base path mapping to the REST API's stage,
//! and the domains the config no longer names. The mapping needs the stage, so these steps
//! come after the API is deployed; a domain that goes is deleted before any API is.

use std::fmt;

use super::desired::Desired;
use super::observed::{Observed, ObservedDomain};
use crate::model::{Certificate, CustomDomain};

/// One change to a custom domain name or its base path mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainStep {
    /// Create the domain name, tagged.
    CreateDomainName(CustomDomain),
    /// Set its certificate and security policy.
    UpdateDomainName(CustomDomain),
    /// Make its tags exactly the desired ones.
    TagDomainName {
        domain: CustomDomain,
        remove: Vec<String>,
    },
    /// Map the base path to the REST API's stage.
    CreateBasePathMapping(CustomDomain),
    /// Point the base path, mapped elsewhere, at the REST API's stage.
    UpdateBasePathMapping(CustomDomain),
    /// Remove a base path of the domain that maps this API no more (`url_prefix` changed).
    DeleteBasePathMapping {
        domain_name: String,
        base_path: String,
    },
    /// Delete a domain name (its mappings go with it); its record entry goes too.
    DeleteDomainName { domain_name: String },
}

impl fmt::Display for DomainStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainStep::CreateDomainName(domain) => {
                write!(f, "Creating custom domain name: {}", domain.domain_name)
            }
            DomainStep::UpdateDomainName(domain) => {
                write!(f, "Updating custom domain name: {}", domain.domain_name)
            }
            DomainStep::TagDomainName { domain, .. } => {
                write!(
                    f,
                    "Updating tags of custom domain name: {}",
                    domain.domain_name
                )
            }
            DomainStep::CreateBasePathMapping(domain) => write!(
                f,
                "Creating base path mapping: {} {} -> stage {}",
                domain.domain_name,
                domain.base_path_key(),
                domain.stage_name
            ),
            DomainStep::UpdateBasePathMapping(domain) => write!(
                f,
                "Updating base path mapping: {} {} -> stage {}",
                domain.domain_name,
                domain.base_path_key(),
                domain.stage_name
            ),
            DomainStep::DeleteBasePathMapping {
                domain_name,
                base_path,
            } => write!(f, "Deleting base path mapping: {domain_name} {base_path}"),
            DomainStep::DeleteDomainName { domain_name } => {
                write!(f, "Deleting custom domain name: {domain_name}")
            }
        }
    }
}

/// The record entry of the stage's custom domain.
pub const CUSTOM_DOMAIN: &str = "api_gateway_custom_domain";

/// The domain's steps that turn `observed` into `desired`.
pub fn plan_domain(desired: &Desired, observed: &Observed) -> Vec<DomainStep> {
    let mut steps = Vec::new();
    for domain_name in &observed.stale_domains {
        steps.push(DomainStep::DeleteDomainName {
            domain_name: domain_name.clone(),
        });
    }
    let Some(domain) = desired.rest_api().and(desired.custom_domain.as_ref()) else {
        return steps;
    };
    let api_id = observed.api.as_ref().map(|api| api.id.as_str());
    let found = match &observed.domain {
        // Another endpoint type means another alias target: the domain is made again.
        Some(found) if found.endpoint_type.as_deref() != Some(domain.endpoint_type.as_str()) => {
            steps.push(DomainStep::DeleteDomainName {
                domain_name: found.domain_name.clone(),
            });
            None
        }
        found => found.as_ref(),
    };
    let Some(found) = found else {
        steps.push(DomainStep::CreateDomainName(domain.clone()));
        steps.push(DomainStep::CreateBasePathMapping(domain.clone()));
        return steps;
    };
    if found.tags != domain.tags {
        let remove = found
            .tags
            .keys()
            .filter(|key| !domain.tags.contains_key(*key))
            .cloned()
            .collect();
        steps.push(DomainStep::TagDomainName {
            domain: domain.clone(),
            remove,
        });
    }
    if !same_settings(domain, found) {
        steps.push(DomainStep::UpdateDomainName(domain.clone()));
    }
    let key = domain.base_path_key();
    match found.mappings.iter().find(|m| m.base_path == key) {
        None => steps.push(DomainStep::CreateBasePathMapping(domain.clone())),
        Some(mapping)
            if Some(mapping.rest_api_id.as_str()) != api_id
                || mapping.stage.as_deref() != Some(domain.stage_name.as_str()) =>
        {
            steps.push(DomainStep::UpdateBasePathMapping(domain.clone()))
        }
        Some(_) => {}
    }
    for mapping in &found.mappings {
        if mapping.base_path != key && Some(mapping.rest_api_id.as_str()) == api_id {
            steps.push(DomainStep::DeleteBasePathMapping {
                domain_name: domain.domain_name.clone(),
                base_path: mapping.base_path.clone(),
            });
        }
    }
    steps
}

/// Whether the domain holds the desired certificate and security policy.
fn same_settings(domain: &CustomDomain, found: &ObservedDomain) -> bool {
    let certificate = match &domain.certificate {
        Certificate::Edge(arn) => found.certificate_arn.as_ref() == Some(arn),
        Certificate::Regional(arn) => found.regional_certificate_arn.as_ref() == Some(arn),
    };
    certificate && found.security_policy.as_deref() == Some(domain.security_policy.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::desired;
    use crate::deploy::observed::ObservedApi;
    use crate::deploy::observed_domain::ObservedMapping;
    use crate::deploy::plan::{Step, plan};
    use crate::test_support::{manifest, route};

    const CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/c";

    fn desired_with(domain: &str) -> Desired {
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        let config = format!(
            r#"{{"app_name": "app", "stages": {{"dev": {{"api_gateway_custom_domain": {domain}}}}}}}"#
        );
        desired::for_test(&app, &config, "us-west-2", "aws")
    }

    fn desired() -> Desired {
        desired_with(&format!(
            r#"{{"domain_name": "api.example.com", "certificate_arn": "{CERT}"}}"#
        ))
    }

    fn mapping(base_path: &str, api: &str) -> ObservedMapping {
        ObservedMapping {
            base_path: base_path.into(),
            rest_api_id: api.into(),
            stage: Some("api".into()),
        }
    }

    /// What a deploy of `desired` leaves: the API `api1` and the domain mapped to its stage.
    fn deployed(desired: &Desired) -> Observed {
        let domain = desired.custom_domain.as_ref().unwrap();
        Observed {
            api: Some(ObservedApi {
                id: "api1".into(),
                ..ObservedApi::default()
            }),
            domain: Some(ObservedDomain {
                domain_name: domain.domain_name.clone(),
                endpoint_type: Some("EDGE".into()),
                certificate_arn: Some(CERT.into()),
                regional_certificate_arn: None,
                security_policy: Some("TLS_1_2".into()),
                tags: domain.tags.clone(),
                alias_domain_name: Some("d1.cloudfront.net".into()),
                hosted_zone_id: Some("Z2FDTNDATAQYW2".into()),
                mappings: vec![mapping("(none)", "api1")],
            }),
            ..Observed::default()
        }
    }

    fn names(steps: &[DomainStep]) -> Vec<String> {
        steps.iter().map(ToString::to_string).collect()
    }

    fn found(observed: &mut Observed) -> &mut ObservedDomain {
        observed.domain.as_mut().unwrap()
    }

    #[test]
    fn a_new_domain_is_made_then_mapped_after_the_api_is_deployed() {
        let desired = desired();
        let steps = plan(&desired, &Observed::default());
        let names: Vec<String> = steps.iter().map(ToString::to_string).collect();
        let deployed_at = names
            .iter()
            .position(|n| n == "Deploying Rest API to stage: api")
            .unwrap();
        assert_eq!(
            names[deployed_at + 1..deployed_at + 3],
            [
                "Creating custom domain name: api.example.com",
                "Creating base path mapping: api.example.com (none) -> stage api"
            ]
        );
        assert!(matches!(
            &steps[deployed_at + 1],
            Step::Domain(DomainStep::CreateDomainName(domain)) if domain == desired.custom_domain.as_ref().unwrap()
        ));
    }

    #[test]
    fn a_domain_as_deployed_needs_nothing() {
        let desired = desired();
        assert_eq!(plan_domain(&desired, &deployed(&desired)), []);
    }

    #[test]
    fn tags_are_made_exactly_the_desired_ones() {
        let desired = desired();
        let mut observed = deployed(&desired);
        found(&mut observed).tags = [("old".to_owned(), "x".to_owned())].into();
        assert_eq!(
            plan_domain(&desired, &observed),
            [DomainStep::TagDomainName {
                domain: desired.custom_domain.clone().unwrap(),
                remove: vec!["old".into()]
            }]
        );
    }

    #[test]
    fn a_changed_certificate_or_security_policy_updates_the_domain() {
        let desired = desired();
        let changes: [fn(&mut ObservedDomain); 2] = [
            |d| {
                d.certificate_arn =
                    Some("arn:aws:acm:us-east-1:123456789012:certificate/old".into())
            },
            |d| d.security_policy = Some("TLS_1_0".into()),
        ];
        for change in changes {
            let mut observed = deployed(&desired);
            change(found(&mut observed));
            assert_eq!(
                names(&plan_domain(&desired, &observed)),
                ["Updating custom domain name: api.example.com"]
            );
        }
    }

    #[test]
    fn a_base_path_mapped_elsewhere_is_pointed_at_this_api() {
        let desired = desired();
        let mut observed = deployed(&desired);
        found(&mut observed).mappings = vec![mapping("(none)", "gone")];
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            ["Updating base path mapping: api.example.com (none) -> stage api"]
        );
        // The API is made again in this deploy: its mapping is redone.
        let mut observed = deployed(&desired);
        observed.api = None;
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            ["Updating base path mapping: api.example.com (none) -> stage api"]
        );
    }

    #[test]
    fn a_new_url_prefix_maps_it_and_unmaps_the_old_one_of_this_api_only() {
        let desired = desired_with(&format!(
            r#"{{"domain_name": "api.example.com", "certificate_arn": "{CERT}", "url_prefix": "v2"}}"#
        ));
        let mut observed = deployed(&desired);
        found(&mut observed)
            .mappings
            .push(mapping("other", "someone-elses"));
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            [
                "Creating base path mapping: api.example.com v2 -> stage api",
                "Deleting base path mapping: api.example.com (none)"
            ]
        );
    }

    #[test]
    fn another_endpoint_type_makes_the_domain_again() {
        let desired = desired();
        let mut observed = deployed(&desired);
        found(&mut observed).endpoint_type = Some("REGIONAL".into());
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            [
                "Deleting custom domain name: api.example.com",
                "Creating custom domain name: api.example.com",
                "Creating base path mapping: api.example.com (none) -> stage api"
            ]
        );
    }

    #[test]
    fn a_domain_the_config_no_longer_names_is_deleted() {
        let app = manifest("app", vec![route("/", &["GET"])], Vec::new());
        let desired = desired::for_test(
            &app,
            r#"{"app_name": "app", "stages": {"dev": {}}}"#,
            "us-west-2",
            "aws",
        );
        let observed = Observed {
            stale_domains: vec!["old.example.com".into()],
            ..Observed::default()
        };
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            ["Deleting custom domain name: old.example.com"]
        );
        assert_eq!(plan_domain(&desired, &Observed::default()), []);
    }

    #[test]
    fn an_adopted_domain_is_tagged_and_its_base_path_mapped_here() {
        // Not tagged for the stage, its mappings were not read: `--adopt-untagged` tags it and
        // maps the base path (a conflict then points the existing mapping here).
        let desired = desired();
        let mut observed = deployed(&desired);
        let found = found(&mut observed);
        found.tags.clear();
        found.mappings.clear();
        assert_eq!(
            names(&plan_domain(&desired, &observed)),
            [
                "Updating tags of custom domain name: api.example.com",
                "Creating base path mapping: api.example.com (none) -> stage api"
            ]
        );
    }
}
