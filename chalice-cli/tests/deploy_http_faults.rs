//! HTTP API deploys that fail at each of their mutating API Gateway v2 calls and invoke grants
//! (a 500, throttling, a dropped connection, or an answer lost after moto acted), through a
//! fault-injecting proxy in front of moto: from the state left, the next deploy gives exactly
//! what a clean deploy gives, and `delete` then leaves nothing. An answer lost once at a create
//! or delete never leaves a twin: the faulted deploy fails or leaves a clean deploy's state.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chalice_cli::bundle::Bundle;
use chalice_runtime::manifest::ManifestAuthorizer;
use serde_json::Value;
use support::http_app::{bundle_for, httpapi1, project};
use support::inventory::{differences, inventory, is_empty, normalized_record};
use support::proxy::{Call, Fault, Proxy};
use support::*;

/// How many scenarios run at once against moto (each with its own proxy and stage).
const WORKERS: usize = 3;

const APP: &str = "httpapi1";

/// The example changed: the JWT authorizer takes a second audience, a route asks for another
/// scope, a route goes, and a CORS route comes.
fn changed() -> Bundle {
    let mut manifest = httpapi1();
    for authorizer in &mut manifest.authorizers {
        if let ManifestAuthorizer::Jwt { audiences, .. } = authorizer {
            audiences.push("admin-api".into());
        }
    }
    let orders = manifest
        .routes
        .iter_mut()
        .find(|r| r.path == "/orders/{id}")
        .unwrap();
    orders.scopes = vec!["orders/admin".into()];
    manifest.routes.retain(|r| r.path != "/admin");
    let health = manifest
        .routes
        .iter_mut()
        .find(|r| r.path == "/health")
        .unwrap();
    health.cors = Some(chalice_runtime::cors::CorsSettings::default());
    bundle_for(manifest)
}

/// Whether a call is one of those these tests fail: a change to an HTTP API, or a grant.
fn is_http_api_change(call: &Call) -> bool {
    let v2 = call.service == "apigateway" && call.path.starts_with("/v2/") && call.method != "GET";
    let grant = call.service == "lambda" && call.method == "POST" && call.path.contains("/policy");
    v2 || grant
}

/// Whether repeating the call after it took effect would not give the same result.
fn not_idempotent(call: &Call) -> bool {
    matches!(call.method.as_str(), "POST" | "DELETE") && !call.path.contains("/tags/")
}

/// One scenario: call `number` fails with `fault`.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    number: usize,
    fault: Fault,
}

/// A clean deploy of `target` (after `before`): its inventory, record and calls.
async fn reference(
    tag: &str,
    before: Option<&Bundle>,
    target: &Bundle,
) -> (Value, Value, Vec<Call>) {
    let stage = format!("hf{tag}000z");
    let proxy = Proxy::start(&endpoint());
    let clients = &clients_via(&proxy.url).await;
    let project = project(&[&stage]);
    project.clean(clients, &[&stage]).await;
    if let Some(before) = before {
        deploy_via(&project, &stage, clients, before).await.unwrap();
    }
    proxy.reset();
    deploy_via(&project, &stage, clients, target).await.unwrap();
    let calls = proxy.calls();
    let found = inventory(clients, APP, &stage).await;
    let record = normalized_record(
        &serde_json::to_value(project.record(&stage)).unwrap(),
        &stage,
    );
    delete_via(&project, &stage, clients).await.unwrap();
    assert!(is_empty(&inventory(clients, APP, &stage).await));
    (found, record, calls)
}

