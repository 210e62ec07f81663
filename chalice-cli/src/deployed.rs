//! What a stage has deployed, read from its record alone (so a stage or name that was never
//! deployed is refused before any AWS call): its URL, for `url`, and its functions as the record
//! names them (`api_handler`, an authorizer's name), which `logs` and `invoke` act on.

use std::path::PathBuf;

use serde_json::Value;

use crate::deploy::desired::{HTTP_API, REST_API};
use crate::deploy::record::{self, Record};
use crate::error::{Error, Result};
use crate::project::Project;

/// The record of `stage` and where it is. A stage never deployed from this project has none: the
/// error says so and what to run, rather than naming a file that does not exist.
pub fn record_of(project: &Project, stage: &str) -> Result<(PathBuf, Record)> {
    project.config().stage(stage)?;
    let path = record::path(project.dir(), stage);
    if !path.exists() {
        return Err(Error::new(not_deployed(project, stage)));
    }
    let record = Record::load(&path)?;
    Ok((path, record))
}

fn not_deployed(project: &Project, stage: &str) -> String {
    format!(
        "stage `{stage}` has not been deployed from {}: run `chalice-rs deploy --stage {stage}` first",
        project.dir().display()
    )
}

/// The URL of `stage`'s API (REST or HTTP), from its record.
pub fn url(project: &Project, stage: &str) -> Result<String> {
    let (path, record) = record_of(project, stage)?;
    url_in(&record).map(str::to_owned).ok_or_else(|| {
        Error::new(format!(
            "stage `{stage}` has no API deployed (its record, {}, holds none): run `chalice-rs deploy --stage {stage}`",
            path.display()
        ))
    })
}

/// The API URL `record` holds, if any.
fn url_in(record: &Record) -> Option<&str> {
    record
        .value(REST_API, "rest_api_url")
        .or_else(|| record.value(HTTP_API, "http_api_url"))
}

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
        let (path, record) = record_of(project, stage)?;
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

    /// A project on disk with a `dev` stage, in a fresh directory named after `name`.
    fn project(name: &str) -> Project {
        let dir =
            std::env::temp_dir().join(format!("chalice-rs-deployed-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".chalice")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        std::fs::write(
            dir.join(".chalice/config.json"),
            r#"{"app_name": "x", "stages": {"dev": {}}}"#,
        )
        .unwrap();
        Project::open(&dir).unwrap()
    }

    #[test]
    fn a_stage_never_deployed_says_so_and_what_to_run_naming_no_file() {
        let project = project("never");
        let expected = format!(
            "stage `dev` has not been deployed from {}: run `chalice-rs deploy --stage dev` first",
            project.dir().display()
        );
        assert_eq!(url(&project, "dev").unwrap_err().to_string(), expected);
        let find = DeployedFunction::find(&project, "dev", "api_handler").unwrap_err();
        assert_eq!(find.to_string(), expected);
        assert!(!project.dir().join(".chalice/deployed").exists());
        std::fs::remove_dir_all(project.dir()).unwrap();
    }

    #[test]
    fn the_url_is_the_recorded_apis_and_an_emptied_record_names_itself() {
        let project = project("url");
        let path = record::path(project.dir(), "dev");
        // What `delete` leaves: a record that holds nothing.
        Record::default().save(&path).unwrap();
        let error = url(&project, "dev").unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "stage `dev` has no API deployed (its record, {}, holds none): run `chalice-rs deploy --stage dev`",
                path.display()
            )
        );
        let mut deployed = Record::default();
        deployed.set(
            REST_API,
            "rest_api",
            "rest_api_url",
            "https://a.example/api/",
        );
        deployed.save(&path).unwrap();
        assert_eq!(url(&project, "dev").unwrap(), "https://a.example/api/");
        std::fs::remove_dir_all(project.dir()).unwrap();
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
