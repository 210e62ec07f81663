//! The built binary, run as the CLI runs it.

use std::process::Command;

use serde_json::{Value, json};

fn demoauth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_demoauth"))
}

#[test]
fn manifest_mode_prints_the_manifest_and_exits_0() {
    let output = demoauth().arg("--chalice-manifest").output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let manifest: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        manifest,
        json!({
            "manifest_version": 1,
            "app_name": "demoauth1",
            "api_kind": "rest",
            "routes": [{
                "path": "/", "methods": ["GET"], "view_name": "index", "authorizer": "demo_auth",
                "scopes": [], "cors": null, "content_types": ["application/json"],
                "api_key_required": false, "path_params": [],
            }],
            "authorizers": [{
                "kind": "builtin", "name": "demo_auth", "function": "demo_auth", "auth_type": "TOKEN",
                "header": "Authorization", "ttl_seconds": null, "execution_role": null,
                "identity_sources": [], "simple_responses": false,
            }],
        })
    );
}

#[test]
fn without_a_mode_it_says_how_to_run_it() {
    let output = demoauth().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("chalice-rs local"), "{stderr}");
    assert!(output.stdout.is_empty());
}
