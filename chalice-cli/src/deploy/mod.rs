//! `chalice-rs deploy`, `delete` and `url`: a reconciler, not a script.
//!
//! A deploy builds the desired state from the manifest and config ([`desired`]), reads the
//! actual state from AWS ([`observe`]), computes the difference as a list of steps ([`plan`]),
//! and runs them one by one ([`execute`]), saving the record after each. A deploy that dies at
//! any step is finished by the next one; resources carry the app's and stage's tags, so a lost
//! record or a create whose answer was lost is found again. A delete is a plan too
//! ([`delete_plan`]), run by the same loop, so a delete that dies is finished by the next.
//! The AWS clients and their retries are in [`client`].

pub mod api_settings;
pub mod arns;
pub(crate) mod aws_failure;
pub mod client;
pub mod delete_plan;
pub mod desired;
pub mod desired_http;
pub mod execute;
pub mod lock;
pub mod log_groups;
pub mod observe;
pub mod observe_domain;
pub mod observe_http;
pub mod observe_usage_plan;
pub mod observed;
pub mod observed_domain;
pub mod observed_http;
pub mod ownership;
pub mod plan;
pub mod plan_domain;
pub mod plan_http;
pub mod record;
pub mod usage_plan;

use std::path::Path;

use serde_json::Value;

use crate::bundle::{self, Bundle};
use crate::error::Result;
use crate::model;
use crate::project::Project;

pub use self::client::Aws;
use self::desired::{Desired, HTTP_API, Inputs};
use self::execute::{Effect, Executor};
use self::lock::DeployLock;
pub use self::ownership::Adoption;
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
    /// Chalice's closing report: the Lambda ARNs, then the Rest API URL; then the API keys'
    /// ids.
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
        if let Some(url) = self.record.value(HTTP_API, "http_api_url") {
            lines.push(format!("  - HTTP API URL: {url}"));
        }
        lines.extend(custom_domain_report(&self.record));
        // The ids to read the generated values by (`aws apigateway get-api-key --include-value`).
        let (_, keys) = usage_plan::recorded(&self.record);
        for (name, id) in keys {
            lines.push(format!("  - API key: {name} (id {id})"));
        }
        lines.join("\n")
    }
}

/// Chalice's lines for a custom domain: where to point DNS (an alias record to
/// `AliasDomainName` in the hosted zone `HostedZoneId`), which stays the user's to make.
fn custom_domain_report(record: &Record) -> Option<String> {
    let entry = plan_domain::CUSTOM_DOMAIN;
    let domain_name = record.value(entry, "domain_name")?;
    let field = |name: &str| record.value(entry, name).unwrap_or("(unknown)");
    Some(format!(
        "  - Custom domain name: {domain_name}\n      HostedZoneId: {}\n      AliasDomainName: {}",
        field("hosted_zone_id"),
        field("alias_domain_name")
    ))
}

/// Where progress goes: one line per step, as Chalice prints them.
pub type Progress<'a> = &'a mut (dyn FnMut(&str) + Send);

/// Builds the app, then reconciles the stage with it, adopting only what is tagged for it.
pub async fn deploy(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    let adoption = Adoption::TaggedOnly;
    deploy_with(project, stage_name, aws, adoption, dry_run, progress).await
}

/// Builds the app, then reconciles the stage with it. The stage is locked first, so a second
/// deploy or delete of it fails at once, before building or calling AWS (a dry run takes no
/// lock, and leaves the project as it found it).
pub async fn deploy_with(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    adoption: Adoption,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    let stage = project.config().stage(stage_name)?;
    let lock = lock_unless_dry_run(project, stage_name, dry_run)?;
    let bundle = bundle::build(project, stage.architecture())?;
    progress(&bundle.built_line());
    let run = Run { adoption, dry_run };
    reconcile(
        project,
        stage_name,
        aws,
        &bundle,
        run,
        progress,
        lock.as_ref(),
    )
    .await
}

