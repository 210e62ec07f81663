//! `deploy` applies every key `package` writes, read back from moto: the REST API's resource
//! policy (`api_gateway_policy_file`, or a PRIVATE API's `api_gateway_endpoint_vpce` policy),
//! its VPC endpoints and `minimum_compression_size`, each function's log retention
//! (`log_retention_in_days`), the API keys, usage plan and key bindings of `api_keys`, and the
//! methods of routes with `api_key_required` requiring a key.
//! Each is reconciled (a redeploy without change changes nothing; a change or a removal is
//! applied), and `delete` removes the keys and plan (and leaves the functions' logs).

mod support;

use std::sync::{Arc, Mutex};

use aws_sdk_apigateway::operation::update_rest_api::UpdateRestApiInput;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_types::config_bag::ConfigBag;
use chalice_cli::bundle::{self, Bundle};
use chalice_cli::deploy::{self, Aws};
use chalice_cli::model::ApiSettings;
use chalice_cli::package::{self, sam, terraform};
use serde_json::{Map, Value, json};
use support::inventory::{inventory, is_empty};
use support::*;

const APP: &str = "demoauth1";

/// demoauth as built, with a small zip: these tests are about the control plane.
fn light() -> Bundle {
    let mut bundle = bundle_of("demoauth");
    bundle.zip =
        bundle::zip_bootstrap(&chalice_testkit::elf::static_x86_64(b"deploy keys")).unwrap();
    bundle.sha256 = bundle::code_sha256(&bundle.zip);
    bundle
}

fn write_policy(project: &TestProject, file: &str, policy: &Value) {
    std::fs::write(project.dir.join(".chalice").join(file), policy.to_string()).unwrap();
}

fn api_id(project: &TestProject, stage: &str) -> String {
    project
        .record(stage)
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned()
}

/// The REST API's policy (parsed), VPC endpoints and compression as moto holds them.
async fn api_settings(clients: &Clients, id: &str) -> (Option<Value>, Vec<String>, Option<i32>) {
    let api = clients
        .apigateway
        .get_rest_api()
        .rest_api_id(id)
        .send()
        .await
        .unwrap();
    let policy = api
        .policy()
        .filter(|p| !p.is_empty())
        .map(|p| serde_json::from_str(p).unwrap());
    let mut vpce = api
        .endpoint_configuration()
        .map(|e| e.vpc_endpoint_ids().to_vec())
        .unwrap_or_default();
    vpce.sort();
    (policy, vpce, api.minimum_compression_size())
}

/// The retention of log group `name`: `None` when there is no such group.
async fn retention(clients: &Clients, name: &str) -> Option<Option<i32>> {
    let groups = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
        .map(|g| g.retention_in_days())
}

/// The patch operations of every UpdateRestApi call, as (op, path, value).
#[derive(Debug, Clone, Default)]
struct Patches(Arc<Mutex<Vec<(String, String, String)>>>);

impl Intercept for Patches {
    fn name(&self) -> &'static str {
        "Patches"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(input) = context.input().downcast_ref::<UpdateRestApiInput>() {
            let mut seen = self.0.lock().unwrap();
            for op in input.patch_operations() {
                seen.push((
                    op.op().map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    op.path().unwrap_or_default().to_owned(),
                    op.value().unwrap_or_default().to_owned(),
                ));
            }
        }
        Ok(())
    }
}

