//! `delete` as a plan against moto: `--dry-run` lists the steps and changes nothing, and a
//! delete that dies part-way leaves a record of what is left, which the next delete finishes.

mod support;

use chalice_cli::deploy::{self, record::Record};
use support::inventory::{inventory, is_empty};
use support::proxy::{Fault, Proxy};
use support::*;

const APP: &str = "demoauth1";

/// The `chalice-rs` binary against moto, in `project`'s directory.
fn cli(project: &TestProject, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_chalice-rs"))
        .arg("--project-dir")
        .arg(&project.dir)
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_dry_run_lists_the_steps_and_changes_nothing() {
    let stage = "ddry1";
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    deploy(&project, stage, &clients, &bundle).await;
    let record = project.record(stage);
    let api_id = record.value("rest_api", "rest_api_id").unwrap().to_owned();
    let before = inventory(&clients, APP, stage).await;
    assert!(!is_empty(&before), "{before}");
    let plan = [
        format!("Deleting Rest API: {api_id}"),
        format!("Deleting function: {APP}-{stage}-demo_auth"),
        format!("Deleting function: {APP}-{stage}"),
        format!("Deleting IAM role: {APP}-{stage}"),
    ];
    let planned = [
        format!("Would delete Rest API: {api_id}"),
        format!("Would delete function: {APP}-{stage}-demo_auth"),
        format!("Would delete function: {APP}-{stage}"),
        format!("Would delete IAM role: {APP}-{stage}"),
    ];
    clients.calls.take();

    // The library: the plan is printed and reported, and only reads are made.
    let mut lines = Vec::new();
    let report = deploy::delete_dry_run(&project.project(), stage, &clients.aws, &mut |line| {
        lines.push(line.to_owned())
    })
    .await
    .unwrap();
    assert!(report.dry_run);
    assert!(report.deleted.is_empty());
    assert_eq!(lines, planned);
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert_eq!(steps, plan);
    let calls = clients.calls.take();
    assert!(!calls.is_empty(), "the dry run looked for tagged resources");
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
    assert_eq!(project.record(stage), record);
    assert_eq!(inventory(&clients, APP, stage).await, before);

    // The command line says the same, and changes nothing either.
    let output = cli(&project, &["delete", "--stage", stage, "--dry-run"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for step in &planned {
        assert!(stderr.contains(&format!("{step}\n")), "{stderr}");
    }
    assert!(!stderr.contains("Nothing to delete"), "{stderr}");
    assert_eq!(project.record(stage), record);
    assert_eq!(inventory(&clients, APP, stage).await, before);

    // The delete runs exactly those steps; then there is nothing left to plan.
    let deleted = deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(deleted.deleted, plan);
    assert!(is_empty(&inventory(&clients, APP, stage).await));
    assert_eq!(project.record(stage), Record::default());
    let output = cli(&project, &["delete", "--stage", stage, "--dry-run"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Nothing to delete: stage `{stage}` has no resources."
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("Would "), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_that_dies_part_way_is_finished_by_the_next() {
    let stage = "ddie1";
    let bundle = bundle_of("demoauth");
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let project = TestProject::new("demoauth", &[stage]);
    project.clean(&clients, &[stage]).await;
    deploy(&project, stage, &clients, &bundle).await;

    // IAM fails every attempt to delete the role: the API and the functions are gone, and the
    // record says so, keeping only the role.
    proxy.reset();
    proxy.fail_where(
        |call| call.service == "iam" && call.path == "Action=DeleteRole",
        Fault::ServerError,
        usize::MAX,
    );
    let error = deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("Deleting IAM role: {APP}-{stage}: ")),
        "{error}"
    );
    let left = project.record(stage);
    let names: Vec<&str> = left
        .resources
        .iter()
        .filter_map(|entry| entry["name"].as_str())
        .collect();
    assert_eq!(names, ["default-role"]);
    let found = inventory(&clients, APP, stage).await;
    assert!(found["apis"].as_array().unwrap().is_empty(), "{found}");
    assert!(
        found["functions"].as_object().unwrap().is_empty(),
        "{found}"
    );
    assert_eq!(found["roles"].as_object().unwrap().len(), 1, "{found}");

    // The next delete plans only what is left, and removes it.
    proxy.reset();
    let planned = deploy::delete_dry_run(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    let steps: Vec<String> = planned.steps.iter().map(ToString::to_string).collect();
    assert_eq!(steps, [format!("Deleting IAM role: {APP}-{stage}")]);
    let deleted = deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(deleted.deleted, steps);
    assert!(is_empty(&inventory(&clients, APP, stage).await));
    assert_eq!(project.record(stage), Record::default());
}
