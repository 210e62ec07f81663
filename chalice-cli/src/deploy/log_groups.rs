//! The log group of each function (`/aws/lambda/<function>`, [`Function::log_group_name`])
//! and its retention (`log_retention_in_days`), as `package` writes them: made when missing,
//! given the config's retention, and its retention removed when the config no longer sets one
//! (the group then keeps its logs, as a group Lambda makes does). The config is the one
//! source of the retention of a function's group, as of every other function setting.
//!
//! `delete` leaves the groups, as Chalice leaves its functions' logs: they are the record of
//! what the app did, wanted after it is gone (an incident review, an audit), and Lambda makes
//! the group of every function on its first log line anyway, retention or not; the retention
//! set here expires them.

use std::collections::BTreeMap;
use std::fmt;

use super::desired::{Desired, Function};
use super::plan::Step;

/// A change to a function's log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogStep {
    /// Make the group, tagged for the app and stage.
    CreateGroup { name: String },
    /// Set its retention.
    PutRetention { name: String, days: u32 },
    /// Keep its logs forever again.
    DeleteRetention { name: String },
}

impl fmt::Display for LogStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogStep::CreateGroup { name } => write!(f, "Creating log group: {name}"),
            LogStep::PutRetention { name, days } => {
                write!(f, "Setting log retention of {name}: {days} days")
            }
            LogStep::DeleteRetention { name } => write!(f, "Removing log retention of {name}"),
        }
    }
}

/// The log groups of the stage's functions that exist: each one's retention in days, if set.
pub type ObservedLogGroups = BTreeMap<String, Option<u32>>;

/// The steps that give each function's log group the retention its config says.
pub fn plan_log_groups(desired: &Desired, observed: &ObservedLogGroups, steps: &mut Vec<Step>) {
    for function in &desired.functions {
        plan_log_group(function, observed, steps);
    }
}

fn plan_log_group(function: &Function, observed: &ObservedLogGroups, steps: &mut Vec<Step>) {
    let name = function.log_group_name();
    let actual = observed.get(&name);
    match (function.log_retention_in_days, actual) {
        (Some(days), None) => {
            steps.push(Step::Logs(LogStep::CreateGroup { name: name.clone() }));
            steps.push(Step::Logs(LogStep::PutRetention { name, days }));
        }
        (Some(days), Some(actual)) if *actual != Some(days) => {
            steps.push(Step::Logs(LogStep::PutRetention { name, days }));
        }
        (None, Some(Some(_))) => steps.push(Step::Logs(LogStep::DeleteRetention { name })),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::desired;
    use crate::test_support::{builtin, manifest, route};

    fn desired(config: &str) -> Desired {
        let app = manifest("app", vec![route("/", &["GET"])], vec![builtin("auth")]);
        desired::for_test(&app, config, "us-west-2", "aws")
    }

    fn lines(desired: &Desired, observed: &ObservedLogGroups) -> Vec<String> {
        let mut steps = Vec::new();
        plan_log_groups(desired, observed, &mut steps);
        steps.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_missing_group_is_made_and_a_different_retention_set() {
        let desired = desired(
            r#"{"app_name": "app", "stages": {"dev": {"log_retention_in_days": 14,
                "lambda_functions": {"auth": {"log_retention_in_days": 7}}}}}"#,
        );
        let observed = ObservedLogGroups::from([("/aws/lambda/app-dev-auth".into(), Some(30))]);
        assert_eq!(
            lines(&desired, &observed),
            [
                "Creating log group: /aws/lambda/app-dev",
                "Setting log retention of /aws/lambda/app-dev: 14 days",
                "Setting log retention of /aws/lambda/app-dev-auth: 7 days",
            ]
        );
        let done = ObservedLogGroups::from([
            ("/aws/lambda/app-dev".into(), Some(14)),
            ("/aws/lambda/app-dev-auth".into(), Some(7)),
        ]);
        assert_eq!(lines(&desired, &done), Vec::<String>::new());
    }

    #[test]
    fn a_removed_retention_is_removed_and_a_group_without_one_is_left_alone() {
        let desired = desired(r#"{"app_name": "app", "stages": {"dev": {}}}"#);
        let observed = ObservedLogGroups::from([
            ("/aws/lambda/app-dev".into(), Some(14)),
            ("/aws/lambda/app-dev-auth".into(), None),
        ]);
        assert_eq!(
            lines(&desired, &observed),
            ["Removing log retention of /aws/lambda/app-dev"]
        );
        assert_eq!(
            lines(&desired, &ObservedLogGroups::new()),
            Vec::<String>::new()
        );
    }
}
