//! `deploy`, `delete` and `url` of an HTTP API app (API Gateway v2) against moto: the example
//! `httpapi1` (a JWT authorizer, a simple-response Lambda authorizer, an IAM route), read back
//! through the SDK; a redeploy without change makes no mutating call; a change touches only
//! what changed; a stage moving between REST and HTTP loses the other API; delete leaves
//! nothing. The fault matrix of the apigatewayv2 calls is in `deploy_http_faults.rs`.

mod support;

use chalice_cli::deploy;
use chalice_runtime::manifest::Manifest;
use serde_json::{Value, json};
use support::http_app::{bundle_for, httpapi1, project};
use support::inventory::{http_apis, inventory, is_empty};
use support::*;

fn function_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}/invocations"
    )
}

/// The source ARNs from which `function` may be invoked by API Gateway.
async fn granted(clients: &Clients, function: &str) -> Vec<String> {
    let policy = clients
        .lambda
        .get_policy()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let mut sources: Vec<String> = policy["Statement"]
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
        .collect();
    sources.sort();
    sources
}

#[tokio::test(flavor = "multi_thread")]
async fn httpapi1_deploys_every_part_redeploys_without_changes_and_deletes_everything() {
    let stage = "hdeploy1";
    let project = project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = bundle_for(httpapi1());

    let report = deploy(&project, stage, &clients, &bundle).await;
    let mutating = CallLog::mutating(&clients.calls.take());
    for call in [
        "CreateApi",
        "CreateIntegration",
        "CreateAuthorizer",
        "CreateRoute",
        "CreateStage",
    ] {
        assert!(mutating.iter().any(|c| c == call), "{call} in {mutating:?}");
    }
    assert!(
        !mutating
            .iter()
            .any(|c| c == "CreateRestApi" || c == "CreateDeployment"),
        "{mutating:?}"
    );
    let record = project.record(stage);
    let id = record.value("http_api", "http_api_id").unwrap().to_owned();
    let url = format!("https://{id}.execute-api.{REGION}.amazonaws.com/api/");
    assert_eq!(record.value("http_api", "http_api_url"), Some(url.as_str()));
    assert_eq!(deploy::url(&project.project(), stage).unwrap(), url);
    assert!(
        report
            .resources_deployed()
            .ends_with(&format!("  - HTTP API URL: {url}")),
        "{}",
        report.resources_deployed()
    );

    // Everything, read back through the SDK.
    let found = inventory(&clients, "httpapi1", stage).await;
    assert_eq!(found["apis"], json!([]), "no REST API");
    let handler = format!("httpapi1-{stage}");
    let gate = format!("httpapi1-{stage}-gate");
    let handler_uri = function_uri(&handler).replace(stage, "<stage>");
    let integration = json!({"type": "AWS_PROXY", "uri": handler_uri, "payload": "2.0"});
    let route = |key: &str, auth: &str, authorizer: Value, scopes: Value| {
        json!({"key": key, "auth": auth, "authorizer": authorizer, "scopes": scopes,
               "integration": integration})
    };
    let mut routes = vec![
        route("GET /admin", "AWS_IAM", json!(null), json!([])),
        route("GET /health", "NONE", json!(null), json!([])),
        route(
            "GET /orders/{id}",
            "JWT",
            json!("jwt"),
            json!(["orders/read"]),
        ),
        route("GET /profile", "CUSTOM", json!("gate"), json!([])),
        route("POST /orders", "JWT", json!("jwt"), json!(["orders/write"])),
    ];
    routes.sort_by_key(Value::to_string);
    assert_eq!(
        found["http_apis"],
        json!([{
            "name": "httpapi1",
            "protocol": "HTTP",
            "tags": {"chalice-rs:app": "httpapi1", "chalice-rs:stage": "<stage>"},
            "cors": null,
            "routes": routes,
            "authorizers": {
                "jwt": {"type": "JWT", "identity_source": ["$request.header.Authorization"],
                        "issuer": "https://issuer.example.com", "audience": ["orders-api"],
                        "uri": null, "payload": null, "simple": null, "ttl": null,
                        "credentials": null},
                "gate": {"type": "REQUEST", "identity_source": ["$request.header.X-Token"],
                         "issuer": null, "audience": null,
                         "uri": function_uri(&gate).replace(stage, "<stage>"),
                         "payload": "2.0", "simple": true, "ttl": 300, "credentials": null},
            },
            "integrations": [integration],
            "stages": [{"name": "api", "auto_deploy": true, "variables": {}}],
        }])
    );
    // Only this API's routes (`<stage>/<METHOD>/<path>`, not its authorizers) may invoke the
    // handler, and only the gate authorizer the gate function.
    let execute = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{id}");
    let gate_id = record.get("http_api").unwrap()["authorizers"]["gate"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        granted(&clients, &handler).await,
        [format!("{execute}/*/*/*")]
    );
    assert_eq!(
        granted(&clients, &gate).await,
        [format!("{execute}/authorizers/{gate_id}")]
    );

    // Nothing changed: nothing is changed.
    let again = deploy(&project, stage, &clients, &bundle).await;
    let calls = clients.calls.take();
    assert_eq!(CallLog::mutating(&calls), Vec::<String>::new(), "{calls:?}");
    assert!(again.steps.is_empty());

    // A changed authorizer is updated in place; a changed route is made again alone.
    let mut changed = bundle.clone();
    for authorizer in &mut changed.app.manifest.authorizers {
        if let chalice_runtime::manifest::ManifestAuthorizer::Jwt { audiences, .. } = authorizer {
            *audiences = vec!["orders-api".into(), "admin-api".into()];
        }
    }
    deploy(&project, stage, &clients, &changed).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        ["UpdateAuthorizer"]
    );
    let now = inventory(&clients, "httpapi1", stage).await;
    assert_eq!(
        now["http_apis"][0]["authorizers"]["jwt"]["audience"],
        json!(["orders-api", "admin-api"])
    );
    let mut rescoped = changed.clone();
    let orders = rescoped
        .app
        .manifest
        .routes
        .iter_mut()
        .find(|r| r.path == "/orders/{id}")
        .unwrap();
    orders.scopes = vec!["orders/admin".into()];
    deploy(&project, stage, &clients, &rescoped).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        ["DeleteRoute", "CreateRoute"]
    );
    let now = inventory(&clients, "httpapi1", stage).await;
    let orders = now["http_apis"][0]["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "GET /orders/{id}")
        .unwrap()
        .clone();
    assert_eq!(orders["scopes"], json!(["orders/admin"]));
    assert_eq!(orders["authorizer"], "jwt");

    // Delete leaves nothing, and url says so.
    deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    let left = inventory(&clients, "httpapi1", stage).await;
    assert!(is_empty(&left), "{left}");
    assert!(http_apis(&clients, "httpapi1", stage).await.is_empty());
    assert!(
        deploy::url(&project.project(), stage)
            .unwrap_err()
            .to_string()
            .contains("has no API deployed")
    );
}

