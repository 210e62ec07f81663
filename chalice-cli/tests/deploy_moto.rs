//! `deploy`, `delete` and `url` against moto, a local AWS emulator (`support::endpoint`: the
//! test binary starts its own unless `scripts/test` started one). Every resource is checked
//! through get_* calls; every AWS call the deployer makes is counted. No test here can reach
//! real AWS: the SDK is pointed at the emulator explicitly.

mod support;

use chalice_cli::bundle;
use chalice_cli::deploy::{self, record::Record};
use chalice_runtime::manifest::ManifestAuthorizer;
use serde_json::{Value, json};
use support::*;

/// The methods of an API: path → method → (authorizationType, authorizer name, scopes, integration uri).
async fn methods(clients: &Clients, api_id: &str) -> Value {
    let mut out = serde_json::Map::new();
    for (path, methods) in support::inventory::methods(clients, api_id).await {
        let methods = methods.as_object().unwrap().iter().map(|(name, m)| {
            let kept = json!({"auth": m["auth"], "authorizer": m["authorizer"], "scopes": m["scopes"],
                              "integration": m["integration"], "uri": m["uri"]});
            (name.clone(), kept)
        });
        out.insert(path, Value::Object(methods.collect()));
    }
    Value::Object(out)
}

fn function_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}/invocations"
    )
}