/// Each scenario `choose` picks from the calls of a clean deploy of `target` (after `before`):
/// the faulted deploy, then (if it failed) the next deploy, compared with the clean one, then
/// `delete`. Returns the problems found.
async fn fault_matrix(
    tag: &'static str,
    before: Option<Bundle>,
    target: Bundle,
    choose: impl FnOnce(&[Call]) -> Vec<Scenario>,
) -> Vec<String> {
    let started = std::time::Instant::now();
    let (clean, clean_record, calls) = reference(tag, before.as_ref(), &target).await;
    let scenarios = choose(&calls);
    assert!(!scenarios.is_empty(), "no call to fail in {calls:?}");
    let chosen = scenarios.len();
    let next = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new((before, target, clean, clean_record, scenarios, calls.len()));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (next, shared) = (next.clone(), shared.clone());
        workers.push(tokio::spawn(async move {
            let (before, target, clean, clean_record, scenarios, total) = &*shared;
            let proxy = Proxy::start(&endpoint());
            let clients = clients_via(&proxy.url).await;
            let mut problems = Vec::new();
            let mut failed = 0;
            while let Some(&Scenario { number, fault }) =
                scenarios.get(next.fetch_add(1, Ordering::SeqCst))
            {
                let stage = format!("hf{tag}{number:03}z");
                let what = format!("{tag} call {number} of {total} ({fault:?})");
                let project = project(&[&stage]);
                project.clean(&clients, &[&stage]).await;
                if let Some(before) = before {
                    deploy_via(&project, &stage, &clients, before)
                        .await
                        .unwrap();
                }
                proxy.reset();
                proxy.fail_call(number, fault);
                let faulted = deploy_via(&project, &stage, &clients, target).await;
                assert!(proxy.calls().len() >= number, "{what}: never made");
                proxy.reset();
                if faulted.is_err() {
                    failed += 1;
                    if let Err(error) = deploy_via(&project, &stage, &clients, target).await {
                        problems.push(format!("{what}: the next deploy failed: {error}"));
                    }
                }
                let found = inventory(&clients, APP, &stage).await;
                let changed = differences(&found, clean);
                if !changed.is_empty() {
                    problems.push(format!(
                        "{what}: differs from a clean deploy:\n  {}",
                        changed.join("\n  ")
                    ));
                }
                let record = normalized_record(
                    &serde_json::to_value(project.record(&stage)).unwrap(),
                    &stage,
                );
                let changed = differences(&record, clean_record);
                if !changed.is_empty() {
                    problems.push(format!(
                        "{what}: record differs:\n  {}",
                        changed.join("\n  ")
                    ));
                }
                if let Err(error) = delete_via(&project, &stage, &clients).await {
                    problems.push(format!("{what}: delete failed: {error}"));
                }
                let left = inventory(&clients, APP, &stage).await;
                if !is_empty(&left) {
                    problems.push(format!("{what}: delete left {left}"));
                }
            }
            (problems, failed)
        }));
    }
    let mut problems = Vec::new();
    let mut failed = 0;
    for worker in workers {
        let (found, count) = worker.await.unwrap();
        problems.extend(found);
        failed += count;
    }
    eprintln!(
        "{tag}: {chosen} calls made to fail, {failed} deploys failed by it, {} problems; {:.0?}",
        problems.len(),
        started.elapsed()
    );
    problems
}

/// Every HTTP API change and grant, the fault kinds in turn.
fn every_change(calls: &[Call]) -> Vec<Scenario> {
    calls
        .iter()
        .filter(|call| is_http_api_change(call))
        .enumerate()
        .map(|(index, call)| Scenario {
            number: call.number,
            fault: Fault::ALL[index % Fault::ALL.len()],
        })
        .collect()
}

/// The answer lost once at every create and delete.
fn lost_answers(calls: &[Call]) -> Vec<Scenario> {
    calls
        .iter()
        .filter(|call| is_http_api_change(call) && not_idempotent(call))
        .map(|call| Scenario {
            number: call.number,
            fault: Fault::AnswerLostOnce,
        })
        .collect()
}

fn assert_none(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_first_deploy_survives_a_fault_at_each_http_api_change() {
    assert_none(&fault_matrix("f", None, bundle_for(httpapi1()), every_change).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_changing_redeploy_survives_a_fault_at_each_http_api_change() {
    assert_none(&fault_matrix("c", Some(bundle_for(httpapi1())), changed(), every_change).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_first_deploy_loses_no_answer_into_a_twin() {
    assert_none(&fault_matrix("l", None, bundle_for(httpapi1()), lost_answers).await);
}
