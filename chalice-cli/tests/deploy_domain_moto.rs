//! The REST API's custom domain (`api_gateway_custom_domain`) on moto: `deploy` makes the
//! domain name (certificate, security policy, tags) and maps its base path to the API's stage,
//! read back from moto; a redeploy with nothing changed makes no mutating call; a new
//! `url_prefix` moves the mapping; a domain the config drops is deleted; `delete` leaves
//! nothing; a domain of the name not tagged for the stage is refused before any change; and a
//! deploy failing at any call on the domain is finished by the next and undone by `delete`.

mod support;

use chalice_cli::bundle::Bundle;
use serde_json::{Value, json};
use support::proxy::{Fault, Proxy};
use support::*;

const APP: &str = "demoauth1";
const EDGE_CERT: &str = "arn:aws:acm:us-east-1:123456789012:certificate/edge";
const REGIONAL_CERT: &str = "arn:aws:acm:us-west-2:123456789012:certificate/regional";

/// The demoauth app as built, with a small zip: these tests are about the control plane.
fn light() -> Bundle {
    let mut bundle = bundle_of("demoauth");
    let binary = chalice_testkit::elf::static_x86_64(b"domain");
    bundle.zip = chalice_cli::bundle::zip_bootstrap(&binary).unwrap();
    bundle.sha256 = chalice_cli::bundle::code_sha256(&bundle.zip);
    bundle
}

/// The config of `stage` with `stage_settings`.
fn config(stage: &str, stage_settings: Value) -> String {
    json!({"version": "2.0", "app_name": APP, "stages": {stage: stage_settings}}).to_string()
}

fn rewrite(project: &TestProject, config: &str) {
    std::fs::write(project.dir.join(".chalice/config.json"), config).unwrap();
}

async fn domain(
    clients: &Clients,
    name: &str,
) -> Option<aws_sdk_apigateway::operation::get_domain_name::GetDomainNameOutput> {
    match clients
        .apigateway
        .get_domain_name()
        .domain_name(name)
        .send()
        .await
    {
        Ok(found) => Some(found),
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_not_found_exception()) =>
        {
            None
        }
        Err(error) => panic!("reading {name}: {error:?}"),
    }
}