/// Reconciles the stage with an already built bundle, once its bootstrap is checked, adopting
/// only what is tagged for it.
pub async fn deploy_bundle(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    bundle: &Bundle,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    let adoption = Adoption::TaggedOnly;
    deploy_bundle_with(
        project, stage_name, aws, bundle, adoption, dry_run, progress,
    )
    .await
}

/// Reconciles the stage with an already built bundle, once its bootstrap is checked.
pub async fn deploy_bundle_with(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    bundle: &Bundle,
    adoption: Adoption,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeployReport> {
    let stage = project.config().stage(stage_name)?;
    bundle::check_zip(&bundle.zip, stage.architecture())?;
    let lock = lock_unless_dry_run(project, stage_name, dry_run)?;
    let run = Run { adoption, dry_run };
    reconcile(
        project,
        stage_name,
        aws,
        bundle,
        run,
        progress,
        lock.as_ref(),
    )
    .await
}

/// The stage's lock, for a run that may change AWS or the record. A dry run changes neither and
/// takes none: it leaves the project as it found it (taking the lock would create
/// `.chalice/deployed/`), and a plan read while another run changes the stage is merely stale.
fn lock_unless_dry_run(
    project: &Project,
    stage_name: &str,
    dry_run: bool,
) -> Result<Option<DeployLock>> {
    if dry_run {
        return Ok(None);
    }
    DeployLock::acquire(project.dir(), stage_name).map(Some)
}

/// How a deploy runs: what it may adopt, and whether it only prints its plan.
#[derive(Debug, Clone, Copy)]
struct Run {
    adoption: Adoption,
    dry_run: bool,
}

/// The deploy proper, under the stage's lock (none for a dry run). Everything that can be
/// checked locally (config, manifest, derived names, policy files, the record) is, before the
/// first AWS call.
async fn reconcile(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    bundle: &Bundle,
    Run { adoption, dry_run }: Run,
    progress: Progress<'_>,
    _lock: Option<&DeployLock>,
) -> Result<DeployReport> {
    let stage = project.config().stage(stage_name)?;
    let chalice_dir = project.dir().join(".chalice");
    let read_policy = |file: &str| model::read_json(&chalice_dir.join(file));
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
    let observed = observe::observe(aws, &desired, &record).await?;
    if !observed.foreign.is_empty() {
        if adoption == Adoption::TaggedOnly {
            return Err(ownership::refusal(
                &observed.foreign,
                &desired.app,
                &desired.stage,
            ));
        }
        for foreign in &observed.foreign {
            let line = format!("Adopting {foreign} (--adopt-untagged)");
            progress(&if dry_run { would(&line) } else { line });
        }
    }
    let steps = plan::plan(&desired, &observed);
    if dry_run {
        print_plan(&steps, progress);
        return Ok(DeployReport {
            steps,
            record,
            dry_run,
        });
    }
    remember_observed(&desired, &observed, &mut record);
    record.save(&record_path)?;
    let mut executor = Executor::deploying(aws, &desired, &bundle.zip, &observed);
    run(
        &mut executor,
        &steps,
        &mut record,
        &record_path,
        Tell::Before,
        progress,
    )
    .await?;
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
            record.set_role(role, &found.arn);
        }
    }
    for function in &desired.functions {
        if let Some(found) = observed.functions.get(&function.name) {
            record.set_function(&function.name, &found.arn);
        }
    }
    if let Some(api) = &observed.api {
        record.set(desired::REST_API, "rest_api", "rest_api_id", &api.id);
        if api.stage_deployment.is_some() {
            let url = plan::rest_api_url(&desired.region, &api.id, desired.stage_name());
            record.set(desired::REST_API, "rest_api", "rest_api_url", &url);
        }
    }
    usage_plan::remember(&observed.keys, record);
    if let Some(api) = &observed.http_api {
        record.set(HTTP_API, HTTP_API, "http_api_id", &api.id);
        let authorizers = api
            .authorizers
            .iter()
            .map(|(name, found)| (name.clone(), Value::String(found.id.clone())))
            .collect();
        record.set_json(
            HTTP_API,
            HTTP_API,
            "authorizers",
            Value::Object(authorizers),
        );
        if api.stages.contains_key(desired.stage_name()) {
            let url = plan::rest_api_url(&desired.region, &api.id, desired.stage_name());
            record.set(HTTP_API, HTTP_API, "http_api_url", &url);
        }
    }
    observe_domain::remember(desired, observed, record);
}

