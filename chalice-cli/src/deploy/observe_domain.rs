//! Reading the stage's custom domain name on AWS: the one the config names (with its base path
//! mappings), the one the record names if the config moved on, and, for `delete`, every domain
//! name tagged for the stage. Only reads.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::DomainName;

use super::client::{Aws, failed, unless_missing};
use super::desired::Desired;
use super::observed::{Observed, ObservedDomain};
use super::observed_domain::ObservedMapping;
use super::ownership::Foreign;
use super::ownership::{ours, pairs};
use super::plan_domain::CUSTOM_DOMAIN;
use super::record::Record;
use crate::error::Result;

/// What a refusal calls a domain name.
pub const KIND: &str = "API Gateway domain name";

/// Reads the domain the config names and the recorded one it no longer names into `observed`:
/// a desired domain not tagged for the stage is foreign (refused unless adopting); a recorded
/// one still tagged for the stage is stale (deleted).
pub async fn observe(
    aws: &Aws,
    desired: &Desired,
    record: &Record,
    observed: &mut Observed,
) -> Result<()> {
    let (app, stage) = (desired.app.as_str(), desired.stage.as_str());
    let wanted = desired
        .rest_api()
        .and(desired.custom_domain.as_ref())
        .map(|domain| domain.domain_name.as_str());
    if let Some(name) = wanted
        && let Some(mut found) = read_domain_name(aws, name).await?
    {
        if is_ours(&found.tags, app, stage) {
            if mapped(record, name) {
                found.mappings = read_mappings(aws, name).await?;
            }
        } else {
            // Refused unless adopted; an adopted domain's base path is mapped to this API
            // whatever it maps now.
            observed.foreign.push(Foreign {
                kind: KIND,
                name: found.domain_name.clone(),
                tags: found.tags.clone(),
            });
        }
        observed.domain = Some(found);
    }
    if let Some(recorded) = record.value(CUSTOM_DOMAIN, "domain_name")
        && Some(recorded) != wanted
        && let Some(tags) = domain_tags(aws, recorded).await?
        && is_ours(&tags, app, stage)
    {
        observed.stale_domains.push(recorded.to_owned());
    }
    Ok(())
}

/// Whether the record says this stage mapped a base path of domain `name`. Until it has, the
/// mappings are not read: the plan makes the mapping, and a conflict means it is there already
/// (so a create whose answer was lost, or a lost record, ends in the same mapping).
fn mapped(record: &Record, name: &str) -> bool {
    record.value(CUSTOM_DOMAIN, "domain_name") == Some(name)
        && record.value(CUSTOM_DOMAIN, "base_path").is_some()
}

fn is_ours(tags: &BTreeMap<String, String>, app: &str, stage: &str) -> bool {
    ours(
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        app,
        stage,
    )
}

/// The domain name `name` without its base path mappings, if it exists.
pub async fn read_domain_name(aws: &Aws, name: &str) -> Result<Option<ObservedDomain>> {
    let found = unless_missing(
        aws.apigateway
            .get_domain_name()
            .domain_name(name)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading custom domain name {name}"),
    )?;
    let Some(found) = found else {
        return Ok(None);
    };
    let endpoint_type = found
        .endpoint_configuration()
        .and_then(|config| config.types().first())
        .map(|kind| kind.as_str().to_owned());
    let edge = endpoint_type.as_deref() != Some("REGIONAL");
    let (alias, zone) = if edge {
        (
            found.distribution_domain_name(),
            found.distribution_hosted_zone_id(),
        )
    } else {
        (
            found.regional_domain_name(),
            found.regional_hosted_zone_id(),
        )
    };
    Ok(Some(ObservedDomain {
        domain_name: name.to_owned(),
        endpoint_type,
        certificate_arn: found.certificate_arn().map(str::to_owned),
        regional_certificate_arn: found.regional_certificate_arn().map(str::to_owned),
        security_policy: found.security_policy().map(|p| p.as_str().to_owned()),
        tags: owned_tags(found.tags()),
        alias_domain_name: alias.map(str::to_owned),
        hosted_zone_id: zone.map(str::to_owned),
        mappings: Vec::new(),
    }))
}

