//! The HTTP API example app the HTTP API deploy tests deploy: its manifest, a bundle of it
//! with a small zip (the tests are about the control plane), and a project for it.

use chalice_cli::bundle::{self, Bundle};
use chalice_cli::project::BuiltApp;
use chalice_runtime::manifest::Manifest;
use serde_json::{Value, json};

use super::TestProject;

/// The example's manifest as its binary prints it (the CLI's `test_support::httpapi1`).
pub fn httpapi1() -> Manifest {
    let route = |path: &str, method: &str, view: &str, authorizer: Value, scopes: Value| {
        json!({"path": path, "methods": [method], "view_name": view, "authorizer": authorizer,
               "scopes": scopes, "cors": false, "content_types": ["application/json"],
               "api_key_required": false,
               "path_params": if path.contains("{id}") { json!(["id"]) } else { json!([]) }})
    };
    serde_json::from_value(json!({
        "manifest_version": 1,
        "app_name": "httpapi1",
        "api_kind": "http",
        "routes": [
            route("/admin", "GET", "admin", json!("sigv4"), json!([])),
            route("/health", "GET", "health", json!(null), json!([])),
            route("/orders", "POST", "create_order", json!("jwt"), json!(["orders/write"])),
            route("/orders/{id}", "GET", "get_order", json!("jwt"), json!(["orders/read"])),
            route("/profile", "GET", "profile", json!("gate"), json!([])),
        ],
        "authorizers": [
            {"kind": "builtin", "name": "gate", "function": "gate", "auth_type": "REQUEST",
             "header": "Authorization", "ttl_seconds": null, "execution_role": null,
             "identity_sources": ["header.X-Token"], "simple_responses": true},
            {"kind": "iam", "name": "sigv4"},
            {"kind": "jwt", "name": "jwt", "issuer": "https://issuer.example.com",
             "audiences": ["orders-api"], "identity_source": "$request.header.Authorization",
             "scopes": []},
        ],
    }))
    .unwrap()
}

/// A bundle of `manifest` with a small zip: these tests are about the control plane.
pub fn bundle_for(manifest: Manifest) -> Bundle {
    let binary = chalice_testkit::elf::static_x86_64(manifest.app_name.as_bytes());
    let zip = bundle::zip_bootstrap(&binary).unwrap();
    Bundle {
        app: BuiltApp {
            binary: "bootstrap".into(),
            manifest,
        },
        sha256: bundle::code_sha256(&zip),
        zip,
        build_note: "a test bundle".into(),
    }
}

/// A project of the app `httpapi1` with `stages`.
pub fn project(stages: &[&str]) -> TestProject {
    let stages: serde_json::Map<String, Value> = stages
        .iter()
        .map(|stage| ((*stage).to_owned(), json!({})))
        .collect();
    TestProject::with_config(
        &stages.keys().cloned().collect::<Vec<_>>().join("-"),
        &json!({"version": "2.0", "app_name": "httpapi1", "stages": stages}).to_string(),
    )
}
