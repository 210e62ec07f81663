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
