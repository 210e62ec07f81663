//! The steps on IAM: the managed roles and their inline policies.

use serde_json::Value;

use super::{Effect, Executor, gone_unless};
use crate::deploy::client::{failed, unless_missing};
use crate::deploy::desired::ManagedRole;
use crate::deploy::plan::role_arn;
use crate::deploy::record::Record;
use crate::error::Result;
use crate::model::role::trust_policy;

impl Executor<'_> {
    pub(super) async fn create_role(
        &self,
        role: &ManagedRole,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let mut create = self
            .aws
            .iam
            .create_role()
            .role_name(&role.role_name)
            .assume_role_policy_document(trust_policy().to_string());
        for (key, value) in &desired.tags {
            create = create.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| failed(what, e))?,
            );
        }
        let arn = match create.send().await {
            Ok(output) => output
                .role()
                .map(|r| r.arn().to_owned())
                .unwrap_or_default(),
            // A create whose answer was lost: the role is there, with our tags.
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_entity_already_exists_exception()) =>
            {
                role_arn(desired, &role.role_name)
            }
            Err(error) => return Err(failed(what, error)),
        };
        record.set_role(role, &arn);
        self.put_role_policy(&role.role_name, &role.policy, what)
            .await?;
        Ok(Effect::Changed)
    }

    pub(super) async fn update_role_policy(
        &self,
        role: &ManagedRole,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        self.put_role_policy(&role.role_name, &role.policy, what)
            .await?;
        record.set_role(role, &role_arn(desired, &role.role_name));
        Ok(Effect::Changed)
    }

    /// Gives an adopted role the app's and stage's tags (and the config's).
    pub(super) async fn tag_role(
        &self,
        role: &ManagedRole,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let desired = self.desired(what)?;
        let mut tag = self.aws.iam.tag_role().role_name(&role.role_name);
        for (key, value) in &desired.tags {
            tag = tag.tags(
                aws_sdk_iam::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| failed(what, e))?,
            );
        }
        tag.send().await.map_err(|e| failed(what, e))?;
        record.set_role(role, &role_arn(desired, &role.role_name));
        Ok(Effect::Changed)
    }

    async fn put_role_policy(&self, role_name: &str, policy: &Value, what: &str) -> Result<()> {
        self.aws
            .iam
            .put_role_policy()
            .role_name(role_name)
            .policy_name(role_name)
            .policy_document(policy.to_string())
            .send()
            .await
            .map_err(|e| failed(what, e))?;
        Ok(())
    }

    /// Deletes a role and its inline policies; one already gone is fine. The record forgets
    /// it either way.
    pub(super) async fn delete_role(
        &self,
        resource_name: Option<&str>,
        role_name: &str,
        record: &mut Record,
        what: &str,
    ) -> Result<Effect> {
        let iam = &self.aws.iam;
        let policies = iam
            .list_role_policies()
            .role_name(role_name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        let deleted = match unless_missing(
            policies,
            |e| e.is_no_such_entity_exception(),
            || what.to_owned(),
        )? {
            None => None,
            Some(policies) => {
                for policy in policies {
                    iam.delete_role_policy()
                        .role_name(role_name)
                        .policy_name(policy)
                        .send()
                        .await
                        .map_err(|e| failed(what, e))?;
                }
                unless_missing(
                    iam.delete_role().role_name(role_name).send().await,
                    |e| e.is_no_such_entity_exception(),
                    || what.to_owned(),
                )?
            }
        };
        if let Some(name) = resource_name {
            record.remove(name);
        }
        Ok(gone_unless(deleted.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::desired;
    use super::*;

    #[test]
    fn a_role_is_recorded_by_its_arn_and_name() {
        let mut record = Record::default();
        let role = &desired().roles[0];
        record.set_role(role, "arn:aws:iam::123456789012:role/app-dev");
        assert_eq!(
            record.value(&role.resource_name, "role_name"),
            Some("app-dev")
        );
        assert_eq!(
            record.value(&role.resource_name, "role_arn"),
            Some("arn:aws:iam::123456789012:role/app-dev")
        );
        assert_eq!(
            record.get(&role.resource_name).unwrap()["resource_type"],
            "iam_role"
        );
    }
}