/// Prints what a dry run would do, one line per step.
fn print_plan(steps: &[Step], progress: Progress<'_>) {
    for step in steps {
        progress(&would(&step.to_string()));
    }
}

/// The verbs a step's progress line starts with (`Creating IAM role: x`), each with the form a
/// dry run says it in (`Would create IAM role: x`).
const VERBS: [(&str, &str); 12] = [
    ("Adding", "add"),
    ("Adopting", "adopt"),
    ("Allowing", "allow"),
    ("Creating", "create"),
    ("Deleting", "delete"),
    ("Deploying", "deploy"),
    ("Removing", "remove"),
    ("Resetting", "reset"),
    ("Revoking", "revoke"),
    ("Setting", "set"),
    ("Tagging", "tag"),
    ("Updating", "update"),
];

/// A progress line as a dry run says it: `Creating IAM role: x` becomes `Would create IAM role:
/// x`. A line that starts with no verb of [`VERBS`] (a test holds every step to them) is kept
/// whole after `Would run:`.
fn would(line: &str) -> String {
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    match VERBS.iter().find(|(doing, _)| *doing == first) {
        Some((_, verb)) => format!("Would {verb} {rest}"),
        None => format!("Would run: {line}"),
    }
}

/// When a run tells its progress about a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tell {
    /// Before running it, as a deploy does: a slow step shows what is being waited on.
    Before,
    /// Once it changed something, as a delete does: what was already gone is not reported
    /// deleted.
    WhenChanged,
}

/// Runs `steps` in order, saving the record after each whatever happened, so that what was
/// made or deleted so far is on disk before an error surfaces and a run that dies is finished
/// by the next. Returns the lines of the steps that changed something.
async fn run(
    executor: &mut Executor<'_>,
    steps: &[Step],
    record: &mut Record,
    record_path: &Path,
    tell: Tell,
    progress: Progress<'_>,
) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for step in steps {
        let line = step.to_string();
        if tell == Tell::Before {
            progress(&line);
        }
        let applied = executor.apply(step, record).await;
        record.save(record_path)?;
        if applied? == Effect::Changed {
            if tell == Tell::WhenChanged {
                progress(&line);
            }
            changed.push(line);
        }
    }
    Ok(changed)
}

/// What `delete` removed, or would remove.
#[derive(Debug, Clone, Default)]
pub struct DeleteReport {
    /// The plan: one step per resource found, by the record or by its tags.
    pub steps: Vec<Step>,
    /// One line per resource deleted (none in a dry run, nor for what was already gone).
    pub deleted: Vec<String>,
    /// Whether the plan was only printed.
    pub dry_run: bool,
}

/// Removes everything the stage deployed (by record, by name and by tag), in dependency order,
/// and nothing else. Deleting twice deletes nothing the second time.
pub async fn delete(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    progress: Progress<'_>,
) -> Result<DeleteReport> {
    remove(project, stage_name, aws, false, progress).await
}

/// Prints what [`delete`] would remove, and changes nothing.
pub async fn delete_dry_run(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    progress: Progress<'_>,
) -> Result<DeleteReport> {
    remove(project, stage_name, aws, true, progress).await
}