async fn permission_source_arns(clients: &Clients, function: &str) -> Vec<String> {
    let policy = clients
        .lambda
        .get_policy()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Principal"]["Service"] == "apigateway.amazonaws.com")
        .map(|s| {
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn assert_gone(clients: &Clients, functions: &[&str], role: &str, api_id: &str) {
    for function in functions {
        let error = clients
            .lambda
            .get_function()
            .function_name(*function)
            .send()
            .await
            .unwrap_err();
        assert!(
            error
                .as_service_error()
                .unwrap()
                .is_resource_not_found_exception(),
            "{function} still exists"
        );
    }
    let error = clients
        .iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .as_service_error()
            .unwrap()
            .is_no_such_entity_exception(),
        "role {role} still exists"
    );
    let apis = clients
        .apigateway
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    assert!(
        apis.items().iter().all(|api| api.id() != Some(api_id)),
        "Rest API {api_id} still exists"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demoauth_deploys_redeploys_without_changes_and_deletes_everything() {
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &["demo1"]);
    let clients = clients().await;
    project.clean(&clients, &["demo1"]).await;

    let report = deploy(&project, "demo1", &clients, &bundle).await;
    let calls = clients.calls.take();
    let mutating = CallLog::mutating(&calls);
    let first_deploy = json!({"calls": calls.len(), "mutating": mutating.len(), "names": calls});
    assert!(
        mutating.contains(&"CreateRole".to_owned())
            && mutating.contains(&"CreateDeployment".to_owned()),
        "{mutating:?}"
    );
    assert!(!report.steps.is_empty());

    // The role: Lambda may assume it, and it may write logs, nothing else.
    let role = clients
        .iam
        .get_role()
        .role_name("demoauth1-demo1")
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_owned();
    let policy = clients
        .iam
        .get_role_policy()
        .role_name("demoauth1-demo1")
        .policy_name("demoauth1-demo1")
        .send()
        .await
        .unwrap();
    // IAM returns inline policies URL-encoded.
    let document = percent_encoding::percent_decode_str(policy.policy_document())
        .decode_utf8()
        .unwrap();
    let policy: Value = serde_json::from_str(&document).unwrap();
    assert_eq!(
        policy["Statement"][0]["Action"],
        json!([
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents"
        ])
    );

    // Two functions from one zip, told apart by their handler strings.
    for (name, handler) in [
        ("demoauth1-demo1", "api_handler"),
        ("demoauth1-demo1-demo_auth", "demo_auth"),
    ] {
        let function = clients
            .lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .unwrap();
        let config = function.configuration().unwrap();
        assert_eq!(config.handler(), Some(handler));
        assert_eq!(
            config.runtime().map(|r| r.as_str()),
            Some("provided.al2023")
        );
        assert_eq!(config.role(), Some(role_arn.as_str()));
        assert_eq!(config.code_sha256(), Some(bundle.sha256.as_str()));
        let tags = function.tags().unwrap();
        assert_eq!(tags["chalice-rs:app"], "demoauth1");
        assert_eq!(tags["chalice-rs:stage"], "demo1");
    }

    // The API: GET / behind the demo_auth authorizer, proxied to the API handler.
    let record = project.record("demo1");
    let api_id = record.value("rest_api", "rest_api_id").unwrap().to_owned();
    assert_eq!(
        record.value("rest_api", "rest_api_url"),
        Some(format!("https://{api_id}.execute-api.{REGION}.amazonaws.com/api/").as_str())
    );
    assert_eq!(
        methods(&clients, &api_id).await,
        json!({"/": {"GET": {"auth": "CUSTOM", "authorizer": "demo_auth", "scopes": [], "integration": "AWS_PROXY",
                             "uri": function_uri("demoauth1-demo1")}}})
    );
    let authorizers = clients
        .apigateway
        .get_authorizers()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let authorizer = &authorizers.items()[0];
    assert_eq!(authorizer.r#type().map(|t| t.as_str()), Some("TOKEN"));
    assert_eq!(
        authorizer.identity_source(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(
        authorizer.authorizer_uri(),
        Some(function_uri("demoauth1-demo1-demo_auth").as_str())
    );
    assert_eq!(authorizer.authorizer_result_ttl_in_seconds(), Some(300));
    // The handler is invocable from the API's methods only, the authorizer from its authorizers.
    for (function, scope) in [
        ("demoauth1-demo1", "*/*/*"),
        ("demoauth1-demo1-demo_auth", "authorizers/*"),
    ] {
        assert_eq!(
            permission_source_arns(&clients, function).await,
            [format!(
                "arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{scope}"
            )],
            "{function}"
        );
    }
    let stage = clients
        .apigateway
        .get_stage()
        .rest_api_id(&api_id)
        .stage_name("api")
        .send()
        .await
        .unwrap();
    let deployments = clients
        .apigateway
        .get_deployments()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(deployments.items().len(), 1);
    assert_eq!(stage.deployment_id(), deployments.items()[0].id());
    assert_eq!(
        deploy::url(&project.project(), "demo1").unwrap(),
        format!("https://{api_id}.execute-api.{REGION}.amazonaws.com/api/")
    );

    // A second deploy with nothing changed reads, and changes nothing.
    let again = deploy(&project, "demo1", &clients, &bundle).await;
    let calls = clients.calls.take();
    assert!(again.steps.is_empty(), "{:?}", again.steps);
    assert_eq!(
        CallLog::mutating(&calls),
        Vec::<String>::new(),
        "all calls: {calls:?}"
    );
    assert_eq!(project.record("demo1"), record);
    // The figures bench/run reports beside Chalice's (seen with --nocapture).
    let redeploy = json!({"calls": calls.len(), "mutating": 0, "names": calls});
    println!(
        "bench-aws-calls {}",
        json!({"first_deploy": first_deploy, "no_change_redeploy": redeploy})
    );

    // Delete removes all of it, in dependency order; a second delete finds nothing.
    let deleted = deploy::delete(&project.project(), "demo1", &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(
        deleted.deleted,
        [
            format!("Deleting Rest API: {api_id}"),
            "Deleting function: demoauth1-demo1-demo_auth".to_owned(),
            "Deleting function: demoauth1-demo1".to_owned(),
            "Deleting IAM role: demoauth1-demo1".to_owned(),
        ]
    );
    assert_gone(
        &clients,
        &["demoauth1-demo1", "demoauth1-demo1-demo_auth"],
        "demoauth1-demo1",
        &api_id,
    )
    .await;
    assert_eq!(project.record("demo1"), Record::default());
    let twice = deploy::delete(&project.project(), "demo1", &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert!(twice.deleted.is_empty());
    assert!(
        deploy::url(&project.project(), "demo1")
            .unwrap_err()
            .to_string()
            .contains("has no API deployed")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authz_variants_wires_every_authorizer_kind_and_changes_only_what_changed() {
    let bundle = bundle_of("authz-variants");
    let project = TestProject::new("authz-variants", &["var1"]);
    let clients = clients().await;
    project.clean(&clients, &["var1"]).await;
    deploy(&project, "var1", &clients, &bundle).await;
    clients.calls.take();
    let api_id = project
        .record("var1")
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    let api = methods(&clients, &api_id).await;
    let handler = function_uri("authz-variants-var1");
    let method = |auth: &str, authorizer: Option<&str>, scopes: Value| json!({"auth": auth, "authorizer": authorizer, "scopes": scopes, "integration": "AWS_PROXY", "uri": handler});
    assert_eq!(api["/"]["GET"], method("NONE", None, json!([])));
    assert_eq!(
        api["/admin"]["GET"],
        method("CUSTOM", Some("rich_auth"), json!([]))
    );
    assert_eq!(api["/iam-auth"]["GET"], method("AWS_IAM", None, json!([])));
    assert_eq!(
        api["/users/{id}"]["PUT"],
        method("COGNITO_USER_POOLS", Some("MyPool"), json!(["users/read"]))
    );
    assert_eq!(
        api["/external"]["GET"],
        method("CUSTOM", Some("ExternalAuth"), json!([]))
    );
    assert_eq!(
        api["/tenants/{tenant}"]["GET"],
        method("CUSTOM", Some("tenant_auth"), json!([]))
    );
    assert_eq!(api["/cors"]["OPTIONS"]["integration"], "MOCK");
    assert_eq!(api["/cors"]["OPTIONS"]["auth"], "NONE");
    // An authorizer's 401/403 (and any 4xx/5xx API Gateway answers itself) carries the CORS
    // headers, as the local gateway answers it.
    for response_type in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let response = clients
            .apigateway
            .get_gateway_response()
            .rest_api_id(&api_id)
            .response_type(response_type.into())
            .send()
            .await
            .unwrap();
        let parameters = response.response_parameters().unwrap();
        assert_eq!(
            parameters["gatewayresponse.header.Access-Control-Allow-Origin"], "'*'",
            "{response_type}"
        );
        assert_eq!(
            parameters["gatewayresponse.header.Access-Control-Allow-Headers"],
            format!("'{}'", chalice_runtime::cors::ALLOW_HEADERS),
            "{response_type}"
        );
    }
    assert!(
        api["/users"].as_object().unwrap().is_empty(),
        "parents exist without methods"
    );

    let authorizers = clients
        .apigateway
        .get_authorizers()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    let find = |name: &str| {
        authorizers
            .items()
            .iter()
            .find(|a| a.name() == Some(name))
            .unwrap()
            .clone()
    };
    let rich = find("rich_auth");
    assert_eq!(rich.authorizer_result_ttl_in_seconds(), Some(60));
    assert_eq!(
        rich.authorizer_credentials(),
        Some("arn:aws:iam::123456789012:role/auth-invoke")
    );
    assert_eq!(
        rich.authorizer_uri(),
        Some(function_uri("authz-variants-var1-rich_auth").as_str())
    );
    let header = find("header_auth");
    assert_eq!(
        header.identity_source(),
        Some("method.request.header.X-Api-Token")
    );
    assert_eq!(header.authorizer_result_ttl_in_seconds(), Some(0));
    let tenant = find("tenant_auth");
    assert_eq!(tenant.r#type().map(|t| t.as_str()), Some("REQUEST"));
    assert_eq!(
        tenant.identity_source(),
        Some("method.request.header.X-Tenant,method.request.querystring.key")
    );
    let external = find("ExternalAuth");
    assert_eq!(
        external.authorizer_uri(),
        Some(
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:external-auth/invocations"
        )
    );
    assert_eq!(
        external.identity_source(),
        Some("method.request.header.X-External-Auth")
    );
    assert_eq!(external.authorizer_result_ttl_in_seconds(), Some(120));
    let pool = find("MyPool");
    assert_eq!(
        pool.r#type().map(|t| t.as_str()),
        Some("COGNITO_USER_POOLS")
    );
    assert_eq!(
        pool.provider_arns(),
        ["arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc123"]
    );

    // Per-function config: rich_auth has its own memory, timeout and environment.
    let rich_fn = clients
        .lambda
        .get_function()
        .function_name("authz-variants-var1-rich_auth")
        .send()
        .await
        .unwrap();
    let config = rich_fn.configuration().unwrap();
    assert_eq!(
        (config.memory_size(), config.timeout()),
        (Some(512), Some(5))
    );
    let env = config.environment().unwrap().variables().unwrap();
    assert_eq!(env.get("AUTH_ONLY_VAR").map(String::as_str), Some("yes"));
    assert_eq!(env.get("GLOBAL_VAR").map(String::as_str), Some("global"));
    let api_fn = clients
        .lambda
        .get_function()
        .function_name("authz-variants-var1")
        .send()
        .await
        .unwrap();
    assert_eq!(api_fn.configuration().unwrap().memory_size(), Some(256));
    // Built-in authorizers get the permission even with an execution role.
    for function in [
        "authz-variants-var1",
        "authz-variants-var1-rich_auth",
        "authz-variants-var1-tenant_auth",
    ] {
        assert_eq!(
            permission_source_arns(&clients, function).await.len(),
            1,
            "{function}"
        );
    }

    // Changing one route's authorizer changes only that method (and deploys).
    let mut changed = bundle.clone();
    let route = changed
        .app
        .manifest
        .routes
        .iter_mut()
        .find(|r| r.path == "/header")
        .unwrap();
    route.authorizer = Some("rich_auth".into());
    let report = deploy(&project, "var1", &clients, &changed).await;
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "Deleting method: GET /header",
            "Setting method: GET /header (CUSTOM rich_auth)",
            "Deploying Rest API to stage: api"
        ]
    );
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        [
            "DeleteMethod",
            "PutMethod",
            "PutIntegration",
            "CreateDeployment"
        ]
    );
    assert_eq!(
        methods(&clients, &api_id).await["/header"]["GET"]["authorizer"],
        "rich_auth"
    );

    // Removing an authorizer removes its Lambda (and with it its permission) and its authorizer.
    changed
        .app
        .manifest
        .authorizers
        .retain(|a| a.name() != "header_auth");
    let report = deploy(&project, "var1", &clients, &changed).await;
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "Deleting authorizer: header_auth",
            "Deploying Rest API to stage: api",
            "Deleting function: authz-variants-var1-header_auth"
        ]
    );
    assert!(
        clients
            .lambda
            .get_function()
            .function_name("authz-variants-var1-header_auth")
            .send()
            .await
            .is_err()
    );
    assert!(project.record("var1").get("header_auth").is_none());

    // Changed code is one UpdateFunctionCode per function, nothing else.
    let mut new_code = changed.clone();
    new_code.zip =
        bundle::zip_bootstrap(&chalice_testkit::elf::static_x86_64(b"new code")).unwrap();
    new_code.sha256 = bundle::code_sha256(&new_code.zip);
    clients.calls.take();
    deploy(&project, "var1", &clients, &new_code).await;
    let mutating = CallLog::mutating(&clients.calls.take());
    let builtins = changed
        .app
        .manifest
        .authorizers
        .iter()
        .filter(|a| matches!(a, ManifestAuthorizer::Builtin { .. }))
        .count();
    assert_eq!(
        mutating,
        vec!["UpdateFunctionCode".to_owned(); builtins + 1]
    );

    deploy::delete(&project.project(), "var1", &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_gone(
        &clients,
        &["authz-variants-var1", "authz-variants-var1-rich_auth"],
        "authz-variants-var1",
        &api_id,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stages_live_side_by_side_and_a_lost_record_is_recovered_from_tags() {
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &["side1", "side2"]);
    let clients = clients().await;
    project.clean(&clients, &["side1", "side2"]).await;
    deploy(&project, "side1", &clients, &bundle).await;
    deploy(&project, "side2", &clients, &bundle).await;
    let first = project
        .record("side1")
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    let second = project
        .record("side2")
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    assert_ne!(first, second);

    // The record is lost, and a retried create left a twin API behind: the next deploy finds
    // the stage by its tags, removes the twin, and changes nothing else.
    let saved = project.record("side1");
    std::fs::remove_file(deploy::record::path(&project.dir, "side1")).unwrap();
    let twin = clients
        .apigateway
        .create_rest_api()
        .name("demoauth1")
        .tags("chalice-rs:app", "demoauth1")
        .tags("chalice-rs:stage", "side1")
        .send()
        .await
        .unwrap();
    let twin_id = twin.id().unwrap().to_owned();
    clients.calls.take();
    let report = deploy(&project, "side1", &clients, &bundle).await;
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert_eq!(steps, [format!("Deleting duplicate Rest API: {twin_id}")]);
    assert_eq!(CallLog::mutating(&clients.calls.take()), ["DeleteRestApi"]);
    assert_eq!(
        project.record("side1").value("rest_api", "rest_api_id"),
        Some(first.as_str())
    );
    assert_eq!(
        project.record("side1").resources.len(),
        saved.resources.len()
    );

    // Deleting one stage without its record leaves the other alone.
    std::fs::remove_file(deploy::record::path(&project.dir, "side1")).unwrap();
    let deleted = deploy::delete(&project.project(), "side1", &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(deleted.deleted.len(), 4, "{:?}", deleted.deleted);
    assert_gone(
        &clients,
        &["demoauth1-side1", "demoauth1-side1-demo_auth"],
        "demoauth1-side1",
        &first,
    )
    .await;
    assert!(
        clients
            .lambda
            .get_function()
            .function_name("demoauth1-side2")
            .send()
            .await
            .is_ok()
    );
    assert!(
        clients
            .apigateway
            .get_rest_api()
            .rest_api_id(&second)
            .send()
            .await
            .is_ok()
    );
    deploy::delete(&project.project(), "side2", &clients.aws, &mut |_| {})
        .await
        .unwrap();
}

/// The REST stage's variables, as moto holds them.
async fn stage_variables(clients: &Clients, api_id: &str, stage: &str) -> Value {
    let stage = clients
        .apigateway
        .get_stage()
        .rest_api_id(api_id)
        .stage_name(stage)
        .send()
        .await
        .unwrap();
    json!(stage.variables().cloned().unwrap_or_default())
}

/// `stage_variables` are set on the REST API's stage, changed and removed as the config
/// changes, with no call when nothing did (issue 17, finding 12).
#[tokio::test(flavor = "multi_thread")]
async fn stage_variables_are_set_changed_and_removed_on_the_stage() {
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &["vars1"]);
    let clients = clients().await;
    project.clean(&clients, &["vars1"]).await;
    let config_path = project.dir.join(".chalice/config.json");
    let set_variables = |variables: Value| {
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
        config["stages"]["vars1"]["stage_variables"] = variables;
        std::fs::write(&config_path, config.to_string()).unwrap();
    };

    set_variables(json!({"env": "dev", "db": "main"}));
    deploy(&project, "vars1", &clients, &bundle).await;
    let api_id = project
        .record("vars1")
        .value("rest_api", "rest_api_id")
        .unwrap()
        .to_owned();
    let stage = "api";
    assert_eq!(
        stage_variables(&clients, &api_id, stage).await,
        json!({"env": "dev", "db": "main"})
    );
    clients.calls.take();

    deploy(&project, "vars1", &clients, &bundle).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        Vec::<String>::new()
    );

    set_variables(json!({"env": "prod"}));
    deploy(&project, "vars1", &clients, &bundle).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        ["UpdateStage"],
        "a variable change updates the stage alone"
    );
    assert_eq!(
        stage_variables(&clients, &api_id, stage).await,
        json!({"env": "prod"})
    );

    delete_via(&project, "vars1", &clients).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_plan_and_changes_nothing() {
    let bundle = bundle_of("demoauth");
    let project = TestProject::new("demoauth", &["dry1"]);
    let clients = clients().await;
    project.clean(&clients, &["dry1"]).await;
    let mut lines = Vec::new();
    let report = deploy::deploy_bundle(
        &project.project(),
        "dry1",
        &clients.aws,
        &bundle,
        true,
        &mut |line| lines.push(line.to_owned()),
    )
    .await
    .unwrap();
    assert!(report.dry_run);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("Would: Creating IAM role: demoauth1-dry1")
    );
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        Vec::<String>::new()
    );
    assert!(
        clients
            .lambda
            .get_function()
            .function_name("demoauth1-dry1")
            .send()
            .await
            .is_err()
    );
}

#[test]
fn the_cli_deploys_prints_the_url_and_deletes() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chalice-rs"))
            .arg("--project-dir")
            .arg(workspace().join("examples/demoauth"))
            .args(args)
            .env("AWS_ENDPOINT_URL", endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CARGO_TARGET_DIR", workspace().join("target"))
            .output()
            .unwrap()
    };
    // An undeclared stage would use the top-level settings; one whose name cannot become AWS
    // names is refused before any AWS call.
    let invalid = run(&["deploy", "--stage", "no pe"]);
    let stderr = String::from_utf8_lossy(&invalid.stderr);
    assert!(!invalid.status.success(), "{stderr}");
    assert!(stderr.contains("stage `no pe` cannot be used"), "{stderr}");
    let deployed = run(&["deploy"]);
    let stderr = String::from_utf8_lossy(&deployed.stderr);
    assert!(deployed.status.success(), "{stderr}");
    assert!(
        stderr.contains("Creating lambda function: demoauth1-dev-demo_auth")
            || stderr.contains("Nothing changed"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&deployed.stdout);
    assert!(stdout.starts_with("Resources deployed:\n  - Lambda ARN: arn:aws:lambda:us-west-2:123456789012:function:demoauth1-dev"), "{stdout}");
    let url = run(&["url"]);
    assert!(
        String::from_utf8_lossy(&url.stdout)
            .trim()
            .ends_with(".execute-api.us-west-2.amazonaws.com/api/")
    );
    let deleted = run(&["delete"]);
    assert!(deleted.status.success());
    assert!(String::from_utf8_lossy(&deleted.stderr).contains("Deleting IAM role: demoauth1-dev"));
    let again = run(&["delete"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("Nothing to delete"));
}
