//! An HTTP API app's templates: the example's (`test_support::httpapi1`) pinned byte for byte
//! in `snapshots/`, and each run through its real validator (`cfn-lint`,
//! `openapi-spec-validator`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::test_support::httpapi1;

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

/// Writes `doc` as `package` does under a scratch name and returns the path.
fn written(name: &str, doc: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chalice-rs-http-package-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    write_json(&path, doc).unwrap();
    path
}

/// Compares the file `package` would write for `doc` with `snapshots/<name>`, or writes it
/// with `UPDATE_SNAPSHOTS=1`.
#[track_caller]
fn assert_snapshot(name: &str, doc: &Value) {
    let actual = std::fs::read_to_string(written(name, doc)).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/package/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert!(
        actual == expected,
        "{name} differs from its snapshot\n--- actual ---\n{actual}"
    );
}

#[track_caller]
fn run_tool(tool: &str, path: &Path) {
    let output = Command::new(chalice_testkit::venv::package_tools().join(tool))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{tool} {} failed ({}):\n{}\n{}",
        path.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_examples_sam_template_passes_cfn_lint_and_matches_its_snapshot() {
    let template = sam::template(&example()).unwrap();
    assert_snapshot("httpapi1.sam.json", &template);
    run_tool("cfn-lint", &written("httpapi1.sam.json", &template));
}

/// An HTTP app with what the example lacks: CORS, stage variables and another stage name, an
/// existing Lambda authorizer with an invoke role, an uncached policy-answering built-in one,
/// a greedy path and config tags.
fn variants() -> Model {
    use chalice_runtime::manifest::{ManifestAuthorizer, ManifestRoute};

    use crate::test_support::{authorized, route};
    let cors = |route: ManifestRoute| ManifestRoute {
        cors: true,
        ..route
    };
    let manifest = chalice_runtime::manifest::Manifest {
        api_kind: chalice_runtime::ApiKind::Http,
        ..crate::test_support::manifest(
            "variants",
            vec![
                cors(route("/items", &["GET", "PUT"])),
                authorized("/ext/{proxy+}", &["ANY"], "ext", &["ignored"]),
                authorized("/policy", &["DELETE"], "policy_auth", &[]),
            ],
            vec![
                ManifestAuthorizer::Custom {
                    name: "ext".into(),
                    authorizer_uri: "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:ext/invocations".into(),
                    auth_type: "REQUEST".into(),
                    header: "Authorization".into(),
                    ttl_seconds: 60,
                    invoke_role_arn: Some("arn:aws:iam::123456789012:role/invoke".into()),
                    identity_sources: vec!["querystring.key".into(), "context.identity.sourceIp".into()],
                    scopes: Vec::new(),
                    simple_responses: true,
                },
                ManifestAuthorizer::Builtin {
                    name: "policy_auth".into(),
                    function: "policy_auth".into(),
                    auth_type: "REQUEST".into(),
                    header: "Authorization".into(),
                    ttl_seconds: Some(0),
                    execution_role: None,
                    identity_sources: vec!["stageVariables.tier".into()],
                    simple_responses: false,
                },
            ],
        )
    };
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
    assert_snapshot("variants-http.sam.json", &template);
    run_tool("cfn-lint", &written("variants-http.sam.json", &template));
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
