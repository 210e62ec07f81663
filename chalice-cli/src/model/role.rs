//! Which IAM role each function runs as, and the documents of the roles chalice-rs manages.
//!
//! Chalice's `_get_role_reference`: an `iam_role_arn` names an existing role; otherwise the
//! functions share one managed role, `<app>-<stage>`, whose policy is generated, unless
//! `autogen_policy` is false, which gives the function a role of its own whose policy is read
//! from `.chalice/`.

use serde_json::{Value, json};

use crate::config::FunctionConfig;
use crate::naming;

/// The resource name of the role functions share, as Chalice names it.
pub const DEFAULT_ROLE: &str = "default-role";

/// A function's execution role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A role chalice-rs manages, by resource name (see [`ManagedRole`]).
    Managed(String),
    /// An existing role, by ARN.
    Existing(String),
}

/// A role chalice-rs creates.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedRole {
    /// Chalice's resource name: [`DEFAULT_ROLE`], or `<function>_role` for a function's own.
    pub resource_name: String,
    /// The IAM role name.
    pub role_name: String,
    /// Its inline policy.
    pub policy: Value,
}

/// What a function's config asks for, before the roles are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// The role `iam_role_arn` names (set alone, or with `manage_iam_role: false`, which the
    /// config check refuses without one).
    Existing(String),
    /// The managed role all such functions share; its policy is generated.
    Shared,
    /// A managed role of the function's own, its policy read from this file under `.chalice/`.
    Own {
        /// The policy file: `iam_policy_file`, else `policy-<stage>.json`.
        policy_file: String,
    },
}

/// The role `function`'s config on `stage` asks for.
pub fn choose(function: &FunctionConfig, stage: &str) -> RoleChoice {
    if let Some(arn) = &function.iam_role_arn {
        RoleChoice::Existing(arn.clone())
    } else if function.autogen_policy {
        RoleChoice::Shared
    } else {
        RoleChoice::Own {
            policy_file: function
                .iam_policy_file
                .clone()
                .unwrap_or_else(|| format!("policy-{stage}.json")),
        }
    }
}

/// The shared role of `app` on `stage`, its policy covering what its users need.
pub fn shared(app: &str, stage: &str, vpc: bool, xray: bool) -> ManagedRole {
    ManagedRole {
        resource_name: DEFAULT_ROLE.to_owned(),
        role_name: naming::role_name(app, stage),
        policy: generated_policy(vpc, xray),
    }
}

/// The role of the function `function` alone, with `policy`.
pub fn own(app: &str, stage: &str, function: &str, policy: Value) -> ManagedRole {
    ManagedRole {
        resource_name: format!("{function}_role"),
        role_name: naming::function_role_name(app, stage, function),
        policy,
    }
}

/// Chalice's `LAMBDA_TRUST_POLICY`: Lambda may assume the role.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The policy of the shared managed role: what Chalice's policy generator gives an app that
/// calls no AWS API (writing its logs), plus network interfaces for functions in a VPC and
/// X-Ray when tracing is on, as Chalice adds them.
pub fn generated_policy(vpc: bool, xray: bool) -> Value {
    let mut statements = vec![json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "arn:*:logs:*:*:*"
    })];
    if vpc {
        statements.push(json!({
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DetachNetworkInterface",
                "ec2:DeleteNetworkInterface"
            ],
            "Resource": "*"
        }));
    }
    if xray {
        statements.push(json!({
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*"
        }));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chalice_runtime::lambda::API_HANDLER;

    use super::*;

    fn config() -> FunctionConfig {
        FunctionConfig {
            name: API_HANDLER.to_owned(),
            memory_size: 128,
            timeout: 60,
            environment_variables: BTreeMap::new(),
            tags: BTreeMap::new(),
            manage_iam_role: true,
            iam_role_arn: None,
            autogen_policy: true,
            iam_policy_file: None,
            reserved_concurrency: None,
            layers: Vec::new(),
            subnet_ids: Vec::new(),
            security_group_ids: Vec::new(),
            xray: false,
            log_retention_in_days: None,
        }
    }

    #[test]
    fn functions_share_the_managed_role_by_default() {
        assert_eq!(choose(&config(), "dev"), RoleChoice::Shared);
        let role = shared("demoauth1", "dev", false, false);
        assert_eq!(
            (role.resource_name.as_str(), role.role_name.as_str()),
            (DEFAULT_ROLE, "demoauth1-dev")
        );
    }

    #[test]
    fn an_iam_role_arn_names_an_existing_role_with_or_without_manage_iam_role() {
        let arn = "arn:aws:iam::123456789012:role/mine";
        let mut function = FunctionConfig {
            iam_role_arn: Some(arn.into()),
            ..config()
        };
        assert_eq!(choose(&function, "dev"), RoleChoice::Existing(arn.into()));
        function.manage_iam_role = false;
        function.autogen_policy = false;
        assert_eq!(choose(&function, "dev"), RoleChoice::Existing(arn.into()));
    }

    #[test]
    fn autogen_policy_false_gives_a_role_of_its_own_from_a_policy_file() {
        let mut function = FunctionConfig {
            autogen_policy: false,
            ..config()
        };
        assert_eq!(
            choose(&function, "prod"),
            RoleChoice::Own {
                policy_file: "policy-prod.json".into()
            }
        );
        function.iam_policy_file = Some("auth.json".into());
        assert_eq!(
            choose(&function, "prod"),
            RoleChoice::Own {
                policy_file: "auth.json".into()
            }
        );
        let role = own("demoauth1", "dev", "demo_auth", json!({}));
        assert_eq!(
            (role.resource_name.as_str(), role.role_name.as_str()),
            ("demo_auth_role", "demoauth1-dev-demo_auth")
        );
    }

    #[test]
    fn trust_and_generated_policies_are_chalices() {
        assert_eq!(
            serde_json::to_string(&trust_policy()).unwrap(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        );
        assert_eq!(
            generated_policy(false, false),
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:*:logs:*:*:*"}]})
        );
        let both = generated_policy(true, true);
        let statements = both["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[1]["Action"][0], "ec2:CreateNetworkInterface");
        assert_eq!(statements[2]["Action"][0], "xray:PutTraceSegments");
        let xray_only = generated_policy(false, true);
        assert_eq!(
            xray_only["Statement"][1]["Action"][0],
            "xray:PutTraceSegments"
        );
    }
}
