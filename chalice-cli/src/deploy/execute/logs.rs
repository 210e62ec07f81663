//! The steps on CloudWatch Logs: a function's log group and its retention. Log groups are
//! named uniquely, so a create whose answer was lost is retried and "already exists" is its
//! success; setting and removing a retention are idempotent.

use super::{Effect, Executor, gone_unless};
use crate::deploy::client::{failed, unless_missing};
use crate::deploy::log_groups::LogStep;
use crate::error::Result;

impl Executor<'_> {
    pub(super) async fn apply_logs(&self, step: &LogStep, what: &str) -> Result<Effect> {
        let logs = &self.aws.logs;
        match step {
            LogStep::CreateGroup { name } => {
                let tags = self.desired(what)?.tags.clone();
                let created = logs
                    .create_log_group()
                    .log_group_name(name)
                    .set_tags(Some(tags.into_iter().collect()))
                    .send()
                    .await;
                match created {
                    Ok(_) => Ok(Effect::Changed),
                    Err(error)
                        if error
                            .as_service_error()
                            .is_some_and(|e| e.is_resource_already_exists_exception()) =>
                    {
                        Ok(Effect::Changed)
                    }
                    Err(error) => Err(failed(what, error)),
                }
            }
            LogStep::PutRetention { name, days } => {
                logs.put_retention_policy()
                    .log_group_name(name)
                    .retention_in_days(i32::try_from(*days).unwrap_or(i32::MAX))
                    .send()
                    .await
                    .map_err(|e| failed(what, e))?;
                Ok(Effect::Changed)
            }
            LogStep::DeleteRetention { name } => {
                let removed = unless_missing(
                    logs.delete_retention_policy()
                        .log_group_name(name)
                        .send()
                        .await,
                    |e| e.is_resource_not_found_exception(),
                    || what.to_owned(),
                )?;
                Ok(gone_unless(removed.is_some()))
            }
        }
    }
}