impl Patches {
    fn take(&self) -> Vec<(String, String, String)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Deploys with clients that also note the patch operations sent.
async fn deploy_noting_patches(
    project: &TestProject,
    stage: &str,
    bundle: &Bundle,
) -> (deploy::DeployReport, Vec<(String, String, String)>) {
    let patches = Patches::default();
    let aws = Aws::with_interceptor(
        &sdk_config().await,
        Some(SharedInterceptor::new(patches.clone())),
    )
    .unwrap();
    let report = deploy::deploy_bundle(&project.project(), stage, &aws, bundle, false, &mut |_| {})
        .await
        .unwrap();
    (report, patches.take())
}

fn lines(report: &deploy::DeployReport) -> Vec<String> {
    report.steps.iter().map(ToString::to_string).collect()
}

/// A redeploy of what is deployed plans nothing and calls nothing that changes AWS.
async fn assert_no_change(project: &TestProject, stage: &str, clients: &Clients, bundle: &Bundle) {
    clients.calls.take();
    let again = deploy(project, stage, clients, bundle).await;
    let calls = clients.calls.take();
    assert!(again.steps.is_empty(), "{:?}", lines(&again));
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn policy_compression_retention_and_keys_are_deployed_reconciled_and_deleted() {
    let stage = "keys1";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = light();
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]});
    write_policy(&project, "api-policy.json", &allow);
    project.configure(stage, &json!({"api_gateway_endpoint_type": "REGIONAL", "api_gateway_policy_file": "api-policy.json",
               "minimum_compression_size": 1024, "log_retention_in_days": 14,
               "lambda_functions": {"demo_auth": {"log_retention_in_days": 7}},
               "api_keys": ["local-only-1", "local-only-2"]}),
    );
    let report = deploy(&project, stage, &clients, &bundle).await;
    let api = api_id(&project, stage);
    assert_eq!(
        api_settings(&clients, &api).await,
        (Some(allow.clone()), Vec::new(), Some(1024))
    );
    let closing = report.resources_deployed();
    for n in [1, 2] {
        let line = format!("  - API key: {APP}-{stage}-key-{n} (id ");
        assert!(closing.contains(&line), "{closing}");
    }
    let handler_logs = format!("/aws/lambda/{APP}-{stage}");
    let auth_logs = format!("/aws/lambda/{APP}-{stage}-demo_auth");
    assert_eq!(retention(&clients, &handler_logs).await, Some(Some(14)));
    assert_eq!(retention(&clients, &auth_logs).await, Some(Some(7)));
    let found = inventory(&clients, APP, stage).await;
    assert_eq!(
        found["usage_plans"],
        json!([{"name": "demoauth1-<stage>", "stages": ["<api>:api"],
                "keys": ["demoauth1-<stage>-key-1", "demoauth1-<stage>-key-2"]}])
    );
    assert_eq!(
        found["api_keys"],
        json!([{"name": "demoauth1-<stage>-key-1", "enabled": true},
               {"name": "demoauth1-<stage>-key-2", "enabled": true}])
    );
    // Recorded, and the values are API Gateway's: the config's stay local.
    let record = project.record(stage);
    assert!(record.value("usage_plan", "usage_plan_id").is_some());
    for n in [1, 2] {
        let id = record
            .value(&format!("{APP}-{stage}-key-{n}"), "api_key_id")
            .unwrap();
        let key = clients
            .apigateway
            .get_api_key()
            .api_key(id)
            .include_value(true)
            .send()
            .await
            .unwrap();
        let value = key.value().unwrap();
        assert!(
            !value.is_empty() && !value.starts_with("local-only"),
            "{value}"
        );
    }
    assert_no_change(&project, stage, &clients, &bundle).await;

    // A changed policy, a key fewer, another retention: each applied, the API deployed again.
    let deny = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
        "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]});
    write_policy(&project, "api-policy.json", &deny);
    project.configure(
        stage,
        &json!({"api_keys": ["local-only-1"], "log_retention_in_days": 30}),
    );
    let (report, patches) = deploy_noting_patches(&project, stage, &bundle).await;
    let steps = lines(&report);
    for expected in [
        "Updating Rest API settings: resource policy".to_owned(),
        format!("Setting log retention of {handler_logs}: 30 days"),
        "Deploying Rest API to stage: api".to_owned(),
    ] {
        assert!(steps.contains(&expected), "{expected} not in {steps:?}");
    }
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with(&format!("Deleting API key: {APP}-{stage}-key-2 ("))),
        "{steps:?}"
    );
    assert_eq!(
        patches,
        [("replace".into(), "/policy".into(), deny.to_string())]
    );
    assert_eq!(api_settings(&clients, &api).await.0, Some(deny));
    assert_eq!(retention(&clients, &handler_logs).await, Some(Some(30)));
    let found = inventory(&clients, APP, stage).await;
    assert_eq!(
        found["usage_plans"][0]["keys"],
        json!(["demoauth1-<stage>-key-1"])
    );
    assert_eq!(found["api_keys"].as_array().unwrap().len(), 1, "{found}");
    assert!(
        project
            .record(stage)
            .get(&format!("{APP}-{stage}-key-2"))
            .is_none()
    );
    assert_no_change(&project, stage, &clients, &bundle).await;

    // Every key removed: the policy, the compression, the keys and the retentions go, and
    // the API is EDGE again.
    project.configure(
        stage,
        &json!({"api_gateway_policy_file": null, "minimum_compression_size": null,
               "api_keys": null, "log_retention_in_days": null, "lambda_functions": null,
               "api_gateway_endpoint_type": null}),
    );
    let (report, patches) = deploy_noting_patches(&project, stage, &bundle).await;
    assert_eq!(
        patches,
        [
            ("replace".into(), "/policy".into(), String::new()),
            (
                "replace".into(),
                "/minimumCompressionSize".into(),
                String::new()
            ),
            (
                "replace".into(),
                "/endpointConfiguration/types/REGIONAL".into(),
                "EDGE".into()
            )
        ],
        "{:?}",
        lines(&report)
    );
    // moto applies no compression patch (AWS does); the policy is gone.
    assert_eq!(api_settings(&clients, &api).await.0, None);
    let types = clients
        .apigateway
        .get_rest_api()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    let types: Vec<&str> = types
        .endpoint_configuration()
        .unwrap()
        .types()
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(types, ["EDGE"]);
    assert_eq!(retention(&clients, &handler_logs).await, Some(None));
    assert_eq!(retention(&clients, &auth_logs).await, Some(None));
    let found = inventory(&clients, APP, stage).await;
    assert_eq!(found["usage_plans"], json!([]), "{found}");
    assert_eq!(found["api_keys"], json!([]), "{found}");
    let record = project.record(stage);
    assert!(record.get("usage_plan").is_none(), "{record:?}");
    assert_eq!(record.of_type("api_key").count(), 0);

    // Keys again, then delete: nothing of the stage is left but its functions' logs.
    project.configure(stage, &json!({"api_keys": ["local-only-1"]}));
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(
        inventory(&clients, APP, stage).await["api_keys"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    delete_via(&project, stage, &clients).await.unwrap();
    let left = inventory(&clients, APP, stage).await;
    assert!(is_empty(&left), "{left}");
    assert_eq!(retention(&clients, &handler_logs).await, Some(None));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_api_gets_its_endpoints_and_their_policy_and_both_are_patched() {
    let stage = "keys2";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = light();
    project.configure(
        stage,
        &json!({"api_gateway_endpoint_type": "PRIVATE",
               "api_gateway_endpoint_vpce": ["vpce-2", "vpce-1"]}),
    );
    deploy(&project, stage, &clients, &bundle).await;
    let api = api_id(&project, stage);
    let settings_of = |project: &TestProject| {
        let project = project.project();
        ApiSettings::for_stage(&project.config().stage(stage).unwrap(), project.dir()).unwrap()
    };
    let (policy, vpce, compression) = api_settings(&clients, &api).await;
    assert_eq!(policy, settings_of(&project).policy);
    assert_eq!(
        policy.unwrap()["Statement"][0]["Condition"]["StringEquals"]["aws:SourceVpce"],
        json!(["vpce-2", "vpce-1"])
    );
    assert_eq!(
        (vpce, compression),
        (vec!["vpce-1".into(), "vpce-2".into()], None)
    );
    let endpoint = clients
        .apigateway
        .get_rest_api()
        .rest_api_id(&api)
        .send()
        .await
        .unwrap();
    assert_eq!(
        endpoint.endpoint_configuration().unwrap().types()[0].as_str(),
        "PRIVATE"
    );
    assert_no_change(&project, stage, &clients, &bundle).await;

    // Another set of endpoints: the policy naming them is replaced, the set patched.
    project.configure(
        stage,
        &json!({"api_gateway_endpoint_vpce": ["vpce-2", "vpce-3"]}),
    );
    let (report, patches) = deploy_noting_patches(&project, stage, &bundle).await;
    let policy = settings_of(&project).policy.unwrap();
    assert_eq!(
        patches,
        [
            ("replace".into(), "/policy".into(), policy.to_string()),
            (
                "remove".into(),
                "/endpointConfiguration/vpcEndpointIds".into(),
                "vpce-1".into()
            ),
            (
                "add".into(),
                "/endpointConfiguration/vpcEndpointIds".into(),
                "vpce-3".into()
            ),
        ],
        "{:?}",
        lines(&report)
    );
    assert_eq!(
        lines(&report),
        [
            "Updating Rest API settings: resource policy, VPC endpoints",
            "Deploying Rest API to stage: api"
        ]
    );
    assert_eq!(api_settings(&clients, &api).await.0, Some(policy));
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, APP, stage).await));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_key_or_plan_of_the_stages_names_is_neither_adopted_nor_deleted() {
    let stage = "keys3";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let key_name = format!("{APP}-{stage}-key-1");
    let theirs = clients
        .apigateway
        .create_api_key()
        .name(&key_name)
        .enabled(true)
        .send()
        .await
        .unwrap();
    let their_plan = clients
        .apigateway
        .create_usage_plan()
        .name(format!("{APP}-{stage}"))
        .send()
        .await
        .unwrap();
    project.configure(stage, &json!({"api_keys": ["k"]}));
    deploy(&project, stage, &clients, &light()).await;
    let ours = project
        .record(stage)
        .value(&key_name, "api_key_id")
        .unwrap()
        .to_owned();
    assert_ne!(Some(ours.as_str()), theirs.id());
    let plan = project
        .record(stage)
        .value("usage_plan", "usage_plan_id")
        .unwrap()
        .to_owned();
    assert_ne!(Some(plan.as_str()), their_plan.id());
    let bound = clients
        .apigateway
        .get_usage_plan_keys()
        .usage_plan_id(&plan)
        .send()
        .await
        .unwrap();
    let bound: Vec<&str> = bound.items().iter().filter_map(|k| k.id()).collect();
    assert_eq!(bound, [ours.as_str()]);
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, APP, stage).await));
    // Theirs are still there.
    let key = clients
        .apigateway
        .get_api_key()
        .api_key(theirs.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(key.name(), Some(key_name.as_str()));
    clients
        .apigateway
        .get_usage_plan()
        .usage_plan_id(their_plan.id().unwrap())
        .send()
        .await
        .unwrap();
}

