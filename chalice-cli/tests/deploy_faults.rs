//! Deploys that fail at any AWS call: for every call N of a first deploy and of a changing
//! redeploy of both examples, call N fails (a 500, throttling, a dropped connection, or an
//! answer lost after moto acted), through a fault-injecting proxy in front of moto. From that
//! state (a) the next deploy gives exactly what a clean deploy gives and (b) `delete` leaves
//! nothing. Also: API Gateway's "busy" answers are retried, and bad input fails before any
//! AWS call.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chalice_cli::bundle::Bundle;
use chalice_cli::deploy::desired::{self, Account, Inputs};
use chalice_cli::deploy::{self, plan};
use chalice_runtime::manifest::ManifestAuthorizer;
use serde_json::{Value, json};
use support::inventory::{differences, inventory, is_empty, normalized_record};
use support::proxy::{Call, Fault, Proxy};
use support::*;

/// How many scenarios run at once against moto (each with its own proxy and stage).
const WORKERS: usize = 3;

/// Which calls are made to fail: every one of demoauth's; every third of authz-variants'
/// (82 and more calls, each a few seconds on moto) unless `CHALICE_RS_FAULT_MATRIX=full`.
fn stride(example: &str) -> usize {
    let full = std::env::var("CHALICE_RS_FAULT_MATRIX").is_ok_and(|v| v == "full");
    if example == "demoauth" || full { 1 } else { 3 }
}

/// The example's app as built, with a small zip: the matrix is about the control plane, and
/// moving the real binary through moto for every deploy would only make it slow.
fn light(example: &str) -> Bundle {
    let mut bundle = bundle_of(example);
    let binary = chalice_testkit::elf::static_x86_64(example.as_bytes());
    bundle.zip = chalice_cli::bundle::zip_bootstrap(&binary).unwrap();
    bundle.sha256 = chalice_cli::bundle::code_sha256(&bundle.zip);
    bundle
}

/// The example's app changed: a route's authorizer changes, an authorizer goes, another comes.
fn changed(example: &str) -> Bundle {
    let mut bundle = light(example);
    let manifest = &mut bundle.app.manifest;
    let renamed = |manifest: &chalice_runtime::manifest::Manifest, from: &str, to: &str| {
        let mut authorizer = manifest
            .authorizers
            .iter()
            .find(|a| a.name() == from)
            .unwrap()
            .clone();
        if let ManifestAuthorizer::Builtin { name, function, .. } = &mut authorizer {
            *name = to.to_owned();
            *function = to.to_owned();
        }
        authorizer
    };
    let route = |manifest: &mut chalice_runtime::manifest::Manifest, path: &str, to: &str| {
        let route = manifest.routes.iter_mut().find(|r| r.path == path).unwrap();
        route.authorizer = Some(to.to_owned());
    };
    match example {
        "demoauth" => {
            let second = renamed(manifest, "demo_auth", "second_auth");
            manifest.authorizers = vec![second];
            route(manifest, "/", "second_auth");
        }
        _ => {
            let extra = renamed(manifest, "broken_auth", "extra_auth");
            manifest
                .authorizers
                .retain(|a| !matches!(a.name(), "header_auth" | "broken_auth"));
            manifest.authorizers.push(extra);
            route(manifest, "/header", "rich_auth");
            route(manifest, "/broken", "extra_auth");
            let cors = manifest
                .routes
                .iter_mut()
                .find(|r| r.path == "/cors")
                .unwrap();
            cors.methods.push("PUT".into());
        }
    }
    bundle
}

/// The fingerprint a deployment of `bundle` to `stage` carries.
fn fingerprint(project: &TestProject, stage: &str, bundle: &Bundle) -> String {
    let project = project.project();
    let stage = project.config().stage(stage).unwrap();
    let desired = desired::desired(Inputs {
        manifest: &bundle.app.manifest,
        stage: &stage,
        region: REGION,
        code_sha256: &bundle.sha256,
        read_policy: &|file| {
            chalice_cli::model::read_json(&project.dir().join(".chalice").join(file))
        },
    })
    .unwrap()
    .in_account(Account {
        id: ACCOUNT.into(),
        partition: "aws".into(),
    });
    plan::api_fingerprint(&desired)
}