/// `httpapi1` with CORS on `/health`, configured by `settings`.
fn with_cors(settings: &chalice_runtime::cors::CorsSettings) -> chalice_cli::bundle::Bundle {
    let mut manifest = httpapi1();
    let health = manifest
        .routes
        .iter_mut()
        .find(|r| r.path == "/health")
        .unwrap();
    health.cors = Some(settings.clone());
    bundle_for(manifest)
}

/// A full CORS configuration is the HTTP API's `CorsConfiguration`, read back from moto; a
/// redeploy leaves it alone and a changed configuration is set again in place.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_cors_configuration_is_the_http_apis_cors_configuration() {
    let stage = "hcors1";
    let project = project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let full = chalice_runtime::CorsConfig::new("https://app.example")
        .allow_headers(&["X-Special"])
        .expose_headers(&["X-Request-Id"])
        .max_age(600)
        .allow_credentials(true)
        .settings();
    deploy(&project, stage, &clients, &with_cors(&full)).await;
    let id = project
        .record(stage)
        .value("http_api", "http_api_id")
        .unwrap()
        .to_owned();
    let read = || async {
        clients
            .apigatewayv2
            .get_api()
            .api_id(&id)
            .send()
            .await
            .unwrap()
            .cors_configuration()
            .cloned()
            .unwrap()
    };
    let cors = read().await;
    assert_eq!(cors.allow_origins(), ["https://app.example"]);
    assert_eq!(cors.allow_methods(), ["GET", "OPTIONS"]);
    assert_eq!(cors.allow_headers(), full.allow_headers);
    assert!(cors.allow_headers().contains(&"X-Special".to_owned()));
    assert_eq!(cors.expose_headers(), ["X-Request-Id"]);
    assert_eq!(cors.max_age(), Some(600));
    assert_eq!(cors.allow_credentials(), Some(true));

    clients.calls.take();
    deploy(&project, stage, &clients, &with_cors(&full)).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        Vec::<String>::new()
    );
    let shorter = chalice_runtime::CorsConfig::new("https://app.example")
        .allow_headers(&["X-Special"])
        .expose_headers(&["X-Request-Id"])
        .max_age(60)
        .allow_credentials(true)
        .settings();
    deploy(&project, stage, &clients, &with_cors(&shorter)).await;
    assert_eq!(CallLog::mutating(&clients.calls.take()), ["UpdateApi"]);
    assert_eq!(read().await.max_age(), Some(60));

    deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert!(http_apis(&clients, "httpapi1", stage).await.is_empty());
}

