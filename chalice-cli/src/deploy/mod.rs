//! `chalice-rs deploy`, `delete` and `url`: a reconciler, not a script.
//!
//! A deploy builds the desired state from the manifest and config ([`desired`]), reads the
//! actual state from AWS ([`aws::Aws::observe`]), computes the difference as a list of steps
//! ([`plan`]), and applies them one by one, saving the record after each. A deploy that dies
//! at any step is finished by the next one; resources carry the app's and stage's tags, so a
//! lost record or a create whose answer was lost is found again, and `delete` removes them.

pub mod aws;
pub mod desired;
pub mod lock;
pub mod observed;
pub mod plan;
pub mod record;

use serde_json::Value;

use crate::bundle::{self, Bundle};
use crate::error::{Error, Result};
use crate::project::Project;

use self::aws::{Aws, Ids};
use self::desired::{Desired, Inputs};
use self::lock::DeployLock;
use self::plan::Step;
use self::record::Record;

/// What `deploy` did.
#[derive(Debug, Clone)]
pub struct DeployReport {
    /// The steps, in order (empty when nothing changed).
    pub steps: Vec<Step>,
    /// The record written.
    pub record: Record,
    /// Whether the plan was only printed.
    pub dry_run: bool,
}

impl DeployReport {
    /// Chalice's closing report: the Lambda ARNs, then the Rest API URL.
    pub fn resources_deployed(&self) -> String {
        let mut lines = vec!["Resources deployed:".to_owned()];
        for entry in self.record.of_type("lambda_function") {
            if let Some(arn) = entry.get("lambda_arn").and_then(Value::as_str) {
                lines.push(format!("  - Lambda ARN: {arn}"));
            }
        }
        if let Some(url) = self.record.value(desired::REST_API, "rest_api_url") {
            lines.push(format!("  - Rest API URL: {url}"));
        }
        lines.join("\n")
    }
}

/// Where progress goes: one line per step, as Chalice prints them.
pub type Progress<'a> = &'a mut (dyn FnMut(&str) + Send);

/// Builds the app, then reconciles the stage with it. The stage is locked first, so a second
/// deploy or delete of it fails at once, before building or calling AWS.
pub async fn deploy(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    let stage = project.config().stage(stage_name)?;
    let lock = DeployLock::acquire(project.dir(), stage_name)?;
    let bundle = bundle::build(project, stage.architecture())?;
    progress(&format!(
        "Built {} ({}, {} bytes zipped)",
        bundle.app.binary.display(),
        bundle.build_note,
        bundle.zip.len()
    ));
    reconcile(project, stage_name, aws, &bundle, dry_run, progress, &lock).await
}

/// Reconciles the stage with an already built bundle.
pub async fn deploy_bundle(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    bundle: &Bundle,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    project.config().stage(stage_name)?;
    let lock = DeployLock::acquire(project.dir(), stage_name)?;
    reconcile(project, stage_name, aws, bundle, dry_run, progress, &lock).await
}

