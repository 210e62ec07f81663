//! The steps on the stage's API keys and usage plan. Neither is named uniquely, so creates go
//! through [`create_or_adopt`] (a lost answer is found by the tags and name) and deletes
//! through [`delete_or_confirm`]; each step records what it made or drops what it deleted.

use std::collections::HashMap;

use aws_sdk_apigateway::types::{ApiStage, Op, PatchOperation};

use super::apigateway::created_id;
use super::{Effect, Executor, gone_unless};
use crate::deploy::client::{busy_retried, create_or_adopt, delete_or_confirm, failed};
use crate::deploy::observe_usage_plan::{
    api_key_tags, find_tagged_key, find_tagged_plan, is_bound, usage_plan,
};
use crate::deploy::observed::Observed;
use crate::deploy::record::Record;
use crate::deploy::usage_plan::{API_KEY, KeyStep, USAGE_PLAN, UsagePlan};
use crate::error::{Error, Result};

/// The ids of the stage's usage plan and keys, learnt from what was observed and made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct KeyIds {
    /// The usage plan.
    plan: Option<String>,
    /// Key ids by name.
    keys: HashMap<String, String>,
}

impl KeyIds {
    /// The ids of what exists.
    pub(super) fn from_observed(observed: &Observed) -> KeyIds {
        KeyIds {
            plan: observed.keys.plan.as_ref().map(|plan| plan.id.clone()),
            keys: observed
                .keys
                .keys
                .iter()
                .map(|(name, id)| (name.clone(), id.clone()))
                .collect(),
        }
    }

    fn plan(&self, what: &str) -> Result<&str> {
        self.plan
            .as_deref()
            .ok_or_else(|| Error::new(format!("internal: {what}: no usage plan id at this step")))
    }
}

/// A usage plan's API stage as its patch operations name it.
fn stage_value(api: &str, stage: &str) -> String {
    format!("{api}:{stage}")
}

fn stage_patch(op: Op, api: &str, stage: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path("/apiStages")
        .value(stage_value(api, stage))
        .build()
}

