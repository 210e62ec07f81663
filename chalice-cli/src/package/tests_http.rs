//! An HTTP API app's templates: the example's (`test_support::httpapi1`) pinned byte for byte
//! in `snapshots/`, and each run through its real validator (`cfn-lint`,
//! `openapi-spec-validator`).

use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::test_support::{assert_snapshot, assert_tool_passes, http_variants, httpapi1};

const SNAPSHOTS: &str = "src/package/snapshots";

fn model(config: Value) -> Model {
    let config = Config::parse(&config.to_string(), Path::new("config.json")).unwrap();
    Model::resolve_with(&httpapi1(), &config.stage("dev").unwrap(), &|file| {
        Err(Error::new(format!("{file}: not expected")))
    })
    .unwrap()
}

fn example() -> Model {
    model(json!({"app_name": "httpapi1", "stages": {"dev": {}}}))
}

#[test]
fn the_examples_sam_template_passes_cfn_lint_and_matches_its_snapshot() {
    let template = sam::template(&example()).unwrap();
    assert_snapshot(SNAPSHOTS, "httpapi1.sam.json", &template);
    assert_tool_passes("cfn-lint", "httpapi1.sam.json", &template);
}

/// The HTTP variants app on stage `prod`, with another API Gateway stage, stage variables
/// and config tags.
fn variants() -> Model {
    let manifest = http_variants();
    let config = json!({"app_name": "variants", "tags": {"team": "t"}, "stages": {"prod": {
        "api_gateway_stage": "v1", "stage_variables": {"tier": "gold"}}}});
    let config = Config::parse(&config.to_string(), Path::new("config.json")).unwrap();
    Model::resolve_with(&manifest, &config.stage("prod").unwrap(), &|file| {
        Err(Error::new(format!("{file}: not expected")))
    })
    .unwrap()
}

#[test]
fn a_variants_sam_template_passes_cfn_lint_and_matches_its_snapshot() {
    let template = sam::template(&variants()).unwrap();
    assert_snapshot(SNAPSHOTS, "variants-http.sam.json", &template);
    assert_tool_passes("cfn-lint", "variants-http.sam.json", &template);
    let resources = &template["Resources"];
    let cors = &resources["HttpAPI"]["Properties"]["CorsConfiguration"];
    assert_eq!(cors["AllowOrigins"], json!(["https://app.example"]));
    assert_eq!(cors["ExposeHeaders"], json!(["X-Request-Id"]));
    assert_eq!(cors["MaxAge"], 600);
    assert_eq!(cors["AllowCredentials"], true);
    // Only the built-in authorizer's function is invoked through the API besides the handler.
    assert_eq!(
        resources["PolicyAuthInvokePermission"]["Properties"]["SourceArn"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${HttpAPI}/authorizers/${PolicyAuthAuthorizer}"})
    );
    assert!(resources.get("ExtInvokePermission").is_none());
    assert_eq!(
        resources["ExtAuthorizer"]["Properties"]["AuthorizerCredentialsArn"],
        "arn:aws:iam::123456789012:role/invoke"
    );
    // Scopes are for JWT authorizers only.
    assert!(
        resources["AnyExtProxyRoute"]["Properties"]
            .get("AuthorizationScopes")
            .is_none()
    );
}

#[test]
fn the_examples_terraform_configuration_matches_its_snapshot() {
    let config = terraform::template(&example()).unwrap();
    assert_snapshot(SNAPSHOTS, "httpapi1.tf.json", &config);
    let resource = &config["resource"];
    assert_eq!(
        resource["aws_lambda_permission"]["gate_invoke"]["source_arn"],
        "${aws_apigatewayv2_api.http_api.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.gate.id}"
    );
    assert_eq!(
        resource["aws_lambda_permission"]["http_api_invoke"]["source_arn"],
        "${aws_apigatewayv2_api.http_api.execution_arn}/*/*/*"
    );
    assert_eq!(
        config["output"]["EndpointURL"]["value"],
        "${aws_apigatewayv2_stage.http_api.invoke_url}"
    );
}

#[test]
fn a_variants_terraform_configuration_matches_its_snapshot() {
    let config = terraform::template(&variants()).unwrap();
    assert_snapshot(SNAPSHOTS, "variants-http.tf.json", &config);
    let resource = &config["resource"];
    let cors = &resource["aws_apigatewayv2_api"]["http_api"]["cors_configuration"];
    assert_eq!(cors["allow_origins"], json!(["https://app.example"]));
    assert_eq!(cors["expose_headers"], json!(["X-Request-Id"]));
    assert_eq!(cors["max_age"], 600);
    assert_eq!(cors["allow_credentials"], true);
    assert_eq!(
        resource["aws_apigatewayv2_stage"]["http_api"]["stage_variables"],
        json!({"tier": "gold"})
    );
    assert_eq!(
        resource["aws_apigatewayv2_authorizer"]["ext"]["authorizer_credentials_arn"],
        "arn:aws:iam::123456789012:role/invoke"
    );
    assert!(
        resource["aws_lambda_permission"]
            .get("ext_invoke")
            .is_none()
    );
}

#[test]
fn terraform_escapes_user_text_and_checks_authorizer_names() {
    let mut manifest = httpapi1();
    if let chalice_runtime::manifest::ManifestAuthorizer::Jwt { audiences, .. } = manifest
        .authorizers
        .iter_mut()
        .find(|a| a.name() == "jwt")
        .unwrap()
    {
        audiences.push("${var.secret}".into());
    }
    let config = Config::parse(
        r#"{"app_name": "httpapi1", "stages": {"dev": {"stage_variables": {"v": "%{x}"}}}}"#,
        Path::new("config.json"),
    )
    .unwrap();
    let model = Model::resolve_with(&manifest, &config.stage("dev").unwrap(), &|file| {
        Err(Error::new(format!("{file}: not expected")))
    })
    .unwrap();
    let resource = &terraform::template(&model).unwrap()["resource"];
    assert_eq!(
        resource["aws_apigatewayv2_authorizer"]["jwt"]["jwt_configuration"]["audience"],
        json!(["orders-api", "$${var.secret}"])
    );
    assert_eq!(
        resource["aws_apigatewayv2_stage"]["http_api"]["stage_variables"]["v"],
        "%%{x}"
    );
    let mut manifest = httpapi1();
    if let chalice_runtime::manifest::ManifestAuthorizer::Jwt { name, .. } = manifest
        .authorizers
        .iter_mut()
        .find(|a| a.name() == "jwt")
        .unwrap()
    {
        *name = "9jwt".into();
    }
    for route in &mut manifest.routes {
        if route.authorizer.as_deref() == Some("jwt") {
            route.authorizer = Some("9jwt".into());
        }
    }
    let model = Model::resolve_with(&manifest, &config.stage("dev").unwrap(), &|file| {
        Err(Error::new(format!("{file}: not expected")))
    })
    .unwrap();
    let error = terraform::template(&model).unwrap_err().to_string();
    assert!(
        error.starts_with("the authorizer `9jwt` cannot name a Terraform resource"),
        "{error}"
    );
}

#[test]
fn an_http_app_without_routes_has_nothing_to_package() {
    let manifest = chalice_runtime::manifest::Manifest {
        routes: Vec::new(),
        ..httpapi1()
    };
    let config = Config::parse(
        r#"{"app_name": "httpapi1", "stages": {"dev": {}}}"#,
        Path::new("config.json"),
    )
    .unwrap();
    let error = resolve(&manifest, &config.stage("dev").unwrap(), Path::new("."))
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "the app `httpapi1` has no routes, so there is no HTTP API to package"
    );
}