/// The deploy proper, under the stage's lock. Everything that can be checked locally (config,
/// manifest, derived names, policy files, the record) is, before the first AWS call.
async fn reconcile(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    bundle: &Bundle,
    dry_run: bool,
    progress: Progress<'_>,
    _lock: &DeployLock,
) -> Result<DeployReport> {
    let stage = project.config().stage(stage_name)?;
    let chalice_dir = project.dir().join(".chalice");
    let read_policy = |file: &str| -> Result<Value> {
        let path = chalice_dir.join(file);
        let text = std::fs::read_to_string(&path).map_err(|error| {
            Error::new(format!(
                "{}: cannot read the IAM policy: {error}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text)
            .map_err(|error| Error::new(format!("{}: not a JSON policy: {error}", path.display())))
    };
    let desired = desired::desired(Inputs {
        manifest: &bundle.app.manifest,
        stage: &stage,
        region: aws.region(),
        code_sha256: &bundle.sha256,
        read_policy: &read_policy,
    })?;
    let record_path = record::path(project.dir(), stage_name);
    let mut record = Record::load(&record_path)?;
    let desired = desired.in_account(aws.account().await?);
    let observed = aws.observe(&desired, &record).await?;
    let steps = plan::plan(&desired, &observed);
    if dry_run {
        for step in &steps {
            progress(&format!("Would: {step}"));
        }
        return Ok(DeployReport {
            steps,
            record,
            dry_run,
        });
    }
    remember_observed(&desired, &observed, &mut record);
    record.save(&record_path)?;
    let mut ids = Ids::from_observed(&observed);
    for step in &steps {
        progress(&step.to_string());
        let applied = aws
            .apply(&desired, step, &mut ids, &mut record, &bundle.zip)
            .await;
        // Whatever happened, what was made so far is on disk before the error surfaces.
        record.save(&record_path)?;
        applied?;
    }
    Ok(DeployReport {
        steps,
        record,
        dry_run,
    })
}

/// Puts what exists into the record before changing anything, so a record that was lost or
/// is stale is whole again.
fn remember_observed(desired: &Desired, observed: &observed::Observed, record: &mut Record) {
    for role in &desired.roles {
        if let Some(found) = observed.roles.get(&role.resource_name) {
            record.set(&role.resource_name, "iam_role", "role_arn", &found.arn);
            record.set(
                &role.resource_name,
                "iam_role",
                "role_name",
                &role.role_name,
            );
        }
    }
    for function in &desired.functions {
        if let Some(found) = observed.functions.get(&function.resource_name) {
            record.set(
                &function.resource_name,
                "lambda_function",
                "lambda_arn",
                &found.arn,
            );
        }
    }
    if let Some(api) = &observed.api {
        record.set(desired::REST_API, "rest_api", "rest_api_id", &api.id);
        if api.stage_deployment.is_some() {
            let url = format!(
                "https://{}.execute-api.{}.amazonaws.com/{}/",
                api.id, desired.region, desired.api.stage_name
            );
            record.set(desired::REST_API, "rest_api", "rest_api_url", &url);
        }
    }
}

/// What `delete` removed.
#[derive(Debug, Clone, Default)]
pub struct DeleteReport {
    /// One line per resource deleted.
    pub deleted: Vec<String>,
}

/// Removes everything the stage deployed (by record, by name and by tag), in dependency order,
/// and nothing else. Deleting twice deletes nothing the second time.
pub async fn delete(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    progress: Progress<'_>,
) -> Result<DeleteReport> {
    let config = project.config();
    let stage = config.stage(stage_name)?;
    let app = config.app_name();
    let _lock = DeployLock::acquire(project.dir(), stage_name)?;
    let record_path = record::path(project.dir(), stage_name);
    let mut record = Record::load(&record_path)?;
    let mut report = DeleteReport::default();

    let mut apis: Vec<String> = record
        .value(desired::REST_API, "rest_api_id")
        .map(str::to_owned)
        .into_iter()
        .collect();
    for id in aws.tagged_apis(app, stage_name).await? {
        if !apis.contains(&id) {
            apis.push(id);
        }
    }
    for id in apis {
        let what = format!("Deleting Rest API: {id}");
        if aws.delete_rest_api(&id, &what).await? {
            progress(&what);
            report.deleted.push(what);
        }
        record.remove(desired::REST_API);
        record.save(&record_path)?;
    }

    let mut functions: Vec<(String, String)> = Vec::new();
    for entry in record.of_type("lambda_function") {
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(arn) = entry.get("lambda_arn").and_then(Value::as_str) {
            functions.push((name, arn.rsplit(':').next().unwrap_or(arn).to_owned()));
        }
    }
    for function_name in aws.tagged_functions(app, stage_name).await? {
        if !functions.iter().any(|(_, f)| *f == function_name) {
            functions.push((String::new(), function_name));
        }
    }
    // Authorizers first, the API handler last, as Chalice deletes in reverse record order.
    functions.reverse();
    for (resource_name, function_name) in functions {
        let what = format!("Deleting function: {function_name}");
        if aws.delete_function(&function_name, &what).await? {
            progress(&what);
            report.deleted.push(what);
        }
        record.remove(&resource_name);
        record.save(&record_path)?;
    }

    let mut roles: Vec<(String, String)> = record
        .of_type("iam_role")
        .filter_map(|entry| {
            let name = entry.get("name").and_then(Value::as_str)?.to_owned();
            Some((
                name,
                entry.get("role_name").and_then(Value::as_str)?.to_owned(),
            ))
        })
        .collect();
    // Managed roles are found by their names and tags too, for a record lost or written
    // before their create answered.
    for role_name in aws.tagged_roles(app, stage.name()).await? {
        if !roles.iter().any(|(_, role)| *role == role_name) {
            roles.push((String::new(), role_name));
        }
    }
    for (resource_name, role_name) in roles {
        let what = format!("Deleting IAM role: {role_name}");
        if aws.delete_role(&role_name, &what).await? {
            progress(&what);
            report.deleted.push(what);
        }
        record.remove(&resource_name);
        record.save(&record_path)?;
    }
    record.resources.clear();
    record.save(&record_path)?;
    Ok(report)
}

/// The stage's URL, from its record.
pub fn url(project: &Project, stage_name: &str) -> Result<String> {
    project.config().stage(stage_name)?;
    let path = record::path(project.dir(), stage_name);
    let record = Record::load(&path)?;
    record
        .value(desired::REST_API, "rest_api_url")
        .map(str::to_owned)
        .ok_or_else(|| Error::new(format!("stage `{stage_name}` has no Rest API deployed ({} records none); run `chalice-rs deploy --stage {stage_name}`", path.display())))
}