/// The base path mappings of domain `name` (none if it is gone).
async fn read_mappings(aws: &Aws, name: &str) -> Result<Vec<ObservedMapping>> {
    let mut mappings = Vec::new();
    let mut position: Option<String> = None;
    loop {
        let page = unless_missing(
            aws.apigateway
                .get_base_path_mappings()
                .domain_name(name)
                .limit(500)
                .set_position(position.clone())
                .send()
                .await,
            |e| e.is_not_found_exception(),
            || format!("reading the base path mappings of custom domain name {name}"),
        )?;
        let Some(page) = page else {
            return Ok(mappings);
        };
        mappings.extend(page.items().iter().map(|mapping| ObservedMapping {
            base_path: mapping.base_path().unwrap_or("(none)").to_owned(),
            rest_api_id: mapping.rest_api_id().unwrap_or_default().to_owned(),
            stage: mapping.stage().map(str::to_owned),
        }));
        match page.position() {
            Some(next) if !next.is_empty() && Some(next) != position.as_deref() => {
                position = Some(next.to_owned());
            }
            _ => return Ok(mappings),
        }
    }
}

/// The tags of domain name `name`, if it exists.
pub async fn domain_tags(aws: &Aws, name: &str) -> Result<Option<BTreeMap<String, String>>> {
    let found = unless_missing(
        aws.apigateway
            .get_domain_name()
            .domain_name(name)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading custom domain name {name}"),
    )?;
    Ok(found.map(|found| owned_tags(found.tags())))
}

/// The domain names tagged for this app and stage (found even when the record is lost).
pub async fn tagged_domains(aws: &Aws, app: &str, stage: &str) -> Result<Vec<String>> {
    let domains: Vec<DomainName> = aws
        .apigateway
        .get_domain_names()
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing custom domain names", e))?;
    Ok(domains
        .iter()
        .filter(|domain| ours(pairs(domain.tags()), app, stage))
        .filter_map(|domain| domain.domain_name().map(str::to_owned))
        .collect())
}

fn owned_tags(
    tags: Option<&std::collections::HashMap<String, String>>,
) -> BTreeMap<String, String> {
    pairs(tags)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Puts the desired domain, once found and owned (or being adopted), in the record, so a lost
/// record is whole again before anything changes.
pub fn remember(desired: &Desired, observed: &Observed, record: &mut Record) {
    if let (Some(domain), Some(found)) = (&desired.custom_domain, &observed.domain)
        && found.endpoint_type.as_deref() == Some(domain.endpoint_type.as_str())
    {
        record_domain(record, found);
    }
}

/// Records a domain name and where DNS should point for it.
pub fn record_domain(record: &mut Record, found: &ObservedDomain) {
    record.set(
        CUSTOM_DOMAIN,
        "domain_name",
        "domain_name",
        &found.domain_name,
    );
    if let Some(alias) = &found.alias_domain_name {
        record.set(CUSTOM_DOMAIN, "domain_name", "alias_domain_name", alias);
    }
    if let Some(zone) = &found.hosted_zone_id {
        record.set(CUSTOM_DOMAIN, "domain_name", "hosted_zone_id", zone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_are_read_once_the_record_says_this_domain_was_mapped() {
        let mut record = Record::default();
        assert!(!mapped(&record, "api.example.com"));
        record.set(
            CUSTOM_DOMAIN,
            "domain_name",
            "domain_name",
            "api.example.com",
        );
        assert!(!mapped(&record, "api.example.com"));
        record.set(CUSTOM_DOMAIN, "domain_name", "base_path", "(none)");
        assert!(mapped(&record, "api.example.com"));
        assert!(!mapped(&record, "other.example.com"));
    }

    #[test]
    fn a_found_domain_is_recorded_with_where_dns_points() {
        let mut record = Record::default();
        record_domain(
            &mut record,
            &ObservedDomain {
                domain_name: "api.example.com".into(),
                alias_domain_name: Some("d1.cloudfront.net".into()),
                hosted_zone_id: Some("Z2FDTNDATAQYW2".into()),
                ..ObservedDomain::default()
            },
        );
        assert_eq!(
            record.value(CUSTOM_DOMAIN, "alias_domain_name"),
            Some("d1.cloudfront.net")
        );
        assert_eq!(
            record.value(CUSTOM_DOMAIN, "hosted_zone_id"),
            Some("Z2FDTNDATAQYW2")
        );
        assert_eq!(
            record.get(CUSTOM_DOMAIN).unwrap()["resource_type"],
            "domain_name"
        );
    }
}