/// The domain's mappings as (base path, REST API id, stage).
async fn mappings(clients: &Clients, name: &str) -> Vec<(String, String, String)> {
    let found = clients
        .apigateway
        .get_base_path_mappings()
        .domain_name(name)
        .send()
        .await
        .unwrap();
    let mut mappings: Vec<_> = found
        .items()
        .iter()
        .map(|m| {
            (
                m.base_path().unwrap_or_default().to_owned(),
                m.rest_api_id().unwrap_or_default().to_owned(),
                m.stage().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    mappings.sort();
    mappings
}

#[tokio::test]
async fn an_edge_domain_is_made_mapped_kept_moved_dropped_and_deleted() {
    let clients = clients().await;
    let stage = "domedge";
    let name = format!("{stage}.example.com");
    let settings = |prefix: &str| {
        json!({"api_gateway_stage": "api", "api_gateway_custom_domain": {
            "domain_name": name, "certificate_arn": EDGE_CERT, "url_prefix": prefix,
            "tags": {"team": "web"}}})
    };
    let project = TestProject::with_config(stage, &config(stage, settings("v1")));
    project.clean(&clients, &[stage]).await;
    let bundle = light();

    let report = deploy(&project, stage, &clients, &bundle).await;
    let found = domain(&clients, &name).await.expect("the domain was made");
    assert_eq!(found.certificate_arn(), Some(EDGE_CERT));
    assert_eq!(found.regional_certificate_arn(), None);
    assert_eq!(found.security_policy().map(|p| p.as_str()), Some("TLS_1_2"));
    let types: Vec<&str> = found
        .endpoint_configuration()
        .unwrap()
        .types()
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(types, ["EDGE"]);
    let tags = found.tags().unwrap();
    assert_eq!(tags["chalice-rs:app"], APP);
    assert_eq!(tags["chalice-rs:stage"], stage);
    assert_eq!(tags["team"], "web");
    let record = project.record(stage);
    let api_id = record.value("rest_api", "rest_api_id").unwrap().to_owned();
    assert_eq!(
        mappings(&clients, &name).await,
        [("v1".to_owned(), api_id.clone(), "api".to_owned())]
    );
    let alias = found.distribution_domain_name().unwrap();
    assert_eq!(
        record.value("api_gateway_custom_domain", "alias_domain_name"),
        Some(alias)
    );
    let printed = report.resources_deployed();
    assert!(
        printed.contains(&format!(
            "  - Custom domain name: {name}\n      HostedZoneId: {}\n      AliasDomainName: {alias}",
            found.distribution_hosted_zone_id().unwrap()
        )),
        "{printed}"
    );

    // Nothing changed: nothing is called that changes anything.
    clients.calls.take();
    deploy(&project, stage, &clients, &bundle).await;
    let calls = clients.calls.take();
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
    assert!(calls.contains(&"GetDomainName".to_owned()), "{calls:?}");

    // A new url_prefix maps the new base path and unmaps the old one.
    rewrite(&project, &config(stage, settings("v2")));
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(
        mappings(&clients, &name).await,
        [("v2".to_owned(), api_id.clone(), "api".to_owned())]
    );

    // The config drops the domain: the deploy deletes it.
    rewrite(
        &project,
        &config(stage, json!({"api_gateway_stage": "api"})),
    );
    let report = deploy(&project, stage, &clients, &bundle).await;
    assert!(domain(&clients, &name).await.is_none());
    assert_eq!(project.record(stage).get("api_gateway_custom_domain"), None);
    assert!(!report.resources_deployed().contains("Custom domain"));

    // Deployed again, then deleted: nothing is left, the domain included.
    rewrite(&project, &config(stage, settings("v1")));
    deploy(&project, stage, &clients, &bundle).await;
    assert!(domain(&clients, &name).await.is_some());
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(domain(&clients, &name).await.is_none());
    assert!(support::inventory::is_empty(
        &support::inventory::inventory(&clients, APP, stage).await
    ));
    assert!(project.record(stage).resources.is_empty());
}

#[tokio::test]
async fn a_regional_domain_takes_the_regional_certificate_and_points_dns_at_the_regional_name() {
    let clients = clients().await;
    let stage = "domreg";
    let name = format!("{stage}.example.com");
    let settings = json!({"api_gateway_endpoint_type": "REGIONAL", "api_gateway_stage": "v1",
        "api_gateway_custom_domain": {"domain_name": name, "certificate_arn": REGIONAL_CERT,
        "tls_version": "TLS_1_0"}});
    let project = TestProject::with_config(stage, &config(stage, settings));
    project.clean(&clients, &[stage]).await;
    let report = deploy(&project, stage, &clients, &light()).await;
    let found = domain(&clients, &name).await.expect("the domain was made");
    assert_eq!(found.regional_certificate_arn(), Some(REGIONAL_CERT));
    assert_eq!(found.certificate_arn(), None);
    assert_eq!(found.security_policy().map(|p| p.as_str()), Some("TLS_1_0"));
    let api_id = project
        .record(stage)
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    assert_eq!(
        mappings(&clients, &name).await,
        [("(none)".to_owned(), api_id, "v1".to_owned())]
    );
    let alias = found.regional_domain_name().unwrap();
    assert!(
        report
            .resources_deployed()
            .contains(&format!("AliasDomainName: {alias}")),
        "{}",
        report.resources_deployed()
    );
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(domain(&clients, &name).await.is_none());
}

#[tokio::test]
async fn a_domain_of_the_name_not_tagged_for_the_stage_is_refused_before_any_change() {
    let clients = clients().await;
    let stage = "domforeign";
    let name = format!("{stage}.example.com");
    let project = TestProject::with_config(
        stage,
        &config(
            stage,
            json!({"api_gateway_custom_domain": {"domain_name": name, "certificate_arn": EDGE_CERT}}),
        ),
    );
    project.clean(&clients, &[stage]).await;
    let _ = clients
        .apigateway
        .delete_domain_name()
        .domain_name(&name)
        .send()
        .await;
    clients
        .apigateway
        .create_domain_name()
        .domain_name(&name)
        .certificate_arn(EDGE_CERT)
        .send()
        .await
        .unwrap();
    clients.calls.take();
    let error = deploy_via(&project, stage, &clients, &light())
        .await
        .unwrap_err();
    assert!(
        error.contains(&format!("API Gateway domain name {name} (tags: none)"))
            && error.contains("--adopt-untagged"),
        "{error}"
    );
    let calls = clients.calls.take();
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
    // A delete of the stage leaves another's domain alone.
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(domain(&clients, &name).await.is_some());
    clients
        .apigateway
        .delete_domain_name()
        .domain_name(&name)
        .send()
        .await
        .unwrap();
}

/// The domain as the tests compare it: certificate, policy, the stage's tags, and its mappings
/// with the API's id replaced.
async fn domain_state(clients: &Clients, project: &TestProject, stage: &str, name: &str) -> Value {
    let Some(found) = domain(clients, name).await else {
        return Value::Null;
    };
    let api_id = project
        .record(stage)
        .value("rest_api", "rest_api_id")
        .unwrap_or("?")
        .to_owned();
    let mappings: Vec<Value> = mappings(clients, name)
        .await
        .into_iter()
        .map(|(path, api, stage)| json!([path, api == api_id, stage]))
        .collect();
    let tags = found.tags().cloned().unwrap_or_default();
    json!({
        "certificate": found.certificate_arn(),
        "policy": found.security_policy().map(|p| p.as_str().to_owned()),
        "app": tags.get("chalice-rs:app"),
        "stage": tags.get("chalice-rs:stage"),
        "mappings": mappings,
        "recorded": project.record(stage).value("api_gateway_custom_domain", "domain_name"),
    })
}

/// Every call a first deploy makes on the domain fails once, with each kind of fault: from the
/// state left, the next deploy gives the clean deploy's domain and mapping, and `delete` leaves
/// nothing.
#[tokio::test]
async fn a_deploy_failing_at_any_call_on_the_domain_is_finished_by_the_next_and_undone_by_delete() {
    let proxy = Proxy::start(&endpoint());
    let clients = clients_via(&proxy.url).await;
    let stage = "domfault";
    let name = format!("{stage}.example.com");
    let settings = json!({"api_gateway_custom_domain": {
        "domain_name": name, "certificate_arn": EDGE_CERT, "url_prefix": "v1"}});
    let project = TestProject::with_config(stage, &config(stage, settings));
    let bundle = light();
    project.clean(&clients, &[stage]).await;
    proxy.reset();
    deploy(&project, stage, &clients, &bundle).await;
    let clean = domain_state(&clients, &project, stage, &name).await;
    assert_eq!(clean["mappings"], json!([["v1", true, "api"]]), "{clean}");
    let domain_calls: Vec<usize> = proxy
        .calls()
        .iter()
        .filter(|call| call.path.contains("/domainnames"))
        .map(|call| call.number)
        .collect();
    assert!(domain_calls.len() >= 3, "{:?}", proxy.calls());
    delete_via(&project, stage, &clients).await.unwrap();
    let mut problems = Vec::new();
    let faults = [
        Fault::ServerError,
        Fault::Reset,
        Fault::AnswerLost,
        Fault::AnswerLostOnce,
    ];
    for &number in &domain_calls {
        for fault in faults {
            let what = format!("call {number} ({fault:?})");
            project.clean(&clients, &[stage]).await;
            proxy.reset();
            proxy.fail_call(number, fault);
            let _ = deploy_via(&project, stage, &clients, &bundle).await;
            proxy.reset();
            match deploy_via(&project, stage, &clients, &bundle).await {
                Err(error) => problems.push(format!("{what}: redeploy failed: {error}")),
                Ok(_) => {
                    let found = domain_state(&clients, &project, stage, &name).await;
                    if found != clean {
                        problems.push(format!("{what}: {found} differs from {clean}"));
                    }
                }
            }
            if let Err(error) = delete_via(&project, stage, &clients).await {
                problems.push(format!("{what}: delete failed: {error}"));
            }
            if domain(&clients, &name).await.is_some() {
                problems.push(format!("{what}: delete left the domain"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