/// The `{"Fn::Sub": "/aws/lambda/${LogicalId}"}` of a SAM log group with the function's name.
fn sam_log_group(name: &Value, functions: &[(String, String)]) -> String {
    let text = name["Fn::Sub"].as_str().unwrap();
    functions
        .iter()
        .fold(text.to_owned(), |text, (logical_id, function_name)| {
            text.replace(&format!("${{{logical_id}}}"), function_name)
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_applies_what_package_writes_for_the_same_config() {
    let stage = "keys4";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = light();
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]});
    write_policy(&project, "api-policy.json", &policy);
    project.configure(stage, &json!({"api_gateway_endpoint_type": "REGIONAL", "api_gateway_policy_file": "api-policy.json",
               "minimum_compression_size": 2048, "log_retention_in_days": 14,
               "lambda_functions": {"demo_auth": {"log_retention_in_days": 7}},
               "api_keys": ["a", "b"]}),
    );
    deploy(&project, stage, &clients, &bundle).await;
    let api = api_id(&project, stage);
    let (deployed_policy, deployed_vpce, deployed_compression) = api_settings(&clients, &api).await;
    let mut deployed_logs = Map::new();
    for group in [
        format!("/aws/lambda/{APP}-{stage}"),
        format!("/aws/lambda/{APP}-{stage}-demo_auth"),
    ] {
        let days = retention(&clients, &group).await.unwrap();
        deployed_logs.insert(group, json!(days));
    }
    let found = inventory(&clients, APP, stage).await;
    let plan = &found["usage_plans"][0];
    let deployed_plan = plan["name"].as_str().unwrap().replace("<stage>", stage);
    let deployed_keys: Vec<String> = found["api_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().replace("<stage>", stage))
        .collect();
    assert_eq!(plan["keys"].as_array().unwrap().len(), deployed_keys.len());

    let project_now = project.project();
    let model = package::resolve(
        &bundle.app.manifest,
        &project_now.config().stage(stage).unwrap(),
        project_now.dir(),
    )
    .unwrap();

    // SAM.
    let template = sam::template(&model).unwrap();
    let resources = template["Resources"].as_object().unwrap();
    let api_properties = &resources[sam::REST_API_ID]["Properties"];
    let body = &api_properties["DefinitionBody"];
    assert_eq!(
        Some(&body["x-amazon-apigateway-policy"]),
        deployed_policy.as_ref()
    );
    let sam_vpce: Vec<String> =
        body["x-amazon-apigateway-endpoint-configuration"]["vpcEndpointIds"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .map(|id| id.as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default();
    assert_eq!(sam_vpce, deployed_vpce);
    assert_eq!(
        api_properties["MinimumCompressionSize"],
        json!(deployed_compression)
    );
    let functions: Vec<(String, String)> = model
        .functions
        .iter()
        .map(|f| (sam::logical_id(f).unwrap(), f.function_name.clone()))
        .collect();
    let sam_logs: Map<String, Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Logs::LogGroup")
        .map(|r| {
            (
                sam_log_group(&r["Properties"]["LogGroupName"], &functions),
                r["Properties"]["RetentionInDays"].clone(),
            )
        })
        .collect();
    assert_eq!(sam_logs, deployed_logs);
    let of_type =
        |kind: &str| -> Vec<&Value> { resources.values().filter(|r| r["Type"] == kind).collect() };
    assert_eq!(
        of_type("AWS::ApiGateway::UsagePlan")[0]["Properties"]["UsagePlanName"],
        deployed_plan
    );
    let mut sam_keys: Vec<String> = of_type("AWS::ApiGateway::ApiKey")
        .iter()
        .map(|k| k["Properties"]["Name"].as_str().unwrap().to_owned())
        .collect();
    sam_keys.sort();
    assert_eq!(sam_keys, deployed_keys);
    assert_eq!(
        of_type("AWS::ApiGateway::UsagePlanKey").len(),
        deployed_keys.len()
    );

    // Terraform.
    let config = terraform::template(&model).unwrap();
    let resource = &config["resource"];
    let rest_api = resource["aws_api_gateway_rest_api"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    let tf_policy: Value = serde_json::from_str(rest_api["policy"].as_str().unwrap()).unwrap();
    assert_eq!(Some(tf_policy), deployed_policy);
    assert_eq!(
        rest_api["minimum_compression_size"],
        json!(deployed_compression)
    );
    let tf_logs: Map<String, Value> = resource["aws_cloudwatch_log_group"]
        .as_object()
        .unwrap()
        .values()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["retention_in_days"].clone(),
            )
        })
        .collect();
    assert_eq!(tf_logs, deployed_logs);
    let tf_plan = resource["aws_api_gateway_usage_plan"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(tf_plan["name"], deployed_plan);
    let mut tf_keys: Vec<String> = resource["aws_api_gateway_api_key"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k["name"].as_str().unwrap().to_owned())
        .collect();
    tf_keys.sort();
    assert_eq!(tf_keys, deployed_keys);

    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, APP, stage).await));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_http_apis_functions_get_their_log_retention_too() {
    let stage = "keys5";
    let project = support::http_app::project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = support::http_app::bundle_for(support::http_app::httpapi1());
    project.configure(stage, &json!({"log_retention_in_days": 60}));
    deploy(&project, stage, &clients, &bundle).await;
    let groups = [
        format!("/aws/lambda/httpapi1-{stage}"),
        format!("/aws/lambda/httpapi1-{stage}-gate"),
    ];
    for group in &groups {
        assert_eq!(retention(&clients, group).await, Some(Some(60)), "{group}");
    }
    assert_no_change(&project, stage, &clients, &bundle).await;
    project.configure(stage, &json!({"log_retention_in_days": null}));
    deploy(&project, stage, &clients, &bundle).await;
    for group in &groups {
        assert_eq!(retention(&clients, group).await, Some(None), "{group}");
    }
    delete_via(&project, stage, &clients).await.unwrap();
    assert!(is_empty(&inventory(&clients, "httpapi1", stage).await));
}