impl Executor<'_> {
    pub(super) async fn apply_keys(
        &mut self,
        step: &KeyStep,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        match step {
            KeyStep::CreateKey { name } => self.create_api_key(name, record, what).await,
            KeyStep::DeleteKey { name, id } => self.delete_api_key(name, id, record, what).await,
            KeyStep::CreatePlan(plan) => self.create_usage_plan(plan, record, what).await,
            KeyStep::SetPlanStage { stage, .. } => self.set_plan_stage(stage, what).await,
            KeyStep::BindKey { name } => self.bind_key(name, what).await,
            KeyStep::DeletePlan { id } => self.delete_usage_plan(id, record, what).await,
        }
    }

    /// Makes an enabled key tagged for the stage; API Gateway generates its value.
    async fn create_api_key(
        &mut self,
        name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let aws = self.aws;
        let create = aws
            .apigateway_once
            .create_api_key()
            .name(name)
            .enabled(true)
            .set_tags(Some(desired.tags.clone().into_iter().collect()));
        // Observed without a key of this name: a tagged one now is this one's.
        let id = create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            || find_tagged_key(aws, &desired.app, &desired.stage, name),
        )
        .await?;
        record.set(name, API_KEY, "api_key_id", &id);
        self.keys.keys.insert(name.to_owned(), id);
        Ok(Effect::Changed)
    }

    /// Unbinds a key from the plan, then deletes it; one already gone is fine.
    async fn delete_api_key(
        &mut self,
        name: &str,
        id: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let aws = self.aws;
        if let Some(plan) = self.keys.plan.as_deref()
            && is_bound(aws, plan, id).await?
        {
            let unbind = aws
                .apigateway_once
                .delete_usage_plan_key()
                .usage_plan_id(plan)
                .key_id(id);
            delete_or_confirm(
                what,
                || unbind.clone().send(),
                |e| e.is_not_found_exception(),
                || is_bound(aws, plan, id),
            )
            .await?;
        }
        let delete = aws.apigateway_once.delete_api_key().api_key(id);
        let deleted = delete_or_confirm(
            what,
            || delete.clone().send(),
            |e| e.is_not_found_exception(),
            || async { Ok::<_, Error>(api_key_tags(aws, id).await?.is_some()) },
        )
        .await?;
        if record.value(name, "api_key_id") == Some(id) {
            record.remove(name);
        }
        if self.keys.keys.get(name).map(String::as_str) == Some(id) {
            self.keys.keys.remove(name);
        }
        Ok(gone_unless(deleted))
    }

    /// Makes the usage plan, tagged for the stage, covering the API's stage (deployed by now).
    async fn create_usage_plan(
        &mut self,
        plan: &UsagePlan,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let aws = self.aws;
        let api = self.ids.api()?;
        let create = aws
            .apigateway_once
            .create_usage_plan()
            .name(&plan.name)
            .api_stages(
                ApiStage::builder()
                    .api_id(api)
                    .stage(&plan.stage_name)
                    .build(),
            )
            .set_tags(Some(desired.tags.clone().into_iter().collect()));
        // Observed without a plan: a tagged one now is this one's.
        let id = create_or_adopt(
            what,
            || async { created_id(create.clone().send().await, |o| o.id()) },
            || find_tagged_plan(aws, &desired.app, &desired.stage),
        )
        .await?;
        record.set(USAGE_PLAN, USAGE_PLAN, "usage_plan_id", &id);
        self.keys.plan = Some(id);
        Ok(Effect::Changed)
    }

    /// Makes the plan cover the API's `stage` and nothing else (the API was made again, or
    /// the stage renamed).
    async fn set_plan_stage(&self, stage: &str, what: &str) -> Result<Effect> {
        let plan = self.keys.plan(what)?;
        let api = self.ids.api()?;
        let Some((_, stages)) = usage_plan(self.aws, plan).await? else {
            return Err(Error::new(format!("{what}: usage plan {plan} is gone")));
        };
        let mut operations: Vec<PatchOperation> = stages
            .iter()
            .filter(|(other_api, other)| (other_api.as_str(), other.as_str()) != (api, stage))
            .map(|(other_api, other)| stage_patch(Op::Remove, other_api, other))
            .collect();
        if !stages
            .iter()
            .any(|(a, s)| (a.as_str(), s.as_str()) == (api, stage))
        {
            operations.push(stage_patch(Op::Add, api, stage));
        }
        if operations.is_empty() {
            return Ok(Effect::Changed);
        }
        let update = self
            .aws
            .apigateway
            .update_usage_plan()
            .usage_plan_id(plan)
            .set_patch_operations(Some(operations));
        busy_retried(|| update.clone().send())
            .await
            .map_err(|e| failed(what, e))?;
        Ok(Effect::Changed)
    }

    /// Binds key `name` to the plan.
    async fn bind_key(&self, name: &str, what: &str) -> Result<Effect> {
        let aws = self.aws;
        let plan = self.keys.plan(what)?;
        let key = self.keys.keys.get(name).ok_or_else(|| {
            Error::new(format!("internal: {what}: API key {name} was not created"))
        })?;
        let bind = aws
            .apigateway_once
            .create_usage_plan_key()
            .usage_plan_id(plan)
            .key_id(key)
            .key_type("API_KEY");
        create_or_adopt(
            what,
            || async { created_id(bind.clone().send().await, |o| o.id()) },
            || async { Ok::<_, Error>(is_bound(aws, plan, key).await?.then(|| key.clone())) },
        )
        .await?;
        Ok(Effect::Changed)
    }

    /// Removes the plan's stages (API Gateway deletes no plan that covers one), then the
    /// plan; one already gone is fine.
    async fn delete_usage_plan(
        &mut self,
        id: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let aws = self.aws;
        let mut deleted = false;
        if let Some((_, stages)) = usage_plan(aws, id).await? {
            if !stages.is_empty() {
                let operations = stages
                    .iter()
                    .map(|(api, stage)| stage_patch(Op::Remove, api, stage))
                    .collect();
                let update = aws
                    .apigateway
                    .update_usage_plan()
                    .usage_plan_id(id)
                    .set_patch_operations(Some(operations));
                busy_retried(|| update.clone().send())
                    .await
                    .map_err(|e| failed(what, e))?;
            }
            let delete = aws.apigateway_once.delete_usage_plan().usage_plan_id(id);
            deleted = delete_or_confirm(
                what,
                || delete.clone().send(),
                |e| e.is_not_found_exception(),
                || async { Ok::<_, Error>(usage_plan(aws, id).await?.is_some()) },
            )
            .await?;
        }
        if record.value(USAGE_PLAN, "usage_plan_id") == Some(id) {
            record.remove(USAGE_PLAN);
        }
        if self.keys.plan.as_deref() == Some(id) {
            self.keys.plan = None;
        }
        Ok(gone_unless(deleted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::usage_plan::{ObservedKeys, ObservedPlan};

    #[test]
    fn ids_start_from_what_was_observed_and_stages_are_api_colon_stage() {
        let observed = Observed {
            keys: ObservedKeys {
                plan: Some(ObservedPlan {
                    id: "p1".into(),
                    ..ObservedPlan::default()
                }),
                keys: [("k".to_owned(), "k1".to_owned())].into(),
                ..ObservedKeys::default()
            },
            ..Observed::default()
        };
        let ids = KeyIds::from_observed(&observed);
        assert_eq!(ids.plan("x").unwrap(), "p1");
        assert_eq!(ids.keys["k"], "k1");
        assert_eq!(
            KeyIds::default().plan("Binding").unwrap_err().to_string(),
            "internal: Binding: no usage plan id at this step"
        );
        assert_eq!(stage_value("abc", "api"), "abc:api");
    }
}
