//! A stage's deployed functions as its record names them (`api_handler`, an authorizer's
//! name): what `logs` and `invoke` act on. Read from the record alone, so a name that was
//! never deployed is refused before any AWS call.

use serde_json::Value;

use crate::deploy::record::{self, Record};
use crate::error::{Error, Result};
use crate::project::Project;

/// The record's resource type of a Lambda function.
const LAMBDA_FUNCTION: &str = "lambda_function";

/// One deployed Lambda function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployedFunction {
    /// Its name in the record (`api_handler`, or an authorizer's name).
    pub record_name: String,
    /// Its ARN.
    pub arn: String,
    /// Its Lambda function name (the ARN's seventh field).
    pub function_name: String,
}

impl DeployedFunction {
    /// The function `name` of `stage`, from the stage's record; an error names the stage, the
    /// record file and the functions it does hold.
    pub fn find(project: &Project, stage: &str, name: &str) -> Result<DeployedFunction> {
        project.config().stage(stage)?;
        let path = record::path(project.dir(), stage);
        let record = Record::load(&path)?;
        DeployedFunction::in_record(&record, name).map_err(|why| {
            Error::new(format!(
                "{why} in stage `{stage}` ({}); run `chalice-rs deploy --stage {stage}` first",
                path.display()
            ))
        })
    }

    /// The function `name` of `record`; the error says what is missing.
    fn in_record(record: &Record, name: &str) -> std::result::Result<DeployedFunction, String> {
        let names: Vec<&str> = record
            .of_type(LAMBDA_FUNCTION)
            .filter_map(|entry| entry.get("name").and_then(Value::as_str))
            .collect();
        if names.is_empty() {
            return Err("no function is deployed".to_owned());
        }
        let Some(arn) = record
            .get(name)
            .filter(|entry| {
                entry.get("resource_type").and_then(Value::as_str) == Some(LAMBDA_FUNCTION)
            })
            .and_then(|entry| entry.get("lambda_arn"))
            .and_then(Value::as_str)
        else {
            return Err(format!(
                "no function `{name}` is deployed (the deployed functions: {})",
                names.join(", ")
            ));
        };
        let function_name = arn
            .split(':')
            .nth(6)
            .filter(|part| !part.is_empty())
            .ok_or_else(|| format!("function `{name}` has a malformed ARN `{arn}`"))?;
        Ok(DeployedFunction {
            record_name: name.to_owned(),
            arn: arn.to_owned(),
            function_name: function_name.to_owned(),
        })
    }

    /// The CloudWatch log group Lambda writes the function's output to.
    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.function_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        let mut record = Record::default();
        record.set(
            "default-role",
            "iam_role",
            "role_arn",
            "arn:aws:iam::1:role/r",
        );
        record.set_function(
            "api_handler",
            "arn:aws:lambda:us-west-2:123456789012:function:demo-dev",
        );
        record.set_function(
            "demo_auth",
            "arn:aws:lambda:us-west-2:123456789012:function:demo-dev-demo_auth",
        );
        record
    }

    #[test]
    fn finds_a_function_by_its_record_name_and_names_its_log_group() {
        let found = DeployedFunction::in_record(&record(), "demo_auth").unwrap();
        assert_eq!(found.function_name, "demo-dev-demo_auth");
        assert_eq!(found.log_group(), "/aws/lambda/demo-dev-demo_auth");
        let handler = DeployedFunction::in_record(&record(), "api_handler").unwrap();
        assert_eq!(handler.log_group(), "/aws/lambda/demo-dev");
    }

    #[test]
    fn a_missing_function_is_refused_naming_those_deployed() {
        assert_eq!(
            DeployedFunction::in_record(&record(), "other").unwrap_err(),
            "no function `other` is deployed (the deployed functions: api_handler, demo_auth)"
        );
        assert!(
            DeployedFunction::in_record(&record(), "default-role")
                .unwrap_err()
                .starts_with("no function `default-role`")
        );
        assert_eq!(
            DeployedFunction::in_record(&Record::default(), "api_handler").unwrap_err(),
            "no function is deployed"
        );
        let mut bad = Record::default();
        bad.set_function("api_handler", "not-an-arn");
        assert!(
            DeployedFunction::in_record(&bad, "api_handler")
                .unwrap_err()
                .contains("malformed ARN `not-an-arn`")
        );
    }
}
