//! The steps on a custom domain name: made tagged for the stage, brought to the desired
//! certificate and security policy, its base path mapped to the REST API's stage, and deleted.
//! A domain name is unique by name, so a create whose answer was lost is found by its name.

use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType as ApiEndpointType, Op, PatchOperation, SecurityPolicy,
};

use super::{Effect, Executor, gone_unless};
use crate::config::EndpointType;
use crate::deploy::client::{busy_retried, failed, unless_missing};
use crate::deploy::observe_domain::{read_domain_name, record_domain};
use crate::deploy::observed::ObservedDomain;
use crate::deploy::plan_domain::{CUSTOM_DOMAIN, DomainStep};
use crate::deploy::record::Record;
use crate::error::Result;
use crate::model::{Certificate, CustomDomain};

impl Executor<'_> {
    /// Applies one step on the custom domain.
    pub(super) async fn apply_domain(
        &mut self,
        step: &DomainStep,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        match step {
            DomainStep::CreateDomainName(domain) => {
                self.create_domain_name(domain, record, what).await
            }
            DomainStep::UpdateDomainName(domain) => self.update_domain_name(domain, what).await,
            DomainStep::TagDomainName { domain, remove } => {
                self.tag_domain_name(domain, remove, what).await
            }
            DomainStep::CreateBasePathMapping(domain) => {
                self.create_base_path_mapping(domain, record, what).await
            }
            DomainStep::UpdateBasePathMapping(domain) => {
                self.update_base_path_mapping(domain, record, what).await
            }
            DomainStep::DeleteBasePathMapping {
                domain_name,
                base_path,
            } => {
                self.delete_base_path_mapping(domain_name, base_path, what)
                    .await
            }
            DomainStep::DeleteDomainName { domain_name } => {
                self.delete_domain_name(domain_name, record, what).await
            }
        }
    }

    async fn create_domain_name(
        &self,
        domain: &CustomDomain,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let endpoint = match domain.endpoint_type {
            EndpointType::Regional => ApiEndpointType::Regional,
            EndpointType::Edge | EndpointType::Private => ApiEndpointType::Edge,
        };
        let mut create = self
            .aws
            .apigateway_once
            .create_domain_name()
            .domain_name(&domain.domain_name)
            .endpoint_configuration(EndpointConfiguration::builder().types(endpoint).build())
            .security_policy(SecurityPolicy::from(domain.security_policy.as_str()));
        create = match &domain.certificate {
            Certificate::Edge(arn) => create.certificate_arn(arn),
            Certificate::Regional(arn) => create.regional_certificate_arn(arn),
        };
        for (key, value) in &domain.tags {
            create = create.tags(key, value);
        }
        let found = match create.send().await {
            Ok(made) => {
                let (alias, zone) = if domain.is_edge() {
                    (
                        made.distribution_domain_name(),
                        made.distribution_hosted_zone_id(),
                    )
                } else {
                    (made.regional_domain_name(), made.regional_hosted_zone_id())
                };
                ObservedDomain {
                    domain_name: domain.domain_name.clone(),
                    alias_domain_name: alias.map(str::to_owned),
                    hosted_zone_id: zone.map(str::to_owned),
                    ..ObservedDomain::default()
                }
            }
            Err(error) => {
                // The create may have happened with its answer lost: the domain is this
                // stage's if it carries the stage's tags.
                let found = read_domain_name(self.aws, &domain.domain_name).await?;
                match found {
                    Some(found)
                        if domain
                            .tags
                            .iter()
                            .all(|(k, v)| found.tags.get(k) == Some(v)) =>
                    {
                        found
                    }
                    _ => return Err(failed(what, error)),
                }
            }
        };
        record_domain(record, &found);
        Ok(Effect::Changed)
    }

    async fn update_domain_name(&self, domain: &CustomDomain, what: &str) -> Result<Effect> {
        let replace = |path: &str, value: &str| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        let certificate = match &domain.certificate {
            Certificate::Edge(arn) => replace("/certificateArn", arn),
            Certificate::Regional(arn) => replace("/regionalCertificateArn", arn),
        };
        let policy = replace("/securityPolicy", domain.security_policy.as_str());
        let apigateway = &self.aws.apigateway;
        busy_retried(|| {
            apigateway
                .update_domain_name()
                .domain_name(&domain.domain_name)
                .patch_operations(certificate.clone())
                .patch_operations(policy.clone())
                .send()
        })
        .await
        .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn tag_domain_name(
        &self,
        domain: &CustomDomain,
        remove: &[String],
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let arn = format!(
            "arn:{}:apigateway:{}::/domainnames/{}",
            desired.account.partition, desired.region, domain.domain_name
        );
        let apigateway = &self.aws.apigateway;
        if !remove.is_empty() {
            busy_retried(|| {
                let mut untag = apigateway.untag_resource().resource_arn(&arn);
                for key in remove {
                    untag = untag.tag_keys(key);
                }
                untag.send()
            })
            .await
            .map_err(|e| failed(what, e))?;
        }
        busy_retried(|| {
            let mut tag = apigateway.tag_resource().resource_arn(&arn);
            for (key, value) in &domain.tags {
                tag = tag.tags(key, value);
            }
            tag.send()
        })
        .await
        .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    async fn create_base_path_mapping(
        &self,
        domain: &CustomDomain,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let api = self.ids.api()?;
        let mut create = self
            .aws
            .apigateway
            .create_base_path_mapping()
            .domain_name(&domain.domain_name)
            .rest_api_id(api)
            .stage(&domain.stage_name);
        if let Some(base_path) = &domain.base_path {
            create = create.base_path(base_path);
        }
        // Not retried on a conflict: one means the base path is mapped already.
        let created = create.send().await;
        match created {
            Ok(_) => {
                record_mapping(record, domain);
                Ok(Effect::Changed)
            }
            // Mapped already (a retry of a create whose answer was lost): point it here.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_conflict_exception()) =>
            {
                self.update_base_path_mapping(domain, record, what).await
            }
            Err(error) => Err(failed(what, error)),
        }
    }

    async fn update_base_path_mapping(
        &self,
        domain: &CustomDomain,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let api = self.ids.api()?;
        let replace = |path: &str, value: &str| {
            PatchOperation::builder()
                .op(Op::Replace)
                .path(path)
                .value(value)
                .build()
        };
        let apigateway = &self.aws.apigateway;
        busy_retried(|| {
            apigateway
                .update_base_path_mapping()
                .domain_name(&domain.domain_name)
                .base_path(domain.base_path_key())
                .patch_operations(replace("/restapiId", api))
                .patch_operations(replace("/stage", &domain.stage_name))
                .send()
        })
        .await
        .map_err(|e| failed(what, e))?;
        record_mapping(record, domain);
        Ok(Effect::Changed)
    }

    async fn delete_base_path_mapping(
        &self,
        domain_name: &str,
        base_path: &str,
        what: &str,
    ) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        let deleted = unless_missing(
            busy_retried(|| {
                apigateway
                    .delete_base_path_mapping()
                    .domain_name(domain_name)
                    .base_path(base_path)
                    .send()
            })
            .await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        Ok(gone_unless(deleted.is_some()))
    }

    /// Deletes a domain name (its mappings go with it); one already gone is fine. The record
    /// forgets it either way.
    async fn delete_domain_name(
        &self,
        domain_name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let apigateway = &self.aws.apigateway;
        let deleted = unless_missing(
            busy_retried(|| {
                apigateway
                    .delete_domain_name()
                    .domain_name(domain_name)
                    .send()
            })
            .await,
            |e| e.is_not_found_exception(),
            || what.to_owned(),
        )?;
        if record.value(CUSTOM_DOMAIN, "domain_name") == Some(domain_name) {
            record.remove(CUSTOM_DOMAIN);
        }
        Ok(gone_unless(deleted.is_some()))
    }
}

/// Records that the stage mapped the domain's base path: from then on a deploy reads the
/// domain's mappings back (before, it makes the mapping, a conflict meaning it is there).
fn record_mapping(record: &mut Record, domain: &CustomDomain) {
    record.set(
        CUSTOM_DOMAIN,
        "domain_name",
        "base_path",
        domain.base_path_key(),
    );
}
