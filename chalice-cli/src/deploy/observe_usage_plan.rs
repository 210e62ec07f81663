//! Reading the stage's API keys and usage plan on API Gateway: only those tagged for the app
//! and stage (their names are not unique, see [`super::usage_plan`]). Only reads.

use std::collections::BTreeSet;

use super::client::{Aws, failed, unless_missing};
use super::desired::Desired;
use super::observed::Twin;
use super::ownership::{ours, pairs};
use super::record::Record;
use super::usage_plan::{ObservedKeys, ObservedPlan, recorded};
use crate::error::Result;

/// The stage's keys and plan, when it may have some: its config names keys, or the record
/// holds some (the config dropped them). Otherwise nothing is read; `delete` still finds any
/// by their tags.
pub async fn observe_keys(aws: &Aws, desired: &Desired, record: &Record) -> Result<ObservedKeys> {
    let wanted = desired
        .rest_api()
        .is_some_and(|api| api.usage_plan.is_some());
    let (recorded_plan, recorded_keys) = recorded(record);
    if !wanted && recorded_plan.is_none() && recorded_keys.is_empty() {
        return Ok(ObservedKeys::default());
    }
    let (app, stage) = (desired.app.as_str(), desired.stage.as_str());
    let mut plans = tagged_usage_plans(aws, app, stage).await?;
    // The recorded plan, while it is tagged, else the first tagged.
    if let Some(at) = recorded_plan
        .as_ref()
        .and_then(|id| plans.iter().position(|plan| &plan.id == id))
    {
        let recorded = plans.remove(at);
        plans.insert(0, recorded);
    }
    let mut plans = plans.into_iter();
    let mut plan = plans.next();
    let twin_plans = plans.map(|plan| plan.id).collect();
    if let Some(plan) = &mut plan {
        plan.key_ids = bound_keys(aws, &plan.id).await?;
    }
    let bound = plan.as_ref().map(|p| p.key_ids.clone()).unwrap_or_default();
    let (keys, twin_keys) = pick_keys(tagged_api_keys(aws, app, stage).await?, &bound);
    Ok(ObservedKeys {
        plan,
        twin_plans,
        keys: keys.into_iter().collect(),
        twin_keys,
    })
}

/// One key per name: of several, the one bound to the plan, else the first listed (oldest);
/// the others are twins.
fn pick_keys(
    listed: Vec<(String, String)>,
    bound: &BTreeSet<String>,
) -> (Vec<(String, String)>, Vec<Twin>) {
    let mut kept: Vec<(String, String)> = Vec::new();
    let mut twins = Vec::new();
    for (name, id) in listed {
        match kept.iter_mut().find(|(kept_name, _)| *kept_name == name) {
            None => kept.push((name, id)),
            Some(first) => {
                let twin = if bound.contains(&id) && !bound.contains(&first.1) {
                    std::mem::replace(&mut first.1, id)
                } else {
                    id
                };
                twins.push(Twin { name, id: twin });
            }
        }
    }
    (kept, twins)
}