/// The inventory with each stage's deployment description replaced by `"<current>"` when it
/// is `fingerprint` (the stage serves the API as desired), kept as it is otherwise.
fn deployed_current(mut found: Value, fingerprint: &str) -> Value {
    for api in found["apis"].as_array_mut().into_iter().flatten() {
        for stage in api["stages"].as_array_mut().into_iter().flatten() {
            if stage["description"] == fingerprint {
                stage["description"] = "<current>".into();
            }
        }
    }
    found
}

/// What a matrix run found.
#[derive(Debug, Default)]
struct Findings {
    /// Calls made to fail.
    calls: usize,
    /// Deploys the fault made fail (the others absorbed it: retried, or a waiter's read).
    failed: usize,
    /// Faulted deploys that succeeded, compared with a clean deploy at once.
    compared: usize,
    /// Failed states redeployed and compared with a clean deploy.
    redeployed: usize,
    /// Failed states deleted directly.
    deleted: usize,
    /// Stages something was left of after delete.
    leaked: usize,
    /// Resources left after `delete`, and differences from a clean deploy, as messages.
    problems: Vec<String>,
}

/// A short stage name no id or hash will contain by chance.
fn stage_name(example: &str, tag: &str, n: usize) -> String {
    let code = if example == "demoauth" { "qd" } else { "qv" };
    format!("{code}{tag}{n:03}z")
}

fn record_json(project: &TestProject, stage: &str) -> Value {
    serde_json::to_value(project.record(stage)).unwrap()
}

/// A clean deploy of `target` (after `before`, if any): its inventory, its record, and how
/// many calls the target's deploy made.
async fn reference(
    example: &str,
    app: &str,
    tag: &str,
    (before, target): (Option<&Bundle>, &Bundle),
    configs: Option<&Configs>,
) -> (Value, Value, Vec<Call>) {
    let stage = stage_name(example, tag, 0);
    let proxy = Proxy::start(&endpoint());
    let clients = &clients_via(&proxy.url).await;
    let project = TestProject::new(example, &[&stage]);
    project.clean(clients, &[&stage]).await;
    if let Some(before) = before {
        configure(&project, &stage, configs, true);
        deploy_via(&project, &stage, clients, before).await.unwrap();
    }
    configure(&project, &stage, configs, false);
    proxy.reset();
    deploy_via(&project, &stage, clients, target).await.unwrap();
    let calls = proxy.calls();
    let found = inventory(clients, app, &stage).await;
    let found = deployed_current(found, &fingerprint(&project, &stage, target));
    assert_least_privilege(&found, app);
    let record = normalized_record(&record_json(&project, &stage), &stage);
    delete_via(&project, &stage, clients).await.unwrap();
    assert!(is_empty(&inventory(clients, app, &stage).await));
    (found, record, calls)
}

/// The app before (if the stage had it deployed) and the app to deploy, and the stage's
/// config at each (see [`Configs`]).
struct Versions {
    before: Option<Bundle>,
    target: Bundle,
    configs: Option<Configs>,
}

/// Keys set on the example's stage for the deploy before and the target deploy: settings
/// `package` writes besides the app's routes (a resource policy from a file, compression, log
/// retention, API keys).
#[derive(Debug, Clone)]
struct Configs {
    before: Value,
    target: Value,
}

/// The two resource policies the settings scenarios switch between.
const POLICY_FILES: [(&str, &str); 2] = [
    (
        "policy-a.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#,
    ),
    (
        "policy-b.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]}"#,
    ),
];

/// Sets the stage's config as `configs` says for the deploy before (`before`) or the target.
fn configure(project: &TestProject, stage: &str, configs: Option<&Configs>, before: bool) {
    let Some(configs) = configs else {
        return;
    };
    for (file, text) in POLICY_FILES {
        std::fs::write(project.dir.join(".chalice").join(file), text).unwrap();
    }
    let settings = if before {
        &configs.before
    } else {
        &configs.target
    };
    project.configure(stage, settings);
}

/// One worker's way to moto: its own proxy, and clients through it.
struct Lane {
    proxy: Proxy,
    clients: Clients,
}

