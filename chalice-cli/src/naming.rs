//! The names that the config check, the model, the templates and the deployer must agree on:
//! Lambda function and role names, handler strings, CloudFormation logical ids and tags. Pure
//! functions; nothing here touches AWS or the disk.

use std::collections::BTreeMap;

use chalice_runtime::lambda::API_HANDLER;

use crate::error::{Error, Result};

/// The Lambda runtime of every function: the app is one `bootstrap` binary.
pub const RUNTIME: &str = "provided.al2023";

/// The tag naming the app on every resource chalice-rs creates.
pub const TAG_APP: &str = "chalice-rs:app";

/// The tag naming the Chalice stage on every resource chalice-rs creates.
pub const TAG_STAGE: &str = "chalice-rs:stage";

/// The Lambda function name of `function` (`api_handler` or a built-in authorizer's name):
/// `<app>-<stage>` for the API handler, as Chalice keeps it for backwards compatibility, and
/// `<app>-<stage>-<name>` for the others.
pub fn function_name(app: &str, stage: &str, function: &str) -> String {
    if function == API_HANDLER {
        format!("{app}-{stage}")
    } else {
        format!("{app}-{stage}-{function}")
    }
}

/// Lambda's limit on function names (IAM's on role names is the same).
pub const MAX_FUNCTION_NAME: usize = 64;

/// Checks a function (or role) name chalice-rs derives against what Lambda and IAM accept:
/// at most 64 letters, digits, `-` and `_`.
pub fn check_function_name(name: &str) -> std::result::Result<(), String> {
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "the Lambda function name `{name}`, which has {bad:?}; Lambda allows only letters, digits, `-` and `_`"
        ));
    }
    if name.len() > MAX_FUNCTION_NAME {
        return Err(format!(
            "the Lambda function name `{name}`, {} characters; Lambda allows {MAX_FUNCTION_NAME}",
            name.len()
        ));
    }
    Ok(())
}

/// The Lambda `Handler` string of `function`: its config name. One binary serves every
/// function and dispatches on it (`_HANDLER`).
pub fn handler(function: &str) -> &str {
    function
}

/// The name of the role all functions share when chalice-rs manages it: `<app>-<stage>`.
pub fn role_name(app: &str, stage: &str) -> String {
    format!("{app}-{stage}")
}

/// The name of a function's own managed role (`autogen_policy: false`): `<app>-<stage>-<fn>`.
pub fn function_role_name(app: &str, stage: &str, function: &str) -> String {
    format!("{app}-{stage}-{function}")
}

/// Chalice's `to_cfn_resource_name`: split on `-` then `_`, upper-case the first letter of each
/// part, join, and drop what is not ASCII alphanumeric (`demo_auth` → `DemoAuth`).
pub fn cfn_resource_name(name: &str) -> Result<String> {
    let mut camel = name.to_owned();
    for separator in ['-', '_'] {
        camel = camel
            .split(separator)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let mut chars = part.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
                first.unwrap_or_default() + chars.as_str()
            })
            .collect();
    }
    let cleaned: String = camel.chars().filter(char::is_ascii_alphanumeric).collect();
    if cleaned.is_empty() {
        return Err(Error::new(format!(
            "`{name}` gives no CloudFormation logical id (it needs a letter or digit)"
        )));
    }
    Ok(cleaned)
}

/// The tags of a function: the config's, then `chalice-rs:app` and `chalice-rs:stage`, which
/// win because `deploy` and `delete` find resources by them.
pub fn function_tags(
    app: &str,
    stage: &str,
    config_tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut tags = config_tags.clone();
    tags.insert(TAG_APP.to_owned(), app.to_owned());
    tags.insert(TAG_STAGE.to_owned(), stage.to_owned());
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_follow_chalice() {
        assert_eq!(
            function_name("demoauth1", "dev", API_HANDLER),
            "demoauth1-dev"
        );
        assert_eq!(
            function_name("demoauth1", "dev", "demo_auth"),
            "demoauth1-dev-demo_auth"
        );
        assert_eq!(
            function_name("authz-variants", "prod", "header_auth"),
            "authz-variants-prod-header_auth"
        );
        assert_eq!(handler(API_HANDLER), "api_handler");
        assert_eq!(handler("header_auth"), "header_auth");
        assert_eq!(role_name("demoauth1", "dev"), "demoauth1-dev");
        assert_eq!(
            function_role_name("demoauth1", "dev", "demo_auth"),
            "demoauth1-dev-demo_auth"
        );
    }

    #[test]
    fn cfn_names_as_chalice_to_cfn_resource_name() {
        for (name, expected) in [
            ("demo_auth", "DemoAuth"),
            ("rich_auth", "RichAuth"),
            ("myauth", "Myauth"),
            ("auth", "Auth"),
            ("api_handler", "ApiHandler"),
            ("default-role", "DefaultRole"),
            ("api_handler-log-group", "ApiHandlerLogGroup"),
            ("pre_bpauth", "PreBpauth"),
            ("a__b--c", "ABC"),
            ("MyAuth", "MyAuth"),
            ("x1_2y", "X12y"),
        ] {
            assert_eq!(cfn_resource_name(name).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn a_name_without_letters_or_digits_is_an_error() {
        let error = cfn_resource_name("_-_").unwrap_err().to_string();
        assert!(error.contains("`_-_`"), "{error}");
        assert!(cfn_resource_name("").is_err());
    }

    #[test]
    fn chalice_rs_tags_win_over_config_tags() {
        let config = BTreeMap::from([
            ("team".to_owned(), "auth".to_owned()),
            (TAG_APP.to_owned(), "spoofed".to_owned()),
        ]);
        let tags = function_tags("demoauth1", "dev", &config);
        assert_eq!(
            tags,
            BTreeMap::from([
                (TAG_APP.to_owned(), "demoauth1".to_owned()),
                (TAG_STAGE.to_owned(), "dev".to_owned()),
                ("team".to_owned(), "auth".to_owned()),
            ])
        );
    }

    #[test]
    fn derived_names_are_checked_against_lambdas_rules() {
        assert_eq!(check_function_name(&"a".repeat(64)), Ok(()));
        assert_eq!(
            check_function_name(&"a".repeat(65)),
            Err(format!(
                "the Lambda function name `{}`, 65 characters; Lambda allows 64",
                "a".repeat(65)
            ))
        );
        assert_eq!(
            check_function_name("app-dev-auth.v2"),
            Err("the Lambda function name `app-dev-auth.v2`, which has '.'; Lambda allows only letters, digits, `-` and `_`".into())
        );
    }
}