/// A delete, under the stage's lock: the plan from the record and the tags, then each step
/// run and the record saved after it.
async fn remove(
    project: &Project,
    stage_name: &str,
    aws: &Aws,
    dry_run: bool,
    progress: Progress<'_>,
) -> Result<DeleteReport> {
    let config = project.config();
    config.stage(stage_name)?;
    let _lock = lock_unless_dry_run(project, stage_name, dry_run)?;
    let record_path = record::path(project.dir(), stage_name);
    let mut record = Record::load(&record_path)?;
    let tagged = observe::tagged(aws, config.app_name(), stage_name).await?;
    let mut steps = Vec::new();
    for step in delete_plan::delete_plan(&record, &tagged) {
        match observe::foreign_target(aws, &step, config.app_name(), stage_name).await? {
            Some(foreign) => progress(&format!(
                "Skipped {foreign}: not tagged for app `{}` stage `{stage_name}`, so not deleted",
                config.app_name()
            )),
            None => steps.push(step),
        }
    }
    if dry_run {
        print_plan(&steps, progress);
        return Ok(DeleteReport {
            steps,
            deleted: Vec::new(),
            dry_run,
        });
    }
    let mut executor = Executor::deleting(aws);
    let deleted = run(
        &mut executor,
        &steps,
        &mut record,
        &record_path,
        Tell::WhenChanged,
        progress,
    )
    .await?;
    // Whatever no step named goes too: the record is left empty, as Chalice leaves it.
    record.resources.clear();
    record.save(&record_path)?;
    Ok(DeleteReport {
        steps,
        deleted,
        dry_run,
    })
}

/// The stage's URL (its REST or HTTP API's), from its record.
pub fn url(project: &Project, stage_name: &str) -> Result<String> {
    crate::deployed::url(project, stage_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_says_each_step_as_what_it_would_do() {
        for (line, planned) in [
            (
                "Creating IAM role: app-dev",
                "Would create IAM role: app-dev",
            ),
            (
                "Allowing API Gateway to invoke: app-dev",
                "Would allow API Gateway to invoke: app-dev",
            ),
            (
                "Deploying Rest API to stage: api",
                "Would deploy Rest API to stage: api",
            ),
            ("Deleting route: GET /a", "Would delete route: GET /a"),
            ("Creating Rest API", "Would create Rest API"),
        ] {
            assert_eq!(would(line), planned);
        }
        assert_eq!(would("Checked x"), "Would run: Checked x");
    }

    /// The verbs that start a quoted text (`"Creating `) in `source`.
    fn leading_verbs(source: &str) -> Vec<&str> {
        source
            .split('"')
            .skip(1)
            .filter_map(|text| {
                let (word, _) = text.split_once(' ')?;
                let capitalized = word.starts_with(|c: char| c.is_ascii_uppercase());
                (capitalized && word.ends_with("ing") && word.chars().all(char::is_alphabetic))
                    .then_some(word)
            })
            .collect()
    }

    /// Every progress line of a step (the planners) or of the deploy itself starts with
    /// a verb a dry run knows how to say, so none reads `Would run: Creating ..`.
    #[test]
    fn every_step_starts_with_a_verb_a_dry_run_can_say() {
        let sources = [
            include_str!("plan.rs"),
            include_str!("plan_http.rs"),
            include_str!("plan_domain.rs"),
            include_str!("usage_plan.rs"),
            include_str!("log_groups.rs"),
            include_str!("mod.rs"),
        ];
        let verbs: Vec<&str> = sources.into_iter().flat_map(leading_verbs).collect();
        assert!(verbs.contains(&"Creating") && verbs.contains(&"Revoking"));
        for verb in verbs {
            assert!(
                VERBS.iter().any(|(doing, _)| *doing == verb),
                "a step starts with `{verb}`, which VERBS lacks"
            );
        }
        assert_eq!(
            leading_verbs(r#"x "Tagging role: a" "Nothing" "Going""#),
            ["Tagging"]
        );
    }
}