/// Deploys the target version (after the one before) with call `n` failing with `fault`.
async fn faulted_deploy(
    lane: &Lane,
    project: &TestProject,
    stage: &str,
    versions: &Versions,
    n: usize,
    fault: Fault,
) -> Result<(), String> {
    let Lane { proxy, clients } = lane;
    let configs = versions.configs.as_ref();
    if let Some(before) = &versions.before {
        configure(project, stage, configs, true);
        deploy_via(project, stage, clients, before).await?;
    }
    configure(project, stage, configs, false);
    proxy.reset();
    proxy.fail_call(n, fault);
    let result = deploy_via(project, stage, clients, &versions.target).await;
    let seen = proxy.calls().len();
    proxy.reset();
    assert!(seen >= n, "call {n} was never made ({seen} calls)");
    result.map(drop)
}

/// What is checked after a faulted deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// From the state it left, the next deploy gives what a clean deploy gives.
    Redeploy,
    /// From the state it left, `delete` leaves nothing.
    Delete,
    /// The faulted deploy failed (then as `Redeploy`), or left what a clean deploy leaves.
    ItselfOrRedeploy,
}

/// One scenario: call `number` of the deploy fails with `fault`, then `check`.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    number: usize,
    fault: Fault,
    check: Check,
}

/// Every `stride`-th call, each with a fault kind and a check, both rotating, so that every
/// kind meets both checks.
fn every_call(calls: &[Call], stride: usize) -> Vec<Scenario> {
    (1..=calls.len())
        .step_by(stride)
        .enumerate()
        .map(|(index, number)| Scenario {
            number,
            fault: Fault::ALL[index % Fault::ALL.len()],
            check: if (index / Fault::ALL.len()).is_multiple_of(2) {
                Check::Delete
            } else {
                Check::Redeploy
            },
        })
        .collect()
}

/// Whether repeating `call` after it took effect would not give the same result: a create
/// (a twin, or "already exists"), a delete ("not found"), a grant. PUTs and PATCHes, and
/// IAM's puts, updates and tags, are idempotent.
fn not_idempotent(call: &Call) -> bool {
    match call.service.as_str() {
        "iam" => ["Create", "Delete", "Add", "Remove", "Attach", "Detach"]
            .iter()
            .any(|verb| call.path.starts_with(&format!("Action={verb}"))),
        "sts" => false,
        _ => matches!(call.method.as_str(), "POST" | "DELETE") && !call.path.contains("/tags/"),
    }
}

/// The answer lost once (the SDK's automatic retry reaches moto) at every call that is not
/// idempotent (they are few: all of them, whatever the stride); the faulted deploy itself must
/// fail or leave a clean deploy's state.
fn lost_answers(calls: &[Call], _stride: usize) -> Vec<Scenario> {
    calls
        .iter()
        .filter(|call| not_idempotent(call))
        .map(|call| Scenario {
            number: call.number,
            fault: Fault::AnswerLostOnce,
            check: Check::ItselfOrRedeploy,
        })
        .collect()
}

/// Whether a call is one the stage's settings and API keys add: CloudWatch Logs (log groups
/// and retention), API keys, usage plans and their keys, and the REST API's own read and patch.
fn settings_call(call: &Call) -> bool {
    let rest_api_itself = call
        .path
        .split('?')
        .next()
        .and_then(|path| path.strip_prefix("/restapis/"))
        .is_some_and(|rest| !rest.contains('/'));
    call.service == "logs"
        || call.path.starts_with("/apikeys")
        || call.path.starts_with("/usageplans")
        || (call.service == "apigateway" && rest_api_itself && call.method != "DELETE")
}

/// Every settings call (see [`settings_call`]), each with a fault kind and a check, both
/// rotating, as [`every_call`] does with all calls.
fn settings_calls(calls: &[Call], _stride: usize) -> Vec<Scenario> {
    calls
        .iter()
        .filter(|call| settings_call(call))
        .enumerate()
        .map(|(index, call)| Scenario {
            number: call.number,
            fault: Fault::ALL[index % Fault::ALL.len()],
            check: if (index / Fault::ALL.len()).is_multiple_of(2) {
                Check::Delete
            } else {
                Check::Redeploy
            },
        })
        .collect()
}