/// The usage plans tagged for the app and stage, with the stages they cover.
pub async fn tagged_usage_plans(aws: &Aws, app: &str, stage: &str) -> Result<Vec<ObservedPlan>> {
    let plans = aws
        .apigateway
        .get_usage_plans()
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing usage plans", e))?;
    Ok(plans
        .iter()
        .filter(|plan| ours(pairs(plan.tags()), app, stage))
        .map(|plan| ObservedPlan {
            id: plan.id().unwrap_or_default().to_owned(),
            api_stages: plan
                .api_stages()
                .iter()
                .map(|s| {
                    (
                        s.api_id().unwrap_or_default().to_owned(),
                        s.stage().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            key_ids: BTreeSet::new(),
        })
        .collect())
}

/// The API keys tagged for the app and stage, (name, id), oldest first.
pub async fn tagged_api_keys(aws: &Aws, app: &str, stage: &str) -> Result<Vec<(String, String)>> {
    let keys = aws
        .apigateway
        .get_api_keys()
        .include_values(false)
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed("listing API keys", e))?;
    let mut found: Vec<(i64, String, String)> = keys
        .iter()
        .filter(|key| ours(pairs(key.tags()), app, stage))
        .map(|key| {
            (
                key.created_date().map(|d| d.secs()).unwrap_or_default(),
                key.name().unwrap_or_default().to_owned(),
                key.id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    found.sort();
    Ok(found.into_iter().map(|(_, name, id)| (name, id)).collect())
}

/// The ids of the keys bound to usage plan `plan`.
async fn bound_keys(aws: &Aws, plan: &str) -> Result<BTreeSet<String>> {
    let keys = aws
        .apigateway
        .get_usage_plan_keys()
        .usage_plan_id(plan)
        .limit(500)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| failed(format!("reading the keys of usage plan {plan}"), e))?;
    Ok(keys
        .iter()
        .filter_map(|key| key.id().map(str::to_owned))
        .collect())
}

/// The id of the first API key named `name` tagged for the app and stage.
pub async fn find_tagged_key(
    aws: &Aws,
    app: &str,
    stage: &str,
    name: &str,
) -> Result<Option<String>> {
    Ok(tagged_api_keys(aws, app, stage)
        .await?
        .into_iter()
        .find(|(found, _)| found == name)
        .map(|(_, id)| id))
}

/// The id of the first usage plan tagged for the app and stage.
pub async fn find_tagged_plan(aws: &Aws, app: &str, stage: &str) -> Result<Option<String>> {
    Ok(tagged_usage_plans(aws, app, stage)
        .await?
        .into_iter()
        .next()
        .map(|plan| plan.id))
}

/// Whether key `key` is bound to usage plan `plan`.
pub async fn is_bound(aws: &Aws, plan: &str, key: &str) -> Result<bool> {
    let found = unless_missing(
        aws.apigateway
            .get_usage_plan_key()
            .usage_plan_id(plan)
            .key_id(key)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading key {key} of usage plan {plan}"),
    )?;
    Ok(found.is_some())
}

/// The tags of API key `id`, if it exists.
pub async fn api_key_tags(
    aws: &Aws,
    id: &str,
) -> Result<Option<std::collections::BTreeMap<String, String>>> {
    let found = unless_missing(
        aws.apigateway.get_api_key().api_key(id).send().await,
        |e| e.is_not_found_exception(),
        || format!("reading API key {id}"),
    )?;
    Ok(found.map(|key| owned(pairs(key.tags()))))
}

/// The tags and API stages of usage plan `id`, if it exists.
pub async fn usage_plan(
    aws: &Aws,
    id: &str,
) -> Result<
    Option<(
        std::collections::BTreeMap<String, String>,
        Vec<(String, String)>,
    )>,
> {
    let found = unless_missing(
        aws.apigateway
            .get_usage_plan()
            .usage_plan_id(id)
            .send()
            .await,
        |e| e.is_not_found_exception(),
        || format!("reading usage plan {id}"),
    )?;
    Ok(found.map(|plan| {
        let stages = plan
            .api_stages()
            .iter()
            .map(|s| {
                (
                    s.api_id().unwrap_or_default().to_owned(),
                    s.stage().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        (owned(pairs(plan.tags())), stages)
    }))
}

fn owned(pairs: Vec<(&str, &str)>) -> std::collections::BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(keys: &[(&str, &str)]) -> Vec<(String, String)> {
        keys.iter()
            .map(|(name, id)| ((*name).to_owned(), (*id).to_owned()))
            .collect()
    }

    #[test]
    fn of_keys_made_twice_the_bound_one_stays() {
        let bound = BTreeSet::from(["k2".to_owned()]);
        let (kept, twins) = pick_keys(
            listed(&[("a", "k1"), ("a", "k2"), ("b", "k3"), ("b", "k4")]),
            &bound,
        );
        assert_eq!(kept, listed(&[("a", "k2"), ("b", "k3")]));
        assert_eq!(
            twins,
            [
                Twin {
                    name: "a".into(),
                    id: "k1".into()
                },
                Twin {
                    name: "b".into(),
                    id: "k4".into()
                }
            ]
        );
    }
}