/// The example as a REST API: no JWT authorizer, and a TOKEN gate.
fn as_rest_api(mut manifest: Manifest) -> Manifest {
    manifest.api_kind = chalice_runtime::ApiKind::Rest;
    manifest
        .authorizers
        .retain(|a| !matches!(a, chalice_runtime::manifest::ManifestAuthorizer::Jwt { .. }));
    for authorizer in &mut manifest.authorizers {
        if let chalice_runtime::manifest::ManifestAuthorizer::Builtin {
            auth_type,
            identity_sources,
            simple_responses,
            ..
        } = authorizer
        {
            *auth_type = "TOKEN".into();
            identity_sources.clear();
            *simple_responses = false;
        }
    }
    for route in &mut manifest.routes {
        if route.authorizer.as_deref() == Some("jwt") {
            route.authorizer = None;
            route.scopes.clear();
        }
    }
    manifest
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stage_moving_between_rest_and_http_keeps_only_the_api_of_its_kind() {
    let stage = "hswitch1";
    let project = project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let http = bundle_for(httpapi1());
    let rest = bundle_for(as_rest_api(httpapi1()));

    deploy(&project, stage, &clients, &rest).await;
    let found = inventory(&clients, "httpapi1", stage).await;
    assert_eq!(found["apis"].as_array().unwrap().len(), 1, "{found}");
    let rest_url = deploy::url(&project.project(), stage).unwrap();

    let report = deploy(&project, stage, &clients, &http).await;
    let steps: Vec<String> = report.steps.iter().map(ToString::to_string).collect();
    assert!(
        steps
            .last()
            .is_some_and(|s| s.starts_with("Deleting Rest API: ")),
        "{steps:?}"
    );
    let found = inventory(&clients, "httpapi1", stage).await;
    assert_eq!(found["apis"], json!([]), "{found}");
    assert_eq!(found["http_apis"].as_array().unwrap().len(), 1, "{found}");
    let record = project.record(stage);
    assert!(record.get("rest_api").is_none(), "{record:?}");
    let http_url = deploy::url(&project.project(), stage).unwrap();
    assert_ne!(http_url, rest_url);
    let id = record.value("http_api", "http_api_id").unwrap();
    assert!(http_url.contains(id));
    // The REST API's grants went with it.
    let execute = format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:{id}");
    assert_eq!(
        granted(&clients, &format!("httpapi1-{stage}")).await,
        [format!("{execute}/*/*/*")]
    );
    let gate_id = record.get("http_api").unwrap()["authorizers"]["gate"]
        .as_str()
        .unwrap();
    assert_eq!(
        granted(&clients, &format!("httpapi1-{stage}-gate")).await,
        [format!("{execute}/authorizers/{gate_id}")]
    );

    deploy(&project, stage, &clients, &rest).await;
    let found = inventory(&clients, "httpapi1", stage).await;
    assert_eq!(found["http_apis"], json!([]), "{found}");
    assert_eq!(found["apis"].as_array().unwrap().len(), 1, "{found}");
    assert!(project.record(stage).get("http_api").is_none());

    deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    let left = inventory(&clients, "httpapi1", stage).await;
    assert!(is_empty(&left), "{left}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_record_is_made_whole_from_the_tags_and_delete_finds_the_api_by_them() {
    let stage = "hlost1";
    let project = project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = bundle_for(httpapi1());
    deploy(&project, stage, &clients, &bundle).await;
    let record = project.record(stage);
    std::fs::remove_file(deploy::record::path(&project.dir, stage)).unwrap();

    // The API is found by its tags, and its routes still name their authorizers: nothing to do.
    clients.calls.take();
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        Vec::<String>::new()
    );
    assert_eq!(
        project.record(stage).value("http_api", "http_api_url"),
        record.value("http_api", "http_api_url")
    );

    // Without the record, delete finds the API by its tags; a second delete finds nothing.
    let stale = project.record(stage);
    std::fs::remove_file(deploy::record::path(&project.dir, stage)).unwrap();
    let report = deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert!(
        report
            .deleted
            .iter()
            .any(|line| line.starts_with("Deleting HTTP API: ")),
        "{:?}",
        report.deleted
    );
    let left = inventory(&clients, "httpapi1", stage).await;
    assert!(is_empty(&left), "{left}");
    stale
        .save(&deploy::record::path(&project.dir, stage))
        .unwrap();
    let again = deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(again.deleted, Vec::<String>::new(), "{:?}", again.steps);
}

/// The stage's `stage_variables` are the HTTP API stage's, read back from moto: set on the first
/// deploy, untouched by a redeploy without change, changed, and removed.
#[tokio::test(flavor = "multi_thread")]
async fn stage_variables_are_the_http_api_stages_variables() {
    let stage = "hvars1";
    let project = project(&[stage]);
    let clients = clients().await;
    project.clean(&clients, &[stage]).await;
    let bundle = bundle_for(httpapi1());
    project.configure(stage, &json!({"stage_variables": {"mode": "test"}}));
    deploy(&project, stage, &clients, &bundle).await;
    let id = project
        .record(stage)
        .value("http_api", "http_api_id")
        .unwrap()
        .to_owned();
    let read = || async {
        let stage = clients
            .apigatewayv2
            .get_stage()
            .api_id(&id)
            .stage_name("api")
            .send()
            .await
            .unwrap();
        let mut variables: Vec<(String, String)> = stage
            .stage_variables()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        variables.sort();
        variables
    };
    let pair = |name: &str, value: &str| (name.to_owned(), value.to_owned());
    assert_eq!(read().await, [pair("mode", "test")]);

    clients.calls.take();
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(
        CallLog::mutating(&clients.calls.take()),
        Vec::<String>::new()
    );

    project.configure(
        stage,
        &json!({"stage_variables": {"mode": "live", "extra": "1"}}),
    );
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(read().await, [pair("extra", "1"), pair("mode", "live")]);

    project.configure(stage, &json!({"stage_variables": null}));
    deploy(&project, stage, &clients, &bundle).await;
    assert_eq!(read().await, []);

    deploy::delete(&project.project(), stage, &clients.aws, &mut |_| {})
        .await
        .unwrap();
    let left = inventory(&clients, "httpapi1", stage).await;
    assert!(is_empty(&left), "{left}");
}