/// `(path, method, apiKeyRequired)` of each method of the API but the preflights.
async fn key_requirements(clients: &Clients, api: &str) -> Vec<(String, String, bool)> {
    let resources = clients
        .apigateway
        .get_resources()
        .rest_api_id(api)
        .limit(500)
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    for resource in resources.items() {
        for method in resource
            .resource_methods()
            .into_iter()
            .flat_map(|m| m.keys())
        {
            if method == "OPTIONS" {
                continue;
            }
            let got = clients
                .apigateway
                .get_method()
                .rest_api_id(api)
                .resource_id(resource.id().unwrap())
                .http_method(method)
                .send()
                .await
                .unwrap();
            found.push((
                resource.path().unwrap().to_owned(),
                method.clone(),
                got.api_key_required().unwrap_or(false),
            ));
        }
    }
    found.sort();
    found
}

/// A route with `api_key_required` is deployed with its method requiring a key, so the deployed
/// API answers 403 without `x-api-key` as the local server does; a redeploy changes nothing, and
/// the route no longer requiring one is updated in place.
#[tokio::test(flavor = "multi_thread")]
async fn a_route_requiring_an_api_key_has_its_deployed_method_require_one() {
    let stage = "keys6";
    let project = TestProject::new("demoauth", &[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let mut bundle = light();
    for route in &mut bundle.app.manifest.routes {
        route.api_key_required = true;
    }
    project.configure(stage, &json!({"api_keys": ["local-only"]}));
    deploy(&project, stage, &clients, &bundle).await;
    let api = api_id(&project, stage);
    let required = key_requirements(&clients, &api).await;
    assert_eq!(required, [("/".to_owned(), "GET".to_owned(), true)]);
    assert_no_change(&project, stage, &clients, &bundle).await;

    for route in &mut bundle.app.manifest.routes {
        route.api_key_required = false;
    }
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(api_id(&project, stage), api, "the API is updated in place");
    assert_eq!(
        key_requirements(&clients, &api).await,
        [("/".to_owned(), "GET".to_owned(), false)]
    );
    delete_via(&project, stage, &clients).await.unwrap();
    let left = inventory(&clients, APP, stage).await;
    assert!(is_empty(&left), "{left}");
}