/// The answer lost once at every settings call that is not idempotent.
fn settings_lost_answers(calls: &[Call], stride: usize) -> Vec<Scenario> {
    let mut scenarios = lost_answers(calls, stride);
    scenarios.retain(|scenario| settings_call(&calls[scenario.number - 1]));
    scenarios
}

/// Problems of the stage's state compared with a clean deploy's (inventory and record).
async fn compare_with_clean(
    clients: &Clients,
    project: &TestProject,
    stage: &str,
    versions: &Versions,
    (app, clean, clean_record): (&str, &Value, &Value),
    what: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    let found = inventory(clients, app, stage).await;
    let found = deployed_current(found, &fingerprint(project, stage, &versions.target));
    let changed = differences(&found, clean);
    if !changed.is_empty() {
        problems.push(format!(
            "{what}: differs from a clean deploy:\n  {}",
            changed.join("\n  ")
        ));
    }
    let record = normalized_record(&record_json(project, stage), stage);
    let changed_record = differences(&record, clean_record);
    if !changed_record.is_empty() {
        problems.push(format!(
            "{what}: record differs:\n  {}",
            changed_record.join("\n  ")
        ));
    }
    problems
}

/// Each scenario `choose` picks from the calls of `target`'s clean deploy, on `WORKERS`
/// stages at once.
async fn fault_matrix(
    example: &'static str,
    tag: &'static str,
    versions: Versions,
    choose: impl FnOnce(&[Call], usize) -> Vec<Scenario>,
) -> Findings {
    let started = std::time::Instant::now();
    let app = versions.target.app.manifest.app_name.clone();
    let (clean, clean_record, calls) = reference(
        example,
        &app,
        tag,
        (versions.before.as_ref(), &versions.target),
        versions.configs.as_ref(),
    )
    .await;
    let total_calls = calls.len();
    let scenarios = choose(&calls, stride(example));
    let chosen = scenarios.len();
    let next = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new((app, versions, clean, clean_record, scenarios));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let next = next.clone();
        let shared = shared.clone();
        workers.push(tokio::spawn(async move {
            let (app, versions, clean, clean_record, scenarios) = &*shared;
            let proxy = Proxy::start(&endpoint());
            let clients = clients_via(&proxy.url).await;
            let lane = Lane { proxy, clients };
            let clients = &lane.clients;
            let mut findings = Findings::default();
            while let Some(&Scenario {
                number: n,
                fault,
                check,
            }) = scenarios.get(next.fetch_add(1, Ordering::SeqCst))
            {
                let stage = stage_name(example, tag, n);
                let what = format!("{example} {tag} call {n} of {total_calls} ({fault:?})");
                let project = TestProject::new(example, &[&stage]);
                project.clean(clients, &[&stage]).await;
                findings.calls += 1;
                let faulted = faulted_deploy(&lane, &project, &stage, versions, n, fault).await;
                let failed = faulted.is_err();
                if let Err(error) = faulted {
                    findings.failed += 1;
                    if check == Check::ItselfOrRedeploy {
                        let line = error.lines().next().unwrap_or_default();
                        eprintln!("{what}: the faulted deploy failed: {line}");
                    }
                }
                let against = (app.as_str(), clean, clean_record);
                match check {
                    // (b) From the failed state, delete leaves nothing.
                    Check::Delete => findings.deleted += 1,
                    // The faulted deploy that succeeded left exactly a clean deploy's state.
                    Check::ItselfOrRedeploy if !failed => {
                        findings.compared += 1;
                        findings.problems.extend(
                            compare_with_clean(clients, &project, &stage, versions, against, &what)
                                .await,
                        );
                    }
                    // (a) From the failed state, the next deploy gives what a clean one gives.
                    Check::Redeploy | Check::ItselfOrRedeploy => {
                        findings.redeployed += 1;
                        match deploy_via(&project, &stage, clients, &versions.target).await {
                            Err(error) => findings
                                .problems
                                .push(format!("{what}: redeploy failed: {error}")),
                            Ok(_) => findings.problems.extend(
                                compare_with_clean(
                                    clients, &project, &stage, versions, against, &what,
                                )
                                .await,
                            ),
                        }
                    }
                }
                if let Err(error) = delete_via(&project, &stage, clients).await {
                    findings
                        .problems
                        .push(format!("{what}: delete failed: {error}"));
                }
                let left = inventory(clients, app, &stage).await;
                if !is_empty(&left) {
                    findings.leaked += 1;
                    findings
                        .problems
                        .push(format!("{what}: delete left {left}"));
                }
            }
            findings
        }));
    }
    let mut total = Findings::default();
    for worker in workers {
        let findings = worker.await.unwrap();
        total.calls += findings.calls;
        total.failed += findings.failed;
        total.compared += findings.compared;
        total.deleted += findings.deleted;
        total.redeployed += findings.redeployed;
        total.leaked += findings.leaked;
        total.problems.extend(findings.problems);
    }
    assert_eq!(
        total.calls, chosen,
        "each chosen call was made to fail once"
    );
    eprintln!(
        "{example} {tag}: {} of {total_calls} calls made to fail, {} deploys failed by it; {} succeeded and matched a clean deploy, {} redeployed, {} deleted; {} stages leaked, {} problems; {:.0?}",
        total.calls,
        total.failed,
        total.compared,
        total.redeployed,
        total.deleted,
        total.leaked,
        total.problems.len(),
        started.elapsed(),
    );
    total
}

