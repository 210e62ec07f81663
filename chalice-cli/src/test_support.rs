//! Fixtures shared by the unit tests: manifests built by hand, and an exact-JSON comparison
//! that also checks key order (serde_json's map equality ignores it).

use chalice_runtime::ApiKind;
use chalice_runtime::manifest::{MANIFEST_VERSION, Manifest, ManifestAuthorizer, ManifestRoute};
use serde_json::Value;

/// Asserts the two documents are the same, key order included, showing both when not.
#[track_caller]
pub fn assert_json(actual: &Value, expected: &Value) {
    let actual = serde_json::to_string_pretty(actual).unwrap();
    let expected = serde_json::to_string_pretty(expected).unwrap();
    assert!(
        actual == expected,
        "JSON differs\n--- actual ---\n{actual}\n--- expected ---\n{expected}"
    );
}

/// A manifest of `routes` and `authorizers` for the app `name`.
pub fn manifest(
    name: &str,
    routes: Vec<ManifestRoute>,
    authorizers: Vec<ManifestAuthorizer>,
) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        app_name: name.to_owned(),
        api_kind: ApiKind::Rest,
        routes,
        authorizers,
    }
}

/// A JSON route with no authorizer; `{param}`s are taken from the path.
pub fn route(path: &str, methods: &[&str]) -> ManifestRoute {
    ManifestRoute {
        path: path.to_owned(),
        methods: methods.iter().map(|m| (*m).to_owned()).collect(),
        view_name: "view".to_owned(),
        authorizer: None,
        scopes: Vec::new(),
        cors: None,
        content_types: vec!["application/json".to_owned()],
        api_key_required: false,
        path_params: path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect(),
    }
}

/// `route` protected by `authorizer` with `scopes`.
pub fn authorized(
    path: &str,
    methods: &[&str],
    authorizer: &str,
    scopes: &[&str],
) -> ManifestRoute {
    ManifestRoute {
        authorizer: Some(authorizer.to_owned()),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        ..route(path, methods)
    }
}

/// A built-in TOKEN authorizer with Chalice's defaults.
pub fn builtin(name: &str) -> ManifestAuthorizer {
    ManifestAuthorizer::Builtin {
        name: name.to_owned(),
        function: name.to_owned(),
        auth_type: "TOKEN".to_owned(),
        header: "Authorization".to_owned(),
        ttl_seconds: None,
        execution_role: None,
        identity_sources: Vec::new(),
        simple_responses: false,
    }
}

/// The guide's demo app, as its binary prints its manifest.
pub fn demoauth() -> Manifest {
    manifest(
        "demoauth1",
        vec![authorized("/", &["GET"], "demo_auth", &[])],
        vec![builtin("demo_auth")],
    )
}

/// The HTTP API example (`examples/http-api`), as its binary prints its manifest: a JWT
/// authorizer `jwt`, a built-in simple-response Lambda authorizer `gate` and an IAM route.
/// Authorizers are in the manifest's order (by name). On an HTTP API a Lambda authorizer is always `REQUEST` with its identity sources in
/// Chalice's short form (`header.X-Token`); the renderers write API Gateway's
/// `$request.header.X-Token`.
pub fn httpapi1() -> Manifest {
    let view = |route: ManifestRoute, name: &str| ManifestRoute {
        view_name: name.to_owned(),
        ..route
    };
    Manifest {
        api_kind: ApiKind::Http,
        ..manifest(
            "httpapi1",
            vec![
                view(route("/admin", &["GET"]), "admin"),
                view(route("/health", &["GET"]), "health"),
                view(
                    authorized("/orders", &["POST"], "jwt", &["orders/write"]),
                    "create_order",
                ),
                view(
                    authorized("/orders/{id}", &["GET"], "jwt", &["orders/read"]),
                    "get_order",
                ),
                view(authorized("/profile", &["GET"], "gate", &[]), "profile"),
            ]
            .into_iter()
            .map(|route| match route.view_name.as_str() {
                "admin" => ManifestRoute {
                    authorizer: Some("sigv4".to_owned()),
                    ..route
                },
                _ => route,
            })
            .collect(),
            vec![
                ManifestAuthorizer::Builtin {
                    name: "gate".to_owned(),
                    function: "gate".to_owned(),
                    auth_type: "REQUEST".to_owned(),
                    header: "Authorization".to_owned(),
                    ttl_seconds: None,
                    execution_role: None,
                    identity_sources: vec!["header.X-Token".to_owned()],
                    simple_responses: true,
                },
                ManifestAuthorizer::Jwt {
                    name: "jwt".to_owned(),
                    issuer: "https://issuer.example.com".to_owned(),
                    audiences: vec!["orders-api".to_owned()],
                    identity_source: "$request.header.Authorization".to_owned(),
                    scopes: Vec::new(),
                },
                ManifestAuthorizer::Iam {
                    name: "sigv4".to_owned(),
                },
            ],
        )
    }
}

/// An HTTP API app with what the example lacks: a full CORS configuration, an existing Lambda
/// authorizer with an invoke role and two identity sources, an uncached policy-answering
/// built-in one, a greedy `ANY` route whose scopes API Gateway ignores.
pub fn http_variants() -> Manifest {
    let cors = |route: ManifestRoute| ManifestRoute {
        cors: Some(
            chalice_runtime::CorsConfig::new("https://app.example")
                .allow_headers(&["X-Special"])
                .expose_headers(&["X-Request-Id"])
                .max_age(600)
                .allow_credentials(true)
                .settings(),
        ),
        ..route
    };
    Manifest {
        api_kind: ApiKind::Http,
        ..manifest(
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
                    identity_sources: vec![
                        "querystring.key".into(),
                        "context.identity.sourceIp".into(),
                    ],
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
    }
}

/// Writes `doc` as `package` and `generate-openapi --output` do (two-space indent, newline at
/// the end) under `name` in a scratch directory of this process; the path.
pub fn written(name: &str, doc: &Value) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("chalice-rs-written-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    crate::package::write_json(&path, doc).unwrap();
    path
}

/// Compares the file written for `doc` with `<snapshots>/<name>` (a directory under the crate),
/// or writes it there with `UPDATE_SNAPSHOTS=1`.
#[track_caller]
pub fn assert_snapshot(snapshots: &str, name: &str, doc: &Value) {
    let actual = std::fs::read_to_string(written(name, doc)).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(snapshots)
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert!(
        actual == expected,
        "{name} differs from {}\n--- actual ---\n{actual}",
        path.display()
    );
}

/// Runs the package tool `tool` (`cfn-lint`, `openapi-spec-validator`) on the file written
/// for `doc`, failing with its output unless it passes.
#[track_caller]
pub fn assert_tool_passes(tool: &str, name: &str, doc: &Value) {
    let path = written(name, doc);
    let output = std::process::Command::new(chalice_testkit::venv::package_tools().join(tool))
        .arg(&path)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_api_fixture_reads_back_as_the_example_prints_it() {
        let fixture = httpapi1();
        let text = serde_json::to_string(&fixture).unwrap();
        let read: Manifest = serde_json::from_str(&text).unwrap();
        assert_eq!(read, fixture);
        assert!(text.contains(r#""api_kind":"http""#), "{text}");
    }
}