fn assert_no_problems(findings: &Findings) {
    assert!(
        findings.problems.is_empty(),
        "{} problems:\n{}",
        findings.problems.len(),
        findings.problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_survives_a_fault_at_every_call_of_a_first_deploy() {
    let versions = Versions {
        before: None,
        target: light("demoauth"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("demoauth", "f", versions, every_call).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_survives_a_fault_at_every_call_of_a_changing_redeploy() {
    let versions = Versions {
        before: Some(light("demoauth")),
        target: changed("demoauth"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("demoauth", "c", versions, every_call).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authz_variants_survives_a_fault_at_every_call_of_a_first_deploy() {
    let versions = Versions {
        before: None,
        target: light("authz-variants"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("authz-variants", "f", versions, every_call).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authz_variants_survives_a_fault_at_every_call_of_a_changing_redeploy() {
    let versions = Versions {
        before: Some(light("authz-variants")),
        target: changed("authz-variants"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("authz-variants", "c", versions, every_call).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_first_deploy_loses_no_answer_into_a_twin() {
    let versions = Versions {
        before: None,
        target: light("demoauth"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("demoauth", "l", versions, lost_answers).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_changing_redeploy_loses_no_answer_into_a_twin() {
    let versions = Versions {
        before: Some(light("demoauth")),
        target: changed("demoauth"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("demoauth", "m", versions, lost_answers).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authz_variants_first_deploy_loses_no_answer_into_a_twin() {
    let versions = Versions {
        before: None,
        target: light("authz-variants"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("authz-variants", "l", versions, lost_answers).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authz_variants_changing_redeploy_loses_no_answer_into_a_twin() {
    let versions = Versions {
        before: Some(light("authz-variants")),
        target: changed("authz-variants"),
        configs: None,
    };
    assert_no_problems(&fault_matrix("authz-variants", "m", versions, lost_answers).await);
}

/// demoauth with a resource policy, compression, log retention (the authorizer's its own) and
/// two API keys; then another policy, another retention, one key.
fn with_settings(before: Option<Bundle>) -> Versions {
    Versions {
        before,
        target: light("demoauth"),
        configs: Some(Configs {
            before: json!({"api_gateway_endpoint_type": "REGIONAL",
                "api_gateway_policy_file": "policy-a.json", "minimum_compression_size": 1024,
                "log_retention_in_days": 14, "api_keys": ["a", "b"],
                "lambda_functions": {"demo_auth": {"log_retention_in_days": 7}}}),
            target: json!({"api_gateway_endpoint_type": "REGIONAL",
                "api_gateway_policy_file": "policy-b.json", "minimum_compression_size": 1024,
                "log_retention_in_days": 30, "api_keys": ["a"],
                "lambda_functions": {"demo_auth": {"log_retention_in_days": 7}}}),
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_settings_survive_a_fault_at_each_settings_call_of_a_first_deploy() {
    let findings = fault_matrix("demoauth", "k", with_settings(None), settings_calls).await;
    assert!(findings.calls >= 10, "{findings:?}");
    assert_no_problems(&findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_settings_survive_a_fault_at_each_settings_call_of_a_changing_redeploy() {
    let versions = with_settings(Some(light("demoauth")));
    let findings = fault_matrix("demoauth", "j", versions, settings_calls).await;
    assert!(findings.calls >= 5, "{findings:?}");
    assert_no_problems(&findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_settings_first_deploy_loses_no_answer_into_a_twin() {
    let findings = fault_matrix("demoauth", "y", with_settings(None), settings_lost_answers).await;
    assert!(findings.calls >= 5, "{findings:?}");
    assert_no_problems(&findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn demoauth_settings_changing_redeploy_loses_no_answer_into_a_twin() {
    let versions = with_settings(Some(light("demoauth")));
    let findings = fault_matrix("demoauth", "x", versions, settings_lost_answers).await;
    assert!(findings.calls >= 2, "{findings:?}");
    assert_no_problems(&findings);
}

/// The stage's role may do what the functions need (write their logs) and nothing else, only
/// Lambda may assume it, and only this stage's API may invoke the functions.
fn assert_least_privilege(found: &Value, app: &str) {
    let role = format!("{app}-<stage>");
    assert_eq!(
        found["roles"][&role]["policies"],
        json!({&role: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:*:logs:*:*:*"}]}}),
        "{found}"
    );
    assert_eq!(found["roles"][&role]["attached"], json!([]));
    assert_eq!(
        found["roles"][&role]["trust"]["Statement"],
        json!([{"Sid": "", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole"}])
    );
    let functions = found["functions"].as_object().unwrap();
    assert!(functions.len() >= 2, "{found}");
    for (name, function) in functions {
        let scope = if name.ends_with("-<stage>") {
            "*/*/*"
        } else {
            "authorizers/*"
        };
        assert_eq!(
            function["permissions"],
            json!([{"sid": "chalice-rs-apigateway-<api>", "effect": "Allow",
                    "action": "lambda:InvokeFunction",
                    "principal": {"Service": "apigateway.amazonaws.com"},
                    "condition": {"ArnLike": {"AWS:SourceArn":
                        format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:<api>/{scope}")}}}]),
            "{name}"
        );
    }
}

/// A path of API Gateway's `CreateDeployment`.
fn is_create_deployment(call: &support::proxy::Call) -> bool {
    call.service == "apigateway" && call.method == "POST" && call.path.ends_with("/deployments")
}

#[tokio::test(flavor = "multi_thread")]
async fn api_gateway_busy_answers_are_retried_a_bounded_number_of_times() {
    let bundle = bundle_of("demoauth");
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let stage = "qbusy01z";
    let project = TestProject::new("demoauth", &[stage]);
    project.clean(&clients, &[stage]).await;

    // Two conflicts and two throttles, then API Gateway takes the change.
    proxy.reset();
    proxy.fail_where(is_create_deployment, Fault::Conflict, 1);
    proxy.fail_where(is_create_deployment, Fault::Throttled, 1);
    proxy.fail_where(
        |call| {
            call.service == "apigateway"
                && call.method == "PUT"
                && call.path.ends_with("/methods/GET")
        },
        Fault::Conflict,
        2,
    );
    deploy_via(&project, stage, &clients, &bundle)
        .await
        .unwrap();
    let calls = proxy.calls();
    assert_eq!(calls.iter().filter(|c| is_create_deployment(c)).count(), 3);
    assert_eq!(
        calls
            .iter()
            .filter(|c| c.method == "PUT" && c.path.ends_with("/methods/GET"))
            .count(),
        3
    );
    let found = inventory(&clients, "demoauth1", stage).await;
    assert_eq!(found["apis"][0]["stages"][0]["deployed"], true);

    // Busy for good: the deploy gives up after seven attempts, naming the step and the error.
    let mut changed = bundle.clone();
    changed.app.manifest.routes[0].authorizer = None;
    proxy.reset();
    proxy.fail_where(is_create_deployment, Fault::Conflict, usize::MAX);
    let error = deploy_via(&project, stage, &clients, &changed)
        .await
        .unwrap_err();
    assert!(
        error.starts_with("Deploying Rest API to stage: api: ")
            && error.contains("ConflictException"),
        "{error}"
    );
    assert_eq!(
        proxy
            .calls()
            .iter()
            .filter(|c| is_create_deployment(c))
            .count(),
        7
    );
    proxy.reset();
    deploy_via(&project, stage, &clients, &changed)
        .await
        .unwrap();
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, "demoauth1", stage).await));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_app_input_fails_naming_it_before_any_aws_call() {
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let stage = "qbad01z";
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &[stage]);

    // An authorizer whose function name Lambda would refuse.
    let mut long = bundle.clone();
    let long_name = "a_very_long_authorizer_name_that_lambda_refuses_x";
    if let ManifestAuthorizer::Builtin { name, function, .. } =
        &mut long.app.manifest.authorizers[0]
    {
        *name = long_name.into();
        *function = long_name.into();
    }
    long.app.manifest.routes[0].authorizer = Some(long_name.into());
    let error = deploy_via(&project, stage, &clients, &long)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        format!(
            "authorizer `{long_name}` of app `demoauth1` on stage `{stage}` gives the Lambda function name `demoauth1-{stage}-{long_name}`, 67 characters; Lambda allows 64; shorten app_name, the stage or the authorizer's name"
        )
    );

    // A route naming an authorizer the manifest does not have.
    let mut dangling = bundle.clone();
    dangling.app.manifest.routes[0].authorizer = Some("missing".into());
    let error = deploy_via(&project, stage, &clients, &dangling)
        .await
        .unwrap_err();
    assert!(
        error.contains("route / names authorizer `missing`"),
        "{error}"
    );

    // A policy file that is missing, then not JSON.
    let mut config: Value = serde_json::from_str(
        &std::fs::read_to_string(project.dir.join(".chalice/config.json")).unwrap(),
    )
    .unwrap();
    config["stages"][stage]["autogen_policy"] = json!(false);
    std::fs::write(project.dir.join(".chalice/config.json"), config.to_string()).unwrap();
    let policy = project
        .project()
        .dir()
        .join(format!(".chalice/policy-{stage}.json"));
    let error = deploy_via(&project, stage, &clients, &bundle)
        .await
        .unwrap_err();
    assert!(
        error.starts_with(&format!("{}: cannot read:", policy.display()))
            && error.contains("(the policy of function `api_handler`"),
        "{error}"
    );
    std::fs::write(&policy, "{\"Version\": ").unwrap();
    let error = deploy_via(&project, stage, &clients, &bundle)
        .await
        .unwrap_err();
    assert!(
        error.starts_with(&format!("{}: not valid JSON:", policy.display())),
        "{error}"
    );

    // A truncated deployed record.
    std::fs::remove_file(&policy).unwrap();
    config["stages"][stage]["autogen_policy"] = json!(true);
    std::fs::write(project.dir.join(".chalice/config.json"), config.to_string()).unwrap();
    let record = deploy::record::path(project.project().dir(), stage);
    std::fs::create_dir_all(record.parent().unwrap()).unwrap();
    std::fs::write(&record, "{\"resources\": [").unwrap();
    let error = deploy_via(&project, stage, &clients, &bundle)
        .await
        .unwrap_err();
    assert!(
        error.starts_with(&format!("{}: not a deployed record", record.display())),
        "{error}"
    );
    let error = delete_via(&project, stage, &clients).await.unwrap_err();
    assert!(error.contains("not a deployed record"), "{error}");

    assert_eq!(proxy.requests(), 0, "AWS was called: {:?}", proxy.calls());
    assert!(clients.calls.take().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_of_their_own_are_found_by_their_tags_when_the_record_is_lost() {
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let stage = "qroles1z";
    let project = TestProject::new("demoauth", &[stage]);
    let mut config: Value = serde_json::from_str(
        &std::fs::read_to_string(project.dir.join(".chalice/config.json")).unwrap(),
    )
    .unwrap();
    config["stages"][stage]["autogen_policy"] = json!(false);
    std::fs::write(project.dir.join(".chalice/config.json"), config.to_string()).unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["logs:PutLogEvents"], "Resource": "arn:*:logs:*:*:*"}]});
    std::fs::write(
        project.dir.join(format!(".chalice/policy-{stage}.json")),
        policy.to_string(),
    )
    .unwrap();
    project.clean(&clients, &[stage]).await;
    deploy(&project, stage, &clients, &light("demoauth")).await;
    let found = inventory(&clients, "demoauth1", stage).await;
    let mut roles: Vec<&String> = found["roles"].as_object().unwrap().keys().collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            "demoauth1-<stage>-api_handler",
            "demoauth1-<stage>-demo_auth"
        ]
    );
    for role in roles {
        assert_eq!(found["roles"][role]["policies"][role], policy);
    }
    // Without its record, delete still finds every role by its name and tags.
    std::fs::remove_file(deploy::record::path(project.project().dir(), stage)).unwrap();
    delete_via(&project, stage, &clients).await.unwrap();
    let left = inventory(&clients, "demoauth1", stage).await;
    assert!(is_empty(&left), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn twins_an_older_deploy_left_are_removed_by_the_next_deploy() {
    let bundle = light("demoauth");
    let app = "demoauth1";
    let (clean, clean_record, _) = reference("demoauth", app, "t", (None, &bundle), None).await;
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let stage = "qtwins1z";
    let project = TestProject::new("demoauth", &[stage]);
    project.clean(&clients, &[stage]).await;
    deploy(&project, stage, &clients, &bundle).await;
    let api = project
        .record(stage)
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    let apigateway = &clients.apigateway;

    // What a blind retry of each create would have left: an authorizer of the same name (the
    // older one still used by the method), a resource of the same path with a method of its
    // own, and a second REST API tagged for the stage.
    let authorizers = apigateway
        .get_authorizers()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    let first = &authorizers.items()[0];
    apigateway
        .create_authorizer()
        .rest_api_id(&api)
        .name(first.name().unwrap())
        .r#type(first.r#type().unwrap().clone())
        .set_authorizer_uri(first.authorizer_uri().map(str::to_owned))
        .set_identity_source(first.identity_source().map(str::to_owned))
        .send()
        .await
        .unwrap();
    let root = apigateway
        .get_resources()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    let root = root.items().iter().find(|r| r.path() == Some("/")).unwrap();
    let made = |part: &'static str| {
        apigateway
            .create_resource()
            .rest_api_id(&api)
            .parent_id(root.id().unwrap())
            .path_part(part)
            .send()
    };
    let twin = made("stale").await.unwrap();
    made("stale").await.unwrap();
    apigateway
        .put_method()
        .rest_api_id(&api)
        .resource_id(twin.id().unwrap())
        .http_method("GET")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    apigateway
        .create_rest_api()
        .name(format!("{app}-twin"))
        .tags(desired::APP_TAG, app)
        .tags(desired::STAGE_TAG, stage)
        .send()
        .await
        .unwrap();
    let found = inventory(&clients, app, stage).await;
    assert_eq!(found["apis"].as_array().unwrap().len(), 2, "{found}");
    assert_eq!(
        found["apis"][0]["authorizers"].as_array().unwrap().len(),
        2,
        "{found}"
    );

    proxy.reset();
    let report = deploy(&project, stage, &clients, &bundle).await;
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("Deleting duplicate authorizer: demo_auth"))
            && steps
                .iter()
                .any(|s| s.starts_with("Deleting duplicate Rest API"))
            && steps
                .iter()
                .any(|s| s.starts_with("Deleting duplicate resource: /stale"))
            && steps.iter().any(|s| s == "Deleting resource: /stale"),
        "{steps:?}"
    );
    let found = inventory(&clients, app, stage).await;
    let found = deployed_current(found, &fingerprint(&project, stage, &bundle));
    let changed = differences(&found, &clean);
    assert!(changed.is_empty(), "{}", changed.join("\n"));
    let record = normalized_record(&record_json(&project, stage), stage);
    assert!(differences(&record, &clean_record).is_empty());

    // Then nothing is left to do.
    clients.calls.take();
    deploy(&project, stage, &clients, &bundle).await;
    assert!(CallLog::mutating(&clients.calls.take()).is_empty());
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, app, stage).await));
}
